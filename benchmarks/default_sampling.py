"""What does ``posterior.sample((2000,), x=x_o)`` give a user who passes nothing else? (issue 36, item 12)

The 3-D linear-Gaussian problem of ``tests/problems.py`` (θ ~ U([-2, 2]³), x = Aθ + N(0, 0.3² I)), 20,000
simulations (seed 0), NRE and DNRE trained with the library's defaults (seed 0), the observation of θ = (0.5, -0.3,
0.8) (seed 99) and 2,000 exact posterior samples by rejection (seed 0). For each model and five sampling seeds, C2ST
of 2,000 draws against the exact samples, with:

* ``thin=1`` — the defaults before issue 36 (100 chains × 20 draws after 200 MH steps, every step kept);
* default — ``thin=None``, the thinning chosen from the measured bulk ESS (``dnre_core.samplers.SamplingPlan``);
* independent chains — 2,000 chains × 1 draw after 300 steps: the method's accuracy without MCMC correlation.

Writes ``bench/results/default_sampling.md``. Run: .venv/bin/python bench/default_sampling.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from problems import LinearGaussian  # noqa: E402

import dnre_core  # noqa: E402
from dnre_core.io import atomic_write_bytes  # noqa: E402

RESULT = ROOT / "bench" / "results" / "default_sampling.md"
THETA_TRUE = torch.tensor([[0.5, -0.3, 0.8]])
NUM_SIMULATIONS, NUM_SAMPLES, SEEDS = 20_000, 2000, range(5)
SETTINGS = {
    "thin=1 (the defaults before)": {"thin": 1},
    "default (automatic thinning)": {},
    "independent chains (2,000 × 1 after 300 steps)": {"num_chains": 2000, "warmup_steps": 300, "thin": 1},
}


def measure(posterior: dnre_core.RatioPosterior, x_o: torch.Tensor, reference: torch.Tensor, options: dict) -> dict:
    rows = []
    for seed in SEEDS:
        start = time.perf_counter()
        samples = posterior.sample((NUM_SAMPLES,), x=x_o, seed=seed, **options)
        seconds = time.perf_counter() - start
        d = posterior.diagnostics
        rows.append({"c2st": dnre_core.c2st(samples, reference), "seconds": seconds, "steps": d.step,
                     "thin": d.thin, "ess": d.min_ess_bulk})
    return {key: [row[key] for row in rows] for key in rows[0]}


def mean_se(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) / len(values) ** 0.5:.3f}"


def main() -> None:
    torch.set_num_threads(1)
    problem = LinearGaussian(dim=3)
    theta, x = problem.sample_joint(NUM_SIMULATIONS, seed=0)
    x_o = problem.simulate(THETA_TRUE, seed=99)[0]
    reference = problem.exact_samples(x_o, NUM_SAMPLES, seed=0)
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT).stdout
    lines = ["# Default sampling settings against the exact posterior (issue 36, item 12)", "",
             f"Made by `.venv/bin/python bench/default_sampling.py` at commit {commit.strip() or 'unknown'}: "
             f"{NUM_SAMPLES:,} draws of the 3-D linear-Gaussian posterior against {NUM_SAMPLES:,} exact samples, "
             f"models trained on {NUM_SIMULATIONS:,} simulations with the library's defaults (seed 0), MH with its "
             f"defaults, sampling seeds {SEEDS.start}–{SEEDS.stop - 1}; mean ± standard error over the seeds. "
             "C2ST 0.5 is indistinguishable.", "",
             "| model | sampling | C2ST | min bulk ESS | thin | steps per chain | seconds |",
             "|---|---|---|---|---|---|---|"]
    for kind in ("NRE", "DNRE"):
        trainer = getattr(dnre_core, kind)(problem.prior).append_simulations(theta, x)
        trainer.train(seed=0)
        posterior = trainer.build_posterior()
        for label, options in SETTINGS.items():
            m = measure(posterior, x_o, reference, options)
            thins = sorted(set(m["thin"]))
            ess = statistics.mean(m["ess"])  # NaN for one draw per chain: too few for ESS
            lines.append(f"| {kind} | {label} | {mean_se(m['c2st'])} | {'–' if math.isnan(ess) else f'{ess:.0f}'} | "
                         f"{'–'.join(map(str, (thins[0], thins[-1]))) if len(thins) > 1 else thins[0]} | "
                         f"{statistics.mean(m['steps']):.0f} | {statistics.mean(m['seconds']):.1f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    atomic_write_bytes(RESULT, lambda f: f.write(text.encode()))
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
