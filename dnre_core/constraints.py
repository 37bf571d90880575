"""Bands on metrics that are exact functions of the design: handled as a restriction of the prior, not learned.

Some metrics are known, cheap, deterministic functions of θ (a geometric interference count, a part count). A band
on such a metric is a set F of designs, and p(θ | x ∈ B) = p_F(θ) P(x_rest ∈ B_rest | θ) with p_F the prior
restricted to F: the likelihood of the other metrics does not change, so a ratio estimator trained under the full
prior serves p_F unchanged (its ratio r(θ, x) does not depend on the prior). Samplers therefore never propose a
design outside F, and nothing is spent learning a rule the designer already has.

F may hold a tiny share of the prior (zero interferences: about 2·10⁻⁵ of the quadcopter's prior), far too little
to find by drawing from the prior. :func:`constrained_prior_sample` reaches it by annealing: chains start at prior
draws and follow Metropolis–Hastings on p(θ) exp(−λ v(θ)), v the distance outside the bands, with λ raised
geometrically until every chain is in F; then they walk in F with the hard constraint, so the draws approximate
p_F. Chains run in the prior's unbounded coordinates (:class:`~dnre_core.unbounded.UnboundedSpace`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from torch.distributions import Distribution

from .targets import Target
from .unbounded import UnboundedSpace
from .validation import InputError

ExactMetric = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DesignConstraint:
    """The target's bands on exact metrics: ``functions`` {name: f(θ (n, D)) → (n,)} and their bands."""

    functions: Mapping[str, ExactMetric]
    target: Target

    @classmethod
    def from_target(cls, target: Target, exact_metrics: Mapping[str, ExactMetric] | None) -> DesignConstraint | None:
        """The constraint of ``target``'s stated bands on the metrics of ``exact_metrics``; None when it states none."""
        stated = {name: fn for name, fn in (exact_metrics or {}).items() if name in target.stated}
        if not stated:
            return None
        return cls(stated, Target({name: target.bands[name] for name in stated}))

    @property
    def names(self) -> list[str]:
        return list(self.functions)

    def values(self, theta: np.ndarray) -> np.ndarray:
        """The exact metrics (n, K) of designs θ (n, D), in :attr:`names` order."""
        theta = np.asarray(theta, dtype=np.float64)
        columns = []
        for name, fn in self.functions.items():
            value = np.asarray(fn(theta), dtype=np.float64).reshape(-1)
            if value.shape != (len(theta),):
                raise InputError(f"The exact metric {name!r} returned {value.shape} values for {len(theta)} designs.")
            columns.append(value)
        return np.stack(columns, axis=1)

    def violation(self, theta: np.ndarray) -> np.ndarray:
        """(n,) distance outside the bands (0 inside)."""
        return self.target.violation(self.values(theta), self.names)

    def feasible(self, theta: np.ndarray) -> np.ndarray:
        """(n,) booleans: designs inside every band."""
        return self.violation(theta) == 0


def constrained_prior_sample(prior: Distribution, constraint: DesignConstraint | None, num: int,
                             rng: np.random.Generator, anneal_steps: int = 400, walk_steps: int = 50,
                             num_chains: int | None = None) -> np.ndarray:
    """``num`` designs (num, D) approximately distributed as the prior restricted to ``constraint`` (the prior itself
    when there is none); see the module docstring. Raises :class:`InputError` when no chain reaches the set."""
    space = UnboundedSpace(prior)
    if constraint is None:
        return space.to_theta(space.sample(num, rng))
    chains = max(num_chains or num, 1)
    z = space.sample(chains, rng)
    log_prior = space.log_prob(z)
    violation = constraint.violation(space.to_theta(z))
    step = np.full(chains, 0.5)
    for t, strength in enumerate(np.geomspace(1.0, 1e4, anneal_steps)):
        z, log_prior, violation, step = _mh_step(space, constraint, z, log_prior, violation, step, strength, rng, t)
    inside = violation == 0
    if not inside.any():
        raise InputError(f"No design satisfying {'; '.join(constraint.target.describe())} was found after "
                         f"{anneal_steps} annealing steps of {chains} chains: the constraint may be unsatisfiable "
                         "within the prior's bounds.")
    # chains that did not reach the set restart from ones that did, then all walk inside it
    source = rng.choice(np.flatnonzero(inside), size=chains)
    z, log_prior, violation = np.where(inside[:, None], z, z[source]), np.where(inside, log_prior, log_prior[source]), \
        np.zeros(chains)
    for t in range(walk_steps):
        z, log_prior, violation, step = _mh_step(space, constraint, z, log_prior, violation, step, np.inf, rng, t)
    return space.to_theta(z[rng.permutation(chains)[:num]] if chains >= num else z[rng.choice(chains, num)])


def _mh_step(space: UnboundedSpace, constraint: DesignConstraint, z: np.ndarray, log_prior: np.ndarray,
             violation: np.ndarray, step: np.ndarray, strength: float, rng: np.random.Generator, t: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One vectorised random-walk MH step on log p_z(z) − strength · v(θ(z)) (strength inf: v must stay 0), with a
    per-chain step size adapted towards acceptance 0.3."""
    proposal = z + step[:, None] * rng.standard_normal(z.shape)
    new_prior = space.log_prob(proposal)
    new_violation = constraint.violation(space.to_theta(proposal))
    if np.isinf(strength):
        log_alpha = np.where(new_violation == 0, new_prior - log_prior, -np.inf)
    else:
        log_alpha = new_prior - log_prior - strength * (new_violation - violation)
    accept = np.log(rng.random(len(z))) < log_alpha
    step = step * np.exp((accept - 0.3) / (t + 10) ** 0.6)
    return (np.where(accept[:, None], proposal, z), np.where(accept, new_prior, log_prior),
            np.where(accept, new_violation, violation), step)
