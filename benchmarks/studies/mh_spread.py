"""MH's ``scale_spread`` on all ten tasks: does spreading each step's proposal scale help or cost DNRE's MH?

With ``scale_spread`` s each MH step's proposal scale is the adapted one times 10^(−sU), U ~ U[0, 1], so chains can
move between parts of a posterior with very different widths (gaussian_mixture's broad and narrow components, see
the mh_mixing study). A sampler default is chosen for every task, so this measures the option on all ten.

Per task: DNRE trained on the sbibm run's simulations for seed 0 (``training_data(task, 10000, 0)``,
``TrainingSettings``) and, per observation 1–10, sampled with the run's MH protocol (1,000 chains, 200 warm-up
steps, the last draw of each chain, the run's sampling seeds) with ``scale_spread`` 0 and 2, each scored by C2ST
against 1,000 reference samples, with its min ESS per second. Nothing is tuned: 2 was fixed before these runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.methods import SamplingSettings, TrainingSettings, fit_method
from benchmarks.registry import TASK_NAMES, get_task
from benchmarks.report import mean_se_cell
from benchmarks.runner import sampling_seed, training_data
from benchmarks.studies import Study, each_task, task_of
from dnre_core import c2st

SEED, BUDGET, OBSERVATIONS, NUM_CHAINS, NUM_REFERENCE = 0, 10_000, range(1, 11), 1_000, 1_000
SPREADS = (0.0, 2.0)  # decades


def probe(task_name: str) -> list[dict[str, Any]]:
    """Train the seed-0 DNRE model of ``task_name``; MH's C2ST and min ESS/s per observation and spread."""
    task = get_task(task_name)
    fitted = fit_method("dnre", task, *training_data(task, BUDGET, SEED), SEED, SamplingSettings(), TrainingSettings())
    record: dict[str, Any] = {
        "task": task_name, "seed": SEED, "budget": BUDGET, "method_options": fitted.trainer.hyperparameters(),
        "train_seconds": fitted.train_seconds,
        "log_prob_true": float(fitted.log_prob(task.true_parameters(1)[None], task.observation(1))[0]),
        "cells": {},
    }
    for spread in SPREADS:
        cells = []
        for obs in OBSERVATIONS:
            x_o = task.observation(obs)
            draws = fitted.sample(x_o, "mh", NUM_CHAINS, sampling_seed(SEED, obs), scale_spread=spread)
            cells.append({"observation": obs, "c2st": c2st(draws.samples, task.reference_samples(obs)[:NUM_REFERENCE]),
                          "min_ess_per_second": draws.min_ess / draws.seconds})
        record["cells"][f"{spread:g}"] = cells
    return [record]


def summary(records: list[dict[str, Any]]) -> list[str]:
    """Per task: MH's C2ST without and with the spread, their paired difference, and the ESS/s ratio."""
    lines = [
        f"DNRE, seed {SEED}, MH with `scale_spread` 0 and 2 on observations 1–10; C2ST against 1,000 reference "
        "samples, mean over observations; the paired difference ± its standard error; the ESS/s ratio is the median "
        "over observations of min ESS per second with the spread over without.",
        "",
        "| task | C2ST, spread 0 | C2ST, spread 2 | spread 2 − 0 | ESS/s ratio |",
        "|---|---|---|---|---|",
    ]
    for record in sorted(records, key=lambda r: TASK_NAMES.index(r["task"])):
        plain, spread = ([c["c2st"] for c in record["cells"][k]] for k in ("0", "2"))
        ratio = np.median([s["min_ess_per_second"] / p["min_ess_per_second"]
                           for s, p in zip(record["cells"]["2"], record["cells"]["0"], strict=True)])
        lines.append(f"| {record['task']} | {np.mean(plain):.3f} | {np.mean(spread):.3f} "
                     f"| {mean_se_cell(np.subtract(spread, plain))} | {ratio:.2f} |")
    return lines


STUDY = Study(name="mh_spread", title="MH's scale spread on the ten tasks (DNRE, seed 0)", summary=summary,
              units=each_task, probe=probe, unit_of=task_of)
