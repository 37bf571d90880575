"""Simulator throughput: designs/s of ``quadcopter.simulate`` on one core and with the process pool, and Ray's
overhead per batch; medians over repeats. Writes ``results/simulator.md``."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np

import quadcopter
from benchmarks.output import RESULTS, headline, provenance_line, write_markdown
from benchmarks.runner import use_one_thread
from dnre_core.simulation import simulate_for_sbi

REPEATS = 5
OUTPUT = RESULTS / "simulator.md"


def median_time(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def noop(theta: np.ndarray, seed: int) -> np.ndarray:
    return theta[:, :1]


def main() -> None:
    use_one_thread()
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
        provenance_line("python -m benchmarks speed simulator"),
        "",
        f"Medians over {REPEATS} (pool, Ray: 3) repeats.",
        "",
        *headline([
            "| measurement | value |",
            "|---|---|",
            f"| `quadcopter.simulate`, one core, all 7 metrics, N = 20,000 | {one_core:,.0f} designs/s |",
            f"| `simulate_for_sbi`, local process pool, {workers} workers, {n_pool:,} designs (incl. pool start) "
            f"| {pool:,.0f} designs/s |",
            f"| Ray overhead per batch (no-op simulator, {workers} workers, vs in-process) | {overhead_ms:.1f} ms |",
        ]),
        "",
    ]
    text = "\n".join(lines)
    write_markdown(OUTPUT, text)
    print(text)
