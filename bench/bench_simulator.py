"""Simulator throughput: designs/s of quadcopter.simulate on one core and with the process pool, and Ray's
overhead per batch; medians over repeats. Writes bench/results/simulator.md, followed by the hand-written notes
of bench/preambles/simulator.md (the context of the figures: machine load, A/B comparisons), which a rerun keeps.

Run: .venv/bin/python bench/bench_simulator.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import quadcopter
from dnre_core.simulation import simulate_for_sbi

REPEATS = 5


def median_time(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def noop(theta: np.ndarray, seed: int) -> np.ndarray:
    return theta[:, :1]


def main() -> None:
    torch.set_num_threads(1)
    theta = np.asarray(quadcopter.prior().sample((20_000,)), dtype=float)
    quadcopter.simulate(theta[:100], seed=0)
    one_core = len(theta) / median_time(lambda: quadcopter.simulate(theta, seed=0))
    workers = max(1, min(4, os.cpu_count() or 1))
    prior = quadcopter.prior()
    n_pool = 40_000
    pool = n_pool / median_time(lambda: simulate_for_sbi(quadcopter.simulate, prior, n_pool, num_workers=workers,
                                                         seed=0, batch_size=5_000), repeats=3)
    import ray

    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        simulate_for_sbi(noop, prior, 2_000, num_workers=workers, backend="ray", seed=0, batch_size=100)
        batches = 50
        t_ray = median_time(lambda: simulate_for_sbi(noop, prior, batches * 10, num_workers=workers, backend="ray",
                                                     seed=0, batch_size=10), repeats=3)
        t_local = median_time(lambda: simulate_for_sbi(noop, prior, batches * 10, seed=0, batch_size=10), repeats=3)
    finally:
        ray.shutdown()
    overhead_ms = 1000 * (t_ray - t_local) / batches
    lines = [
        "## Quadcopter simulator",
        "",
        f"CPU: {os.cpu_count()} logical cores; torch threads {torch.get_num_threads()}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; medians over {REPEATS} (pool, Ray: 3) repeats.",
        "",
        "| measurement | value |",
        "|---|---|",
        f"| `quadcopter.simulate`, one core, all 7 metrics (51-speed trim sweep), N = 20,000 | {one_core:,.0f} designs/s |",
        f"| `simulate_for_sbi`, local process pool, {workers} workers, 40,000 designs (incl. pool start) | {pool:,.0f} designs/s |",
        f"| Ray overhead per batch (no-op simulator, {workers} workers, vs in-process) | {overhead_ms:.1f} ms |",
        "",
        "Goal: ≥ 5,000 designs/s per core.",
        "",
    ]
    bench = Path(__file__).resolve().parent
    notes = bench / "preambles" / "simulator.md"  # hand-written context, kept on reruns
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    out = bench / "results" / "simulator.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
