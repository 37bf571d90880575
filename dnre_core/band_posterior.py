"""The amortized band posterior: p(θ | x ∈ B) from a trained ratio estimator alone, without new simulations.

p(θ | x ∈ B) = ∫_B p(θ | x) p(x | x ∈ B) dx, a mixture of the posteriors at the metrics x that land in B. Given
reference metrics x_j drawn from the prior predictive (the estimator's training data, or any simulations of prior
designs), those inside B are draws of p(x | x ∈ B); so drawing one x_j per chain and running each chain on
p(θ | x_j) ∝ p(θ) r(θ, x_j) samples the band posterior by composition. This is the integral
∫_B r(θ, x) p(x) dx of the issue's option (a), sampled instead of evaluated: every MCMC step costs one network pass
per chain instead of one per reference point. A masked estimator conditions each chain on the stated metrics of
x_j alone (the others are free), which is the same mixture with broader components.

With too few reference metrics inside B the mixture is approximated: the reference rows nearest to B (by
:meth:`~dnre_core.Target.violation`) are moved to the nearest point of B, so the chains at least condition on
values inside the band; the caller is told how many were exact (``BandReference.inside``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.distributions import Distribution

from .diagnostics import ChainDiagnostics
from .estimators import RatioEstimator
from .posterior import run_sampler
from .potentials import RatioPotential
from .priors import sample_prior
from .samplers import SampleCallback, SamplingPlan
from .targets import Target
from .validation import InputError

MIN_INSIDE = 20  # fewer reference rows inside the band than this: nearest rows, moved into the band, complete them


@dataclass(frozen=True)
class BandReference:
    """Metrics (C, L) to condition each chain on (NaN = free for a masked estimator), and how many of the distinct
    reference rows they came from lay inside the band (the rest were moved into it)."""

    x: np.ndarray
    inside: int
    moved: int


def band_reference(target: Target, metric_names: list[str], reference_x: np.ndarray, num_chains: int,
                   masked: bool, rng: np.random.Generator, scale: np.ndarray | None = None,
                   free: Sequence[str] = ()) -> BandReference:
    """Draw ``num_chains`` conditioning metrics for the band posterior from prior-predictive ``reference_x`` (M, L).

    Metrics named in ``free`` are left free (NaN) for a masked estimator: their bands are enforced another way
    (:mod:`dnre_core.constraints`)."""
    reference_x = np.asarray(reference_x, dtype=np.float64)
    reference_x = reference_x[np.isfinite(reference_x).all(axis=1)]
    if not len(reference_x):
        raise InputError("No finite reference metrics to condition the model on: every reference simulation failed.")
    low, high = target.arrays(metric_names)
    distance = target.violation(reference_x, metric_names, scale)
    inside = np.flatnonzero(distance == 0)
    pool = inside
    moved = 0
    if len(inside) < MIN_INSIDE:
        nearest = np.argsort(distance, kind="stable")[:MIN_INSIDE]
        pool = nearest
        moved = int((distance[nearest] > 0).sum())
    chosen = reference_x[rng.choice(pool, size=num_chains, replace=True)]
    chosen = np.clip(chosen, low, high)
    if masked:
        stated = (np.isfinite(low) | np.isfinite(high)) & ~np.isin(metric_names, list(free))
        chosen[:, ~stated] = np.nan
    return BandReference(x=chosen, inside=len(inside), moved=moved)


class PerChainRatioPotential(RatioPotential):
    """A :class:`RatioPotential` whose observation differs per chain: x (C, L), one row per chain; ``feasible``
    (θ (n, D) ndarray → (n,) booleans) restricts the support further (designs outside are never proposed)."""

    def __init__(self, estimator: RatioEstimator, prior: Distribution, x: Tensor,
                 feasible: Callable[[np.ndarray], np.ndarray] | None = None):
        super().__init__(estimator, prior, x)
        self.feasible = feasible

    def in_support(self, theta: Tensor) -> Tensor:
        """Every finite row: the samplers pass only the rows inside the support to :meth:`log_ratio`, but each chain
        has its own x, so all rows must reach it; the support is checked there instead."""
        return torch.isfinite(theta).all(dim=-1)

    def _allowed(self, theta: Tensor) -> Tensor:
        """(C,) True where θ is inside the prior's support and feasible."""
        allowed = super().in_support(theta)
        if self.feasible is not None:
            allowed &= torch.as_tensor(self.feasible(theta.detach().cpu().double().numpy()),
                                       dtype=torch.bool, device=allowed.device)
        return allowed

    @torch.no_grad()
    def log_ratio(self, theta_new: Tensor, theta_old: Tensor) -> Tensor:
        """As :class:`RatioPotential`, −inf where ``theta_new`` is outside the prior's support or not feasible."""
        log_ratio = super().log_ratio(theta_new, theta_old)
        return torch.where(self._allowed(theta_new), log_ratio, torch.full_like(log_ratio, -torch.inf))

    @torch.no_grad()
    def log_target(self, theta: Tensor) -> Tensor | None:
        """As :class:`RatioPotential`, −inf where θ is outside the prior's support or not feasible."""
        log_target = super().log_target(theta)
        if log_target is None:
            return None
        return torch.where(self._allowed(theta), log_target, torch.full_like(log_target, -torch.inf))

    def pair_log_ratio(self, theta: Tensor, theta_prime: Tensor) -> Tensor:
        if self.ratio == "direct" or self.estimator.exactly_antisymmetric:
            return self._d(theta, theta_prime)
        x, mask = torch.cat([self.x, self.x]), torch.cat([self.mask, self.mask])
        both = self.estimator.log_ratio(torch.cat([theta, theta_prime]), torch.cat([theta_prime, theta]), x, mask)
        forward, backward = both.chunk(2)
        return 0.5 * (forward - backward)

    def initial_states(self, generator: torch.Generator, candidates_per_chain: int = 64) -> Tensor:
        """One starting point per chain (C, D): sampling-importance-resampling of prior draws by each chain's own
        log-ratio against a common prior draw (for a difference of potentials, by g(θ, x_j) alone: the common draw's
        term is the same for every candidate of a chain, and the softmax over them drops it)."""
        num_chains = self.x.shape[0]
        candidates = sample_prior(self.prior, num_chains * candidates_per_chain, generator).to(self.x)
        candidates = candidates.reshape(candidates_per_chain, num_chains, -1)
        reference = sample_prior(self.prior, 1, generator).to(self.x).expand(num_chains, -1)
        with torch.no_grad():
            score = self._g if self.estimator.exactly_antisymmetric else lambda c: self.pair_log_ratio(c, reference)
            scores = torch.stack([score(c) for c in candidates])  # (K, C)
        scores = torch.nan_to_num(scores, nan=-torch.inf, posinf=-torch.inf)
        scores = torch.where(torch.isfinite(scores).any(0, keepdim=True), scores, torch.zeros_like(scores))
        pick = torch.multinomial(torch.softmax(scores.T, dim=1), 1, generator=generator).reshape(-1)
        return candidates[pick, torch.arange(num_chains)]


