"""Why was DNRE's HMC ahead of its MH on gaussian_mixture? The learned posterior against what each sampler draws.

gaussian_mixture's posterior is an equal mixture of a broad (sd 1) and a narrow (sd 0.1) Gaussian around the
observation; random-walk MH with one proposal scale per chain moves between the two only rarely. Both samplers
target the same learned density, so the study measures, per seed of the sbibm run's DNRE model
(``training_data(task, 10000, seed)``, ``TrainingSettings``, the run's sampling seeds) and per observation, the share
of posterior mass within ``NARROW_RADIUS`` of the observation (about 99 % of the narrow component, 4 % of the broad
one):

- of the learned density itself, by self-normalised importance sampling from an equal mixture of N(x_o, I) and
  N(x_o, 0.01 I) (``IS_DRAWS`` draws; DNRE's potential head makes the Monte Carlo normaliser common to every θ, so it
  cancels);
- of the last draws of 1,000 chains of MH after 200, 1,000 and 3,000 warm-up steps (``scale_spread=0``), of MH with
  ``scale_spread=2`` after 200, and of HMC after 200, with their C2ST against 1,000 reference samples;
- of sbibm's 10,000 reference samples;

and the C2ST between MH's samples after 200 and after 3,000 warm-up steps, a check that needs no reference. The
reference is read to explain the sbibm run's numbers, not to choose a setting.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from benchmarks.methods import SamplingSettings, TrainingSettings, fit_method
from benchmarks.registry import get_task
from benchmarks.runner import sampling_seed, training_data
from benchmarks.studies import Study
from dnre_core import c2st

TASK, BUDGET, OBSERVATIONS = "gaussian_mixture", 10_000, range(1, 11)
NARROW_RADIUS, NARROW_SD, BROAD_SD = 0.3, 0.1, 1.0
IS_DRAWS, IS_SEED, NUM_CHAINS, NUM_REFERENCE = 20_000, 7, 1_000, 1_000
SCALE_SPREAD = 2.0  # decades; MH's option that spreads each step's proposal scale below the adapted one
UNSPREAD = {"scale_spread": 0.0}
SAMPLERS: tuple[tuple[str, int, dict[str, float]], ...] = (  # (sampler, warm-up steps, options); 200: the full run's
    ("mh", 200, UNSPREAD), ("mh", 1_000, UNSPREAD), ("mh", 3_000, UNSPREAD),
    ("mh", 200, {"scale_spread": SCALE_SPREAD}), ("hmc", 200, {}),
)


def sampler_label(name: str, warmup: int, options: dict[str, float]) -> str:
    """"mh 200", or "mh 200 spread 2" with a scale spread above 0: a column of the summary and a key of the records."""
    return f"{name} {warmup}" + (f" spread {options['scale_spread']:g}" if options.get("scale_spread") else "")


def narrow_share(theta: Tensor, x_o: Tensor, weights: Tensor | None = None) -> float:
    """Share of θ (N, 2) within ``NARROW_RADIUS`` of ``x_o`` (2,), weighted by ``weights`` (N,) summing to 1."""
    inside = ((theta - x_o).norm(dim=1) < NARROW_RADIUS).to(theta.dtype)
    return float(inside.mean() if weights is None else (weights * inside).sum())


def learned_narrow_share(posterior: Any, x_o: Tensor, generator: torch.Generator) -> float:
    """The learned density's share near ``x_o`` by self-normalised importance sampling (see the module docstring)."""
    sd = torch.where(torch.rand(IS_DRAWS, generator=generator) < 0.5, NARROW_SD, BROAD_SD)[:, None]
    theta = x_o + sd * torch.randn(IS_DRAWS, 2, generator=generator)
    log_q = torch.logsumexp(torch.stack([
        math.log(0.5) + torch.distributions.Normal(x_o, s).log_prob(theta).sum(1) for s in (NARROW_SD, BROAD_SD)
    ]), 0)
    with torch.no_grad():
        log_p = posterior.log_prob(theta, x=x_o, num_reference=16)  # the normaliser cancels: few draws suffice
    log_w = log_p - log_q
    keep = torch.isfinite(log_w)  # outside the prior's box: weight 0
    return narrow_share(theta[keep], x_o, torch.softmax(log_w[keep], 0))


