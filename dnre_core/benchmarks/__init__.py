"""Benchmarks on the ten sbibm tasks (needs ``make bench-setup``).

- :func:`get_task` / :data:`TASK_NAMES`: tasks with prior, seeded simulator, observations and reference samples.
- :func:`dnre_core.benchmarks.runner.run_benchmark`: resumable runs of (task, method, sampler, observation, seed).
- :func:`dnre_core.benchmarks.cli.main`: the ``dnre bench`` command line (also ``python -m dnre_core.benchmarks``).
- :func:`dnre_core.benchmarks.report.write_report`: markdown tables and PNG figures from a results file.
"""

from dnre_core.benchmarks.registry import TASK_NAMES, get_task
from dnre_core.benchmarks.sbibm_source import SbibmMissingError, sbibm_available
from dnre_core.benchmarks.tasks import BenchmarkTask

__all__ = ["TASK_NAMES", "BenchmarkTask", "SbibmMissingError", "get_task", "sbibm_available"]
