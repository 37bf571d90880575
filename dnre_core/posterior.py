"""The posterior of a ratio estimator: MCMC sampling and (Monte Carlo) log densities.

``RatioPosterior(estimator, prior, sampler="mh" | "hmc")`` follows sbi's habits::

    posterior.sample((n,), x=x_o, num_chains=..., warmup_steps=..., thin=..., seed=..., callback=...)
    posterior.log_prob(theta, x=x_o)

After sampling, ``posterior.diagnostics`` holds ArviZ R̂ and ESS, acceptance, step sizes and the raw chains.
"""

from __future__ import annotations

import copy
import inspect
import math
import warnings
from typing import Any

import torch
from torch import Tensor
from torch.distributions import Distribution

from .diagnostics import ChainDiagnostics
from .estimators import NREEstimator, RatioEstimator
from .potentials import BoxTransformedPotential, Potential, RatioPotential
from .priors import (
    in_support,
    prior_bounds,
    prior_dimension,
    prior_from_config,
    prior_log_prob,
    prior_on_device,
    sample_prior,
)
from .samplers import ChainRecorder, SampleCallback, SamplingPlan, hamiltonian_monte_carlo, metropolis_hastings
from .samplers.adaptation import regularised_covariance
from .validation import InputError, as_matrix, as_vector

SAMPLER_FUNCTIONS = {"mh": metropolis_hastings, "hmc": hamiltonian_monte_carlo}
SAMPLERS = tuple(SAMPLER_FUNCTIONS)
SAMPLER_ARGUMENTS = ("potential", "initial", "recorder", "generator", "initial_covariance")


def initial_states(potential: Potential, num_chains: int, generator: torch.Generator,
                   num_candidates: int | None = None) -> Tensor:
    """Starting points (C, D): sampling-importance-resampling of prior draws by the approximate log target.

    Draws max(1000, 10·C) candidates and picks C of them without replacement with probabilities ∝ exp(score),
    which places the chains in the posterior's high-density region before warm-up.
    """
    num_candidates = num_candidates or max(1000, 10 * num_chains)
    candidates, scores = potential.initial_candidates(num_candidates, generator)
    scores = torch.nan_to_num(scores.float(), nan=-math.inf, posinf=-math.inf)
    if not bool(torch.isfinite(scores).any()):
        scores = torch.zeros_like(scores)
    weights = torch.softmax(scores - scores.max(), dim=0).cpu()
    nonzero = int((weights > 0).sum())
    replacement = nonzero < num_chains
    pick = torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator)))
    index = torch.multinomial(weights + (1e-12 if replacement else 0.0), num_chains, replacement=replacement,
                              generator=pick)
    return candidates[index.to(candidates.device)]


def check_initial_states(initial: Tensor, prior: Distribution, num_chains: int) -> None:
    """Raise :class:`InputError` unless ``initial`` is (num_chains, D), finite and inside the prior's support.

    A chain started at NaN never moves and returns NaN; one started outside a box prior (with ``transform=False``)
    has every proposal back inside accepted or rejected against a zero density and can stay outside for good.
    """
    dim = prior_dimension(prior)
    if tuple(initial.shape) != (num_chains, dim):
        raise InputError(f"initial states must have shape ({num_chains}, {dim}), one row per chain; got "
                         f"{tuple(initial.shape)}.")
    bad = torch.nonzero(~torch.isfinite(initial).all(dim=-1)).flatten().tolist()
    if bad:
        raise InputError(f"initial states of chain(s) {bad[:10]} contain NaN or inf; give every chain a finite start "
                         "(or leave initial=None to start from the prior).")
    outside = torch.nonzero(~in_support(prior, initial)).flatten().tolist()
    if outside:
        raise InputError(f"initial states of chain(s) {outside[:10]} lie outside the prior's support; start every "
                         "chain inside it (or leave initial=None).")


