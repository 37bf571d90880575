"""DNRE robustness ablation (issue 6): C2ST over seeds for DNRE training/sampling variants and NRE.

Per (task, seed): 10,000 simulations (θ from the prior, seeded), each training variant trained once for the same
epoch budget (equal compute: every variant costs the same per epoch, so on an idle core equal epochs are equal
wall time; the measured seconds are recorded), early stopping off, best-validation weights kept. Each variant is
sampled with 1,000 MH chains × 1 draw after warm-up for observation 1 and scored by C2ST against 1,000 of
sbibm's reference samples. Consistency diagnostics (:func:`dnre_core.consistency.consistency_report`) are
recorded on held-out simulations and on reference-posterior triples for that observation.

Resumable: one JSON line per (task, variant, seed, budget) in ``bench/results/ablation.jsonl``; finished lines
are skipped. ``bench/results/ablation.md`` is rewritten from all lines at the end.

Run: .venv/bin/python bench/dnre_ablation.py --tasks two_moons --seeds 0 1 2 3 4
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dnre_core import DNRE, NRE, c2st
from dnre_core.benchmarks import get_task
from dnre_core.benchmarks.results import append_record, read_records
from dnre_core.benchmarks.tasks import BenchmarkTask
from dnre_core.consistency import consistency_report

RESULTS = Path(__file__).resolve().parent / "results"
OBSERVATION = 1
NUM_HELD_OUT = 1000
NUM_POSTERIOR_SAMPLES = 1000


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
    "dnre_paper": Variant("paper form: λ = 0, MH on d(θ*, θ, x)", ratio="direct"),
    "dnre_antisym_sampling": Variant("λ = 0, MH on ½(d(θ*, θ, x) − d(θ, θ*, x))"),
    "dnre_penalty_0.1": Variant("antisymmetry penalty λ = 0.1, antisymmetric MH", antisymmetry_weight=0.1),
    "dnre_penalty_1": Variant("antisymmetry penalty λ = 1, antisymmetric MH", antisymmetry_weight=1.0),
    "dnre_penalty_1_direct": Variant("antisymmetry penalty λ = 1, MH on d(θ*, θ, x)", antisymmetry_weight=1.0,
                                     ratio="direct"),
    "dnre_wd_0.1": Variant("weight decay 0.1 (default 0.01), λ = 0, antisymmetric MH", weight_decay=0.1),
    "dnre_cosine": Variant("paper's pairwise head, learning rate annealed (cosine), antisymmetric MH",
                           lr_schedule="cosine"),
    "dnre_potential": Variant("potential head d = g(θ,x) − g(θ',x), one partner, constant learning rate, the optimiser's "
                              "last iterate (the default before weight averaging)", head="potential"),
    "dnre_potential_cosine": Variant("potential head with the cosine learning rate", head="potential",
                                     lr_schedule="cosine"),
    "dnre_partners_4": Variant("potential head, 4 partners per simulation in the loss (≈ 2.2× the cost per epoch)",
                               head="potential", num_partners=4),
    "dnre_potential_ema": Variant("potential head, one partner, weights averaged over optimiser steps (EMA, decay "
                                  "0.99): the default of issue 6, until four partners were adopted in issue 4",
                                  head="potential", weight_averaging=0.99),
    "dnre_partners_4_ema": Variant("the default: potential head, 4 partners per simulation, weights averaged (EMA, "
                                   "decay 0.99)", head="potential", num_partners=4, weight_averaging=0.99),
    "nre": Variant("NRE-A, constant learning rate, last iterate (the default before weight averaging)", method="nre"),
    "nre_ema": Variant("NRE-A with the same weight averaging (what NRE(prior) does now)", method="nre",
                       weight_averaging=0.99),
    "nre_cosine": Variant("NRE-A with the cosine learning rate", method="nre",
                          lr_schedule="cosine"),
}


DEFAULT_RATIONALE = "\n\n".join([
    "`dnre_partners_4_ema` is what `DNRE(prior)` does now: the potential head d(θ, θ', x) = g(θ, x) − g(θ', x), four "
    "partners per simulation, a constant learning rate, and training returns the exponential moving average of the "
    "weights over optimiser steps (decay 0.99, warmed up; `train(weight_averaging=...)`). Issue 6 settled on one "
    "partner (`dnre_potential_ema`, below); issue 4 later chose four from held-out loss alone, at convergence on the "
    "ten sbibm tasks (`dnre_partners.md`). Weight averaging is the default of every trainer, so `nre_ema` is what "
    "`NRE(prior)` does now.",
    "**Why the potential head.** A likely source of the pairwise head's error (the antisymmetry and consistency "
    "columns) is that training pairs a posterior-region θ with a prior draw θ', while MCMC compares two nearby "
    "posterior-region points, where the pairwise network extrapolates. The potential head never compares two points "
    "inside the network, so it has no such error, and every way of sampling it (MH, HMC with any anchor, the Monte "
    "Carlo density) targets one density. On two_moons it brought the paper's form (0.797 ± 0.030) to NRE's level "
    "(0.573 ± 0.039 against 0.560 ± 0.041), with NRE's seed-to-seed spread. Repairing the pairwise head instead did "
    "not work: against its antisymmetrised sampling (0.767 ± 0.052), an antisymmetry penalty (λ = 1, "
    "`dnre_penalty_1`) made it steady but wrong (0.915 ± 0.006, the antisymmetry error down from 0.77 to 0.11) and "
    "ten times the weight decay (`dnre_wd_0.1`) gave 0.807 ± 0.036.",
    "**Why weight averaging.** At a constant learning rate the weights keep jittering from step to step, and the "
    "best-validation epoch picks one noisy iterate; the spread that remained with the potential head came from there. "
    "The other directions did not remove it: 4 partners per simulation (`dnre_partners_4`, ≈ 2.2× the cost) or 500 "
    "epochs (seeds 0 and 1, a side run: 0.516, 0.634) moved the mean more than the spread, 4 partners at equal wall "
    "time did not win (80 epochs, seed 0, a side run: 0.697), and cosine annealing made things worse "
    "(`dnre_potential_cosine`). Ensembles of separately trained networks were not tried: at equal wall time each "
    "member gets a fraction of the epochs, and the 1,000-epoch rows below show that epochs are what these networks "
    "lack. Averaging the iterates (Polyak–Ruppert, as an EMA; about 5 % more time per epoch) "
    "took the default to 0.500 ± 0.022 on two_moons at 200 epochs, inside the issue's target (mean ≤ 0.60, "
    "sd ≤ 0.03); NRE gains as much (0.517 ± 0.012).",
    "**gaussian_mixture and slcp, and the budget.** The issue measured with 150 s of training; 200 epochs of the "
    "default network take 26–40 s here, and best epochs at 185–199 of 200 show it is still learning. At 200 epochs "
    "the default's sd is 0.012 (gaussian_mixture) and 0.014 (slcp), against 0.006 and 0.006 for NRE with the same "
    "averaging: 2.1× and 2.3×, above the issue's 1.5×. At 1,000 epochs (130–190 s, the issue's budget) the default "
    "meets all of the issue's targets: 0.513 ± 0.011 on two_moons (NRE 0.499 ± 0.024), 0.617 ± 0.012 on "
    "gaussian_mixture against NRE's 0.634 ± 0.037 (0.3×), and 0.828 ± 0.031 on slcp against NRE's 0.919 ± 0.022 "
    "(1.4×), with better means on both; NRE's best epochs there are early (208–289 of "
    "1,000 on slcp), so it overfits where DNRE keeps improving. A caution on all sd ratios: an sd from 5 seeds is "
    "itself uncertain; two methods with the same true spread give a ratio of 5-seed sds outside [0.32, 3.1] only 5 % "
    "of the time (F(4, 4)), and evaluation noise alone (three disjoint 1,000-sample C2STs of one posterior) was "
    "0.006 on gaussian_mixture and up to 0.04 on two_moons.",
    "**What the 1,000-sample C2ST does not see.** Scored with sbibm's 10,000 against 10,000 samples (side runs, "
    "two_moons, 10,000 MH chains × 1 draw, same seeds 0–4), the potential head without averaging measured 0.690 ± 0.056 at 200 "
    "epochs, 0.675 ± 0.050 with averaging, and 0.565 ± 0.024 at 1,000 epochs without averaging: the larger test "
    "still separates the 200-epoch posteriors from the reference, so the budget matters for accuracy even where the "
    "1,000-sample test is satisfied.",
    "Records made before the benchmark data's seeding was fixed (θ and the simulator's noise shared one stream) are "
    "not in this table. The EMA rows were measured before the decay's warm-up was added; rerunning "
    "`dnre_potential_ema` on two_moons at 200 epochs with the warm-up gave the same five C2STs.",
])


def run_key(task: str, variant: str, seed: int, num_simulations: int, epochs: int) -> tuple[Any, ...]:
    return task, variant, seed, num_simulations, epochs


def run_seed(task: BenchmarkTask, seed: int, variant_names: list[str], args: argparse.Namespace,
             done: set[tuple[Any, ...]]) -> None:
    """Train each needed training configuration once for ``seed`` and evaluate its sampling variants."""
    todo = [v for v in variant_names if run_key(task.name, v, seed, args.num_simulations, args.epochs) not in done]
    if not todo:
        return
    theta, x = task.sample_joint(args.num_simulations, seed)
    theta_held, x_held = task.sample_joint(NUM_HELD_OUT, 10_000 + seed)
    x_o = task.observation(OBSERVATION)
    reference = task.reference_samples(OBSERVATION)
    groups: dict[tuple[Any, ...], list[str]] = {}
    for name in todo:
        groups.setdefault(VARIANTS[name].training_key(), []).append(name)
    for names in groups.values():
        variant = VARIANTS[names[0]]
        trainer = variant.trainer(task).append_simulations(theta, x)
        start = time.perf_counter()
        estimator = trainer.train(max_epochs=args.epochs, stop_after_epochs=args.epochs, seed=seed,
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
                                       warmup_steps=args.warmup_steps, seed=seed)
            sample_seconds = time.perf_counter() - start
            score = c2st(samples, reference[:NUM_POSTERIOR_SAMPLES])
            record = {
                "task": task.name, "variant": name, "seed": seed, "num_simulations": args.num_simulations,
                "epochs_budget": args.epochs, "c2st": score, "epochs": trainer.summary.epochs,
                "best_epoch": trainer.summary.best_epoch, "best_val_loss": trainer.summary.best_val_loss,
                "train_seconds": train_seconds, "sample_seconds": sample_seconds,
                "acceptance": float(posterior.diagnostics.acceptance.mean()),
                "warmup_steps": args.warmup_steps, "consistency": diagnostics,
            }
            append_record(args.results, record)
            print(f"{task.name} {name} seed {seed}: C2ST {score:.3f}, train {train_seconds:.0f} s "
                  f"({trainer.summary.epochs} epochs, best {trainer.summary.best_epoch}), antisymmetry "
                  f"{diagnostics['posterior']['antisymmetry_error']:.2f}", flush=True)


def _mean_sd(values: list[float]) -> str:
    if not values:
        return "–"
    sd = statistics.stdev(values) if len(values) > 1 else float("nan")
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


def summary_markdown(records: list[dict[str, Any]]) -> str:
    """Mean ± sd over seeds per task and variant: C2ST, consistency diagnostics on posterior triples, cost."""
    lines = ["# DNRE robustness ablation (issue 6)", "",
             "Generated by `bench/dnre_ablation.py` from `ablation.jsonl`. C2ST (0.5 = perfect) of 1,000 MH draws "
             "(1,000 chains × 1 draw after warm-up) against 1,000 sbibm reference samples, observation 1; mean ± sd "
             "over seeds (seed = simulations, initialisation, batches and sampling). Errors: medians on "
             "reference-posterior triples (see `dnre_core.consistency`).", ""]
    for task in sorted({r["task"] for r in records}):
        rows = [r for r in records if r["task"] == task]
        budgets = sorted({(r["num_simulations"], r["epochs_budget"], r["warmup_steps"]) for r in rows})
        lines += [f"## {task}", "", "Budgets (simulations, epochs, MH warm-up steps): "
                  + "; ".join(f"{n:,}, {e}, {w}" for n, e, w in budgets) + ". Train s: measured on a shared 2-core "
                  "machine under load, so equal epochs rather than equal seconds define the equal budget.", "",
                  "| variant | seeds | C2ST mean ± sd | C2ST per seed | \\|d(a,b)+d(b,a)\\| | "
                  "\\|d(a,b)+d(b,c)−d(a,c)\\| | \\|d(a,b)\\| | d(a,a) | epochs | train s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        arms = sorted({(r["epochs_budget"], r["variant"]) for r in rows}, key=lambda a: (a[0], list(VARIANTS).index(a[1])))
        for epochs, name in arms:
            runs = sorted((r for r in rows if r["variant"] == name and r["epochs_budget"] == epochs), key=lambda r: r["seed"])
            post = [r["consistency"]["posterior"] for r in runs]
            per_seed = ", ".join(f"{r['seed']}: {r['c2st']:.3f}" for r in runs)
            lines.append(
                f"| {name} @ {epochs} epochs | {len(runs)} | {_mean_sd([r['c2st'] for r in runs])} | {per_seed} | "
                f"{_mean_sd([p['antisymmetry_error'] for p in post])} | {_mean_sd([p['consistency_error'] for p in post])} | "
                f"{_mean_sd([p['median_abs_log_ratio'] for p in post])} | {_mean_sd([p['self_ratio_mean'] for p in post])} | "
                f"{statistics.mean(r['epochs'] for r in runs):.0f} | {statistics.mean(r['train_seconds'] for r in runs):.0f} |")
        lines.append("")
    lines += ["## Variants", ""] + [f"- `{name}`: {v.description}" for name, v in VARIANTS.items()] + [""]
    lines += ["## What became the default", "", DEFAULT_RATIONALE, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["two_moons"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--num-simulations", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=250, help="training budget, equal for every variant")
    parser.add_argument("--warmup-steps", type=int, default=500)
    parser.add_argument("--results", type=Path, default=RESULTS / "ablation.jsonl")
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not args.summary_only:
        for task_name in args.tasks:
            task = get_task(task_name)
            for seed in args.seeds:
                done = {run_key(r["task"], r["variant"], r["seed"], r["num_simulations"], r["epochs_budget"])
                        for r in read_records(args.results)}
                run_seed(task, seed, args.variants, args, done)
    (args.results.parent / "ablation.md").write_text(summary_markdown(read_records(args.results)))


if __name__ == "__main__":
    main()
