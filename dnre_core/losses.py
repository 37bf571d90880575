"""Training losses of the ratio estimators, each a function of a batch (θ (B, D), x (B, L), mask (B, L)).

Contrastive pairs are formed inside the batch: θ' is θ rolled by a random shift in 1..B−1, so that θ' is
another prior draw, independent of x (Cobb et al., 2024, for DNRE; Hermans et al., 2020, for NRE).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .estimators import DNREEstimator, NREEstimator


def partner_shifts(batch: int, num: int, generator: torch.Generator) -> list[int]:
    """``num`` distinct roll shifts in 1..B−1 (at most B − 1 of them), so that each row meets different partners."""
    if num == 1:
        return [int(torch.randint(1, batch, (1,), generator=generator))]  # the draw roll_partner makes
    return (torch.randperm(batch - 1, generator=generator)[:num] + 1).tolist()


def roll_partner(theta: Tensor, generator: torch.Generator) -> Tensor:
    """θ' = θ rolled along the batch by a random shift in 1..B−1 (B ≥ 2): (B, D) → (B, D)."""
    return torch.roll(theta, partner_shifts(theta.shape[0], 1, generator)[0], dims=0)


def _bce(logits: Tensor, label: float) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def dnre_loss(
    estimator: DNREEstimator, theta: Tensor, x: Tensor, mask: Tensor, generator: torch.Generator,
    antisymmetry_weight: float = 0.0, num_partners: int = 1,
) -> Tensor:
    """The paper's loss: BCE of d(θ, θ', x) with label 1 and of d(θ', θ, x) with label 0, averaged.

    ``num_partners`` = K pairs each (θ, x) with K other parameters of the batch θ'_1..θ'_K (distinct roll shifts)
    and averages the loss over the K pairs (the paper: K = 1). For an exactly antisymmetric estimator (the
    potential head) the second order is −d(θ, θ', x), and d = g(θ, x) − g(θ', x) needs g at the B joint rows once
    plus the K·B partner rows; the antisymmetry penalty is then identically zero and skipped.
    ``antisymmetry_weight`` > 0 adds λ·mean((d(θ,θ',x) + d(θ',θ,x))²), a penalty on the violation of
    d(a,b) = −d(b,a) that costs nothing extra: both orders are evaluated by the loss anyway.
    """
    batch = theta.shape[0]
    partners = torch.cat([torch.roll(theta, shift, dims=0) for shift in partner_shifts(batch, num_partners, generator)])
    k = partners.shape[0] // batch
    if estimator.exactly_antisymmetric:
        g = estimator.log_potential(torch.cat([theta, partners]), x.repeat(k + 1, 1), mask.repeat(k + 1, 1))
        d_joint = g[:batch].repeat(k) - g[batch:]
        return 0.5 * (_bce(d_joint, 1.0) + _bce(-d_joint, 0.0))
    theta_k, x_k, mask_k = theta.repeat(k, 1), x.repeat(k, 1), mask.repeat(k, 1)
    both = estimator.log_ratio(torch.cat([theta_k, partners]), torch.cat([partners, theta_k]),
                               torch.cat([x_k, x_k]), torch.cat([mask_k, mask_k]))
    d_joint, d_swapped = both.chunk(2)
    loss = 0.5 * (_bce(d_joint, 1.0) + _bce(d_swapped, 0.0))
    if antisymmetry_weight > 0:
        loss = loss + antisymmetry_weight * (d_joint + d_swapped).square().mean()
    return loss


def _nre_logits(
    estimator: NREEstimator, theta: Tensor, x: Tensor, mask: Tensor, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    theta_prime = roll_partner(theta, generator)
    both = estimator.logit(torch.cat([theta, theta_prime]), torch.cat([x, x]), torch.cat([mask, mask]))
    return both.chunk(2)


def nre_loss(estimator: NREEstimator, theta: Tensor, x: Tensor, mask: Tensor, generator: torch.Generator) -> Tensor:
    """NRE-A (Hermans et al., 2020): BCE of f(θ, x) (joint, label 1) and f(θ', x) (marginal, label 0)."""
    f_joint, f_marginal = _nre_logits(estimator, theta, x, mask, generator)
    return 0.5 * (_bce(f_joint, 1.0) + _bce(f_marginal, 0.0))


def bnre_loss(
    estimator: NREEstimator, theta: Tensor, x: Tensor, mask: Tensor, generator: torch.Generator,
    regularization: float = 100.0,
) -> Tensor:
    """BNRE (Delaunoy et al., 2022): the NRE loss plus λ·(E_joint[σ(f)] + E_marginal[σ(f)] − 1)²."""
    f_joint, f_marginal = _nre_logits(estimator, theta, x, mask, generator)
    balance = torch.sigmoid(f_joint).mean() + torch.sigmoid(f_marginal).mean() - 1.0
    return 0.5 * (_bce(f_joint, 1.0) + _bce(f_marginal, 0.0)) + regularization * balance.square()
