"""The sbibm run's command line, ``python -m benchmarks sbibm``, via :func:`main`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.methods import METHODS, OUR_METHODS, SAMPLERS, TrainingSettings, samplers_for
from benchmarks.output import FIGURES, RESULTS
from benchmarks.registry import TASK_NAMES
from benchmarks.results import failure_reason, latest_records, read_records
from benchmarks.runner import BenchmarkSettings, WorkerDiedError, run_benchmark, use_one_thread
from dnre_core.cli import parse_names, positive_int


def parse_range(text: str) -> list[int]:
    """``"1-3,7"`` → ``[1, 2, 3, 7]``; raises ``argparse.ArgumentTypeError`` on anything else."""
    numbers: list[int] = []
    try:
        for part in parse_names(text):
            low, _, high = part.partition("-")
            numbers.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers and ranges like 1-10 or 0,2; got {text!r}") from None
    if not numbers:
        raise argparse.ArgumentTypeError(f"no numbers in {text!r}")
    return numbers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks sbibm",
                                     description="Benchmark DNRE, NRE and BNRE on sbibm's tasks.")
    parser.add_argument(
        "--tasks", type=parse_names, default=list(TASK_NAMES), help="comma-separated (default: all ten)"
    )
    parser.add_argument(
        "--methods",
        type=parse_names,
        default=list(OUR_METHODS),
        help=f"comma-separated, from {','.join(METHODS)} (default: {','.join(OUR_METHODS)})",
    )
    parser.add_argument("--samplers", type=parse_names, default=list(SAMPLERS), help="comma-separated: mh,hmc")
    parser.add_argument("--budget", type=int, default=10_000, help="simulations per training run (default 10000)")
    parser.add_argument("--observations", type=parse_range, default=list(range(1, 11)), help="e.g. 1-10")
    parser.add_argument("--seeds", type=parse_range, default=[0, 1, 2], help="e.g. 0-2")
    parser.add_argument("--jobs", type=int, default=1, help="parallel training runs (one torch thread each)")
    parser.add_argument("--results", type=Path, default=RESULTS / "sbibm.jsonl", help="JSON-lines results file")
    parser.add_argument("--report", type=Path, default=RESULTS / "sbibm.md", help="markdown report to write")
    parser.add_argument("--figures", type=Path, default=FIGURES / "sbibm", help="folder for PNG figures")
    parser.add_argument(
        "--preamble", type=Path, default=None, help="markdown file put at the top of the report instead of its title"
    )
    parser.add_argument(
        "--posterior-samples",
        type=int,
        default=BenchmarkSettings.num_posterior_samples,
        help="posterior samples per C2ST (default 10000, sbibm's protocol)",
    )
    parser.add_argument(
        "--reference-samples",
        type=int,
        default=BenchmarkSettings.num_reference_samples,
        help="reference samples per C2ST, the first of sbibm's 10000 (default 10000)",
    )
    parser.add_argument(
        "--coverage-pairs",
        type=int,
        default=BenchmarkSettings.coverage_pairs,
        help="held-out (θ, x) pairs per coverage record (0: no coverage, a C2ST-only run)",
    )
    parser.add_argument(
        "--defer-coverage",
        action="store_true",
        help="cells only; the coverage records stay owed and a later run without this flag makes them",
    )
    parser.add_argument(
        "--patience",
        type=positive_int,
        default=TrainingSettings.stop_after_epochs,
        help="epochs without a better held-out loss before training stops "
        f"(default {TrainingSettings.stop_after_epochs})",
    )
    parser.add_argument(
        "--max-epochs",
        type=positive_int,
        default=TrainingSettings.max_epochs,
        help=f"training epochs at most (default {TrainingSettings.max_epochs})",
    )
    parser.add_argument(
        "--model-cache",
        type=Path,
        default=None,
        help="directory where trained models are kept and looked up (dnre, nre, bnre), so that a rerun after a "
        "sampler change, or a study of the same models, samples them without training again (default: none)",
    )
    parser.add_argument("--max-c2st", type=float, default=None, help="exit 1 if a cell of this run has a higher C2ST")
    parser.add_argument(
        "--retry-failed", action="store_true", help="run again the cells whose newest record failed (after a fix)"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="write the report and figures from the results file; run nothing"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, then write the report and figures from the whole results file. Returns the exit code."""
    from benchmarks.report import write_report

    args = build_parser().parse_args(argv)
    use_one_thread()
    try:
        preamble = args.preamble.read_text() if args.preamble is not None else None
    except OSError as error:
        print(f"benchmarks sbibm: cannot read the preamble {args.preamble}: {error.strerror}", file=sys.stderr)
        return 2
    if args.report_only:
        records = latest_records(read_records(args.results))
        if not records:
            print(f"benchmarks sbibm: no results in {args.results} to report; run the benchmark first.",
                  file=sys.stderr)
            return 2
        write_report(records, args.report, args.figures, command=_command(argv), preamble=preamble)
        print(f"Wrote {args.report} and figures under {args.figures}/ from {args.results} (nothing run)")
        return 0
    try:
        records = run_benchmark(
            args.tasks,
            args.methods,
            args.samplers,
            args.budget,
            args.observations,
            args.seeds,
            jobs=args.jobs,
            results_path=args.results,
            progress=not args.no_progress,
            settings=BenchmarkSettings(
                num_posterior_samples=args.posterior_samples,
                num_reference_samples=args.reference_samples,
                coverage_pairs=args.coverage_pairs,
                training=TrainingSettings(stop_after_epochs=args.patience, max_epochs=args.max_epochs),
            ),
            retry_failed=args.retry_failed,
            defer_coverage=args.defer_coverage,
            model_cache=args.model_cache,
        )
    except ValueError as error:
        print(f"benchmarks sbibm: {error}", file=sys.stderr)
        return 2
    except WorkerDiedError as error:
        print(f"benchmarks sbibm: {error}", file=sys.stderr)
        return 1
    write_report(
        records,
        args.report,
        args.figures,
        command=_command(argv),
        preamble=preamble,
    )
    print(f"Wrote {args.report} and figures under {args.figures}/")
    return _check_gate(records, args)


def _command(argv: Sequence[str] | None) -> str:
    """The command that makes the results a report shows (``--report-only`` rewrites the same report)."""
    given = sys.argv[1:] if argv is None else argv
    return " ".join(["python -m benchmarks sbibm", *(a for a in given if a != "--report-only")])


def _check_gate(records: list[dict], args: argparse.Namespace) -> int:
    """Exit code 1 when a requested cell failed or (with ``--max-c2st``) exceeds the threshold."""
    mine = [
        r
        for r in records
        if r["kind"] == "cell"
        and r["task"] in args.tasks
        and r["method"] in args.methods
        and r["sampler"] in samplers_for(r["method"], args.samplers)
        and r["observation"] in args.observations
        and r["seed"] in args.seeds
        and r["budget"] == args.budget
    ]
    bad = [r for r in mine if r["status"] != "ok"]
    if args.max_c2st is not None:
        bad += [r for r in mine if r["status"] == "ok" and r["c2st"] > args.max_c2st]
    for r in bad:
        detail = f"C2ST {r['c2st']:.3f} > {args.max_c2st}" if r["status"] == "ok" else f"failed: {failure_reason(r)}"
        print(
            f"{r['task']}/{r['method']}/{r['sampler']} obs {r['observation']} seed {r['seed']}: {detail}",
            file=sys.stderr,
        )
    return 1 if bad else 0
