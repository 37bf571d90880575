"""DNRE's expected coverage on 200 held-out pairs beside the sbibm run's 50.

The sbibm run measures coverage on 50 held-out (θ, x) pairs per run to fit a 2-core machine. With 50 pairs a
calibrated posterior's coverage at level 0.5 has a binomial standard error of about 0.07, so verdicts near two
standard errors are not settled there. This study samples the run's DNRE models (MH; kept in its model cache, or
trained again with the same seed, simulations and settings) and measures their coverage on 200 held-out pairs, plus
the C2ST cell of one observation, whose log density at the true parameter confirms the model is the same.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.output import MODEL_CACHE, RESULTS
from benchmarks.registry import TASK_NAMES
from benchmarks.report import coverage_gap, coverage_shortfall
from benchmarks.results import latest_records, read_records
from benchmarks.runner import BenchmarkSettings, run_benchmark
from benchmarks.studies import Study

FULL_RUN = RESULTS / "sbibm_full.jsonl"
METHOD, SAMPLER, BUDGET, CHECK_OBSERVATION = "dnre", "mh", 10_000, 1
# The sbibm run's settings but for the number of held-out pairs (its C2ST cell is the same-model check).
SETTINGS = BenchmarkSettings(num_posterior_samples=1_000, num_reference_samples=1_000, coverage_pairs=200)


def run(args: argparse.Namespace, results: Path) -> None:
    """The 200-pair coverage records (and check cells) of the requested tasks and seeds, resumed."""
    run_benchmark(args.tasks, [METHOD], [SAMPLER], BUDGET, [CHECK_OBSERVATION], args.seeds, args.jobs, results,
                  progress=False, settings=SETTINGS, model_cache=MODEL_CACHE)


def _own(records: list[dict[str, Any]], kind: str) -> dict[tuple[str, int], dict[str, Any]]:
    """DNRE (MH) records of ``kind`` that succeeded, per (task, seed); cells only of the check observation."""
    return {
        (r["task"], r["seed"]): r
        for r in records
        if r["kind"] == kind and r["status"] == "ok"
        and (r["method"], r["sampler"], r["budget"]) == (METHOD, SAMPLER, BUDGET)
        and (kind == "coverage" or r["observation"] == CHECK_OBSERVATION)
    }


def _gap_cell(runs: list[dict[str, Any]]) -> str:
    gaps = np.array([coverage_gap(r) for r in runs])
    se = f" ± {gaps.std(ddof=1) / np.sqrt(len(gaps)):.3f}" if len(gaps) > 1 else ""
    return f"{gaps.mean():+.3f}{se} / {max(coverage_shortfall(r) for r in runs):.1f}"


def _pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One coverage record from runs on the same levels: their mean coverage curve over all their pairs."""
    return {"levels": runs[0]["levels"], "coverage": np.mean([r["coverage"] for r in runs], axis=0),
            "pairs": sum(r["pairs"] for r in runs)}


def summary(records: list[dict[str, Any]]) -> list[str]:
    """Per task: mean coverage gap and worst shortfall at 50 pairs (the sbibm run) and 200 pairs, on the same runs."""
    full, large = latest_records(read_records(FULL_RUN)), latest_records(records)
    small_cov, large_cov = _own(full, "coverage"), _own(large, "coverage")
    small_cell, large_cell = _own(full, "cell"), _own(large, "cell")
    checked = [k for k in large_cell if k in small_cell]
    same_model = sum(small_cell[k]["log_prob_true"] == large_cell[k]["log_prob_true"] for k in checked)
    lines = [
        f"DNRE (MH), the sbibm run's models; same model behind both columns in {same_model} of {len(checked)} runs. "
        "Each cell: mean coverage gap (≥ 0 is conservative) ± its standard error over seeds / the worst shortfall "
        "in binomial standard errors (about 2 or less is chance). *Pooled*: the seeds' mean coverage curve over all "
        "their pairs, one test of chance per task.",
        "",
        "| task | seeds | 50 pairs | 200 pairs | 200 pairs pooled: worst shortfall | conservative at 200 pairs |",
        "|---|---|---|---|---|---|",
    ]
    conservative = measured = beyond_chance = 0
    for task in TASK_NAMES:
        seeds = sorted(s for t, s in large_cov if t == task and (t, s) in small_cov)
        if not seeds:
            continue
        runs_small = [small_cov[(task, s)] for s in seeds]
        runs_large = [large_cov[(task, s)] for s in seeds]
        gap = float(np.mean([coverage_gap(r) for r in runs_large]))
        pooled = coverage_shortfall(_pooled(runs_large))
        measured += 1
        conservative += gap >= 0
        beyond_chance += gap < 0 and pooled > 2
        verdict = "yes" if gap >= 0 else "no, within chance" if pooled <= 2 else "no"
        lines.append(f"| {task} | {', '.join(map(str, seeds))} | {_gap_cell(runs_small)} | {_gap_cell(runs_large)} "
                     f"| {pooled:.1f} | {verdict} |")
    lines += ["", f"At 200 pairs DNRE is conservative on average on {conservative} of the {measured} tasks, and "
              f"over-confident beyond chance (a negative mean gap and a pooled worst shortfall above 2) on "
              f"{beyond_chance}."]
    return lines


STUDY = Study(name="coverage_pairs", title="DNRE's expected coverage on 200 held-out pairs beside the sbibm run's 50",
              summary=summary, run=run, seeds=(0, 1, 2))
