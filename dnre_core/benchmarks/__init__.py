"""Benchmarks on the ten sbibm tasks (needs ``make bench-setup``).

- :func:`get_task` / :data:`TASK_NAMES`: tasks with prior, seeded simulator, observations and reference samples.
"""

from dnre_core.benchmarks.registry import TASK_NAMES, get_task
from dnre_core.benchmarks.sbibm_source import SbibmMissingError, sbibm_available
from dnre_core.benchmarks.tasks import BenchmarkTask

__all__ = ["TASK_NAMES", "BenchmarkTask", "SbibmMissingError", "get_task", "sbibm_available"]
