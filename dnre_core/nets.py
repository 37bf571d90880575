"""Network building blocks: input standardisation and the MLP trunk shared by every ratio estimator."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .validation import InputError

ACTIVATIONS: dict[str, type[nn.Module]] = {"elu": nn.ELU, "relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh}


class Standardize(nn.Module):
    """Affine z-scoring ``(v - mean) / std`` with statistics stored as buffers (saved with the weights).

    ``mean`` and ``std`` have shape ``(F,)``; inputs ``(..., F)``. A zero standard deviation is replaced by 1 so
    that constant columns pass through centred instead of dividing by zero.
    """

    def __init__(self, mean: Tensor, std: Tensor):
        super().__init__()
        std = torch.where(std > 0, std, torch.ones_like(std))
        self.register_buffer("mean", mean.detach().clone().float())
        self.register_buffer("std", std.detach().clone().float())

    def forward(self, v: Tensor) -> Tensor:
        return (v - self.mean) / self.std


def build_mlp(in_features: int, hidden_features: int, num_layers: int, activation: str) -> nn.Sequential:
    """``num_layers`` hidden layers of width ``hidden_features`` and a scalar output: ``(B, in) → (B, 1)``."""
    if activation not in ACTIVATIONS:
        raise InputError(f"Unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
    if num_layers < 1 or hidden_features < 1:
        raise InputError("The network needs at least one hidden layer of at least one unit.")
    layers: list[nn.Module] = []
    width = in_features
    for _ in range(num_layers):
        layers += [nn.Linear(width, hidden_features), ACTIVATIONS[activation]()]
        width = hidden_features
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)
