"""The inverse-design job: :func:`dnre_core.inverse_design` for a target, with live progress, designs saved to the
run folder and every simulation it made kept in the workspace as a data set.

Live data (``ctx.report``): ``stage``, ``simulations``, ``found``, ``num_designs``, ``rounds`` (per round: round,
route, simulations, hits, kept, hit_rate, draws_per_chain, seconds) and, while the model proposes designs,
``proposals`` (the proposal sampler's step, acceptance, step size, and its chains once they keep two draws or
more).
A stop keeps what was found: the run ends "cancelled" (stopped by the user), with its designs, never "failed".

Artifacts in the run folder: ``designs.npz`` (designs ranked by P(meet), then margin: theta (n, D), x (n, L) one
fresh simulation each, meets, p_meet, p_meet_simulations, margin, nominal (n, L) noise-free metrics of the built-in
simulator, NaN for another) and ``summary.json`` (:meth:`dnre_core.DesignResult.summary`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import dnre_core
import quadcopter
from dnre_core.simulators import SimulatorSpec, load_simulator
from ui import atomic
from ui.jobs import JobContext
from ui.pacing import Pacer

TRACE_CHAINS = 8
# Diagnostics of the model's proposal chains are published at most this often, paced like every live view
# (ui.pacing): R̂ and ESS (ArviZ) are computed only when published.
PUBLISH_EVERY_S = 0.5
DESIGN_SOURCE = "design run"  # the source of the data set of a design run's simulations


@dataclass(frozen=True)
class DesignConfig:
    """One design run: the model, the target's bands (without standing constraints), the simulator
    (module:function, None for the amortized route on the model's data set) and the options of
    :func:`dnre_core.inverse_design`."""

    model_id: str
    model_path: str
    target: dict[str, list[float | None]]
    simulator: str | None
    dataset_id: str | None = None
    standing_constraints: bool = True
    num_designs: int = 1000
    robust: float | None = None
    replicates: int = 10
    max_simulations: int = 200_000
    route: str = "auto"
    seed: int = 0


def design_target(config: DesignConfig, spec: SimulatorSpec | None, metric_names: list[str]) -> dnre_core.Target:
    """The target the run designs for: the form's bands plus, when asked, the simulator's standing constraints on
    metrics the form does not name (e.g. no interferences; stating a band on that metric overrides it)."""
    target = dnre_core.Target(config.target)
    if spec is not None and config.standing_constraints:
        target = target.with_defaults({k: v for k, v in spec.default_constraints.items() if k in metric_names})
    return target


def nominal_metrics(spec: SimulatorSpec | None, theta: np.ndarray, x_dim: int) -> np.ndarray:
    """Noise-free metrics (n, L) of designs θ (n, D) for the built-in simulator (what the Design lab shows); NaN for
    any other simulator, which has no noise-free mode the dashboard knows of."""
    if spec is not None and spec.function is quadcopter.simulator and len(theta):
        return np.asarray(quadcopter.simulate(theta, noise=False), dtype=np.float64)
    return np.full((len(theta), x_dim), np.nan)


def _proposals(diagnostics: dnre_core.ChainDiagnostics) -> dict[str, Any]:
    """The proposal sampler as the page shows it, and its chains (the first TRACE_CHAINS) once each keeps ≥ 2 draws.

    No R̂ or ESS: each chain of the band posterior is conditioned on its own simulated metrics x_j, so the chains
    target different distributions and are not meant to agree."""
    live: dict[str, Any] = {
        "step": diagnostics.step, "total_steps": diagnostics.total_steps, "phase": diagnostics.phase,
        "chains_count": int(diagnostics.chains.shape[0]), "draws_per_chain": diagnostics.num_draws,
        "acceptance": float(np.mean(diagnostics.acceptance)) if len(diagnostics.acceptance) else math.nan,
        "step_size": float(np.median(diagnostics.step_size)) if len(diagnostics.step_size) else math.nan,
    }
    if diagnostics.num_draws >= 2:
        live["chains"] = diagnostics.chains.numpy()[:TRACE_CHAINS].copy()
    return live


def _publisher(ctx: JobContext, num_designs: int) -> Callable[[dnre_core.DesignProgress], bool]:
    """A ``callback`` for :func:`dnre_core.inverse_design` that publishes progress and says stop once asked."""
    pacer = Pacer(PUBLISH_EVERY_S)

    def publish(progress: dnre_core.DesignProgress) -> bool:
        found = min(progress.found, num_designs)
        text = progress.message or f"{found:,} of {num_designs:,} designs, {progress.simulations:,} simulations"
        data: dict[str, Any] = {"stage": progress.stage, "simulations": progress.simulations, "found": found,
                                "num_designs": num_designs}
        if progress.rounds:
            data["rounds"] = progress.rounds
        if progress.chains is None or pacer.due(force=progress.chains.step >= progress.chains.total_steps):
            started = pacer.clock()
            if progress.chains is not None:
                data["proposals"] = _proposals(progress.chains)
            fraction = 0.95 if progress.stage == "P(meet)" else 0.9 * found / num_designs
            ctx.report(progress=fraction, message=f"{progress.stage}: {text}", **data)
            pacer.done(started)
        return not ctx.cancelled

    return publish


def design_job(config: DesignConfig) -> Callable[[JobContext], dict[str, Any]]:
    """A job function for :meth:`ui.jobs.JobRunner.submit` (submit it with ``params=asdict(config)``)."""

    def run(ctx: JobContext) -> dict[str, Any]:
        estimator = dnre_core.load_estimator(config.model_path)
        metric_names = list(estimator.metadata["metric_names"])
        spec = load_simulator(config.simulator) if config.simulator else None
        target = design_target(config, spec, metric_names)
        reference_x = None
        if spec is None:
            if config.dataset_id is None:
                raise dnre_core.InputError("This model names no simulator and no data set to condition it on.")
            reference_x = ctx.workspace.load_dataset(config.dataset_id).x
        ctx.report(progress=0.0, message="simulating prior designs" if spec else "starting the model's chains")
        try:
            result = dnre_core.inverse_design(
                estimator, target, spec.function if spec else None, config.num_designs, seed=config.seed,
                callback=_publisher(ctx, config.num_designs), exact_metrics=spec.exact_metrics if spec else None,
                route=config.route if spec else "amortized", robust=config.robust, replicates=config.replicates,
                max_simulations=config.max_simulations, reference_x=reference_x)
        except dnre_core.InputError as error:
            if not ctx.cancelled:
                raise
            return {"num_designs": 0, "stopped": "stopped", "note": str(error), "config": asdict(config),
                    "target": target.to_dict()}  # stopped before any design was found: a stop, not a failure
        result.units.update(spec.units if spec else {})
        folder = ctx.workspace.run_dir(ctx.run_id)
        save_designs(folder, result, nominal_metrics(spec, result.theta, len(metric_names)))
        summary = result.summary()
        atomic.write_json(folder / "summary.json", summary)
        dataset_id = _keep_simulations(ctx, result, spec)
        return {**summary, "designs": "designs.npz", "config": asdict(config), "dataset_id": dataset_id,
                "simulator": spec.name if spec else None, "built_in": spec is not None
                and spec.function is quadcopter.simulator, "parameter_names": result.parameter_names,
                "metric_names": result.metric_names}

    return run


def _keep_simulations(ctx: JobContext, result: dnre_core.DesignResult, spec: SimulatorSpec | None) -> str | None:
    """Add every finished simulation of the run to the workspace as a data set named after the run (None when it
    made none), so that a model trained there next knows the regions engineers asked about."""
    finite = np.isfinite(result.x_simulated).all(axis=1)
    if spec is None or not finite.any():
        return None
    run = ctx.workspace.run(ctx.run_id)
    record = ctx.workspace.add_dataset(
        f"{run.name} (design run {run.id})", result.theta_simulated[finite], result.x_simulated[finite],
        result.parameter_names, result.metric_names, source=DESIGN_SOURCE,
        meta={"simulator": spec.name, "run_id": run.id, "failed_simulations": int((~finite).sum())})
    return record.id


@dataclass(frozen=True)
class Designs:
    """A design run's designs, best first (ranked by P(meet), then margin)."""

    theta: np.ndarray  # (n, D)
    x: np.ndarray  # (n, L) one fresh simulation each
    meets: np.ndarray  # (n,) that simulation met every band
    p_meet: np.ndarray  # (n,) NaN without a simulator
    p_meet_simulations: np.ndarray  # (n,)
    margin: np.ndarray  # (n,)
    nominal: np.ndarray  # (n, L) noise-free metrics (NaN where unknown)

    def head(self, n: int) -> Designs:
        """The best ``n`` designs."""
        return Designs(**{name: getattr(self, name)[:n] for name in Designs.__dataclass_fields__})

    @property
    def metrics(self) -> np.ndarray:
        """(n, L) the nominal metrics where known, else the simulated ones (for plots of the designs)."""
        return np.where(np.isfinite(self.nominal), self.nominal, self.x)

    @property
    def checked(self) -> bool:
        """Whether the designs were simulated (a P(meet) each), rather than the model's answer alone."""
        return bool(len(self.p_meet)) and bool(np.isfinite(self.p_meet).all())


def save_designs(folder: Path, result: dnre_core.DesignResult, nominal: np.ndarray) -> None:
    order = result.ranking()
    atomic.save_npz(folder / "designs.npz", theta=result.theta[order], x=result.x[order],
                    meets=result.meets[order], p_meet=result.p_meet[order],
                    p_meet_simulations=result.p_meet_simulations[order], margin=result.margin[order],
                    nominal=nominal[order])


def load_designs(folder: Path) -> Designs:
    """The designs of a finished design run's folder."""
    with np.load(folder / "designs.npz", allow_pickle=False) as data:
        return Designs(**{name: data[name] for name in Designs.__dataclass_fields__})
