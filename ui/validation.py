"""Closed-loop validation: do re-simulated proposed designs meet the target, and how much better than the prior?

Given proposed designs θ_i ~ q = p(θ | x_o) (x_o from :meth:`ui.targets.Target.conditioning_point`) and their
re-simulated metrics x_i ~ p(x | θ_i), the designs that meet every band, weighted by
w_i ∝ p(θ_i) / q(θ_i), are a self-normalised importance sample of p(θ | x in band) (the proposal's density q
from the DNRE Monte Carlo estimate). The fraction meeting every band is reported next to the same fraction for
designs drawn from the prior, which is the baseline an engineer would get without inference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ui.targets import Target, meets


@dataclass(frozen=True)
class ValidationResult:
    theta: np.ndarray  # (N, D) proposed designs
    x: np.ndarray  # (N, L) their re-simulated metrics
    meets: np.ndarray  # (N,) every band met
    prior_x: np.ndarray  # (M, L) metrics of prior designs
    prior_meets: np.ndarray  # (M,)
    weights: np.ndarray | None  # (N,) normalised importance weights towards p(θ | x in band), or None
    score: np.ndarray  # (N,) distance from the target (lower is better; see target_score), for ranking

    @property
    def fraction(self) -> float:
        return float(self.meets.mean()) if self.meets.size else float("nan")

    @property
    def prior_fraction(self) -> float:
        return float(self.prior_meets.mean()) if self.prior_meets.size else float("nan")

    @property
    def effective_sample_size(self) -> float:
        """Kish ESS of the importance weights (NaN without weights, 0 when no design meets the target)."""
        if self.weights is None:
            return float("nan")
        total = float((self.weights**2).sum())
        return 1.0 / total if total > 0 else 0.0

    def ranking(self) -> np.ndarray:
        """Indices of the proposed designs, best first: designs meeting every band, then closest to the target."""
        return np.lexsort((self.score, ~self.meets))


def target_score(x: np.ndarray, target: Target, scale: np.ndarray) -> np.ndarray:
    """Per row, the sum over stated metrics of the distance from the target in units of ``scale``: |x − v| for a
    value, and the signed distance past the bound for a one-sided bound (negative inside the band, so that among
    designs meeting every band those with more margin rank higher)."""
    x = np.asarray(x, dtype=float)
    total = np.zeros(x.shape[0])
    for k, m in enumerate(target.metrics):
        low, high = m.band
        if m.mode == "value":
            distance = np.abs(x[:, k] - m.value)
        elif m.mode == "free":
            continue
        else:
            distance = low - x[:, k] if m.mode == "at least" else x[:, k] - high
        total += np.where(np.isfinite(distance), distance / scale[k], np.inf)
    return total


def importance_weights(meets_band: np.ndarray, log_prior: np.ndarray, log_proposal: np.ndarray) -> np.ndarray:
    """Self-normalised weights 1[x in band] p(θ)/q(θ); all zero when no design meets the band."""
    log_w = np.where(meets_band & np.isfinite(log_proposal), np.asarray(log_prior) - np.asarray(log_proposal), -np.inf)
    if not np.isfinite(log_w).any():
        return np.zeros_like(log_w)
    w = np.exp(log_w - log_w[np.isfinite(log_w)].max())
    return w / w.sum()


def evaluate(
    theta: np.ndarray,
    x: np.ndarray,
    prior_x: np.ndarray,
    target: Target,
    scale: np.ndarray,
    log_prior: np.ndarray | None = None,
    log_proposal: np.ndarray | None = None,
) -> ValidationResult:
    """Score re-simulated designs against the target (weights only when both log densities are given)."""
    low, high = target.bands()
    meets_post = meets(x, low, high)
    weights = None
    if log_prior is not None and log_proposal is not None:
        weights = importance_weights(meets_post, log_prior, log_proposal)
    return ValidationResult(
        theta=np.asarray(theta, dtype=float),
        x=np.asarray(x, dtype=float),
        meets=meets_post,
        prior_x=np.asarray(prior_x, dtype=float),
        prior_meets=meets(prior_x, low, high),
        weights=weights,
        score=target_score(x, target, scale),
    )
