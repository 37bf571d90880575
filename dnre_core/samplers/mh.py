"""Vectorised random-walk Metropolis–Hastings with warm-up adaptation.

All C chains move at once. The proposal is θ* = θ + s_c · L ε, ε ~ N(0, I), where L is the Cholesky factor of
a covariance re-estimated from the pooled chains during warm-up (windows in :mod:`.adaptation`) and s_c a
per-chain scale adapted by Robbins–Monro toward ``target_acceptance``. Both are frozen after warm-up, so
the kept draws come from a fixed, symmetric proposal. Proposals outside the support are rejected without evaluating
the target; the acceptance uses only the log-ratio log π(θ*) − log π(θ): one network pass over θ* and θ for DNRE's
pairwise head, and over θ* alone where the potential gives log π itself (a difference of potentials: DNRE's
potential head, NRE), whose value at each chain's state is kept from the step that accepted it.

Every step multiplies each chain's scale by 10^(−scale_spread · U), U ~ U[0, 1] drawn afresh, so moves of many
sizes are tried: a posterior whose parts have very different widths (a broad and a narrow component) is crossed far
more often than with one scale. The mixture over U does not depend on the state, so the proposal stays symmetric and
the target is unchanged; on a single-scale posterior the smaller moves cost ESS. What the default,
:data:`DEFAULT_SCALE_SPREAD` decades, does on the sbibm tasks and costs on a single Gaussian: the mh_mixing and
mh_spread studies and the sampler speed section of BENCHMARKS.md. ``scale_spread=0`` proposes with the adapted scale
alone.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..potentials import Potential
from ..validation import InputError
from .adaptation import adaptation_window_ends, regularised_covariance, safe_cholesky
from .recorder import ChainRecorder

DEFAULT_SCALE_SPREAD = 2.0  # decades; see the module docstring for what it was measured to buy and cost


def metropolis_hastings(
    potential: Potential,
    initial: Tensor,
    recorder: ChainRecorder,
    generator: torch.Generator,
    initial_covariance: Tensor,
    target_acceptance: float = 0.3,
    adapt_covariance: bool = True,
    scale_spread: float = DEFAULT_SCALE_SPREAD,
) -> ChainRecorder:
    """Run MH from ``initial`` (C, D) for ``recorder.total_steps`` steps; returns the recorder with the draws.

    ``scale_spread``: decades over which each step's proposal scale is spread below the adapted one (module
    docstring; default :data:`DEFAULT_SCALE_SPREAD`); 0 proposes with the adapted scale alone.
    """
    if not (math.isfinite(scale_spread) and scale_spread >= 0):
        raise InputError(f"scale_spread must be a finite number of decades >= 0; got {scale_spread}.")
    theta = initial.clone()
    num_chains, dim = theta.shape
    covariance = initial_covariance
    chol = safe_cholesky(covariance)
    base_scale = 2.38 / math.sqrt(dim)
    log_scale = torch.full((num_chains,), math.log(base_scale), dtype=theta.dtype, device=theta.device)
    window_ends = adaptation_window_ends(recorder.warmup_steps) if adapt_covariance else set()
    window: list[Tensor] = []
    adapt_step = 0
    current = potential.log_target(theta)  # (C,) log π of each chain's state, kept; None: ratios only
    current = None if current is None else current.to(theta)
    for step in recorder.steps():
        warming = step < recorder.warmup_steps
        noise = torch.randn(theta.shape, generator=generator, device=generator.device).to(theta)
        step_log_scale = log_scale
        if scale_spread > 0:
            spread = torch.rand(num_chains, generator=generator, device=generator.device).to(theta)
            step_log_scale = log_scale - scale_spread * math.log(10) * spread
        proposal = theta + torch.exp(step_log_scale).unsqueeze(-1) * (noise @ chol.T)
        log_alpha = torch.full((num_chains,), -math.inf, dtype=theta.dtype, device=theta.device)
        proposed = log_alpha.clone()  # log π of the proposals, where the potential gives it
        inside = potential.in_support(proposal)
        if bool(inside.any()):
            if current is None:
                log_alpha[inside] = potential.log_ratio(proposal[inside], theta[inside])
            else:
                proposed[inside] = potential.log_target(proposal[inside]).to(proposed)
                log_alpha = proposed - current
        log_alpha = torch.nan_to_num(log_alpha, nan=-math.inf)
        log_u = torch.log(torch.rand(num_chains, generator=generator, device=generator.device).to(theta))
        accepted = log_u < log_alpha
        theta = torch.where(accepted.unsqueeze(-1), proposal, theta)
        if current is not None:
            current = torch.where(accepted, proposed, current)
        if warming:
            adapt_step += 1
            acceptance_probability = torch.exp(log_alpha.clamp(max=0.0))
            log_scale = log_scale + (acceptance_probability - target_acceptance) / adapt_step**0.6
            if adapt_covariance:
                window.append(theta)
                if step + 1 in window_ends:
                    covariance = regularised_covariance(torch.cat(window), covariance)
                    chol = safe_cholesky(covariance)
                    log_scale.fill_(math.log(base_scale))
                    window, adapt_step = [], 0
        if not recorder.record(step, theta, accepted, torch.exp(log_scale)):
            break
    return recorder
