"""Targets for the MCMC samplers, seen through log-ratios rather than log-densities.

A sampler only ever needs (i) the log-ratio of the target between a proposal and the current state, (ii) the
gradient of the log target for HMC, (iii) the support, and (iv) scores to pick starting points. A DNRE
provides (i) in one forward pass, d(θ*, θ, x) + log p(θ*) − log p(θ), and (ii) as ∇θ d(θ, θ', x) with θ' held
fixed (the "direct" gradient); it never needs a normalised density.

* :class:`RatioPotential` — a trained ratio estimator, an observation x_o and the prior.
* :class:`DensityPotential` — an explicit log density (for testing the samplers on known targets).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import Distribution

from .estimators import RatioEstimator
from .priors import in_support, prior_log_prob, sample_prior
from .validation import InputError

GRADIENTS = ("direct", "ratio")
RATIOS = ("direct", "antisymmetric")
ANCHORS = ("current", "prior")


def _run_in_chunks(fn: Callable[[Tensor], Tensor], rows: Tensor, chunk: int = 65536) -> Tensor:
    if rows.shape[0] <= chunk:
        return fn(rows)
    return torch.cat([fn(rows[i:i + chunk]) for i in range(0, rows.shape[0], chunk)])


class Potential:
    """Interface the samplers use. All tensors are (C, D) for C chains; results (C,) or (C, D)."""

    def in_support(self, theta: Tensor) -> Tensor:
        raise NotImplementedError

    def log_ratio(self, theta_new: Tensor, theta_old: Tensor) -> Tensor:
        """log π(θ_new) − log π(θ_old) for rows already known to be in the support: (C,)."""
        raise NotImplementedError

    def log_target(self, theta: Tensor) -> Tensor | None:
        """log π(θ) up to one constant (C,) for rows known to be in the support, where the potential has it in closed
        form, else None. ``log_ratio(a, b)`` equals ``log_target(a) − log_target(b)`` then, so MH keeps each chain's
        value and evaluates only its proposals: one pass per step instead of two."""
        return None

    def grad_log_target(self, theta: Tensor, anchor: Tensor) -> Tensor:
        """∇θ log π(θ) (up to a constant that may depend on ``anchor``, held fixed): (C, D)."""
        raise NotImplementedError

    def anchor_for(self, state: Tensor, generator: torch.Generator) -> Tensor:
        """Reference points θ' (C, D) held fixed along the HMC trajectories that start at ``state`` (C, D)."""
        raise NotImplementedError

    def initial_candidates(self, num: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Candidate starting points (num, D) and their approximate log target (num,), for resampling."""
        raise NotImplementedError


class DensityPotential(Potential):
    """An explicit log density ``log_prob(θ (C,D)) -> (C,)``, restricted to ``prior``'s support.

    Initial candidates are drawn from ``prior``.
    """

    def __init__(self, log_prob: Callable[[Tensor], Tensor], prior: Distribution):
        self.log_prob = log_prob
        self.prior = prior

    def in_support(self, theta: Tensor) -> Tensor:
        return in_support(self.prior, theta)

    def log_ratio(self, theta_new: Tensor, theta_old: Tensor) -> Tensor:
        return self.log_prob(theta_new) - self.log_prob(theta_old)

    def log_target(self, theta: Tensor) -> Tensor:
        return self.log_prob(theta)

    def grad_log_target(self, theta: Tensor, anchor: Tensor) -> Tensor:
        with torch.enable_grad():
            theta = theta.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.log_prob(theta).sum(), theta)
        return grad

    def anchor_for(self, state: Tensor, generator: torch.Generator) -> Tensor:
        return state  # an explicit density needs no reference point

    def initial_candidates(self, num: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        candidates = sample_prior(self.prior, num, generator)
        return candidates, self.log_prob(candidates)


class RatioPotential(Potential):
    """Posterior p(θ | x_o) ∝ p(θ) r(x_o | θ) seen through a ratio estimator.

    Args:
        estimator: a trained :class:`~dnre_core.estimators.RatioEstimator`.
        prior: the prior the estimator was trained under.
        x: the observation (L,) (NaN entries are masked metrics for a masked estimator).
        gradient: ``"direct"`` — ∇θ of the log-ratio output d(θ, θ', x), θ' fixed (Cobb et al.); ``"ratio"`` —
            the older ∇r / r through r = exp(d), which over/underflows when |d| is large.
        ratio: ``"direct"`` — ratios (MH/HMC acceptance, Monte Carlo density) from one pass d(θ*, θ, x);
            ``"antisymmetric"`` — ½(d(θ*, θ, x) − d(θ, θ*, x)), zero at θ* = θ by construction (both orders
            evaluated in one batched pass).
        anchor: HMC's θ', held fixed along a trajectory: ``"current"`` — the trajectory's starting point θ₀, so
            the trajectory's potential −d(θ, θ₀, x) changes by exactly the acceptance ratio d(θ*, θ₀, x) (for an
            antisymmetric ratio, d(θ₀, θ₀, x) = 0) and the step size is limited only by the integrator;
            ``"prior"`` — a fresh prior draw per trajectory (the paper's choice), whose potential disagrees with the
            acceptance ratio to first order in the step wherever the estimator is not a difference of potentials.
    """

    def __init__(self, estimator: RatioEstimator, prior: Distribution, x: Tensor, gradient: str = "direct",
                 ratio: str = "antisymmetric", anchor: str = "current"):
        if gradient not in GRADIENTS:
            raise InputError(f"gradient must be one of {GRADIENTS}; got {gradient!r}.")
        if ratio not in RATIOS:
            raise InputError(f"ratio must be one of {RATIOS}; got {ratio!r}.")
        if anchor not in ANCHORS:
            raise InputError(f"anchor must be one of {ANCHORS}; got {anchor!r}.")
        self.estimator = estimator
        self.prior = prior
        self.x = x
        self.mask = torch.isfinite(x)
        self.gradient = gradient
        self.ratio = ratio
        self.anchor = anchor

    def _d(self, theta: Tensor, theta_prime: Tensor) -> Tensor:
        return self.estimator.log_ratio(theta, theta_prime, self.x, self.mask)

    def _g(self, theta: Tensor) -> Tensor:
        return self.estimator.log_potential(theta, self.x, self.mask)

    def in_support(self, theta: Tensor) -> Tensor:
        return in_support(self.prior, theta)

    def pair_log_ratio(self, theta: Tensor, theta_prime: Tensor) -> Tensor:
        """The estimator's log p(x|θ) − log p(x|θ') in the chosen ``ratio`` form, broadcast → (...)."""
        if self.ratio == "direct" or self.estimator.exactly_antisymmetric:
            return self._d(theta, theta_prime)
        theta, theta_prime = torch.broadcast_tensors(theta, theta_prime)
        both = self._d(torch.cat([theta, theta_prime]), torch.cat([theta_prime, theta]))
        forward, backward = both.chunk(2)
        return 0.5 * (forward - backward)

    @torch.no_grad()
    def log_ratio(self, theta_new: Tensor, theta_old: Tensor) -> Tensor:
        prior_ratio = self.prior.log_prob(theta_new) - self.prior.log_prob(theta_old)
        return self.pair_log_ratio(theta_new, theta_old) + prior_ratio

    @torch.no_grad()
    def log_target(self, theta: Tensor) -> Tensor | None:
        """log p(θ) + g(θ, x) for a difference of potentials (DNRE's potential head, NRE, BNRE); None otherwise."""
        if not self.estimator.exactly_antisymmetric:
            return None
        return self._g(theta) + prior_log_prob(self.prior, theta)

    def grad_log_target(self, theta: Tensor, anchor: Tensor) -> Tensor:
        with torch.enable_grad():
            theta = theta.detach().requires_grad_(True)
            log_prior = self.prior.log_prob(theta)
            if self.gradient == "direct":
                # The same ratio form as the acceptance, so they agree. For a difference of potentials,
                # d = g(θ, x) − g(θ', x), the anchor θ' drops out of ∇θ d = ∇θ g(θ, x): one pass over θ alone.
                d = self._g(theta) if self.estimator.exactly_antisymmetric else self.pair_log_ratio(theta, anchor)
                (grad,) = torch.autograd.grad((d + log_prior).sum(), theta)
                return grad
            d = self.pair_log_ratio(theta, anchor)
            ratio = torch.exp(d)
            (grad_r,) = torch.autograd.grad(ratio.sum(), theta, retain_graph=True)
            grad_prior = (torch.autograd.grad(log_prior.sum(), theta)[0] if log_prior.requires_grad
                          else torch.zeros_like(theta))
        return grad_r / ratio.detach().unsqueeze(-1) + grad_prior

    def draw_reference(self, num: int, generator: torch.Generator) -> Tensor:
        """``num`` prior draws (num, D) on the observation's device."""
        return sample_prior(self.prior, num, generator).to(self.x)

    def anchor_for(self, state: Tensor, generator: torch.Generator) -> Tensor:
        return state.detach().clone() if self.anchor == "current" else self.draw_reference(state.shape[0], generator)

    @torch.no_grad()
    def log_density(self, theta: Tensor, reference: Tensor) -> Tensor:
        """Monte Carlo log posterior density log p(θ) − logmeanexp_s(−d(θ, θ_s, x)) for θ (M, D), θ_s (S, D) → (M,).

        d is taken in the potential's ``ratio`` form (antisymmetrised by default), as in sampling.

        For an estimator that is a difference of potentials g (NRE-type, or DNRE's potential head) this is
        log p(θ) + g(θ, x) − logmeanexp_s g(θ_s, x), evaluated as such.
        """
        num_reference = reference.shape[0]
        log_s = torch.log(torch.tensor(float(num_reference), device=theta.device))
        if self.estimator.exactly_antisymmetric:  # d = g(θ) − g(θ_s): M + S evaluations instead of M·S
            log_evidence = torch.logsumexp(self._g(reference), dim=0) - log_s
            return prior_log_prob(self.prior, theta) + _run_in_chunks(self._g, theta) - log_evidence
        chunk_rows = max(1, 2**18 // num_reference)

        def chunk(rows: Tensor) -> Tensor:
            d = self.pair_log_ratio(rows.unsqueeze(1), reference.unsqueeze(0))  # (m, S)
            return torch.logsumexp(-d, dim=1) - log_s

        log_evidence_ratio = _run_in_chunks(chunk, theta, chunk_rows)
        return prior_log_prob(self.prior, theta) - log_evidence_ratio

    def initial_candidates(self, num: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        candidates = self.draw_reference(num, generator)
        reference = self.draw_reference(16, generator)
        return candidates, self.log_density(candidates, reference)


class BoxTransformedPotential(Potential):
    """A potential over a box-bounded θ seen in unbounded coordinates z, θ = low + (high − low) · sigmoid(z).

    The density in z includes the Jacobian, log|dθ/dz| = Σ_i log(high_i − low_i) + log σ(z_i) + log σ(−z_i), so
    a sampler on z targets exactly the same posterior over θ. Flat directions of a box posterior (parameters
    the data do not inform) become smooth logistic bumps that random walks and HMC cross easily, instead of a
    box whose walls reject every other proposal. Anchors and the underlying network live in θ space.
    """

    def __init__(self, potential: Potential, low: Tensor, high: Tensor):
        self.inner = potential
        self.low, self.width = low, high - low

    def to_theta(self, z: Tensor) -> Tensor:
        return self.low + self.width * torch.sigmoid(z)

    def to_z(self, theta: Tensor) -> Tensor:
        u = ((theta - self.low) / self.width).clamp(1e-6, 1 - 1e-6)
        return torch.log(u) - torch.log1p(-u)

    def log_jacobian(self, z: Tensor) -> Tensor:
        return (torch.log(self.width) + F.logsigmoid(z) + F.logsigmoid(-z)).sum(-1)

    def in_support(self, z: Tensor) -> Tensor:
        return torch.isfinite(z).all(-1) & self.inner.in_support(self.to_theta(z))

    def log_ratio(self, z_new: Tensor, z_old: Tensor) -> Tensor:
        return (self.inner.log_ratio(self.to_theta(z_new), self.to_theta(z_old))
                + self.log_jacobian(z_new) - self.log_jacobian(z_old))

    def log_target(self, z: Tensor) -> Tensor | None:
        inner = self.inner.log_target(self.to_theta(z))
        return None if inner is None else inner + self.log_jacobian(z)

    def grad_log_target(self, z: Tensor, anchor: Tensor) -> Tensor:
        s = torch.sigmoid(z)
        grad_theta = self.inner.grad_log_target(self.to_theta(z), anchor)
        return grad_theta * self.width * s * (1 - s) + (1 - 2 * s)

    def anchor_for(self, state: Tensor, generator: torch.Generator) -> Tensor:
        return self.inner.anchor_for(self.to_theta(state), generator)

    def initial_candidates(self, num: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        theta, scores = self.inner.initial_candidates(num, generator)
        z = self.to_z(theta)
        return z, scores + self.log_jacobian(z)
