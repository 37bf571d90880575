"""How many contrastive partners should DNRE train with? Held-out loss of K = 4 against the paper's K = 1.

DNRE's loss pairs each simulation (θ, x) with K other parameters of its batch and averages the BCE over the K pairs;
the paper uses K = 1. More partners give each gradient step more pairs for the same simulations at more cost per
epoch. This study compares K = 1 and K = 4 on held-out simulations alone: no reference posterior is read, so the
benchmark's C2ST is not tuned against.

Per (task, seed) it trains DNRE with each K on the sbibm run's simulations and settings (``training_data(task,
10000, seed)``, ``TrainingSettings``) and scores both on the same 5,000 fresh simulations (a stream of their own,
``derived_seed(seed, 99)``; non-finite rows left out) with the same quantity, the K = 1 loss (the per-pair BCE the
paper trains on, a proper scoring rule of the log ratio): the same batches, partners and order for both models, so
their losses compare batch by batch. The rule, fixed before the last seed was run: K = 4 becomes the default if it
has the lower held-out loss in a majority of seeds on at least ``ADOPT_ON_TASKS`` of the ten tasks.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch

from benchmarks.methods import TrainingSettings
from benchmarks.registry import TASK_NAMES, get_task
from benchmarks.runner import derived_seed, training_data
from benchmarks.studies import Study
from dnre_core import DNRE
from dnre_core.validation import finite_rows

PARTNERS = (1, 4)
BUDGET, HELD_OUT_ROWS, HELD_OUT_STREAM = 10_000, 5_000, 99
JUDGE_BATCH, JUDGE_PAIRINGS, JUDGE_SEED = 128, 8, 12345
ADOPT_ON_TASKS = 8


def held_out(task_name: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh (θ (N, D), x (N, L)) from the prior and simulator, N ≤ HELD_OUT_ROWS (non-finite rows left out)."""
    theta, x = get_task(task_name).sample_joint(HELD_OUT_ROWS, derived_seed(seed, HELD_OUT_STREAM))
    keep = finite_rows(theta, x)
    return theta[keep].float(), x[keep].float()


def probe(task_name: str, seed: int, num_partners: int) -> list[dict[str, Any]]:
    """Train DNRE with ``num_partners`` on the sbibm run's simulations; its K = 1 loss on each held-out batch."""
    task = get_task(task_name)
    theta, x = training_data(task, BUDGET, seed)
    settings = TrainingSettings().options()
    trainer = DNRE(task.prior, num_partners=num_partners).append_simulations(theta, x)
    start = time.perf_counter()
    estimator = trainer.train(seed=seed, **settings)
    seconds = time.perf_counter() - start
    theta_h, x_h = held_out(task_name, seed)
    judge = DNRE(task.prior, num_partners=1)  # the per-pair BCE, whatever DNRE's default
    judged = judge.batch_losses(estimator, theta_h, x_h, JUDGE_BATCH, JUDGE_SEED, JUDGE_PAIRINGS)
    losses = np.array([loss for loss, _ in judged]).reshape(JUDGE_PAIRINGS, -1)
    sizes = [size for _, size in judged[: losses.shape[1]]]
    trained = trainer.summary
    return [{"task": task_name, "seed": seed, "num_partners": num_partners, "budget": BUDGET, "training": settings,
             "train_seconds": seconds, "epochs": len(trained.val_losses), "best_epoch": trained.best_epoch,
             "stopped_by": trained.stopped_by, "held_out_rows": int(theta_h.shape[0]),
             "batch_losses": losses.mean(0).tolist(), "batch_sizes": sizes}]


def held_out_loss(record: dict[str, Any]) -> float:
    """The record's held-out loss, batches weighted by their rows."""
    return float(np.average(record["batch_losses"], weights=record["batch_sizes"]))


def batch_paired_difference(more: dict[str, Any], fewer: dict[str, Any]) -> tuple[float, float]:
    """(Held-out loss of ``more`` − of ``fewer``, its standard error over the held-out batches): the same batches."""
    if more["batch_sizes"] != fewer["batch_sizes"]:
        raise ValueError(f"{more['task']} seed {more['seed']}: the two records were scored on different batches.")
    weights = np.asarray(more["batch_sizes"], dtype=float)
    diffs = np.asarray(more["batch_losses"]) - np.asarray(fewer["batch_losses"])
    mean = float(np.average(diffs, weights=weights))
    # Batches are the independent units (rows of a batch share their partners): s.e. of a weighted mean.
    w = weights / weights.sum()
    se = float(np.sqrt(np.sum(w**2 * (diffs - mean) ** 2) * len(diffs) / max(len(diffs) - 1, 1)))
    return mean, se


def summary(records: list[dict[str, Any]]) -> list[str]:
    """Per task: held-out loss change of K = 4 against K = 1 per seed, in % and in standard errors; training cost."""
    fewer_k, more_k = PARTNERS
    by_key = {(r["task"], r["seed"], r["num_partners"]): r for r in records}
    lines = [
        f"Per (task, seed): DNRE trained with each K on the sbibm run's {BUDGET:,} simulations and training settings, "
        f"scored on {HELD_OUT_ROWS:,} fresh simulations by the K = {fewer_k} loss (batches of {JUDGE_BATCH}, "
        f"{JUDGE_PAIRINGS} pairings per row, the same partners for both). Each seed: relative change of the held-out "
        f"loss with K = {more_k} (negative: better) / the change in standard errors over the held-out batches. Cost: "
        "median ratio of training time.",
        "",
        f"| task | held-out loss, K = {fewer_k} | change per seed: % / s.e. | K = {more_k} lower in "
        f"| training time K = {more_k} / K = {fewer_k} |",
        "|---|---:|---|---|---:|",
    ]
    better = measured = 0
    for task in TASK_NAMES:
        seeds = sorted(s for t, s, k in by_key if t == task and k == fewer_k and (t, s, more_k) in by_key)
        if not seeds:
            continue
        pairs = [(by_key[(task, s, more_k)], by_key[(task, s, fewer_k)]) for s in seeds]
        cells, lower = [], 0
        for more, fewer in pairs:
            diff, se = batch_paired_difference(more, fewer)
            cells.append(f"{100 * diff / held_out_loss(fewer):+.0f} % / {diff / se:+.1f}")
            lower += diff < 0
        cost = np.median([more["train_seconds"] / fewer["train_seconds"] for more, fewer in pairs])
        base = np.mean([held_out_loss(fewer) for _, fewer in pairs])
        measured += 1
        better += 2 * lower > len(seeds)
        lines.append(f"| {task} | {base:.5f} | {'; '.join(cells)} | {lower} of {len(seeds)} | {cost:.1f}× |")
    lines += ["", f"K = {more_k} has the lower held-out loss in a majority of seeds on {better} of the {measured} "
              f"tasks measured (the rule adopts it on at least {ADOPT_ON_TASKS} of 10)."]
    return lines


def _units(args: argparse.Namespace) -> list[tuple[str, int, int]]:
    return [(task, seed, k) for seed in args.seeds for task in args.tasks for k in PARTNERS]


STUDY = Study(name="dnre_partners", title="DNRE's contrastive partners: K = 4 against K = 1 on held-out simulations",
              summary=summary, units=_units, probe=probe, unit_of=lambda r: (r["task"], r["seed"], r["num_partners"]),
              seeds=(0, 1, 2))
