"""Simulation jobs: a data set of N prior designs, and the closed-loop re-simulation of proposed designs.

Simulators are functions ``simulate(theta (n, D), seed) -> x (n, L)``; the default is the built-in quadcopter
simulator. Work runs in batches (each seeded from one ``np.random.SeedSequence``), so progress is reported,
cancellation is honoured between batches, and the same seed gives the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import dnre_core
from ui import atomic, domain
from ui.jobs import JobCancelled, JobContext
from ui.sampling_job import load_samples
from ui.targets import Target
from ui.validation import ValidationResult, evaluate

Simulator = Callable[[np.ndarray, int], np.ndarray]
BATCH = 500


def quadcopter_simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    from quadcopter.simulate import simulate

    return np.asarray(simulate(theta, seed=seed, noise=True), dtype=float)


def sample_prior(num: int, seed: int, low: np.ndarray = domain.LOWER, high: np.ndarray = domain.UPPER) -> np.ndarray:
    """``num`` designs uniformly in the design box (the prior), reproducibly."""
    return np.random.default_rng(seed).uniform(low, high, size=(num, len(low)))


def simulate_in_batches(theta: np.ndarray, seed: int, ctx: JobContext, simulator: Simulator, label: str, start: float = 0.0, span: float = 1.0) -> np.ndarray:
    """Simulate ``theta`` batch by batch, reporting progress in ``[start, start + span]``; raises on cancel."""
    seeds = np.random.SeedSequence(seed).generate_state(max(1, -(-theta.shape[0] // BATCH)))
    parts = []
    for k, batch_seed in enumerate(seeds):
        ctx.check_cancelled()
        parts.append(simulator(theta[k * BATCH : (k + 1) * BATCH], int(batch_seed)))
        done = min((k + 1) * BATCH, theta.shape[0])
        ctx.report(progress=start + span * done / theta.shape[0], message=f"{label}: {done:,} of {theta.shape[0]:,}")
    return np.concatenate(parts)


@dataclass(frozen=True)
class SimulationConfig:
    name: str
    num_designs: int
    seed: int = 0


def simulation_job(config: SimulationConfig, simulator: Simulator = quadcopter_simulator) -> Callable[[JobContext], dict[str, Any]]:
    """Simulate ``num_designs`` prior designs and store them as a workspace data set."""

    def run(ctx: JobContext) -> dict[str, Any]:
        theta = sample_prior(config.num_designs, config.seed)
        x = simulate_in_batches(theta, config.seed + 1, ctx, simulator, "simulated")
        record = ctx.workspace.add_dataset(
            config.name, theta, x, list(domain.PARAMETER_NAMES), list(domain.METRIC_NAMES), source="simulator", meta=asdict(config)
        )
        return {"dataset_id": record.id, "num_designs": config.num_designs}

    return run


@dataclass(frozen=True)
class ValidationConfig:
    sampling_run_id: str
    num_designs: int = 500
    seed: int = 0
    num_reference: int = 300


def validation_job(config: ValidationConfig, simulator: Simulator = quadcopter_simulator) -> Callable[[JobContext], dict[str, Any]]:
    """Re-simulate a sampling run's designs and as many prior designs; score them against the run's target."""

    def run(ctx: JobContext) -> dict[str, Any]:
        source = ctx.workspace.run(config.sampling_run_id)
        sampling = source.result["config"]
        theta_all, x_o = load_samples(ctx.workspace.run_dir(source.id))
        theta = theta_all[: config.num_designs]
        target = Target.from_dict(sampling["target"])
        estimator = dnre_core.load_estimator(sampling["model_path"])
        posterior = dnre_core.RatioPosterior(estimator)
        x = simulate_in_batches(theta, config.seed, ctx, simulator, "proposed designs re-simulated", 0.0, 0.45)
        prior_theta = sample_prior(theta.shape[0], config.seed + 1)
        prior_x = simulate_in_batches(prior_theta, config.seed + 2, ctx, simulator, "prior designs simulated", 0.45, 0.45)
        ctx.report(progress=0.9, message="weighting designs with the model's posterior density")
        theta_t = torch.as_tensor(theta, dtype=torch.float32)
        log_q = posterior.log_prob(theta_t, x=torch.as_tensor(x_o, dtype=torch.float32), num_reference=config.num_reference, seed=config.seed)
        log_prior = posterior.prior.log_prob(theta_t)
        scale = np.maximum(np.asarray(estimator.metadata["x_max"]) - np.asarray(estimator.metadata["x_min"]), 1e-12)
        result = evaluate(theta, x, prior_x, target, scale, log_prior.numpy().astype(float), log_q.numpy().astype(float))
        if ctx.cancelled:
            raise JobCancelled()
        save_result(ctx.workspace.run_dir(ctx.run_id), result, prior_theta)
        return {
            "fraction": result.fraction, "prior_fraction": result.prior_fraction, "ess": result.effective_sample_size,
            "num_designs": int(theta.shape[0]), "sampling_run_id": source.id, "target": sampling["target"], "config": asdict(config),
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
