"""The inverse-design suite: do the proposed designs meet the target as often as exact answers, and at what cost?

``python -m benchmarks design [--targets 24] [--prior-predictive 4000000] [--jobs 2] [--methods M,...] [--no-robust]
[--report-only]``

1. A prior-predictive sample of the built-in simulator (``--prior-predictive`` designs, seeded, cached in
   ``benchmarks/cache/``) gives, for every target, its prior mass and the exact answer: the designs that met the
   bands, draws of p(θ | x ∈ B) by rejection (the first 1,000).
2. Targets (seeded): bands on 1–4 metrics in mixed forms (value ± tolerance, at least, at most), anchored at a
   simulated design, one per log-spaced prior-mass bin from 5 % down to 0.01 %. The Interferences metric is free
   unless a target names it (the suite measures the learned route; the exact-metric route is the default's).
3. Per target and method, 1,000 designs (seed 0) are simulated once afresh (their own seed) and compared with the
   exact answer simulated afresh: the hit ratio (designs' fresh hit rate / the exact answer's), C2ST of the designs
   against the exact answer (sbibm's classifier, 0.5 = indistinguishable; as many designs as exact answers, at most
   1,000 each), simulations per design and seconds. A method that returns fewer designs than asked is compared on
   as many exact answers as it returned.
   Methods: ``point`` — the previous dashboard route, the posterior at one point inside the bands (HMC, 100 chains,
   600 warm-up steps, every 4th kept); ``amortized`` — the model's band posterior alone, conditioned on its training
   data; ``sequential`` — model proposals kept by the simulator; ``default`` — ``dnre_core.inverse_design`` with
   every default (the route it measures and takes, and 10 replicates per design for P(meet)); ``rejection`` — how
   many exact designs rejection from the prior buys with the default's search budget.
4. Robust designs (every third target): up to 200 designs with P(meet) ≥ 0.9 within 300,000 simulations, then 20
   fresh simulations each: their hit rate against the P(meet) reported (timed apart from the default's seconds).
5. The professional model's data set (``../shared/data/sri_quadcopter/designs.csv``, no simulator): a DNRE with
   metric masking trained on 70 % of its working designs; targets anchored at held-out designs; the amortized route
   (conditioned on the training rows' metrics) and the previous point route, each against the held-out designs that
   meet the bands (C2ST on as many designs as there are such rows).

Records go to ``benchmarks/results/design.jsonl`` (resumed by target and method; a run under other settings needs a
new file) and the report to ``benchmarks/results/design.md``. ``--methods`` and ``--no-robust`` re-measure some
methods alone (after a change to the library, say) into a new ``--results`` file, whose settings record the choice;
the data set's part (5) runs with the amortized method.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch

import dnre_core
import quadcopter
from benchmarks.output import PACKAGE, RESULTS, headline, provenance, provenance_line, write_markdown
from benchmarks.runner import use_one_thread
from dnre_core.cli import parse_names
from dnre_core.io import atomic_write_bytes
from dnre_core.targets import Target
from quadcopter.inverse import simulator

NAMES = list(quadcopter.METRIC_NAMES)
SRI = Path(__file__).resolve().parents[2] / "shared" / "data" / "sri_quadcopter" / "designs.csv"
CACHE = PACKAGE / "cache"
MODEL = Path(__file__).resolve().parents[1] / "models" / "default_dnre.pt"
TRAINING_DATA = (50_000, 2024)  # the shipped model's simulations (scripts/make_default_model.py)
NUM_DESIGNS = 1000
CHUNK = 100_000
METHODS = ("point", "amortized", "sequential", "default")
COMMAND = "python -m benchmarks design"
ROBUST_BUDGET = 300_000


def prior_predictive(num: int, seed: int, jobs: int) -> tuple[np.ndarray, np.ndarray]:
    """(θ (num, 19), x (num, 7)) float32 from the built-in simulator, in seeded chunks; cached."""
    path = CACHE / f"design_prior_predictive_{num}_seed{seed}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["theta"], data["x"]
    chunks = [(seed, i, min(CHUNK, num - start)) for i, start in enumerate(range(0, num, CHUNK))]
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(_simulate_chunk, chunks))
    theta = np.concatenate([p[0] for p in parts])
    x = np.concatenate([p[1] for p in parts])
    CACHE.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, lambda f: np.savez(f, theta=theta, x=x))
    return theta, x


def _simulate_chunk(args: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    seed, index, size = args
    use_one_thread()
    rng = np.random.default_rng([seed, index])
    low, high = np.asarray(quadcopter.LOWER, float), np.asarray(quadcopter.UPPER, float)
    theta = low + (high - low) * rng.random((size, len(low)))
    x = np.concatenate([simulator(theta[s:s + 2000], seed=int(rng.integers(2**31))) for s in range(0, size, 2000)])
    return theta.astype(np.float32), x.astype(np.float32)


def make_targets(x: np.ndarray, num: int, seed: int = 0, lowest: float = 0.0001, highest: float = 0.05
                 ) -> list[Target]:
    """``num`` targets, one per log-spaced bin of prior mass (their share of the rows of x) from ``highest`` down
    to ``lowest`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    q10, q90 = np.percentile(x, [10, 90], axis=0)
    spread = np.maximum(q90 - q10, 1.0)
    edges = np.logspace(math.log10(highest), math.log10(lowest), num + 1)
    probe = x[: min(len(x), 500_000)]
    found: dict[int, Target] = {}
    for _ in range(50_000):
        if len(found) == num:
            break
        anchor = x[rng.integers(len(x))]
        if anchor[4] == 0:  # a failed design: no trim
            continue
        bands: dict[str, tuple[float | None, float | None]] = {}
        for m in rng.choice(np.arange(1, 7), size=rng.integers(1, 5), replace=False):
            width = rng.uniform(0.05, 0.25) * spread[m]
            if m == 4:
                width = max(width, 2.0)  # the speed grid is 1 m/s
            form = rng.choice(["value", "at least", "at most"])
            if form == "value":
                bands[NAMES[m]] = (float(anchor[m] - width), float(anchor[m] + width))
            elif form == "at least":
                bands[NAMES[m]] = (float(anchor[m] - 0.1 * width), None)
            else:
                bands[NAMES[m]] = (None, float(anchor[m] + 0.1 * width))
        if rng.random() < 0.2:
            bands[NAMES[0]] = (None, float(anchor[0] + rng.integers(0, 10)))
        target = Target(bands)
        mass = float(target.meets(probe, NAMES).mean())
        index = int(np.searchsorted(-edges, -mass)) - 1
        if mass > 0 and 0 <= index < num and index not in found:
            found[index] = target
    return [found[i] for i in sorted(found)]


def conditioning_point(target: Target, x_min: Sequence[float], x_max: Sequence[float]) -> np.ndarray:
    """The previous dashboard's x_o: a value's centre; for a one-sided band, the centre of its part inside the
    training range; NaN (free) for metrics without a band."""
    point = []
    for k, name in enumerate(NAMES):
        low, high = target.bands.get(name, (None, None))
        if low is not None and high is not None:
            point.append((low + high) / 2)
        elif low is not None:
            point.append((low + max(x_max[k], low)) / 2)
        elif high is not None:
            point.append((min(x_min[k], high) + high) / 2)
        else:
            point.append(math.nan)
    return np.asarray(point)


def run_target(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Every method owed on one target: a list of records."""
    use_one_thread()
    target = Target(job["target"])
    theta_pp, x_pp = prior_predictive(job["prior_predictive"], 0, 1)
    meets = target.meets(x_pp, NAMES)
    exact = theta_pp[meets][:NUM_DESIGNS].astype(np.float64)
    exact_hit = float(target.meets(simulator(exact, seed=991), NAMES).mean())
    estimator = dnre_core.load_estimator(MODEL)
    records = []
    for method in job["methods"]:
        tick = time.perf_counter()
        designs, info = _designs(method, estimator, target, job)
        seconds = time.perf_counter() - tick
        hit = float(target.meets(simulator(designs, seed=992), NAMES).mean())
        records.append({
            **provenance(), "target_index": job["index"], "target": target.to_dict(), "method": method,
            "prior_mass": float(meets.mean()), "exact_designs": len(exact), "exact_hit": exact_hit,
            "hit": hit, "hit_ratio": hit / exact_hit if exact_hit else math.nan,
            "c2st": _c2st(designs, exact),
            "designs": len(designs), "unique_designs": len(np.unique(designs, axis=0)), "seconds": seconds,
            "rejection_simulations_per_design": 1 / float(meets.mean()), **info,
            **(_robust(estimator, target) if method == "default" and job["robust"] else {}),
        })
    return records


def _c2st(designs: np.ndarray, exact: np.ndarray) -> float:
    """C2ST on as many designs as exact answers (a classifier scores above 0.5 on unequal classes alone); NaN
    below 100 of either."""
    n = min(len(designs), len(exact))
    return dnre_core.c2st(designs[:n], exact[:n]) if n >= 100 else math.nan


def _designs(method: str, estimator: Any, target: Target, job: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    if method == "point":
        return _point_designs(estimator, target), {"simulations": 0}
    if method == "amortized":
        reference = _training_metrics()
        result = dnre_core.inverse_design(estimator, target, None, NUM_DESIGNS, seed=0, reference_x=reference)
        return result.theta, {"simulations": 0}
    route = {"sequential": "sequential", "default": "auto"}[method]
    replicates = 0 if method == "sequential" else dnre_core.design.DEFAULT_REPLICATES
    result = dnre_core.inverse_design(estimator, target, simulator, NUM_DESIGNS, seed=0, route=route,
                                      replicates=replicates)
    info = {"simulations": result.search_simulations, "simulations_with_p_meet": result.simulations_used,
            "route": result.route, "rounds": len(result.rounds), "mean_p_meet": result.hit_rate}
    return result.theta, info


def _point_designs(estimator: Any, target: Target) -> np.ndarray:
    """The previous dashboard route: the posterior at one point inside the bands (HMC, 100 chains, 600 warm-up
    steps, every 4th kept)."""
    x_o = conditioning_point(target, estimator.metadata["x_min"], estimator.metadata["x_max"])
    posterior = dnre_core.RatioPosterior(estimator, sampler="hmc")
    samples = posterior.sample((NUM_DESIGNS,), x=torch.as_tensor(x_o, dtype=torch.float32), num_chains=100,
                               warmup_steps=600, thin=4, seed=0)
    return samples.double().numpy()


def _robust(estimator: Any, target: Target) -> dict[str, Any]:
    """200 designs with P(meet) ≥ 0.9 within ROBUST_BUDGET simulations, each simulated 20 more times afresh."""
    tick = time.perf_counter()
    try:
        result = dnre_core.inverse_design(estimator, target, simulator, 200, seed=1, robust=0.9,
                                          max_simulations=ROBUST_BUDGET)
    except dnre_core.InputError:  # none found within the budget
        return {"robust_designs": 0, "robust_seconds": time.perf_counter() - tick}
    fresh = simulator(np.repeat(result.theta, 20, axis=0), seed=993)
    hit = target.meets(fresh, NAMES).reshape(len(result.theta), 20).mean()
    return {"robust_designs": len(result.theta), "robust_fresh_hit": float(hit),
            "robust_reported_p_meet": float(np.mean(result.p_meet)),
            "robust_simulations": result.simulations_used, "robust_seconds": result.seconds}


def _training_metrics() -> np.ndarray:
    """The metrics of the shipped model's training simulations (regenerated from their seed)."""
    num, seed = TRAINING_DATA
    path = CACHE / f"design_training_metrics_{num}_seed{seed}.npy"
    if path.exists():
        return np.load(path)
    _, x = dnre_core.simulate_for_sbi(simulator, quadcopter.prior(), num, seed=seed)
    x = x.numpy().astype(np.float64)
    CACHE.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, lambda f: np.save(f, x))
    return x


def sri_amortized(num_targets: int = 8, seed: int = 0) -> list[dict[str, Any]]:
    """The amortized route on the professional model's data (module docstring, 5); [] without the data set."""
    if not SRI.exists():
        return []
    import pandas as pd

    table = pd.read_csv(SRI)
    table = table[table["Max_Lateral_Speed_(m/s)"] > 0]  # the failed designs (no trim at any speed)
    theta = table[list(quadcopter.PARAMETER_NAMES)].to_numpy(float)
    x = table[NAMES].to_numpy(float)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    train, held = order[: int(0.7 * len(x))], order[int(0.7 * len(x)):]
    trainer = dnre_core.DNRE(quadcopter.prior(), mask_probability=0.3, parameter_names=list(quadcopter.PARAMETER_NAMES),
                             metric_names=NAMES)
    estimator = trainer.append_simulations(theta[train], x[train]).train(seed=seed)
    records = []
    for k, target in enumerate(make_targets(x[held], num_targets, seed, lowest=0.05, highest=0.3)):
        meets = target.meets(x[held], NAMES)
        exact = theta[held][meets]
        designs = {
            "amortized": dnre_core.inverse_design(estimator, target, None, NUM_DESIGNS, seed=0,
                                                  reference_x=x[train]).theta,
            "point": _point_designs(estimator, target)}
        for method, found in designs.items():
            records.append({**provenance(), "target_index": k, "target": target.to_dict(), "method": method,
                            "held_out_mass": float(meets.mean()), "exact_designs": int(meets.sum()),
                            "c2st": dnre_core.c2st(found[: len(exact)], exact)})
    return records


def report(records: list[dict[str, Any]], settings: dict[str, Any], path: Path,
           sri: list[dict[str, Any]] | None = None, command: str = COMMAND) -> None:
    """The markdown section from ``records`` (and the data set's ``sri`` records), made by ``command``."""
    records = [{**r, "simulations_per_design": r["simulations"] / max(r["designs"], 1)} for r in records]
    by = {m: [r for r in records if r["method"] == m] for m in METHODS}
    default = sorted(by["default"], key=lambda r: -r["prior_mass"])
    chosen = list(settings.get("methods", METHODS)) + ([] if settings.get("robust", True) else ["no robust"])
    title = "Inverse design" + ("" if chosen == list(METHODS) else f" ({', '.join(chosen)})")

    def med(rows: list[dict[str, Any]], key: str) -> float:
        values = [r[key] for r in rows if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
        return float(np.median(values)) if values else math.nan

    lines = [f"## {title}", "", f"{settings['targets']} targets of the built-in simulator (bands on 1–4 metrics, "
             "prior mass 5 % to 0.01 %), 1,000 designs each, the shipped default model; exact answers by rejection "
             f"from {settings['prior_predictive']:,} prior designs. "
             + provenance_line(command, records), ""]
    table = ["| method | median hit ratio (min) | median C2ST | median simulations per design | median seconds |",
             "|---|---|---|---|---|"]
    for method in METHODS:
        rows = by[method]
        if not rows:
            continue
        ratios = [r["hit_ratio"] for r in rows if math.isfinite(r["hit_ratio"])]
        table.append(f"| {method} | {med(rows, 'hit_ratio'):.2f} ({min(ratios):.2f}) | {med(rows, 'c2st'):.3f} | "
                     f"{med(rows, 'simulations_per_design'):.1f} | {med(rows, 'seconds'):.1f} |")
    narrow = [r for r in default if r["prior_mass"] <= 0.01]
    gain = [r["rejection_simulations_per_design"] / r["simulations_per_design"] for r in narrow]
    model_gain = [r["rejection_simulations_per_design"] / r["simulations_per_design"]
                  for r in by["sequential"] if r["prior_mass"] <= 0.01]
    alone = (f"; the sequential route alone: median {np.median(model_gain):.0f}× (range {min(model_gain):.0f}–"
             f"{max(model_gain):.0f}×)" if model_gain else "")
    lines += [*headline(table), "",
              f"Hit ratio: the designs' fresh hit rate over the exact answer's (goal: median ≥ 0.95, none below 0.7). "
              f"C2ST against the exact answer (goal: median ≤ 0.6). On the {len(narrow)} targets of prior mass ≤ 1 %, "
              f"rejection from the prior needs a median {np.median(gain) if gain else math.nan:.0f}× the default's "
              f"simulations per design (range {min(gain, default=math.nan):.0f}–{max(gain, default=math.nan):.0f}×; "
              f"goal ≥ 10×), its P(meet) replicates not counted{alone}. The default's seconds for 1,000 designs, "
              f"P(meet) included: median {med(default, 'seconds'):.1f}, slowest target "
              f"{max((r['seconds'] for r in default), default=math.nan):.1f} (goal ≤ 60; two targets at a time, one "
              "core and one torch thread each). Where auto takes rejection, the simulator is fast enough that "
              "rejection's extra simulations cost less time than the model's proposals.", "",
              "| target | prior mass | exact hit | route | hit ratio | C2ST | simulations per design (with P(meet)) | "
              "rejection's | seconds |", "|---|---|---|---|---|---|---|---|---|"]
    for r in default:
        text = "; ".join(Target(r["target"]).describe())
        route = r["route"] if r["designs"] == NUM_DESIGNS else f"{r['route']} ({r['designs']} designs)"
        lines.append(f"| {text} | {r['prior_mass']:.3%} | {r['exact_hit']:.2f} | {route} | {r['hit_ratio']:.2f} | "
                     f"{r['c2st']:.3f} | {r['simulations_per_design']:.1f} "
                     f"({r['simulations_with_p_meet'] / r['designs']:.1f}) | "
                     f"{r['rejection_simulations_per_design']:.0f} | {r['seconds']:.1f} |")
    robust = [r for r in default if "robust_designs" in r]
    if robust:
        lines += ["", f"Robust designs: up to 200 with P(meet) ≥ 0.9 within {ROBUST_BUDGET:,} simulations, each "
                  "then simulated 20 more times afresh (goal: fresh hit rate ≥ 0.85, and within 0.05 of the P(meet) "
                  "reported):", "", "| target | designs found | P(meet) reported (mean) | fresh hit rate | "
                  "simulations per design | seconds |", "|---|---|---|---|---|---|"]
        for r in robust:
            found = r["robust_designs"]
            cells = (f"{r['robust_reported_p_meet']:.3f} | {r['robust_fresh_hit']:.3f} | "
                     f"{r['robust_simulations'] / found:.0f}" if found else "– | – | –")
            lines.append(f"| {'; '.join(Target(r['target']).describe())} | {found} | {cells} | "
                         f"{r['robust_seconds']:.0f} |")
    if sri:
        lines += ["", "The professional model's data set, without a simulator (module docstring, 5): C2ST of 1,000 "
                  "designs (as many as there are held-out designs meeting the bands) against those held-out designs.",
                  "", "| target | held-out share | held-out designs meeting it | amortized C2ST | point C2ST |",
                  "|---|---|---|---|---|"]
        for k in sorted({r["target_index"] for r in sri}):
            rows = {r["method"]: r for r in sri if r["target_index"] == k}
            first = rows["amortized"]
            lines.append(f"| {'; '.join(Target(first['target']).describe())} | {first['held_out_mass']:.1%} | "
                         f"{first['exact_designs']} | {first['c2st']:.3f} | {rows['point']['c2st']:.3f} |")
        lines.append(f"Median C2ST: amortized {np.median([r['c2st'] for r in sri if r['method'] == 'amortized']):.3f}, "
                     f"point {np.median([r['c2st'] for r in sri if r['method'] == 'point']):.3f}.")
    write_markdown(path, "\n".join(lines) + "\n")


def _methods(text: str) -> list[str]:
    names = parse_names(text)
    unknown = [name for name in names if name not in METHODS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    return [m for m in METHODS if m in names]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=24)
    parser.add_argument("--prior-predictive", type=int, default=4_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--results", default=str(RESULTS / "design.jsonl"))
    parser.add_argument("--report", default=str(RESULTS / "design.md"))
    parser.add_argument("--methods", type=_methods, default=list(METHODS), help=f"of {', '.join(METHODS)}")
    parser.add_argument("--no-robust", action="store_true", help="without the robust designs of every third target")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    settings = {"targets": args.targets, "prior_predictive": args.prior_predictive, "num_designs": NUM_DESIGNS}
    if args.methods != list(METHODS):  # the full suite's settings name neither
        settings["methods"] = args.methods
    if args.no_robust:
        settings["robust"] = False
    results = Path(args.results)
    records = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    if records and records[0].get("settings") != settings:
        print(f"{results} was made with other settings ({records[0].get('settings')}); give a new --results file.")
        return 2
    if not args.report_only:
        use_one_thread()
        _, x = prior_predictive(args.prior_predictive, 0, args.jobs)
        _training_metrics()
        targets = make_targets(x, args.targets)
        done = {(r["target_index"], r["method"]) for r in records}
        jobs = [{"index": i, "target": t.to_dict(), "prior_predictive": args.prior_predictive,
                 "robust": i % 3 == 0 and not args.no_robust,
                 "methods": [m for m in args.methods if (i, m) not in done]} for i, t in enumerate(targets)]
        jobs = [j for j in jobs if j["methods"]]
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
            for new in pool.map(run_target, jobs):
                records.extend(new)
                with results.open("a") as f:
                    for r in new:
                        f.write(json.dumps({**r, "settings": settings}) + "\n")
                print(f"target {new[0]['target_index']}: " + ", ".join(
                    f"{r['method']} hit ratio {r['hit_ratio']:.2f} C2ST {r['c2st']:.3f}" for r in new), flush=True)
    sri_path = results.with_name(results.stem + "_sri.jsonl")
    if not args.report_only and not sri_path.exists() and "amortized" in args.methods:
        new = sri_amortized()
        if new:
            atomic_write_bytes(sri_path, lambda f: f.write("".join(json.dumps(r) + "\n" for r in new).encode()))
    sri = [json.loads(line) for line in sri_path.read_text().splitlines()] if sri_path.exists() else []
    options = [] if args.results == parser.get_default("results") else [f"--results {args.results}"]
    options += [] if args.report == parser.get_default("report") else [f"--report {args.report}"]
    options += [f"--methods {','.join(args.methods)}"] if "methods" in settings else []
    options += ["--no-robust"] if args.no_robust else []
    report(records, settings, Path(args.report), sri, " ".join([COMMAND, *options]))
    return 0