def run_sampler(potential: Potential, prior: Distribution, sampler: str, plan: SamplingPlan, generator: torch.Generator,
                initial: Tensor | None = None, parameter_names: list[str] | None = None, transform: bool = False,
                **options: Any) -> tuple[Tensor, ChainDiagnostics]:
    """Run ``sampler`` on ``potential`` as ``plan`` says and return (samples (n, D), diagnostics).

    ``transform=True`` (box priors only) runs the chains in unbounded coordinates (:class:`BoxTransformedPotential`)
    and records them in θ. Samples are taken draw by draw across chains (all chains' first kept draw, then their
    second...), so a run stopped early returns an equal share from every chain.
    """
    if sampler not in SAMPLERS:
        raise InputError(f"Unknown sampler {sampler!r}; choose one of {SAMPLERS}.")
    dim = prior_dimension(prior)
    if initial is not None:
        check_initial_states(initial, prior, plan.num_chains)
    to_output = None
    spread = sample_prior(prior, max(1000, 10 * dim), generator)
    bounds = prior_bounds(prior)
    if transform and bounds is not None:
        box = BoxTransformedPotential(potential, *(b.to(spread) for b in bounds))
        potential, to_output = box, box.to_theta
        initial = box.to_z(initial) if initial is not None else None
        spread = box.to_z(spread)
    if initial is None:
        initial = initial_states(potential, plan.num_chains, generator)
    spread = spread.to(initial)
    fallback = torch.diag(torch.var(spread, dim=0))
    initial_covariance = regularised_covariance(initial, fallback) if plan.num_chains > 2 * dim else fallback
    recorder = ChainRecorder(plan, dim, sampler, parameter_names, to_output)
    SAMPLER_FUNCTIONS[sampler](potential, initial, recorder, generator, initial_covariance, **options)
    diagnostics = recorder.diagnostics()
    # a copy, never a view of the chains (one chain would give a view): R̂ and ESS are computed from them on first use
    samples = diagnostics.chains.transpose(0, 1).reshape(-1, dim)[:plan.num_samples].clone()
    return samples, diagnostics


