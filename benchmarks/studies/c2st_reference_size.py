"""How much does the sbibm run's smaller C2ST (1,000 against 1,000 samples) change its verdicts?

sbibm's protocol compares 10,000 posterior samples with 10,000 reference samples; the sbibm run uses 1,000 against
1,000 to fit a 2-core machine. This study samples the run's own models (kept in its model cache, or trained again
with the same seed, simulations and settings) and measures C2ST with 10,000 against 10,000 on a subset of cells (no
coverage); an identical log density at the true parameter confirms that a pair of cells shares its model. It reports
both means per task and method with their paired difference, and per task DNRE − NRE under both sample sizes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.output import MODEL_CACHE, RESULTS
from benchmarks.report import mean_se_cell, paired_difference
from benchmarks.results import latest_records, read_records, record_key
from benchmarks.runner import BenchmarkSettings, run_benchmark
from benchmarks.studies import Study

FULL_RUN = RESULTS / "sbibm_full.jsonl"
METHODS = ("dnre", "nre")
OBSERVATIONS = (1, 2, 3, 4, 5)
BUDGET = 10_000
LARGE = BenchmarkSettings(num_posterior_samples=10_000, num_reference_samples=10_000, coverage_pairs=0)


def run(args: argparse.Namespace, results: Path) -> None:
    """The 10,000-sample cells of the requested tasks and seeds (MH), resumed where ``results`` stops."""
    run_benchmark(args.tasks, METHODS, ["mh"], BUDGET, OBSERVATIONS, args.seeds, args.jobs, results, progress=False,
                  settings=LARGE, model_cache=MODEL_CACHE)


def paired_cells(full: list[dict[str, Any]], large: list[dict[str, Any]]) -> list[tuple[dict, dict]]:
    """(sbibm run's cell, 10,000-sample cell) pairs with the same record key."""
    small = {record_key(r): r for r in full if r["kind"] == "cell" and r["status"] == "ok"}
    return [(small[record_key(r)], r) for r in large
            if r["kind"] == "cell" and r["status"] == "ok" and record_key(r) in small]


def summary(records: list[dict[str, Any]]) -> list[str]:
    """Per task and method: C2ST at 1k and 10k with their paired difference; DNRE − NRE at both sizes."""
    pairs = paired_cells(latest_records(read_records(FULL_RUN)), latest_records(records))
    same_model = sum(s["log_prob_true"] == g["log_prob_true"] for s, g in pairs)
    lines = [
        "The sbibm run's DNRE and NRE models (MH) measured again with 10,000 posterior samples against sbibm's "
        f"10,000 reference samples, observations {OBSERVATIONS[0]}–{OBSERVATIONS[-1]}. Same model behind both numbers "
        f"of a pair (identical log density at the true parameter): {same_model} of {len(pairs)} pairs.",
        "",
        "| task | method | cells | C2ST 1k | C2ST 10k | 10k − 1k, paired |",
        "|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for small, large in pairs:
        groups.setdefault((small["task"], small["method"]), []).append((small["c2st"], large["c2st"]))
    for (task, method), values in sorted(groups.items()):
        s, g = np.array(values).T
        lines.append(f"| {task} | {method} | {len(values)} | {s.mean():.3f} | {g.mean():.3f} "
                     f"| {mean_se_cell(list(g - s))} |")
    small_cells, large_cells = [s for s, _ in pairs], [g for _, g in pairs]
    lines += ["", "DNRE − NRE on the same observations, paired (negative: DNRE closer to the reference):", "",
              "| task | observations | at 1k | at 10k |", "|---|---|---|---|"]
    for task in sorted({t for t, _ in groups}):
        (mean_1k, se_1k, n), (mean_10k, se_10k, _) = (
            paired_difference(cells, task, ("dnre", "mh"), ("nre", "mh")) for cells in (small_cells, large_cells))
        if n:
            lines.append(f"| {task} | {n} | {mean_1k:+.3f} ± {se_1k:.3f} | {mean_10k:+.3f} ± {se_10k:.3f} |")
    return lines


STUDY = Study(name="c2st_reference_size", title="C2ST with 10,000 against 10,000 samples beside the sbibm run's 1,000",
              summary=summary, run=run, tasks=("two_moons", "sir", "slcp"))
