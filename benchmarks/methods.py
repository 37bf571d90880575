"""The estimators compared: dnre_core's DNRE, NRE and BNRE (sampled with its MH or HMC sampler) and sbi's NRE_A,
NRE_B and BNRE (sampled with sbi's default MCMC for ratio posteriors, the vectorised slice sampler), each trained
once per (task, method, seed, budget) on the same simulations.

A fitted method answers ``sample(x, sampler, num_samples, seed)`` and ``log_prob(theta, x)``; the runner reuses it
for every observation, sampler and the held-out coverage pairs (the estimators are amortised).

Every posterior sample is drawn the same way for every method: one MCMC chain per requested sample, warmed up, then
run for ``draws_per_chain`` steps; the sample is each chain's last draw. Several draws of one chain are correlated
(an MH chain repeats its state after every rejection), and a C2ST classifier detects such clumps, so taking them as
posterior samples would penalise the sampler's autocorrelation rather than the posterior. All kept draws of all
chains feed the min bulk ESS and max R̂.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from benchmarks.tasks import BenchmarkTask
from dnre_core import BNRE, DNRE, NRE
from dnre_core.config import DEFAULTS, TrainingConfig
from dnre_core.diagnostics import arviz_summary
from dnre_core.io import ModelFileError, load_estimator, save_estimator
from dnre_core.samplers import DEFAULT_SCALE_SPREAD
from dnre_core.temperature import scale_output

OUR_METHODS: dict[str, Callable[..., Any]] = {
    "dnre": DNRE, "dnre-paper": partial(DNRE, head="pairwise", num_partners=1), "nre": NRE, "bnre": BNRE,
}  # "dnre-paper": the paper's pairwise network d = MLP([θ, θ', x]) and one partner per simulation
PEER_METHODS: dict[str, str] = {"sbi-nre-a": "NRE_A", "sbi-nre-b": "NRE_B", "sbi-bnre": "BNRE"}
METHODS: tuple[str, ...] = (*OUR_METHODS, *PEER_METHODS)
SAMPLERS = ("mh", "hmc")
PEER_SAMPLER = "slice"  # sbi's default MCMC method for ratio posteriors: "slice_np_vectorized"


def samplers_for(method: str, samplers: Sequence[str]) -> tuple[str, ...]:
    """The samplers a method is measured with: the requested ones for ours, sbi's default for sbi's peers."""
    return (PEER_SAMPLER,) if method in PEER_METHODS else tuple(samplers)


def sampler_options(sampler: str) -> dict[str, Any]:
    """The sampler defaults a record states: MH's ``scale_spread``; none for HMC and sbi's slice sampler."""
    return {"scale_spread": DEFAULT_SCALE_SPREAD} if sampler == "mh" else {}


@dataclass(frozen=True)
class SamplingSettings:
    """How posterior samples are drawn (see the module docstring): warm-up steps per chain, kept draws per chain."""

    warmup_steps: int = 200
    draws_per_chain: int = 10


#: How the benchmark trains dnre_core's methods: the library's defaults with smaller batches, a longer early-stopping
#: patience and more epochs (see :class:`TrainingSettings`); each run passes its own seed.
TRAINING = replace(DEFAULTS, batch_size=128, stop_after_epochs=200, max_epochs=1500)


@dataclass(frozen=True)
class TrainingSettings:
    """Training options of dnre_core's methods, the same for every task (sbi's peers train with sbi's defaults).

    The library's early-stopping patience stops long before the held-out loss stops improving on these tasks, which
    would compare a half-trained DNRE with a converged NRE; the patience here was chosen from validation losses alone
    (``python -m benchmarks study early_stopping``). These four options are the ones records and the model cache
    state (defaults: :data:`TRAINING`'s); every other option is :data:`TRAINING`'s, i.e. the library's default.
    """

    batch_size: int = TRAINING.batch_size
    stop_after_epochs: int = TRAINING.stop_after_epochs
    max_epochs: int = TRAINING.max_epochs
    weight_averaging: float = TRAINING.weight_averaging

    def options(self) -> dict[str, Any]:
        return asdict(self)

    def config(self, seed: int) -> TrainingConfig:
        """The whole training configuration of a run with ``seed``: :data:`TRAINING` with these options."""
        return replace(TRAINING, seed=seed, **self.options())


@dataclass
class Draws:
    """Posterior samples (n, D) of one sampling run with its cost and convergence summary."""

    samples: Tensor
    seconds: float
    min_ess: float
    max_rhat: float


class FittedMethod(Protocol):
    """What the runner needs of a trained method."""

    train_seconds: float
    temperature: float | None  # the T its output was divided by after training (None: not calibrated by us)

    def sample(self, x: Tensor, sampler: str, num_samples: int, seed: int) -> Draws:
        """``num_samples`` independent-chain draws (n, D) for observation ``x`` (L,) with ``sampler``."""
        ...

    def log_prob(self, theta: Tensor, x: Tensor, num_reference: int = 1000) -> Tensor:
        """Log posterior density (M,) at ``theta`` (M, D) given ``x`` (L,), up to a constant for a fixed ``x``."""
        ...


def method_options(method: str, task: BenchmarkTask) -> dict[str, Any]:
    """What defines ``method``'s estimator beyond its training data and settings, as benchmark records store it:
    a dnre_core trainer's :meth:`~dnre_core.training.RatioTrainer.hyperparameters`; ``{}`` for sbi's peers, which
    train with sbi's defaults."""
    return OUR_METHODS[method](task.prior).hyperparameters() if method in OUR_METHODS else {}


def fit_method(
    method: str,
    task: BenchmarkTask,
    theta: Tensor,
    x: Tensor,
    seed: int,
    sampling: SamplingSettings,
    training: TrainingSettings,
) -> FittedMethod:
    """Train ``method`` (one of :data:`METHODS`) on simulations θ (N, D), x (N, L) of ``task`` with ``seed``."""
    if method in OUR_METHODS:
        return OurMethod(method, task, theta, x, seed, sampling, training)
    if method in PEER_METHODS:
        return SbiPeer(method, task, theta, x, seed, sampling)
    raise ValueError(f"Unknown method {method!r}; choose from {', '.join(METHODS)}.")


def last_draws(chains: Tensor, seconds: float) -> Draws:
    """Draws of chains (C, T, D): every chain's last draw as the sample, ESS and R̂ over all of them."""
    rhat, ess_bulk, _ = arviz_summary(chains.numpy())  # NaN with fewer than 4 draws per chain
    finite = bool(np.isfinite(ess_bulk).any())
    min_ess, max_rhat = (float(np.nanmin(ess_bulk)), float(np.nanmax(rhat))) if finite else (math.nan, math.nan)
    return Draws(chains[:, -1], seconds, min_ess, max_rhat)


class OurMethod:
    """A dnre_core trainer after training on ``budget`` simulations of a task."""

    def __init__(
        self,
        method: str,
        task: BenchmarkTask,
        theta: Tensor,
        x: Tensor,
        seed: int,
        sampling: SamplingSettings,
        training: TrainingSettings,
    ):
        self.sampling = sampling
        start = time.perf_counter()
        self.trainer = OUR_METHODS[method](task.prior).append_simulations(theta, x)
        self.trainer.train(**training.config(seed).train_options())
        self.train_seconds = time.perf_counter() - start
        self.temperature = self.trainer.summary.temperature
        self._posteriors: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def save(self, path: Path) -> None:
        """Keep the trained estimator (with its training time) in ``path``, atomically; :meth:`load` restores it."""
        self.trainer.estimator.metadata["benchmark"] = {"train_seconds": self.train_seconds}
        save_estimator(self.trainer.estimator, path)

    @classmethod
    def load(cls, path: Path, method: str, task: BenchmarkTask, sampling: SamplingSettings) -> OurMethod:
        """The fitted ``method`` saved by :meth:`save` (its recorded training time and temperature); raises
        :class:`~dnre_core.io.ModelFileError` for a file that is damaged or not such a model."""
        estimator = load_estimator(path)
        try:
            train_seconds = float(estimator.metadata["benchmark"]["train_seconds"])
            temperature = float(estimator.metadata["training"]["temperature"])
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: not a benchmark model (no training time or temperature).") from error
        fitted = cls.__new__(cls)
        fitted.sampling, fitted.train_seconds, fitted.temperature = sampling, train_seconds, temperature
        fitted.trainer = OUR_METHODS[method](task.prior)
        fitted.trainer.estimator = estimator
        fitted._posteriors = {}
        return fitted

    def with_output_scaled(self, factor: float) -> OurMethod:
        """A copy whose estimator's output is multiplied by ``factor`` (by T: the estimator before calibration), with
        posteriors of its own; this one is left as it is."""
        copied = copy.copy(self)
        copied.trainer = copy.copy(self.trainer)
        copied.trainer.estimator = copy.deepcopy(self.trainer.estimator)
        scale_output(copied.trainer.estimator, factor)
        copied._posteriors = {}
        return copied

    def posterior(self, sampler: str, **options: Any) -> Any:
        """The trainer's posterior for ``sampler`` ("mh" or "hmc") with sampler ``options``, built once per both."""
        key = (sampler, tuple(sorted(options.items())))
        if key not in self._posteriors:
            self._posteriors[key] = self.trainer.build_posterior(sampler=sampler, **options)
        return self._posteriors[key]

    def sample(self, x: Tensor, sampler: str, num_samples: int, seed: int, warmup_steps: int | None = None,
               **options: Any) -> Draws:
        """As :meth:`FittedMethod.sample`; follow-up studies may change the warm-up (default: the settings') and pass
        sampler ``options`` (e.g. MH's ``scale_spread``)."""
        posterior = self.posterior(sampler, **options)
        start = time.perf_counter()
        posterior.sample(
            (num_samples * self.sampling.draws_per_chain,),
            x=x,
            num_chains=num_samples,
            warmup_steps=self.sampling.warmup_steps if warmup_steps is None else warmup_steps,
            thin=1,  # every step kept: the protocol's last draw of each chain after a fixed number of steps
            seed=seed,
        )
        return last_draws(posterior.diagnostics.chains, time.perf_counter() - start)

    def log_prob(self, theta: Tensor, x: Tensor, num_reference: int = 1000) -> Tensor:
        """Log posterior density (M,) at ``theta`` (M, D) given ``x`` (L,) (DNRE: Monte Carlo estimate)."""
        return self.posterior(SAMPLERS[0]).log_prob(theta, x=x, num_reference=num_reference)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's and NumPy's global generators (sbi draws from both), restoring both afterwards."""
    state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)


class SbiPeer:
    """One of sbi's ratio estimators (NRE_A, NRE_B, BNRE) with sbi's default training and MCMC posterior.

    Needs ``sbi`` (``make bench-setup``); without it, construction raises ``ImportError`` (the runner records it).
    """

    def __init__(
        self, method: str, task: BenchmarkTask, theta: Tensor, x: Tensor, seed: int, sampling: SamplingSettings
    ):
        import sbi.inference

        self.sampling = sampling
        self.dim = theta.shape[1]
        start = time.perf_counter()
        with _seeded(seed):
            inference = getattr(sbi.inference, PEER_METHODS[method])(prior=task.prior, show_progress_bars=False)
            estimator = inference.append_simulations(theta, x).train()
        self.train_seconds = time.perf_counter() - start
        self.temperature = None  # sbi's defaults: no calibration
        self.posterior = inference.build_posterior(estimator)  # sbi's default: MCMC, slice_np_vectorized

    def sample(self, x: Tensor, sampler: str, num_samples: int, seed: int) -> Draws:
        if sampler != PEER_SAMPLER:
            raise ValueError(f"sbi's peers are sampled with sbi's default MCMC ({PEER_SAMPLER!r}); got {sampler!r}.")
        draws = self.sampling.draws_per_chain
        start = time.perf_counter()
        with _seeded(seed):
            samples = self.posterior.sample(
                (num_samples * draws,),
                x=x,
                num_chains=num_samples,
                warmup_steps=self.sampling.warmup_steps,
                show_progress_bars=False,
            )
        # sbi returns the chains one after another: (C·T, D) → (C, T, D).
        return last_draws(samples.reshape(num_samples, draws, self.dim), time.perf_counter() - start)

    def log_prob(self, theta: Tensor, x: Tensor, num_reference: int = 1000) -> Tensor:
        """sbi's potential, the unnormalised log posterior log p(θ) + log-ratio; ``num_reference`` is unused."""
        return self.posterior.potential(theta, x=x)
