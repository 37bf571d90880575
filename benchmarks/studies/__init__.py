"""Follow-up studies of the sbibm run on one driver: ``python -m benchmarks study NAME``.

A study measures units of work (a task, a (task, seed) pair, …) in worker processes with one torch thread each,
appends each unit's records to ``benchmarks/results/NAME.jsonl`` as they come (a rerun resumes with the units not
yet recorded) and rewrites its summary ``NAME.md`` from all records. A study built on the sbibm runner gives its own
``run`` instead; the runner's results file resumes the same way.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.output import RESULTS, provenance, provenance_line, write_markdown
from benchmarks.registry import TASK_NAMES
from benchmarks.results import append_record, read_records
from benchmarks.runner import use_one_thread
from benchmarks.sbibm_cli import parse_range
from dnre_core.cli import parse_names

Record = dict[str, Any]
Unit = tuple[Any, ...]

#: The studies, each a module of this package that defines ``STUDY``.
STUDIES = ("c2st_reference_size", "coverage_pairs", "mh_mixing", "mh_spread", "default_sampling", "temperature",
           "dnre_partners", "early_stopping", "ablation")


@dataclass(frozen=True)
class Study:
    """One study.

    ``units(args)``: the units of work the command line asks for; ``probe(*unit)``: a unit's records (a module-level
    function, run in a worker process); ``unit_of(record)``: the unit a record belongs to; ``summary(records)``: the
    markdown lines under the title. A study on the sbibm runner gives ``run(args, results_path)`` instead of units
    and probe. ``arguments(parser)`` adds the study's own options; ``tasks`` and ``seeds`` are the defaults of
    ``--tasks`` and ``--seeds``; ``cost(unit)`` orders the units, longest first, so that the last jobs end together.
    """

    name: str
    title: str
    summary: Callable[[list[Record]], list[str]]
    units: Callable[[argparse.Namespace], list[Unit]] | None = None
    probe: Callable[..., list[Record]] | None = None
    unit_of: Callable[[Record], Unit] | None = None
    run: Callable[[argparse.Namespace, Path], None] | None = None
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    tasks: tuple[str, ...] = TASK_NAMES
    seeds: tuple[int, ...] = (0,)
    cost: Callable[[Unit], float] | None = None


def each_task(args: argparse.Namespace) -> list[Unit]:
    """Units of a study measured once per requested task."""
    return [(task,) for task in args.tasks]


def task_of(record: Record) -> Unit:
    """The unit of a record of a study measured once per task."""
    return (record["task"],)


def load(name: str) -> Study:
    """The study called ``name`` (one of :data:`STUDIES`)."""
    return importlib.import_module(f"benchmarks.studies.{name}").STUDY


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks study NAME [options]``: run the study's owed units, then write its summary."""
    first = argparse.ArgumentParser(prog="python -m benchmarks study", add_help=False)
    first.add_argument("name", nargs="?", choices=STUDIES)
    known, _ = first.parse_known_args(argv)
    study = load(known.name) if known.name else None
    parser = argparse.ArgumentParser(prog="python -m benchmarks study",
                                     description=study.title if study else "Run a follow-up study of the sbibm run.")
    parser.add_argument("name", choices=STUDIES, help="the study")
    parser.add_argument("--tasks", type=parse_names, default=None, help="comma-separated (default: the study's)")
    parser.add_argument("--seeds", type=parse_range, default=None, help="e.g. 0-2 (default: the study's)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes, one torch thread each (default 2)")
    parser.add_argument("--results", type=Path, default=None, help="results file (default: results/NAME.jsonl)")
    parser.add_argument("--report-only", action="store_true", help="write the summary from the recorded runs")
    if study is not None and study.arguments is not None:
        study.arguments(parser)
    args = parser.parse_args(argv)
    assert study is not None  # parse_args has required the name
    args.tasks = args.tasks or list(study.tasks)
    args.seeds = args.seeds or list(study.seeds)
    unknown = [task for task in args.tasks if task not in TASK_NAMES]
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASK_NAMES)}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    run_study(study, args, args.results or RESULTS / f"{study.name}.jsonl")
    return 0


def run_study(study: Study, args: argparse.Namespace, results: Path) -> None:
    """Measure what ``results`` does not hold yet (unless ``args.report_only``); write the summary beside it."""
    if not args.report_only:
        use_one_thread()
        if study.run is not None:
            study.run(args, results)
        else:
            _run_units(study, args, results)
    records = read_records(results)
    lines = [f"## {study.title}", "", provenance_line(f"python -m benchmarks study {study.name}", records), "",
             *study.summary(records), ""]
    summary = results.with_suffix(".md")
    write_markdown(summary, "\n".join(lines))
    print(f"Wrote {summary}")


def _run_units(study: Study, args: argparse.Namespace, results: Path) -> None:
    assert study.units is not None and study.probe is not None and study.unit_of is not None
    done = {study.unit_of(r) for r in read_records(results)}
    owed = [unit for unit in study.units(args) if unit not in done]
    if study.cost is not None:
        owed.sort(key=lambda unit: -study.cost(unit))
    print(f"{study.name}: {len(owed)} unit(s) owed, {args.jobs} job(s) of one torch thread", flush=True)
    stamp = provenance()
    with ProcessPoolExecutor(max_workers=args.jobs, initializer=use_one_thread) as pool:
        futures = {pool.submit(study.probe, *unit): unit for unit in owed}
        for future in as_completed(futures):
            for record in future.result():
                append_record(results, record | stamp)
            print(f"{study.name}: {futures[future]} recorded", flush=True)
