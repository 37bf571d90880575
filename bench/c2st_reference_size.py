"""How much does the full run's smaller C2ST (1,000 against 1,000 samples) change its verdicts? (issue 4)

sbibm's protocol compares 10,000 posterior samples with 10,000 reference samples. The full run
(``bench/results/sbibm_full.jsonl``) uses 1,000 against 1,000 to fit a 2-core machine. This script trains the same
models again (same seed, same simulations, same settings: the runner is deterministic, so each model is the one
behind the full run's cell, which the identical log density at the true parameter confirms) and measures C2ST with
10,000 against 10,000 on a subset of cells (no coverage). It writes, per task and method, both means and their
paired difference, and per task DNRE − NRE under both sample sizes.

Resumable (the runner's results file ``bench/results/c2st_10k.jsonl``); writes ``bench/results/c2st_reference_size.md``.

Run: .venv/bin/python bench/c2st_reference_size.py [--jobs 2] [--report-only]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dnre_core.benchmarks.methods import same_options
from dnre_core.benchmarks.report import mean_se_cell, paired_difference, record_options_lines
from dnre_core.benchmarks.results import latest_records, read_records, record_key
from dnre_core.benchmarks.runner import BenchmarkSettings, run_benchmark
from dnre_core.io import atomic_write_bytes

RESULTS = Path(__file__).resolve().parent / "results"
FULL_RUN = RESULTS / "sbibm_full.jsonl"
LARGE_RUN = RESULTS / "c2st_10k.jsonl"
MODELS = RESULTS.parent / "cache" / "models"  # the full run's models, kept by `make bench`
TASKS = ("two_moons", "sir", "slcp")  # chosen when DNRE (one partner) was behind NRE on two, ahead on slcp
METHODS = ("dnre", "nre")
OBSERVATIONS = (1, 2, 3, 4, 5)
SEED, BUDGET = 0, 10_000
LARGE = BenchmarkSettings(num_posterior_samples=10_000, num_reference_samples=10_000, coverage_pairs=0)


def paired_cells(full: list[dict[str, Any]], large: list[dict[str, Any]]) -> list[tuple[dict, dict]]:
    """(full-run cell, 10,000-sample cell) pairs with the same record key (task, method, sampler, observation, seed,
    budget)."""
    small = {record_key(r): r for r in full if r["kind"] == "cell" and r["status"] == "ok"}
    return [
        (small[record_key(r)], r)
        for r in large
        if r["kind"] == "cell" and r["status"] == "ok" and record_key(r) in small
    ]


def summary_markdown(pairs: list[tuple[dict, dict]]) -> str:
    """The summary of the pairs whose two cells were made with the same method and sampler options; the others (the
    full run's cell remeasured after a method's or sampler's default changed) are counted as owed, not compared."""
    stale = [g for s, g in pairs if not same_options(s, g)]
    owed, owed_cells = sorted({f"{g['task']}/{g['method']}" for g in stale}), len(stale)
    pairs = [(s, g) for s, g in pairs if same_options(s, g)]
    same_model = sum(s["log_prob_true"] == g["log_prob_true"] for s, g in pairs)
    lines = [
        "# C2ST with 10,000 against 10,000 samples (sbibm's protocol) beside the full run's 1,000 against 1,000",
        "",
        "Written by `bench/c2st_reference_size.py` (one torch thread per job, this project's 2-core machine "
        f"without GPU; results in `bench/results/c2st_10k.jsonl`): the full run's models for tasks {', '.join(TASKS)}, "
        f"methods {', '.join(METHODS)} (MH), seed {SEED}, observations {OBSERVATIONS[0]}–{OBSERVATIONS[-1]}, trained "
        "again and measured with 10,000 posterior samples against sbibm's 10,000 reference samples. The same model is "
        f"behind both numbers of a pair: the log density at the true parameter is identical in {same_model} of "
        f"{len(pairs)} pairs.",
        "",
        *record_options_lines([large for _, large in pairs]),
        *([f"Left out: {owed_cells} cells ({', '.join(owed)}) whose full-run cell was made with other method or sampler "
           "options (a default changed since); `bench/c2st_reference_size.py` remeasures them.", ""] if owed else []),
        "| task | method | cells | C2ST 1k | C2ST 10k | 10k − 1k, paired mean ± s.e. |",
        "|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for small, large in pairs:
        groups.setdefault((small["task"], small["method"]), []).append((small["c2st"], large["c2st"]))
    for (task, method), values in sorted(groups.items()):
        s, g = np.array(values).T
        change = mean_se_cell(list(g - s))
        lines.append(f"| {task} | {method} | {len(values)} | {s.mean():.3f} | {g.mean():.3f} | {change} |")
    small_cells, large_cells = [s for s, _ in pairs], [g for _, g in pairs]
    differences = []
    for task in sorted({t for t, _ in groups}):
        (mean_1k, se_1k, n), (mean_10k, se_10k, _) = (
            paired_difference(cells, task, ("dnre", "mh"), ("nre", "mh")) for cells in (small_cells, large_cells)
        )
        if n:
            differences.append(f"| {task} | {n} | {mean_1k:+.3f} ± {se_1k:.3f} | {mean_10k:+.3f} ± {se_10k:.3f} |")
    lines += [
        "",
        "DNRE − NRE on the same observations, paired mean ± s.e. (negative: DNRE closer to the reference):",
        "",
        "| task | observations | at 1k | at 10k |",
        "|---|---|---|---|",
        *differences,
    ] if differences else ["", "DNRE − NRE: no task has both methods' cells under the same options yet."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report-only", action="store_true", help="write the summary from the recorded cells")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not args.report_only:
        print(f"torch threads: {torch.get_num_threads()}, jobs: {args.jobs}")
        run_benchmark(TASKS, METHODS, ["mh"], BUDGET, OBSERVATIONS, [SEED], args.jobs, LARGE_RUN, progress=False,
                      settings=LARGE, model_cache=MODELS)
    pairs = paired_cells(latest_records(read_records(FULL_RUN)), latest_records(read_records(LARGE_RUN)))
    text = summary_markdown(pairs)
    atomic_write_bytes(RESULTS / "c2st_reference_size.md", lambda f: f.write(text.encode()))
    print(f"Wrote {RESULTS / 'c2st_reference_size.md'} ({len(pairs)} paired cells)")


if __name__ == "__main__":
    main()
