"""Vectorised Hamiltonian Monte Carlo with the direct log-ratio gradient (Cobb et al., 2024).

Per iteration and chain: take a reference θ' (held fixed along the trajectory; by default the starting point,
see :class:`~dnre_core.potentials.RatioPotential`) and a momentum p ~ N(0, M),
M = Σ⁻¹ with Σ the warm-up covariance (so the dynamics are preconditioned); run ``num_leapfrog_steps``
leapfrog steps on the potential U(θ) = −log π(θ; θ'), whose gradient is the potential's
``grad_log_target(θ, θ')`` (for DNRE ∇θ d(θ, θ', x)); accept with

    log α = [log π(θ*) − log π(θ)] + K(p) − K(p*),

where the first bracket is the potential's log-ratio (for DNRE one pass d(θ*, θ, x) + log p(θ*) − log p(θ)).
A trajectory that leaves the support is rejected and the points outside are never evaluated. The step
size is tuned per chain by dual averaging during warm-up, then frozen; a ±20 % jitter per iteration avoids
periodic trajectories.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..potentials import Potential
from ..validation import InputError
from .adaptation import DualAveraging, adaptation_window_ends, regularised_covariance, safe_cholesky
from .recorder import ChainRecorder


def _masked_gradient(potential: Potential, theta: Tensor, anchor: Tensor, alive: Tensor) -> Tensor:
    grad = torch.zeros_like(theta)
    if bool(alive.any()):
        grad[alive] = potential.grad_log_target(theta[alive], anchor[alive])
    return grad


def hamiltonian_monte_carlo(
    potential: Potential,
    initial: Tensor,
    recorder: ChainRecorder,
    generator: torch.Generator,
    initial_covariance: Tensor,
    num_leapfrog_steps: int = 10,
    target_acceptance: float = 0.8,
    initial_step_size: float = 0.2,
    adapt_covariance: bool = True,
) -> ChainRecorder:
    """Run HMC from ``initial`` (C, D) for ``recorder.total_steps`` iterations; returns the recorder."""
    if num_leapfrog_steps < 1:
        raise InputError(f"num_leapfrog_steps must be at least 1; got {num_leapfrog_steps}.")
    theta = initial.clone()
    num_chains, _ = theta.shape
    covariance = initial_covariance
    chol = safe_cholesky(covariance)
    step_size = torch.full((num_chains,), initial_step_size, dtype=theta.dtype, device=theta.device)
    averaging = DualAveraging(step_size, target_acceptance)
    window_ends = adaptation_window_ends(recorder.warmup_steps) if adapt_covariance else set()
    window: list[Tensor] = []
    for step in recorder.steps():
        warming = step < recorder.warmup_steps
        anchor = potential.anchor_for(theta, generator).to(theta)
        # p = L⁻ᵀ ξ has covariance Σ⁻¹; the velocity Σ p = L ξ; the kinetic energy ½ pᵀΣp = ½|Lᵀp|².
        xi = torch.randn(theta.shape, generator=generator, device=generator.device).to(theta)
        momentum = torch.linalg.solve_triangular(chol.T, xi.T, upper=True).T
        kinetic_start = 0.5 * xi.square().sum(-1)
        jitter = 1.0 + 0.2 * (2 * torch.rand(num_chains, generator=generator, device=generator.device).to(theta) - 1)
        eps = (step_size * jitter).unsqueeze(-1)
        alive = torch.ones(num_chains, dtype=torch.bool, device=theta.device)
        position = theta
        momentum = momentum + 0.5 * eps * _masked_gradient(potential, position, anchor, alive)
        for leap in range(num_leapfrog_steps):
            position = position + eps * (momentum @ covariance)
            alive = alive & potential.in_support(position)
            grad = _masked_gradient(potential, position, anchor, alive)
            momentum = momentum + (0.5 if leap == num_leapfrog_steps - 1 else 1.0) * eps * grad
        kinetic_end = 0.5 * (momentum @ chol).square().sum(-1)
        log_alpha = torch.full((num_chains,), -math.inf, dtype=theta.dtype, device=theta.device)
        ok = alive & torch.isfinite(position).all(-1) & torch.isfinite(momentum).all(-1)
        if bool(ok.any()):
            log_alpha[ok] = potential.log_ratio(position[ok], theta[ok]) + kinetic_start[ok] - kinetic_end[ok]
        log_alpha = torch.nan_to_num(log_alpha, nan=-math.inf)
        log_u = torch.log(torch.rand(num_chains, generator=generator, device=generator.device).to(theta))
        accepted = log_u < log_alpha
        theta = torch.where(accepted.unsqueeze(-1), position, theta)
        if warming:
            step_size = averaging.update(torch.exp(log_alpha.clamp(max=0.0)))
            if adapt_covariance:
                window.append(theta)
                if step + 1 in window_ends:
                    covariance = regularised_covariance(torch.cat(window), covariance)
                    chol = safe_cholesky(covariance)
                    window = []
                    averaging.restart(step_size)
            if step + 1 == recorder.warmup_steps:
                step_size = averaging.final_step
        if not recorder.record(step, theta, accepted, step_size):
            break
    return recorder
