"""DNRE robustness ablation: C2ST over seeds for DNRE training and sampling variants, and NRE.

Per (task, seed): 10,000 simulations (θ from the prior, seeded), each training variant trained once for the same
epoch budget (equal compute: every variant costs about the same per epoch), early stopping off, best-validation
weights kept. Each variant is sampled with 1,000 MH chains × 1 draw after warm-up for observation 1 and scored by
C2ST against 1,000 of sbibm's reference samples. Consistency diagnostics (:func:`dnre_core.consistency.
consistency_report`) are recorded on held-out simulations and on reference-posterior triples for that observation.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, fields
from typing import Any

from benchmarks.registry import get_task
from benchmarks.studies import Study
from benchmarks.tasks import BenchmarkTask
from dnre_core import DNRE, NRE, c2st
from dnre_core.cli import parse_names
from dnre_core.consistency import consistency_report

OBSERVATION = 1
NUM_SIMULATIONS = 10_000
NUM_HELD_OUT = 1000
NUM_POSTERIOR_SAMPLES = 1000
WARMUP_STEPS = 500


@dataclass(frozen=True)
class Variant:
    """One ablation arm: how the estimator is trained and how its posterior is sampled."""

    description: str
    method: str = "dnre"
    head: str = "pairwise"
    num_partners: int = 1
    lr_schedule: str = "constant"
    antisymmetry_weight: float = 0.0
    weight_decay: float = 1e-2
    weight_averaging: float = 0.0
    ratio: str = "antisymmetric"

    def training_key(self) -> tuple[Any, ...]:
        """Variants with the same key share one trained estimator (they differ only in sampling): every field but
        the description and the sampled ratio."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name not in ("description", "ratio"))

    def trainer(self, task: BenchmarkTask) -> DNRE | NRE:
        if self.method == "nre":
            return NRE(task.prior)
        return DNRE(task.prior, head=self.head, num_partners=self.num_partners,
                    antisymmetry_weight=self.antisymmetry_weight)


VARIANTS: dict[str, Variant] = {
    "dnre_paper": Variant("the paper's form: pairwise head d = MLP([θ, θ', x]), λ = 0, MH on d(θ*, θ, x)",
                          ratio="direct"),
    "dnre_antisym_sampling": Variant("pairwise head, MH on ½(d(θ*, θ, x) − d(θ, θ*, x))"),
    "dnre_penalty_0.1": Variant("pairwise head, antisymmetry penalty λ = 0.1, antisymmetric MH",
                                antisymmetry_weight=0.1),
    "dnre_penalty_1": Variant("pairwise head, antisymmetry penalty λ = 1, antisymmetric MH", antisymmetry_weight=1.0),
    "dnre_penalty_1_direct": Variant("pairwise head, antisymmetry penalty λ = 1, MH on d(θ*, θ, x)",
                                     antisymmetry_weight=1.0, ratio="direct"),
    "dnre_wd_0.1": Variant("pairwise head, weight decay 0.1 (else 0.01), antisymmetric MH", weight_decay=0.1),
    "dnre_cosine": Variant("pairwise head, learning rate annealed (cosine), antisymmetric MH", lr_schedule="cosine"),
    "dnre_potential": Variant("potential head d = g(θ, x) − g(θ', x), one partner, the optimiser's last iterate",
                              head="potential"),
    "dnre_potential_cosine": Variant("potential head with the cosine learning rate", head="potential",
                                     lr_schedule="cosine"),
    "dnre_partners_4": Variant("potential head, 4 partners per simulation in the loss", head="potential",
                               num_partners=4),
    "dnre_potential_ema": Variant("potential head, one partner, weights averaged over optimiser steps (EMA, decay "
                                  "0.99)", head="potential", weight_averaging=0.99),
    "dnre_partners_4_ema": Variant("potential head, 4 partners per simulation, weights averaged (EMA, decay 0.99)",
                                   head="potential", num_partners=4, weight_averaging=0.99),
    "nre": Variant("NRE-A, constant learning rate, last iterate", method="nre"),
    "nre_ema": Variant("NRE-A with the same weight averaging", method="nre", weight_averaging=0.99),
    "nre_cosine": Variant("NRE-A with the cosine learning rate", method="nre", lr_schedule="cosine"),
}


