"""Does temperature calibration fix DNRE's over-confidence, and what does it do elsewhere?

``calibrate_temperature`` (on by default in dnre_core's trainers) divides the trained estimator's output by the
T ≥ 1 that minimises its own validation loss; no reference posterior is read to choose it. Per task (seed 0, the
sbibm run's simulations and training settings) DNRE is trained once and measured with MH before calibration (the
same weights with the output multiplied back by T) and after it: expected coverage on ``PAIRS`` held-out (θ, x)
pairs (the runner's protocol) and C2ST against 1,000 reference samples on observations 1–``OBSERVATIONS``. A task
whose T is exactly 1 is measured once (both rows are the same estimator).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.methods import OurMethod, SamplingSettings, TrainingSettings, fit_method
from benchmarks.registry import TASK_NAMES, get_task
from benchmarks.report import coverage_cell
from benchmarks.runner import BenchmarkSettings, measure_coverage, sampling_seed, training_data
from benchmarks.studies import Study, each_task, task_of
from dnre_core import c2st

SEED, BUDGET, PAIRS, OBSERVATIONS, SAMPLER = 0, 10_000, 100, 5, "mh"
SETTINGS = BenchmarkSettings(num_posterior_samples=1_000, num_reference_samples=1_000, coverage_pairs=PAIRS)


def measure(task_name: str, fitted: OurMethod) -> dict[str, Any]:
    """Coverage on the held-out pairs and C2ST on observations 1..OBSERVATIONS of ``fitted`` with MH."""
    task = get_task(task_name)
    coverage = measure_coverage(task, fitted, SAMPLER, SEED, SETTINGS)
    scores = []
    for obs in range(1, OBSERVATIONS + 1):
        draws = fitted.sample(task.observation(obs), SAMPLER, SETTINGS.num_posterior_samples, sampling_seed(SEED, obs))
        scores.append(c2st(draws.samples, task.reference_samples(obs)[: SETTINGS.num_reference_samples]))
    return {"coverage": coverage, "c2st": scores}


def probe(task_name: str) -> list[dict[str, Any]]:
    """Train DNRE on ``task_name`` (seed 0, the sbibm run's data and settings); measure it before and after
    calibration."""
    task = get_task(task_name)
    theta, x = training_data(task, BUDGET, SEED)
    fitted = fit_method("dnre", task, theta, x, SEED, SamplingSettings(), TrainingSettings())
    assert isinstance(fitted, OurMethod)
    temperature = fitted.trainer.summary.temperature
    after = measure(task_name, fitted)
    before = measure(task_name, fitted.with_output_scaled(temperature)) if temperature != 1.0 else after
    return [{"task": task_name, "seed": SEED, "budget": BUDGET, "pairs": PAIRS, "temperature": temperature,
             "method_options": fitted.trainer.hyperparameters(), "before": before, "after": after}]


def summary(records: list[dict[str, Any]]) -> list[str]:
    """One row per task: T, coverage gap and worst shortfall, and C2ST, before and after calibration."""
    by_task = {r["task"]: r for r in records}
    lines = [
        f"DNRE, seed {SEED}, {BUDGET:,} simulations, MH. Coverage on {PAIRS} held-out pairs: mean gap (≥ 0 is "
        "conservative) / worst shortfall in binomial standard errors (about 2 or less is chance). C2ST: mean over "
        f"observations 1–{OBSERVATIONS}, 1,000 against 1,000 reference samples.",
        "",
        "| task | T | coverage before | coverage after | C2ST before | C2ST after |",
        "|---|---:|---|---|---:|---:|",
    ]
    for name in [t for t in TASK_NAMES if t in by_task]:
        r = by_task[name]
        cells = [coverage_cell([r[k]["coverage"]]) for k in ("before", "after")]
        scores = [f"{np.mean(r[k]['c2st']):.3f}" for k in ("before", "after")]
        lines.append(f"| {name} | {r['temperature']:.2f} | {cells[0]} | {cells[1]} | {scores[0]} | {scores[1]} |")
    return lines


STUDY = Study(name="temperature", title="Temperature calibration: DNRE before and after", summary=summary,
              units=each_task, probe=probe, unit_of=task_of)
