"""The simulation job: a data set of N prior designs simulated in the background.

Simulators are picklable functions ``simulate(theta (n, D), seed=int) -> x (n, L)``; the default is the built-in
quadcopter simulator. Prior designs are drawn and simulated by :func:`dnre_core.simulate_for_sbi` (seeded
batches on a local process pool or a Ray cluster): its per-batch progress drives the progress bar, and a stop
request ends the run after the batch in hand. A data-set simulation keeps its finished batches in the
workspace (``partial/``), so starting the same simulation again (same size, seed and batch size) resumes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

import dnre_core
import quadcopter
from ui import domain
from ui.jobs import JobCancelled, JobContext
from ui.models import BUILT_IN_SIMULATOR

Simulator = Callable[..., np.ndarray]
BACKENDS: dict[str, str] = {"local": "local process pool", "ray": "Ray cluster"}


#: The built-in simulator with manufacturing tolerances and wind drawn from ``seed``.
quadcopter_simulator: Simulator = quadcopter.simulator


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


def simulator_name(simulator: Simulator) -> str:
    """How a data set names its simulator (``module:function``; the built-in one as ``quadcopter``)."""
    if simulator is quadcopter_simulator:
        return BUILT_IN_SIMULATOR
    return f"{simulator.__module__}:{simulator.__qualname__}"


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
            list(domain.METRIC_NAMES), source="simulator",
            meta={**asdict(config), "resumed": resumed, "simulator": simulator_name(simulator)},
        )
        resume.unlink(missing_ok=True)
        return {"dataset_id": record.id, "num_designs": config.num_designs, "resumed": resumed}

    return run
