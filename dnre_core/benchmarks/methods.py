"""The estimators compared: dnre_core's DNRE, NRE and BNRE, trained once per (task, method, seed, budget) and
sampled with its MH or HMC sampler (sbi's peers are not wired in yet).

A fitted method answers ``sample(x, sampler, num_samples, seed)`` and ``log_prob(theta, x)``; the runner reuses it
for every observation, sampler and the held-out coverage pairs (the estimators are amortised).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from dnre_core import BNRE, DNRE, NRE
from dnre_core.benchmarks.tasks import BenchmarkTask

OUR_METHODS: dict[str, type] = {"dnre": DNRE, "nre": NRE, "bnre": BNRE}
SAMPLERS = ("mh", "hmc")


@dataclass(frozen=True)
class SamplingSettings:
    """MCMC settings shared by all methods (library defaults for warm-up and chains unless set)."""

    num_chains: int = 100
    warmup_steps: int = 200
    thin: int = 1


@dataclass
class Draws:
    """Posterior samples (n, D) of one sampling run with its cost and convergence summary."""

    samples: Tensor
    seconds: float
    min_ess: float
    max_rhat: float


class FittedMethod:
    """A dnre_core trainer after training on ``budget`` simulations of a task."""

    def __init__(
        self, method: str, task: BenchmarkTask, theta: Tensor, x: Tensor, seed: int, settings: SamplingSettings
    ):
        if method not in OUR_METHODS:
            raise ValueError(f"Unknown method {method!r}; choose from {', '.join(OUR_METHODS)}.")
        self.settings = settings
        start = time.perf_counter()
        self.trainer = OUR_METHODS[method](task.prior).append_simulations(theta, x)
        self.trainer.train(seed=seed)
        self.train_seconds = time.perf_counter() - start
        self._posteriors: dict[str, Any] = {}

    def posterior(self, sampler: str) -> Any:
        """The trainer's posterior for ``sampler`` ("mh" or "hmc"), built once."""
        if sampler not in self._posteriors:
            self._posteriors[sampler] = self.trainer.build_posterior(sampler=sampler)
        return self._posteriors[sampler]

    def sample(self, x: Tensor, sampler: str, num_samples: int, seed: int, num_chains: int | None = None) -> Draws:
        """``num_samples`` draws for observation ``x`` (L,) with ``sampler``."""
        posterior = self.posterior(sampler)
        start = time.perf_counter()
        samples = posterior.sample(
            (num_samples,),
            x=x,
            num_chains=num_chains or self.settings.num_chains,
            warmup_steps=self.settings.warmup_steps,
            thin=self.settings.thin,
            seed=seed,
        )
        seconds = time.perf_counter() - start
        diagnostics = posterior.diagnostics
        return Draws(samples, seconds, diagnostics.min_ess_bulk, diagnostics.max_rhat)

    def log_prob(self, theta: Tensor, x: Tensor, num_reference: int = 1000) -> Tensor:
        """Log posterior density (M,) at ``theta`` (M, D) given ``x`` (L,) (DNRE: Monte Carlo estimate)."""
        return self.posterior(SAMPLERS[0]).log_prob(theta, x=x, num_reference=num_reference)