def probe(seed: int) -> list[dict[str, Any]]:
    """Train the sbibm run's DNRE model for ``seed``; one record per observation (see the module docstring)."""
    task = get_task(TASK)
    theta, x = training_data(task, BUDGET, seed)
    fitted = fit_method("dnre", task, theta, x, seed, SamplingSettings(), TrainingSettings())
    generator = torch.Generator().manual_seed(IS_SEED)
    records = []
    for obs in OBSERVATIONS:
        x_o, reference = task.observation(obs), task.reference_samples(obs)
        record: dict[str, Any] = {"task": TASK, "seed": seed, "observation": obs, "budget": BUDGET,
                                  "method_options": fitted.trainer.hyperparameters(),
                                  "learned_narrow_share": learned_narrow_share(fitted.posterior("mh"), x_o, generator),
                                  "reference_narrow_share": narrow_share(reference, x_o), "samplers": {}}
        samples = {}
        for name, warmup, options in SAMPLERS:
            label = sampler_label(name, warmup, options)
            draws = fitted.sample(x_o, name, NUM_CHAINS, sampling_seed(seed, obs), warmup_steps=warmup, **options)
            samples[label] = draws.samples
            record["samplers"][label] = {
                "c2st": c2st(draws.samples, reference[:NUM_REFERENCE]),
                "narrow_share": narrow_share(draws.samples, x_o),
                "acceptance": float(np.mean(fitted.posterior(name, **options).diagnostics.acceptance)),
                "min_ess_per_second": draws.min_ess / draws.seconds,
            }
        record["mh_200_vs_3000_c2st"] = c2st(samples["mh 200"], samples["mh 3000"])
        records.append(record)
    return records


def summary(records: list[dict[str, Any]]) -> list[str]:
    """Per seed: mean narrow share and C2ST per sampler beside the learned density's and the reference's shares."""
    seeds = sorted({r["seed"] for r in records})
    names = [sampler_label(*sampler) for sampler in SAMPLERS]
    lines = [
        f"The sbibm run's DNRE models (seeds {', '.join(map(str, seeds))}), observations 1–10, means over "
        f"observations. Each entry: the share of posterior mass within {NARROW_RADIUS} of the observation / C2ST "
        "against 1,000 reference samples. Columns: sampler and warm-up steps (the sbibm run uses 200); *spread 2*: "
        "`scale_spread=2`, the other MH columns `scale_spread=0`.",
        "",
        "| seed | learned density | reference | " + " | ".join(names) + " | C2ST, MH 200 against MH 3000 |",
        "|---|---|---|" + "---|" * len(names) + "---|",
    ]

    def mean(values: list[float]) -> float:
        return float(np.mean(values))

    for seed in seeds:
        rows = [r for r in records if r["seed"] == seed]
        cells = [f"{mean([r['samplers'][n]['narrow_share'] for r in rows]):.3f} / "
                 f"{mean([r['samplers'][n]['c2st'] for r in rows]):.3f}" for n in names]
        lines.append(f"| {seed} | {mean([r['learned_narrow_share'] for r in rows]):.3f} "
                     f"| {mean([r['reference_narrow_share'] for r in rows]):.3f} | " + " | ".join(cells)
                     + f" | {mean([r['mh_200_vs_3000_c2st'] for r in rows]):.3f} |")
    gap = max(abs(r["learned_narrow_share"] - r["reference_narrow_share"]) for r in records)
    lines += ["", f"Largest difference between the learned density's and the reference's share at one observation: "
              f"{gap:.3f}."]
    return lines


STUDY = Study(name="mh_mixing", title="gaussian_mixture: the learned posterior against what DNRE's MH and HMC draw",
              summary=summary, units=lambda args: [(seed,) for seed in args.seeds], probe=probe,
              unit_of=lambda r: (r["seed"],), tasks=(TASK,), seeds=(0, 1))