class RatioPosterior:
    """Posterior p(θ | x) ∝ p(θ) r(x | θ) of a trained ratio estimator.

    Args:
        estimator: a trained DNRE/NRE/BNRE estimator.
        prior: the prior it was trained under (default: the one stored in the model file).
        sampler: "mh" (random-walk Metropolis–Hastings) or "hmc".
        gradient: HMC's gradient, "direct" (∇θ of the log-ratio output) or "ratio" (∇r / r, for comparison).
        ratio: the acceptance log-ratio of a DNRE: "antisymmetric" (default), ½(d(θ*, θ, x) − d(θ, θ*, x)), both
            orders evaluated in one batched forward pass; or "direct", the paper's d(θ*, θ, x). Both are the same for
            the default potential head (antisymmetric by construction). A trained pairwise-head DNRE is not:
            d(θ, θ, x) is typically −0.5…0.5 rather than 0, which makes the direct form reject a fraction
            exp(d(θ, θ, x)) of even infinitesimal moves, so HMC's step size collapses to zero. The antisymmetric
            form is exactly 0 at θ* = θ. NRE/BNRE ratios are differences and consistent either way.
        anchor: HMC's reference point θ' per trajectory, "current" (default) or "prior" (the paper's); see
            :class:`~dnre_core.potentials.RatioPotential`.
        transform: run the chains in unbounded coordinates θ = low + (high − low)·sigmoid(z) (box priors only;
            default), Jacobian included. HMC needs it on box priors: otherwise trajectories that touch a wall are
            rejected and the step size shrinks, and the chains of a broad posterior barely mix.
        device: where sampling runs.
        **sampler_options: passed to the sampler (e.g. ``target_acceptance``, ``num_leapfrog_steps``).
    """

    def __init__(self, estimator: RatioEstimator, prior: Distribution | None = None, sampler: str = "mh",
                 gradient: str = "direct", ratio: str = "antisymmetric", anchor: str = "current",
                 transform: bool = True, device: str | torch.device = "cpu", **sampler_options: Any):
        if sampler not in SAMPLERS:
            raise InputError(f"Unknown sampler {sampler!r}; choose one of {SAMPLERS}.")
        prior = prior if prior is not None else prior_from_config(estimator.metadata.get("prior"))
        if prior is None:
            raise InputError("No prior: pass prior= (the model file does not describe one).")
        if prior_dimension(prior) != estimator.theta_dim:
            raise InputError(f"The prior has {prior_dimension(prior)} dimensions but the estimator expects "
                             f"{estimator.theta_dim}.")
        allowed = set(inspect.signature(SAMPLER_FUNCTIONS[sampler]).parameters) - set(SAMPLER_ARGUMENTS)
        if sampler_options.keys() - allowed:
            raise InputError(f"Unknown {sampler} option(s) {sorted(sampler_options.keys() - allowed)}; allowed: "
                             f"{sorted(allowed)}.")
        self.device = torch.empty(0, device=device).device  # "cuda" → "cuda:0", comparable with a tensor's device
        # A copy on another device: moving the caller's module in place would break posteriors that share it.
        on_device = estimator if estimator.device == self.device else copy.deepcopy(estimator).to(self.device)
        self.estimator = on_device.eval()
        self.prior = prior_on_device(prior, self.device)
        self.sampler = sampler
        self.gradient = gradient
        self.ratio = ratio
        self.anchor = anchor
        self.transform = transform
        self.sampler_options = sampler_options
        self.default_x: Tensor | None = None
        self.diagnostics: ChainDiagnostics | None = None
        self.potential_for(torch.zeros(estimator.x_dim))  # validates gradient= and ratio= now

    @property
    def parameter_names(self) -> list[str] | None:
        return self.estimator.metadata.get("parameter_names")

    def set_default_x(self, x: Any) -> RatioPosterior:
        self.default_x = self._observation(x)
        return self

    def _observation(self, x: Any) -> Tensor:
        if x is None:
            if self.default_x is None:
                raise InputError("No observation: pass x= or call set_default_x(x) first.")
            return self.default_x
        return as_vector(x, "x", self.estimator.x_dim, allow_nan=self.estimator.masked).to(self.device)

    def potential_for(self, x: Tensor) -> RatioPotential:
        return RatioPotential(self.estimator, self.prior, x, gradient=self.gradient, ratio=self.ratio,
                              anchor=self.anchor)

    def observation_warnings(self, x: Any) -> list[str]:
        """Plain-language warnings when x lies outside the range of the training data, metric by metric."""
        x_t = self._observation(x).cpu()
        low, high = self.estimator.metadata.get("x_min"), self.estimator.metadata.get("x_max")
        if low is None or high is None:
            return []
        names = self.estimator.metadata.get("metric_names") or [f"x_{i}" for i in range(len(low))]
        found = []
        for name, value, lo, hi in zip(names, x_t.tolist(), low, high, strict=True):
            if math.isfinite(value) and not lo <= value <= hi:
                found.append(f"{name} = {value:g} lies outside the range seen in training [{lo:g}, {hi:g}]; the model "
                             "extrapolates there and its answer is unreliable.")
        return found

    def sample(self, sample_shape: tuple[int, ...] | torch.Size = (1000,), x: Any = None, num_chains: int = 100,
               warmup_steps: int = 200, thin: int | None = None, seed: int | None = None,
               callback: SampleCallback | None = None, callback_every: int = 25, initial: Any = None) -> Tensor:
        """Draw ``prod(sample_shape)`` samples (n, D) by MCMC; diagnostics in ``self.diagnostics``.

        Each of the ``num_chains`` chains takes ``warmup_steps`` adaptation steps, then keeps ⌈n / num_chains⌉
        draws, one every ``thin`` steps. ``thin=None`` (the default) chooses the thinning from the measured
        autocorrelation so that the kept draws' bulk ESS reaches half their number (:class:`SamplingPlan`); when it
        cannot within the largest thinning tried, a warning says so (and ``self.diagnostics.warnings()`` too). Pass
        an integer to fix the thinning, e.g. for timings.

        Samples and chains come back on the CPU whatever ``device`` the chains ran on; ``initial`` (C, D) may be
        given on any device.

        ``callback(step, chains_so_far, diagnostics_so_far)`` runs every ``callback_every`` steps; returning
        False stops early and keeps what was drawn: the result is then (k, D) with k < n. The same seed gives
        the same samples.
        """
        plan = SamplingPlan(math.prod(sample_shape) if len(sample_shape) else 1, num_chains, warmup_steps, thin,
                            callback, callback_every)
        x_o = self._observation(x)
        generator = torch.Generator(device="cpu").manual_seed(
            int(seed) if seed is not None else int(torch.randint(0, 2**62, (1,))))
        if initial is not None:
            initial = as_matrix(initial, "initial").to(self.device)
        with torch.no_grad():
            samples, self.diagnostics = run_sampler(
                self.potential_for(x_o), self.prior, self.sampler, plan, generator, initial, self.parameter_names,
                self.transform, **self.sampler_options)
        shortfall = self.diagnostics.ess_shortfall()
        if shortfall is not None:
            warnings.warn(shortfall, stacklevel=2)
        if samples.shape[0] < plan.num_samples:  # stopped early: keep what was drawn, (k, D)
            return samples
        return samples.reshape(*sample_shape, -1) if len(sample_shape) else samples[0]

    def log_prob(self, theta: Any, x: Any = None, num_reference: int = 1000, seed: int = 0) -> Tensor:
        """Log posterior density of θ (M, D) → (M,).

        DNRE: the Monte Carlo estimate log p(θ) − logmeanexp_s(−d(θ, θ_s, x)) with ``num_reference`` prior
        draws θ_s (fixed by ``seed``), approximately normalised. NRE/BNRE: log p(θ) + f(θ, x), the classifier's
        log-ratio against the evidence, unnormalised up to its training error (sbi's convention).
        """
        theta_t = as_matrix(theta, "theta", self.estimator.theta_dim).to(self.device)
        bad = torch.nonzero(~torch.isfinite(theta_t).all(dim=-1)).flatten().tolist()
        if bad:
            raise InputError(f"theta row(s) {bad[:10]} contain NaN or inf; a density needs finite parameters.")
        x_o = self._observation(x)
        with torch.no_grad():
            if isinstance(self.estimator, NREEstimator):
                return prior_log_prob(self.prior, theta_t) + self.estimator.logit(theta_t, x_o, torch.isfinite(x_o))
            reference = sample_prior(self.prior, num_reference, torch.Generator().manual_seed(seed)).to(self.device)
            return self.potential_for(x_o).log_density(theta_t, reference)