def sample_band_posterior(estimator: RatioEstimator, prior: Distribution, reference: BandReference,
                          sampler: str = "mh", draws_per_chain: int = 1, warmup_steps: int = 300, thin: int = 10,
                          seed: int = 0, callback: SampleCallback | None = None,
                          feasible: Callable[[np.ndarray], np.ndarray] | None = None,
                          initial: np.ndarray | None = None, **sampler_options: Any) -> tuple[Tensor, ChainDiagnostics]:
    """Samples (C · draws_per_chain, D) of the amortized band posterior, one chain per row of ``reference.x``.

    Chains run in the prior's unbounded coordinates (box priors), as :class:`~dnre_core.RatioPosterior` does, and
    start from ``initial`` (C, D) designs (required with ``feasible``, which they must satisfy) or from prior draws
    resampled by each chain's log-ratio.
    """
    x = torch.as_tensor(reference.x, dtype=torch.float32)
    potential = PerChainRatioPotential(estimator, prior, x, feasible)
    generator = torch.Generator().manual_seed(int(seed))
    if initial is not None:
        initial = torch.as_tensor(np.asarray(initial), dtype=torch.float32)
    elif feasible is not None:
        raise InputError("Feasible starting designs are needed when the support is restricted.")
    else:
        initial = potential.initial_states(generator)
    num_chains = x.shape[0]
    with torch.no_grad():
        plan = SamplingPlan(num_chains * draws_per_chain, num_chains, warmup_steps, thin, callback)
        samples, diagnostics = run_sampler(potential, prior, sampler, plan, generator, initial,
                                           estimator.metadata.get("parameter_names"), True, **sampler_options)
    return samples, diagnostics
