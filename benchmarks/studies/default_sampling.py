"""What does ``posterior.sample((2000,), x=x_o)`` give a user who passes nothing else? (issue 36, item 12)

The 3-D linear-Gaussian problem of :mod:`benchmarks.problems` (θ ~ U([-2, 2]³), x = Aθ + N(0, 0.3² I)), 20,000
simulations (seed 0), NRE and DNRE trained with the library's defaults (seed 0), the observation of θ = (0.5, -0.3,
0.8) (seed 99) and 2,000 exact posterior samples by rejection (seed 0). For each model and five sampling seeds, C2ST
of 2,000 draws against the exact samples, with:

* ``thin=1``: the defaults before issue 36 (100 chains × 20 draws after 200 MH steps, every step kept);
* default: ``thin=None``, the thinning chosen from the measured bulk ESS (``dnre_core.samplers.SamplingPlan``);
* independent chains: 2,000 chains × 1 draw after 300 steps, the method's accuracy without MCMC correlation.

One unit per model (it trains the model once and samples it under every setting and seed).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any

import torch

import dnre_core
from benchmarks.problems import LinearGaussian
from benchmarks.studies import Study

MODELS = ("NRE", "DNRE")
THETA_TRUE = torch.tensor([[0.5, -0.3, 0.8]])
NUM_SIMULATIONS, NUM_SAMPLES, TRAINING_SEED, SAMPLING_SEEDS = 20_000, 2000, 0, range(5)
#: The sampling settings compared: their labels and the options of ``posterior.sample`` besides the seed.
SETTINGS: dict[str, dict[str, int]] = {
    "thin=1 (the defaults before)": {"thin": 1},
    "default (automatic thinning)": {},
    "independent chains (2,000 × 1 after 300 steps)": {"num_chains": 2000, "warmup_steps": 300, "thin": 1},
}


def probe(model: str) -> list[dict[str, Any]]:
    """Train ``model`` ("NRE" or "DNRE") with the library's defaults; one record per sampling setting and seed."""
    problem = LinearGaussian(dim=3)
    theta, x = problem.sample_joint(NUM_SIMULATIONS, seed=0)
    x_o = problem.simulate(THETA_TRUE, seed=99)[0]
    reference = problem.exact_samples(x_o, NUM_SAMPLES, seed=0)
    trainer = getattr(dnre_core, model)(problem.prior).append_simulations(theta, x)
    start = time.perf_counter()
    trainer.train(seed=TRAINING_SEED)
    train_seconds = time.perf_counter() - start
    posterior = trainer.build_posterior()
    records = []
    for setting, options in SETTINGS.items():
        for seed in SAMPLING_SEEDS:
            start = time.perf_counter()
            samples = posterior.sample((NUM_SAMPLES,), x=x_o, seed=seed, **options)
            seconds = time.perf_counter() - start
            d = posterior.diagnostics
            records.append({"model": model, "setting": setting, "seed": seed,
                            "c2st": dnre_core.c2st(samples, reference), "seconds": seconds, "steps": d.step,
                            "thin": d.thin, "min_ess": d.min_ess_bulk, "train_seconds": train_seconds,
                            "num_simulations": NUM_SIMULATIONS})
    return records


def units(args: argparse.Namespace) -> list[tuple[str]]:
    return [(model,) for model in MODELS]


def _mean_se(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) / math.sqrt(len(values)):.3f}"


def summary(records: list[dict[str, Any]]) -> list[str]:
    """One row per model and setting: C2ST mean ± standard error over the seeds, ESS, thinning, steps, seconds."""
    lines = [
        f"{NUM_SAMPLES:,} draws of the 3-D linear-Gaussian posterior against {NUM_SAMPLES:,} exact samples, models "
        f"trained on {NUM_SIMULATIONS:,} simulations with the library's defaults (seed {TRAINING_SEED}), MH with its "
        f"defaults, sampling seeds {SAMPLING_SEEDS.start}–{SAMPLING_SEEDS.stop - 1}; mean ± standard error over the "
        "seeds. C2ST 0.5 is indistinguishable. Min bulk ESS: none for one draw per chain (too few for ESS).",
        "",
        "| model | sampling | C2ST | min bulk ESS | thin | steps per chain | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in MODELS:
        for setting in SETTINGS:
            rows = [r for r in records if r["model"] == model and r["setting"] == setting]
            if not rows:
                continue
            ess = [r["min_ess"] for r in rows if r["min_ess"] is not None and math.isfinite(r["min_ess"])]
            thins = sorted({r["thin"] for r in rows})
            thin = f"{thins[0]}–{thins[-1]}" if len(thins) > 1 else f"{thins[0]}"
            lines.append(f"| {model} | {setting} | {_mean_se([r['c2st'] for r in rows])} | "
                         f"{f'{statistics.mean(ess):.0f}' if ess else '–'} | {thin} | "
                         f"{statistics.mean(r['steps'] for r in rows):.0f} | "
                         f"{statistics.mean(r['seconds'] for r in rows):.1f} |")
    return lines


STUDY = Study(name="default_sampling",
              title="Default sampling settings against the exact posterior (issue 36, item 12)", summary=summary,
              units=units, probe=probe, unit_of=lambda r: (r["model"],), tasks=(), seeds=(TRAINING_SEED,))
