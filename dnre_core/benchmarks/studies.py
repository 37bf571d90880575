"""The driver of the per-task follow-up studies in ``bench/`` (e.g. ``temperature.py``, ``mh_spread.py``).

Such a study measures one record per task in worker processes, appends each to its results file as it finishes
(so a rerun resumes with the tasks not yet recorded), and rewrites its markdown summary from all records.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ..io import atomic_write_bytes
from .cli import parse_names
from .registry import TASK_NAMES
from .results import append_record, read_records

Record = dict[str, Any]


def run_task_study(
    description: str,
    results: Path,
    probe: Callable[[str], Record],
    summary_markdown: Callable[[list[Record]], str],
    describe: Callable[[Record], str],
    argv: list[str] | None = None,
    cost: Callable[[str], float] | None = None,
) -> None:
    """Parse ``--tasks``, ``--jobs`` and ``--report-only`` from ``argv``; run ``probe(task)`` for each task without a
    record in ``results`` (a ``.jsonl`` file), ``jobs`` at a time, appending each record as it comes and printing
    ``describe(record)``; then write ``summary_markdown(all records)`` atomically beside it (``.md``).

    ``cost(task)``, when given, orders the tasks longest first, so that the last jobs end together.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tasks", type=parse_names, default=list(TASK_NAMES), help="comma-separated (default: all ten)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes, one torch thread each (default 2)")
    parser.add_argument("--report-only", action="store_true", help="write the summary from the recorded runs")
    args = parser.parse_args(argv)
    unknown = [task for task in args.tasks if task not in TASK_NAMES]
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASK_NAMES)}")
    if not args.report_only:
        done = {r["task"] for r in read_records(results)}
        owed = [t for t in args.tasks if t not in done]
        if cost is not None:
            owed.sort(key=lambda task: -cost(task))
        print(f"torch threads per job: 1, jobs: {args.jobs}; tasks owed: {', '.join(owed) or 'none'}", flush=True)
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for future in as_completed([pool.submit(probe, task) for task in owed]):
                record = future.result()
                append_record(results, record)
                print(describe(record), flush=True)
    text = summary_markdown(read_records(results))
    summary = results.with_suffix(".md")
    atomic_write_bytes(summary, lambda f: f.write(text.encode()))
    print(f"Wrote {summary}")
