"""Validate: an independent, fresh re-simulation of a design run's designs (new noise, from the page's seed) and of
as many designs drawn from the prior, each scored against the run's target (its bands and standing constraints).
The prior designs are drawn within the target's bands on exact metrics (:mod:`dnre_core.constraints`): random
designs that can be built ("no interferences"), since hardly any design of the whole prior can.

The design run's designs are already draws of the band posterior p(θ | x ∈ B) checked by simulation, so no
reweighting is needed: the fraction of them meeting every band in this fresh simulation is the number to trust,
next to the same fraction for prior designs, which is what an engineer gets without inference.
Artifacts in the run folder: ``validation.npz`` (see :func:`save_result`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import dnre_core
from dnre_core.constraints import DesignConstraint, constrained_prior_sample
from dnre_core.priors import prior_from_config
from dnre_core.simulators import load_simulator
from ui import atomic
from ui.design_job import load_designs
from ui.jobs import JobContext
from ui.simulation import ProgressReporter, Simulator


@dataclass(frozen=True)
class ValidationConfig:
    design_run_id: str
    num_designs: int = 500
    seed: int = 1


@dataclass(frozen=True)
class ValidationResult:
    """Designs (the design run's best ``n``, in its ranking) and prior designs, simulated afresh."""

    theta: np.ndarray  # (n, D) designs
    x: np.ndarray  # (n, L) their fresh metrics
    meets: np.ndarray  # (n,) every band met
    prior_x: np.ndarray  # (m, L) metrics of prior designs
    prior_meets: np.ndarray  # (m,)

    @property
    def fraction(self) -> float:
        return float(self.meets.mean()) if self.meets.size else float("nan")

    @property
    def prior_fraction(self) -> float:
        return float(self.prior_meets.mean()) if self.prior_meets.size else float("nan")


def band_fractions(target: dnre_core.Target, metric_names: list[str], x: np.ndarray) -> dict[str, float]:
    """Per stated metric, the fraction of rows of x (N, L) inside its band (NaN never is)."""
    return {name: float(dnre_core.Target({name: target.bands[name]}).meets(x, metric_names).mean())
            for name in target.stated} if len(x) else {}


def validation_job(config: ValidationConfig,
                   simulator: Simulator | None = None) -> Callable[[JobContext], dict[str, Any]]:
    """Re-simulate a design run's best ``num_designs`` designs and as many prior designs; score both against the
    run's target. ``simulator`` defaults to the one the design run used."""

    def run(ctx: JobContext) -> dict[str, Any]:
        source = ctx.workspace.run(config.design_run_id)
        if not source.result.get("simulator"):
            raise dnre_core.InputError("This design run had no simulator, so its designs cannot be re-simulated here.")
        spec = load_simulator(source.result["simulator"])
        simulate = simulator or spec.function
        metric_names = source.result["metric_names"]
        target = dnre_core.Target(source.result["target"])
        designs = load_designs(ctx.workspace.run_dir(source.id))
        theta = designs.theta[: config.num_designs]
        batch = max(1, len(theta) // 10)
        x, errors = dnre_core.simulate_parameters(simulate, theta, len(metric_names), seed=config.seed,
                                                  batch_size=batch,
                                                  progress=ProgressReporter(ctx, "designs re-simulated", 0.0, 0.5))
        prior = prior_from_config(dnre_core.read_model_config(source.result["config"]["model_path"])["metadata"]
                                  ["prior"])
        constraint = DesignConstraint.from_target(target, spec.exact_metrics)
        prior_theta = constrained_prior_sample(prior, constraint, len(theta), np.random.default_rng(config.seed + 1))
        prior_x, prior_errors = dnre_core.simulate_parameters(
            simulate, prior_theta, len(metric_names), seed=config.seed + 1, batch_size=batch,
            progress=ProgressReporter(ctx, "prior designs simulated", 0.5, 0.5))
        result = ValidationResult(theta, x, target.meets(x, metric_names), prior_x,
                                  target.meets(prior_x, metric_names))
        ctx.check_cancelled()
        save_result(ctx.workspace.run_dir(ctx.run_id), result, prior_theta)
        return {
            "fraction": result.fraction, "prior_fraction": result.prior_fraction, "num_designs": len(theta),
            "design_run_id": source.id, "target": target.to_dict(), "metric_names": metric_names,
            "bands": band_fractions(target, metric_names, result.x),
            "prior_bands": band_fractions(target, metric_names, result.prior_x),
            "prior_within": constraint.target.describe() if constraint else [],
            "failed_simulations": int((~np.isfinite(x).all(axis=1)).sum()), "errors": (errors + prior_errors)[:20],
            "config": asdict(config),
        }

    return run


def save_result(folder: Path, result: ValidationResult, prior_theta: np.ndarray) -> None:
    atomic.save_npz(folder / "validation.npz", theta=result.theta, x=result.x, meets=result.meets,
                    prior_theta=prior_theta, prior_x=result.prior_x, prior_meets=result.prior_meets)


def load_result(folder: Path) -> tuple[ValidationResult, np.ndarray]:
    """(the validation result, the prior designs) of a finished validation run's folder."""
    with np.load(folder / "validation.npz", allow_pickle=False) as d:
        return ValidationResult(d["theta"], d["x"], d["meets"], d["prior_x"], d["prior_meets"]), d["prior_theta"]
