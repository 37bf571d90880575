"""How long must the benchmark's estimators train? Validation-loss curves under a long patience.

The sbibm runner stops training after ``TrainingSettings.stop_after_epochs`` epochs without a better validation
loss. This study picks that patience from the validation loss alone (no reference posterior is read): per (task,
method) it trains on the runner's own 10,000 simulations (seed 0, the runner's batch size and weight averaging) with
a patience of ``LONG_PATIENCE`` epochs, records the validation curve, and replays it under each shorter candidate
patience: what share of the whole run's validation improvement (first epoch → best) that patience would have left
unrealised. The runner's patience is the shortest candidate that leaves at most ``TOLERATED_SHORTFALL`` of it for
every method on every task probed.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from benchmarks.methods import OUR_METHODS, TrainingSettings
from benchmarks.registry import get_task
from benchmarks.runner import training_data
from benchmarks.studies import Study

LONG_PATIENCE, MAX_EPOCHS = 250, 1500
CANDIDATES = (20, 50, 100, 150, 200)
TOLERATED_SHORTFALL = 0.01
BUDGET, SEED = 10_000, 0
METHODS = ("dnre", "nre", "bnre")


def replay(val_losses: list[float], patience: int) -> tuple[int, float]:
    """(epochs run, best validation loss) had training stopped after ``patience`` epochs without improvement."""
    best, best_epoch = math.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return epoch + 1, best
    return len(val_losses), best


def shortfall(val_losses: list[float], patience: int) -> float:
    """Share of the run's validation improvement (first epoch → best) that ``patience`` leaves unrealised."""
    gain = val_losses[0] - min(val_losses)
    return (replay(val_losses, patience)[1] - min(val_losses)) / gain if gain > 0 else 0.0


def probe(task_name: str, method: str) -> list[dict[str, Any]]:
    """Train ``method`` on ``task_name`` with the long patience; its validation curve."""
    task = get_task(task_name)
    theta, x = training_data(task, BUDGET, SEED)
    settings = TrainingSettings()
    trainer = OUR_METHODS[method](task.prior).append_simulations(theta, x)
    start = time.perf_counter()
    trainer.train(seed=SEED, **(settings.options() | {"stop_after_epochs": LONG_PATIENCE, "max_epochs": MAX_EPOCHS}))
    return [{"task": task_name, "method": method, "budget": BUDGET, "seed": SEED, "patience": LONG_PATIENCE,
             "batch_size": settings.batch_size, "weight_averaging": settings.weight_averaging,
             "val_losses": trainer.summary.val_losses, "seconds": time.perf_counter() - start,
             "stopped_by": trainer.summary.stopped_by}]


def chosen_patience(records: list[dict[str, Any]]) -> int | None:
    """The shortest candidate within the tolerance on every record (None if none is)."""
    for patience in CANDIDATES:
        if all(shortfall(r["val_losses"], patience) <= TOLERATED_SHORTFALL for r in records):
            return patience
    return None


def summary(records: list[dict[str, Any]]) -> list[str]:
    """Per method: the largest share of the improvement each candidate patience leaves over the tasks, and where."""
    chosen = chosen_patience(records)
    tasks = sorted({r["task"] for r in records})
    lines = [
        f"Per (task, method): the runner's {BUDGET:,} simulations (seed {SEED}) trained with patience {LONG_PATIENCE} "
        f"epochs (at most {MAX_EPOCHS}) on {', '.join(tasks)}. Each entry: the largest share of a run's validation "
        "improvement that a shorter patience leaves unrealised, over the tasks (and on which).",
        "",
        "| method | " + " | ".join(f"patience {p}" for p in CANDIDATES) + " |",
        "|---|" + "---:|" * len(CANDIDATES),
    ]
    for method in METHODS:
        runs = [r for r in records if r["method"] == method]
        if not runs:
            continue
        cells = []
        for p in CANDIDATES:
            worst = max(runs, key=lambda r: shortfall(r["val_losses"], p))
            share = shortfall(worst["val_losses"], p)
            cells.append(f"{100 * share:.1f} % ({worst['task']})" if share > 0 else "0 %")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    tolerated = f"{100 * TOLERATED_SHORTFALL:.0f} %"
    lines += ["", f"The shortest patience that leaves at most {tolerated} on every run: **{chosen} epochs**."
              if chosen else f"No candidate leaves at most {tolerated} on every run."]
    return lines


def _units(args: argparse.Namespace) -> list[tuple[str, str]]:
    return [(task, method) for task in args.tasks for method in METHODS]


STUDY = Study(name="early_stopping", title="How long the benchmark trains: a validation-loss probe", summary=summary,
              units=_units, probe=probe, unit_of=lambda r: (r["task"], r["method"]),
              tasks=("two_moons", "gaussian_mixture", "slcp", "gaussian_linear", "bernoulli_glm"))
