"""How many contrastive partners should DNRE train with? Held-out loss of K = 4 against the paper's K = 1 (issue 4).

DNRE's loss pairs each simulation (θ, x) with K other parameters of its batch and averages the BCE over the K pairs;
the paper (and this library's default) uses K = 1. More partners give each gradient step more pairs for the same
simulations at more cost per epoch. This script decides between K = 1 and K = 4 from held-out simulations alone:
no reference posterior is read, so the benchmark's C2ST is not tuned against.

Per (task, seed) it trains DNRE with each K on the full run's own simulations and settings (``training_data(task,
10000, seed)``, ``TrainingSettings``: each model is the full run's DNRE model under that default) and scores both on the same 5,000 fresh
simulations from the prior and simulator (a stream of their own, ``derived_seed(seed, 99)``; non-finite rows left
out) with the same quantity, the K = 1 loss (the per-pair BCE the paper trains on, a proper scoring rule of the
log ratio): the same batches, partners and order for both models, so their losses compare batch by batch.

Resumable: one JSON line per (task, seed, K) in ``bench/results/dnre_partners.jsonl``; ``dnre_partners.md`` is
rewritten from all lines at the end.

Run: .venv/bin/python bench/dnre_partners.py [--tasks a,b] [--seeds 0-2] [--jobs 2] [--report-only]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dnre_core import DNRE
from dnre_core.benchmarks.cli import study_parser
from dnre_core.benchmarks.methods import TrainingSettings
from dnre_core.benchmarks.registry import TASK_NAMES, get_task
from dnre_core.benchmarks.results import append_record, read_records
from dnre_core.benchmarks.runner import derived_seed, training_data
from dnre_core.io import atomic_write_bytes
from dnre_core.validation import finite_rows

RESULTS = Path(__file__).resolve().parent / "results"
PARTNERS = (1, 4)
BUDGET, HELD_OUT_ROWS, HELD_OUT_STREAM = 10_000, 5_000, 99
JUDGE_BATCH, JUDGE_PAIRINGS, JUDGE_SEED = 128, 8, 12345
# The rule, fixed after a first look at seeds 0 and 1 (the same runs, not recorded then) and before seed 2: the
# default changes if K = 4 has the lower held-out loss in a majority of seeds on at least this many tasks (the
# issue's own bar for "often better" is 8 of 10).
ADOPT_ON_TASKS = 8


def held_out(task_name: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh (θ (N, D), x (N, L)) from the prior and simulator, N ≤ HELD_OUT_ROWS (non-finite rows left out)."""
    theta, x = get_task(task_name).sample_joint(HELD_OUT_ROWS, derived_seed(seed, HELD_OUT_STREAM))
    keep = finite_rows(theta, x)
    return theta[keep].float(), x[keep].float()


def probe(task_name: str, seed: int, num_partners: int) -> dict[str, Any]:
    """Train DNRE with ``num_partners`` on the full run's simulations; its K = 1 loss on each held-out batch."""
    torch.set_num_threads(1)
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
    summary = trainer.summary
    return {"task": task_name, "seed": seed, "num_partners": num_partners, "budget": BUDGET, "training": settings,
            "train_seconds": seconds, "epochs": len(summary.val_losses), "best_epoch": summary.best_epoch,
            "stopped_by": summary.stopped_by, "held_out_rows": int(theta_h.shape[0]),
            "batch_losses": losses.mean(0).tolist(), "batch_sizes": sizes}


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


def summary_markdown(records: list[dict[str, Any]]) -> str:
    """Per task: held-out loss change of K = 4 against K = 1 per seed, in % and in standard errors; training cost."""
    fewer_k, more_k = PARTNERS
    by_key = {(r["task"], r["seed"], r["num_partners"]): r for r in records}
    lines = [
        f"# DNRE's contrastive partners: K = {more_k} against the paper's K = {fewer_k}, judged on held-out simulations",
        "",
        "Written by `bench/dnre_partners.py` (one torch thread per job, this project's 2-core machine without GPU; "
        "results in `bench/results/dnre_partners.jsonl`). Per (task, seed): DNRE trained with each K on the full run's "
        f"{BUDGET:,} simulations and training settings (each model is the full run's DNRE under that default), then scored on "
        f"{HELD_OUT_ROWS:,} fresh simulations by the K = {fewer_k} loss (the paper's per-pair BCE, the same quantity "
        f"for both models; batches of {JUDGE_BATCH}, {JUDGE_PAIRINGS} pairings per row, the same partners for both). "
        "No reference posterior is read. Each seed's cell: relative change of the held-out loss with "
        f"K = {more_k} (negative: better) / the change in standard errors over the held-out batches (a measure of "
        "the held-out noise only; the spread over seeds shows the training noise). Cost: median ratio of training "
        "time, side by side in the same run.",
        "",
        f"| task | held-out loss, K = {fewer_k} | seeds | change per seed: % / s.e. | K = {more_k} lower in "
        f"| training time K = {more_k} / K = {fewer_k} (median) |",
        "|---|---:|---|---|---|---:|",
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
        lines.append(f"| {task} | {base:.5f} | {', '.join(map(str, seeds))} | {'; '.join(cells)} "
                     f"| {lower} of {len(seeds)} | {cost:.1f}× |")
    adopt = better >= ADOPT_ON_TASKS
    lines += [
        "",
        f"K = {more_k} has the lower held-out loss in a majority of seeds on {better} of the {measured} tasks measured. "
        f"Rule, fixed after a first look at seeds 0 and 1 and before seed 2 was run: adopt K = {more_k} as DNRE's default if that holds on at least "
        f"{ADOPT_ON_TASKS} of 10 tasks. Verdict: " + (f"**adopt K = {more_k}**." if adopt and measured == len(TASK_NAMES)
                                                      else f"keep K = {fewer_k}." if measured == len(TASK_NAMES)
                                                      else "not all tasks measured yet."),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = study_parser(__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS / "dnre_partners.jsonl")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not args.report_only:
        done = {(r["task"], r["seed"], r["num_partners"]) for r in read_records(args.results)}
        todo = [(t, s, k) for s in args.seeds for t in args.tasks for k in PARTNERS if (t, s, k) not in done]
        print(f"torch threads: {torch.get_num_threads()} per job, jobs: {args.jobs}, runs to do: {len(todo)}", flush=True)
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(probe, *job) for job in todo]
            for future in as_completed(futures):
                record = future.result()
                append_record(args.results, record)
                print(f"{record['task']} seed {record['seed']} K={record['num_partners']}: held-out "
                      f"{held_out_loss(record):.5f}, {record['train_seconds']:.0f} s", flush=True)
    text = summary_markdown(read_records(args.results))
    atomic_write_bytes(args.results.with_suffix(".md"), lambda f: f.write(text.encode()))
    print(text)


if __name__ == "__main__":
    main()
