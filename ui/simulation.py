"""Simulation jobs: a data set of N prior designs, and the closed-loop re-simulation of proposed designs.

Simulators are picklable functions ``simulate(theta (n, D), seed=int) -> x (n, L)``; the default is the built-in
quadcopter simulator. Prior designs are drawn and simulated by :func:`dnre_core.simulate_for_sbi` (seeded
batches on a local process pool or a Ray cluster): its per-batch progress drives the progress bar, and a stop
request ends the run after the batch in hand. A data-set simulation keeps its finished batches in the
workspace (``partial/``), so starting the same simulation again (same size, seed and batch size) resumes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import dnre_core
import quadcopter
from ui import atomic, domain
from ui.jobs import JobCancelled, JobContext
from ui.sampling_job import load_samples
from ui.targets import Target
from ui.validation import ValidationResult, evaluate

Simulator = Callable[..., np.ndarray]
BACKENDS: dict[str, str] = {"local": "local process pool", "ray": "Ray cluster"}


def quadcopter_simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    """The built-in simulator with manufacturing tolerances and wind drawn from ``seed``."""
    return np.asarray(quadcopter.simulate(theta, seed=seed, noise=True), dtype=float)


class ProgressReporter:
    """A ``progress(done, total)`` for :func:`dnre_core.simulate_for_sbi` that reports into ``[start, start + span]``
    and raises :class:`JobCancelled` once the user has asked the job to stop (so it stops between batches)."""

    def __init__(self, ctx: JobContext, label: str, start: float = 0.0, span: float = 1.0):
        self.ctx, self.label, self.start, self.span = ctx, label, start, span
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        self.ctx.report(progress=self.start + self.span * done / total, message=f"{self.label}: {done:,} of {total:,}")
        self.ctx.check_cancelled()


@dataclass(frozen=True)
class SimulationConfig:
    name: str
    num_designs: int
    seed: int = 0
    backend: str = "local"
    num_workers: int = 1
    batch_size: int = 1000

    def resume_name(self, simulator: Simulator) -> str:
        """The file of finished batches: one per simulator and (size, seed, batch size), never per backend."""
        return (f"simulation-{simulator.__module__}.{simulator.__qualname__}-n{self.num_designs}-seed{self.seed}"
                f"-batch{self.batch_size}.pt")


def simulation_job(config: SimulationConfig,
                   simulator: Simulator = quadcopter_simulator) -> Callable[[JobContext], dict[str, Any]]:
    """Draw ``num_designs`` designs from the prior, simulate them and store them as a workspace data set."""
    if config.backend not in BACKENDS:
        raise ValueError(f"Unknown simulation backend {config.backend!r}; choose one of {', '.join(BACKENDS)}.")

    def run(ctx: JobContext) -> dict[str, Any]:
        resume = ctx.workspace.partial_path(config.resume_name(simulator))
        resumed = resume.exists()
        progress = ProgressReporter(ctx, "simulated")
        ctx.report(progress=0.0, message=f"{'resuming' if resumed else 'starting'} on a {BACKENDS[config.backend]}")
        try:
            theta, x = dnre_core.simulate_for_sbi(
                simulator, quadcopter.prior(), config.num_designs, num_workers=config.num_workers,
                backend=config.backend,
                seed=config.seed, batch_size=config.batch_size, progress=progress, resume_path=resume,
            )
        except JobCancelled:
            return {"num_designs": 0, "simulated_before_stop": progress.done, "kept_for_resume": str(resume)}
        record = ctx.workspace.add_dataset(
            config.name, theta.numpy().astype(np.float64), x.numpy().astype(np.float64), list(domain.PARAMETER_NAMES),
            list(domain.METRIC_NAMES), source="simulator", meta={**asdict(config), "resumed": resumed},
        )
        resume.unlink(missing_ok=True)
        return {"dataset_id": record.id, "num_designs": config.num_designs, "resumed": resumed}

    return run


@dataclass(frozen=True)
class ValidationConfig:
    sampling_run_id: str
    num_designs: int = 500
    seed: int = 0
    num_reference: int = 300


def validation_job(config: ValidationConfig,
                   simulator: Simulator = quadcopter_simulator) -> Callable[[JobContext], dict[str, Any]]:
    """Re-simulate a sampling run's designs and as many prior designs; score them against the run's target."""

    def run(ctx: JobContext) -> dict[str, Any]:
        source = ctx.workspace.run(config.sampling_run_id)
        sampling = source.result["config"]
        theta_all, x_o = load_samples(ctx.workspace.run_dir(source.id))
        theta = theta_all[: config.num_designs]
        target = Target.from_dict(sampling["target"])
        estimator = dnre_core.load_estimator(sampling["model_path"])
        posterior = dnre_core.RatioPosterior(estimator)
        ctx.report(progress=0.0, message=f"re-simulating {theta.shape[0]:,} proposed designs")
        x = np.asarray(simulator(theta, seed=config.seed), dtype=float)  # one vectorised call: the designs are few
        ctx.check_cancelled()
        prior_theta, prior_x = dnre_core.simulate_for_sbi(
            simulator, posterior.prior, theta.shape[0], seed=config.seed + 1, batch_size=max(1, theta.shape[0] // 10),
            progress=ProgressReporter(ctx, "prior designs simulated", 0.1, 0.6),
        )
        ctx.report(progress=0.7, message="weighting designs with the model's posterior density")
        theta_t = torch.as_tensor(theta, dtype=torch.float32)
        log_q = posterior.log_prob(theta_t, x=torch.as_tensor(x_o, dtype=torch.float32),
                                   num_reference=config.num_reference, seed=config.seed)
        log_prior = posterior.prior.log_prob(theta_t)
        scale = np.maximum(np.asarray(estimator.metadata["x_max"]) - np.asarray(estimator.metadata["x_min"]), 1e-12)
        result = evaluate(theta, x, prior_x.numpy().astype(float), target, scale, log_prior.numpy().astype(float),
                          log_q.numpy().astype(float))
        ctx.check_cancelled()
        save_result(ctx.workspace.run_dir(ctx.run_id), result, prior_theta.numpy().astype(float))
        return {
            "fraction": result.fraction, "prior_fraction": result.prior_fraction, "ess": result.effective_sample_size,
            "num_designs": int(theta.shape[0]), "sampling_run_id": source.id, "target": sampling["target"],
            "config": asdict(config),
        }

    return run


def save_result(folder: Path, result: ValidationResult, prior_theta: np.ndarray) -> None:
    atomic.save_npz(
        folder / "validation.npz", theta=result.theta, x=result.x, meets=result.meets, prior_theta=prior_theta,
        prior_x=result.prior_x, prior_meets=result.prior_meets, score=result.score,
        weights=result.weights if result.weights is not None else np.full(result.theta.shape[0], np.nan),
    )


def load_result(folder: Path) -> tuple[ValidationResult, np.ndarray]:
    """(the validation result, the prior designs) of a finished validation run's folder."""
    with np.load(folder / "validation.npz", allow_pickle=False) as d:
        weights = None if np.isnan(d["weights"]).all() else d["weights"]
        result = ValidationResult(d["theta"], d["x"], d["meets"], d["prior_x"], d["prior_meets"], weights, d["score"])
        return result, d["prior_theta"]
