"""Ratio estimators: networks that output log-likelihood ratios log p(x|θ) − log p(x|θ').

* :class:`DNREEstimator` — the Direct Neural Ratio Estimator (Cobb et al., 2024): a network d(θ, θ', x) whose
  output *is* the log-ratio. Two heads: ``"potential"`` (default), d = g(θ, x) − g(θ', x), a difference of one
  network's outputs, antisymmetric and path-consistent by construction; ``"pairwise"`` (the paper's),
  d = MLP([θ, θ', x]), one forward pass per ratio but free to violate d(a,b) = −d(b,a) and
  d(a,b) + d(b,c) = d(a,c); its C2ST was far worse in the ablation study (BENCHMARKS.md).
* :class:`NREEstimator` — a classifier logit f(θ, x) ≈ log p(x|θ) − log p(x) (Hermans et al., 2020); the
  pairwise log-ratio is the difference f(θ, x) − f(θ', x). BNRE (Delaunoy et al., 2022) uses the same network.

Both z-score θ and x inside the model (statistics learned from the training data, stored with the weights),
and optionally accept a *mask* of observed metrics: an estimator built with ``masked=True`` takes a boolean
mask (..., L) (True = observed), replaces masked metrics by 0 after z-scoring and sees the mask as an input,
so that one estimator conditions on any subset of the metrics. NaN entries of x mean "masked".
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .nets import Standardize, build_mlp
from .validation import InputError


class RatioEstimator(nn.Module):
    """Common part of the estimators: input handling, configuration, saving.

    Args:
        theta_dim: D, number of parameters.
        x_dim: L, number of observed quantities.
        theta_mean, theta_std: z-scoring statistics of θ, shapes (D,).
        x_mean, x_std: z-scoring statistics of x, shapes (L,).
        hidden_features, num_layers, activation: the MLP trunk.
        masked: whether the network takes a mask of observed metrics as input.
        metadata: JSON-able extras kept in the saved config (prior, names, training summary...).
    """

    kind: str = ""
    #: True when log_ratio(θ, θ', x) = log_potential(θ, x) − log_potential(θ', x) exactly (so d(a,b) = −d(b,a)).
    exactly_antisymmetric: bool = False

    def __init__(
        self,
        theta_dim: int,
        x_dim: int,
        theta_mean: Tensor,
        theta_std: Tensor,
        x_mean: Tensor,
        x_std: Tensor,
        hidden_features: int = 128,
        num_layers: int = 5,
        activation: str = "elu",
        masked: bool = False,
        metadata: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.theta_dim = int(theta_dim)
        self.x_dim = int(x_dim)
        self.hidden_features = int(hidden_features)
        self.num_layers = int(num_layers)
        self.activation = activation
        self.masked = bool(masked)
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.theta_norm = Standardize(theta_mean.reshape(-1), theta_std.reshape(-1))
        self.x_norm = Standardize(x_mean.reshape(-1), x_std.reshape(-1))
        self.net = build_mlp(self.input_features(), hidden_features, num_layers, activation)

    def input_features(self) -> int:
        raise NotImplementedError

    def extra_config(self) -> dict[str, Any]:
        """Constructor options beyond the common ones, saved in the model file (JSON-able)."""
        return {}

    @classmethod
    def options_from_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """The constructor options of :meth:`extra_config` read back from a saved config."""
        return {}

    @property
    def device(self) -> torch.device:
        return self.theta_norm.mean.device

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this estimator, JSON-able."""
        return {
            "kind": self.kind,
            "theta_dim": self.theta_dim,
            "x_dim": self.x_dim,
            "hidden_features": self.hidden_features,
            "num_layers": self.num_layers,
            "activation": self.activation,
            "masked": self.masked,
            "theta_mean": self.theta_norm.mean.tolist(),
            "theta_std": self.theta_norm.std.tolist(),
            "x_mean": self.x_norm.mean.tolist(),
            "x_std": self.x_norm.std.tolist(),
            "metadata": self.metadata,
            **self.extra_config(),
        }

    def embed_x(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """z-scored x (..., L), with masked entries zeroed and the mask appended when ``masked``: (..., L or 2L)."""
        if mask is None:
            mask = torch.isfinite(x)
        if not self.masked:
            return self.x_norm(x)
        mask = mask.to(torch.bool)
        z = torch.where(mask, self.x_norm(torch.nan_to_num(x)), torch.zeros_like(x))
        return torch.cat([z, mask.to(z.dtype)], dim=-1)

    def log_ratio(self, theta: Tensor, theta_prime: Tensor, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """log p(x|θ) − log p(x|θ') for θ, θ' (..., D) and x (..., L), broadcast over leading dims → (...)."""
        raise NotImplementedError

    def log_potential(self, theta: Tensor, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """g(θ, x) (...) with log_ratio = g(θ, x) − g(θ', x), for estimators with ``exactly_antisymmetric``."""
        raise NotImplementedError(f"A {self.kind} estimator of this form is not a difference of potentials.")

    def _potential_net(self, theta: Tensor, x: Tensor, mask: Tensor | None) -> Tensor:
        """MLP([z(θ), z(x) (, mask)]) for θ (..., D), x (..., L), broadcast → (...)."""
        lead, (t, e) = _broadcast_rows(self.theta_norm(theta), self.embed_x(x, mask))
        return self.net(torch.cat([t, e], dim=-1)).reshape(lead)

    def _potential_difference(self, theta: Tensor, theta_prime: Tensor, x: Tensor, mask: Tensor | None) -> Tensor:
        """g(θ, x) − g(θ', x) for θ, θ' (..., D), x (..., L), broadcast → (...), both in one batched pass."""
        lead, (t, tp, e) = _broadcast_rows(self.theta_norm(theta), self.theta_norm(theta_prime), self.embed_x(x, mask))
        both = self.net(torch.cat([torch.cat([t, e], dim=-1), torch.cat([tp, e], dim=-1)])).reshape(2, -1)
        return (both[0] - both[1]).reshape(lead)

    def save(self, path: str) -> None:
        """Write weights and JSON config to ``path`` atomically (see :mod:`dnre_core.io`)."""
        from .io import save_estimator

        save_estimator(self, path)


def _broadcast_rows(*tensors: Tensor) -> tuple[tuple[int, ...], list[Tensor]]:
    """Broadcast the leading dims of tensors (..., F_i) together and flatten them to rows (B, F_i)."""
    lead = torch.broadcast_shapes(*(t.shape[:-1] for t in tensors))
    flat = [t.expand(*lead, t.shape[-1]).reshape(-1, t.shape[-1]) for t in tensors]
    return tuple(lead), flat


DNRE_HEADS = ("potential", "pairwise")


class DNREEstimator(RatioEstimator):
    """d(θ, θ', x) ≈ log p(x|θ) − log p(x|θ').

    Args:
        head: ``"potential"`` (default) — d = g(θ, x) − g(θ', x) with g = MLP([z(θ), z(x) (, mask)]): both
            arguments are evaluated in one batched pass, and d is exactly antisymmetric and consistent
            (d(a,b) + d(b,c) = d(a,c)), so every way of sampling it targets the same density. With it, DNRE's loss
            (both orders, BCE) is the contrastive ratio loss with one contrastive parameter (NRE-B, K = 1; Durkan
            et al., 2020) and g is learned up to a function of x. ``"pairwise"`` — the paper's
            d = MLP([z(θ), z(θ'), z(x) (, mask)]).
        *args, **kwargs: as :class:`RatioEstimator`.
    """

    kind = "DNRE"

    def __init__(self, *args: Any, head: str = "potential", **kwargs: Any):
        if head not in DNRE_HEADS:
            raise InputError(f"head must be one of {DNRE_HEADS}; got {head!r}.")
        self.head = head  # read by input_features() during RatioEstimator.__init__
        super().__init__(*args, **kwargs)
        self.exactly_antisymmetric = head == "potential"

    def input_features(self) -> int:
        theta_features = self.theta_dim if self.head == "potential" else 2 * self.theta_dim
        return theta_features + self.x_dim * (2 if self.masked else 1)

    def extra_config(self) -> dict[str, Any]:
        return {"head": self.head}

    @classmethod
    def options_from_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        return {"head": config.get("head", "pairwise")}  # files written before heads existed are pairwise

    def log_potential(self, theta: Tensor, x: Tensor, mask: Tensor | None = None) -> Tensor:
        if self.head != "potential":
            return super().log_potential(theta, x, mask)
        return self._potential_net(theta, x, mask)

    def log_ratio(self, theta: Tensor, theta_prime: Tensor, x: Tensor, mask: Tensor | None = None) -> Tensor:
        if self.head == "potential":
            return self._potential_difference(theta, theta_prime, x, mask)
        lead, (t, tp, e) = _broadcast_rows(self.theta_norm(theta), self.theta_norm(theta_prime), self.embed_x(x, mask))
        return self.net(torch.cat([t, tp, e], dim=-1)).reshape(lead)

    forward = log_ratio


class NREEstimator(RatioEstimator):
    """Classifier logit f(θ, x) = MLP([z(θ), z(x) (, mask)]) ≈ log p(x|θ) − log p(x); used by NRE and BNRE."""

    kind = "NRE"
    exactly_antisymmetric = True

    def input_features(self) -> int:
        return self.theta_dim + self.x_dim * (2 if self.masked else 1)

    def logit(self, theta: Tensor, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """f(θ, x) for θ (..., D), x (..., L) → (...): the log-ratio against the evidence, up to training error."""
        return self._potential_net(theta, x, mask)

    log_potential = logit

    def log_ratio(self, theta: Tensor, theta_prime: Tensor, x: Tensor, mask: Tensor | None = None) -> Tensor:
        return self._potential_difference(theta, theta_prime, x, mask)

    forward = logit


class BNREEstimator(NREEstimator):
    """Same network as NRE; trained with the balancing penalty of BNRE."""

    kind = "BNRE"


ESTIMATOR_CLASSES: dict[str, type[RatioEstimator]] = {
    cls.kind: cls for cls in (DNREEstimator, NREEstimator, BNREEstimator)
}