def probe(task_name: str, seed: int, epochs: int, variants: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Train each training configuration once for ``seed`` and ``epochs``; one record per variant (of ``variants``
    only, when given: those records carry the set as ``variant_set``)."""
    task = get_task(task_name)
    theta, x = task.sample_joint(NUM_SIMULATIONS, seed)
    theta_held, x_held = task.sample_joint(NUM_HELD_OUT, 10_000 + seed)
    x_o = task.observation(OBSERVATION)
    reference = task.reference_samples(OBSERVATION)
    groups: dict[tuple[Any, ...], list[str]] = {}
    for name, variant in VARIANTS.items():
        if variants is not None and name not in variants:
            continue
        groups.setdefault(variant.training_key(), []).append(name)
    records = []
    for names in groups.values():
        variant = VARIANTS[names[0]]
        trainer = variant.trainer(task).append_simulations(theta, x)
        start = time.perf_counter()
        estimator = trainer.train(max_epochs=epochs, stop_after_epochs=epochs, seed=seed,
                                  weight_decay=variant.weight_decay, lr_schedule=variant.lr_schedule,
                                  weight_averaging=variant.weight_averaging)
        train_seconds = time.perf_counter() - start
        diagnostics = {
            "held_out": consistency_report(estimator, theta_held, x_held, seed=seed),
            "posterior": consistency_report(estimator, reference[NUM_POSTERIOR_SAMPLES:], x_o, seed=seed),
        }
        for name in names:
            posterior = trainer.build_posterior(ratio=VARIANTS[name].ratio)
            start = time.perf_counter()
            samples = posterior.sample((NUM_POSTERIOR_SAMPLES,), x=x_o, num_chains=NUM_POSTERIOR_SAMPLES,
                                       warmup_steps=WARMUP_STEPS, thin=1, seed=seed)
            records.append({
                "task": task.name, "variant": name, "seed": seed, "num_simulations": NUM_SIMULATIONS,
                "epochs_budget": epochs, "c2st": c2st(samples, reference[:NUM_POSTERIOR_SAMPLES]),
                "epochs": trainer.summary.epochs, "best_epoch": trainer.summary.best_epoch,
                "best_val_loss": trainer.summary.best_val_loss, "train_seconds": train_seconds,
                "sample_seconds": time.perf_counter() - start,
                "acceptance": float(posterior.diagnostics.acceptance.mean()), "warmup_steps": WARMUP_STEPS,
                "consistency": diagnostics, **({"variant_set": list(variants)} if variants is not None else {}),
            })
    return records


def _mean_sd(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}" if len(values) > 1 else (
        f"{values[0]:.3f}" if values else "–")


def summary(records: list[dict[str, Any]]) -> list[str]:
    """C2ST mean ± sd over seeds per variant (rows) and task at an epoch budget (columns); the variants' key."""
    columns = sorted({(r["task"], r["epochs_budget"]) for r in records})
    lines = [
        f"C2ST (0.5 = perfect) of {NUM_POSTERIOR_SAMPLES:,} MH draws ({NUM_POSTERIOR_SAMPLES:,} chains × 1 draw after "
        f"warm-up) against {NUM_POSTERIOR_SAMPLES:,} reference samples, observation {OBSERVATION}; mean ± sd over "
        "seeds (seed = simulations, initialisation, batches and sampling); columns: task @ epochs of training. The "
        "antisymmetry error |d(a,b) + d(b,a)| on reference-posterior triples is in the results file.",
        "",
        "| variant | " + " | ".join(f"{task} @ {epochs}" for task, epochs in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    measured = [name for name in VARIANTS if any(r["variant"] == name for r in records)]
    for name in measured:
        cells = [_mean_sd([r["c2st"] for r in records if (r["variant"], r["task"], r["epochs_budget"]) == (name, *c)])
                 for c in columns]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", *[f"- `{name}`: {VARIANTS[name].description}" for name in measured]]
    return lines


def _variant_names(text: str) -> tuple[str, ...]:
    names = tuple(parse_names(text))
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    return names


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=200, help="training epochs, equal for every variant")
    parser.add_argument("--variants", type=_variant_names, default=None,
                        help="comma-separated variants to measure (default: all); a results file holds one choice")


def _units(args: argparse.Namespace) -> list[tuple[Any, ...]]:
    """(task, seed, epochs), with the variant set last when ``--variants`` restricts it."""
    chosen = (args.variants,) if args.variants else ()
    return [(task, seed, args.epochs, *chosen) for task in args.tasks for seed in args.seeds]


def _unit_of(record: dict[str, Any]) -> tuple[Any, ...]:
    chosen = (tuple(record["variant_set"]),) if "variant_set" in record else ()
    return (record["task"], record["seed"], record["epochs_budget"], *chosen)


STUDY = Study(name="ablation", title="DNRE robustness ablation", summary=summary, units=_units,
              probe=probe, unit_of=_unit_of, arguments=_arguments,
              tasks=("two_moons",), seeds=(0, 1, 2, 3, 4))
