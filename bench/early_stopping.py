"""How long must the benchmark's estimators train? Validation-loss curves under a long patience (issue 4).

The sbibm runner stops training after ``TrainingSettings.stop_after_epochs`` epochs without a better validation
loss. This script picks that patience from the validation loss alone (no reference posterior is read): per (task,
method) it trains on the runner's own 10,000 simulations (seed 0, batch 128, averaged weights) with a patience of
``LONG_PATIENCE`` epochs, records the validation curve, and replays it under each shorter candidate patience: where
that run would have stopped, and what share of the whole run's validation improvement (first epoch → best) it
would have left unrealised. The runner's patience is the shortest candidate that leaves at most
``TOLERATED_SHORTFALL`` of it for every method on every task probed.

Resumable: one JSON line per (task, method) in ``bench/results/early_stopping.jsonl``; ``early_stopping.md`` is
rewritten from all lines at the end.

Run: .venv/bin/python bench/early_stopping.py --tasks two_moons,gaussian_mixture --methods dnre,nre,bnre
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dnre_core.benchmarks import get_task
from dnre_core.benchmarks.methods import OUR_METHODS, TrainingSettings
from dnre_core.benchmarks.results import append_record, read_records
from dnre_core.benchmarks.runner import training_data
from dnre_core.io import atomic_write_bytes

RESULTS = Path(__file__).resolve().parent / "results"
LONG_PATIENCE, MAX_EPOCHS = 250, 1500
CANDIDATES = (20, 50, 100, 150, 200)
TOLERATED_SHORTFALL = 0.01
BUDGET, SEED = 10_000, 0


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


def probe(task_name: str, method: str) -> dict[str, Any]:
    torch.set_num_threads(1)
    task = get_task(task_name)
    theta, x = training_data(task, BUDGET, SEED)
    settings = TrainingSettings()
    trainer = OUR_METHODS[method](task.prior).append_simulations(theta, x)
    start = time.perf_counter()
    trainer.train(seed=SEED, **(settings.options() | {"stop_after_epochs": LONG_PATIENCE, "max_epochs": MAX_EPOCHS}))
    return {"task": task_name, "method": method, "budget": BUDGET, "seed": SEED, "patience": LONG_PATIENCE,
            "batch_size": settings.batch_size, "weight_averaging": settings.weight_averaging,
            "val_losses": trainer.summary.val_losses, "seconds": time.perf_counter() - start,
            "stopped_by": trainer.summary.stopped_by}


def chosen_patience(records: list[dict[str, Any]]) -> int | None:
    """The shortest candidate within the tolerance on every record (None if none is)."""
    for patience in CANDIDATES:
        if all(shortfall(r["val_losses"], patience) <= TOLERATED_SHORTFALL for r in records):
            return patience
    return None


def summary_markdown(records: list[dict[str, Any]]) -> str:
    chosen = chosen_patience(records)
    lines = [
        "## How long the benchmark trains: validation-loss probe (bench/early_stopping.py)",
        "",
        f"Per (task, method): the runner's 10,000 simulations (seed {SEED}), batch 128, averaged weights, patience "
        f"{LONG_PATIENCE} epochs (at most {MAX_EPOCHS}); the validation curve replayed under shorter patiences. Each "
        "entry: epochs that patience would run / share of the run's validation improvement (first epoch → best) it "
        "leaves unrealised. Only validation losses are used, no reference posterior. One torch thread.",
        "",
        "| task | method | best epoch / run | s | " + " | ".join(f"patience {p}" for p in CANDIDATES) + " |",
        "|---|---|---|---:|" + "---|" * len(CANDIDATES),
    ]
    for r in sorted(records, key=lambda r: (r["task"], r["method"])):
        val = r["val_losses"]
        cells = [f"{replay(val, p)[0]} / {100 * shortfall(val, p):.1f} %" for p in CANDIDATES]
        lines.append(f"| {r['task']} | {r['method']} | {val.index(min(val))} / {len(val)} | {r['seconds']:.0f} | "
                     + " | ".join(cells) + " |")
    verdict = (f"The shortest patience that leaves at most {100 * TOLERATED_SHORTFALL:.0f} % for every row: **{chosen} "
               "epochs**" if chosen else f"No candidate leaves at most {100 * TOLERATED_SHORTFALL:.0f} % for every row")
    lines += ["", verdict + f" (`TrainingSettings.stop_after_epochs` is {TrainingSettings().stop_after_epochs}).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="two_moons,gaussian_mixture,slcp,gaussian_linear,bernoulli_glm")
    parser.add_argument("--methods", default="dnre,nre,bnre")
    parser.add_argument("--results", type=Path, default=RESULTS / "early_stopping.jsonl")
    args = parser.parse_args(argv)
    done = {(r["task"], r["method"]) for r in read_records(args.results)}
    for task_name in args.tasks.split(","):
        for method in args.methods.split(","):
            if (task_name, method) not in done:
                record = probe(task_name, method)
                append_record(args.results, record)
                print(task_name, method, f"{record['seconds']:.0f} s", flush=True)
    text = summary_markdown(read_records(args.results))
    atomic_write_bytes(args.results.with_suffix(".md"), lambda f: f.write(text.encode()))
    print(text)


if __name__ == "__main__":
    main()
