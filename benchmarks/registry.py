"""The names of the ten benchmark tasks and a cached constructor for each."""

from __future__ import annotations

from functools import cache

from benchmarks.ode_tasks import LotkaVolterraTask, SIRTask
from benchmarks.tasks import BenchmarkTask, SbibmTask

TASK_NAMES: tuple[str, ...] = (
    "gaussian_linear",
    "gaussian_linear_uniform",
    "slcp",
    "slcp_distractors",
    "bernoulli_glm",
    "bernoulli_glm_raw",
    "gaussian_mixture",
    "two_moons",
    "sir",
    "lotka_volterra",
)
_OWN_SIMULATORS: dict[str, type[BenchmarkTask]] = {"sir": SIRTask, "lotka_volterra": LotkaVolterraTask}


def get_task(name: str) -> BenchmarkTask:
    """The benchmark task called ``name`` (one of :data:`TASK_NAMES`), built once per process.

    Raises ``ValueError`` for an unknown name and :class:`~benchmarks.sbibm_source.SbibmMissingError`
    when sbibm is not installed.
    """
    if name not in TASK_NAMES:
        raise ValueError(f"Unknown benchmark task {name!r}; choose from {', '.join(TASK_NAMES)}.")
    return _build_task(name)


@cache
def _build_task(name: str) -> BenchmarkTask:
    task_class = _OWN_SIMULATORS.get(name)
    return task_class() if task_class is not None else SbibmTask(name)
