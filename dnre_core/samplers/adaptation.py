"""Warm-up adaptation shared by the samplers: windowed covariance estimation and dual averaging."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def adaptation_window_ends(warmup_steps: int) -> set[int]:
    """Steps (exclusive ends) after which the proposal covariance / metric is re-estimated.

    Windows end at 15 %, 30 %, 50 % and 75 % of warm-up; the last quarter only tunes the step size with the
    final covariance. Empty for warm-ups shorter than 20 steps.
    """
    if warmup_steps < 20:
        return set()
    return {int(warmup_steps * f) for f in (0.15, 0.3, 0.5, 0.75)}


def regularised_covariance(samples: Tensor, fallback: Tensor) -> Tensor:
    """Covariance (D, D) of samples (N, D), shrunk toward ``fallback``'s diagonal (Stan's regularisation)."""
    n = samples.shape[0]
    if n < 2:
        return fallback
    centred = samples - samples.mean(0)
    cov = centred.T @ centred / (n - 1)
    weight = n / (n + 5.0)
    return weight * cov + (1 - weight) * 1e-3 * torch.diag(torch.diagonal(fallback))


def safe_cholesky(cov: Tensor) -> Tensor:
    """Cholesky factor of ``cov`` (D, D), adding jitter when it is not numerically positive definite."""
    jitter = 1e-9 * float(torch.diagonal(cov).mean().clamp_min(1e-12))
    eye = torch.eye(cov.shape[0], dtype=cov.dtype, device=cov.device)
    for _ in range(8):
        chol, info = torch.linalg.cholesky_ex(cov + jitter * eye)
        if int(info) == 0:
            return chol
        jitter *= 100
    return torch.diag(torch.sqrt(torch.diagonal(cov).clamp_min(1e-12)))


class DualAveraging:
    """Per-chain dual averaging of a log step size toward a target acceptance (Hoffman & Gelman, 2014)."""

    def __init__(self, initial_step: Tensor, target: float, gamma: float = 0.05, t0: float = 10.0, kappa: float = 0.75):
        self.target, self.gamma, self.t0, self.kappa = target, gamma, t0, kappa
        self.restart(initial_step)

    def restart(self, step: Tensor) -> None:
        self.mu = torch.log(10 * step)
        self.h_bar = torch.zeros_like(step)
        self.log_step_bar = torch.log(step)
        self.log_step = torch.log(step)
        self.count = 0

    def update(self, acceptance_probability: Tensor) -> Tensor:
        """Feed one iteration's acceptance probability (C,); returns the next step size (C,)."""
        self.count += 1
        m = self.count
        eta = 1.0 / (m + self.t0)
        self.h_bar = (1 - eta) * self.h_bar + eta * (self.target - acceptance_probability)
        # Bounded to [1e-6, 1e3]: a target whose acceptance never reaches ``target`` (e.g. a biased log-ratio)
        # must not drive the step size to 0 or NaN.
        self.log_step = (self.mu - math.sqrt(m) / self.gamma * self.h_bar).clamp(math.log(1e-6), math.log(1e3))
        weight = m ** (-self.kappa)
        self.log_step_bar = weight * self.log_step + (1 - weight) * self.log_step_bar
        return torch.exp(self.log_step)

    @property
    def final_step(self) -> Tensor:
        return torch.exp(self.log_step_bar)
