"""dnre_core speed on one CPU thread: sampler throughput, ESS/s against the paper's reference MH, training s/epoch,
and the achieved FLOP/s of the MH step against plain matmuls of the same shapes. Writes ``results/core.md``.

Problem: the 3-D linear-Gaussian of :mod:`benchmarks.problems` (correlated posterior), default network (5 × 128,
ELU), 10,000 simulations, 1,000 chains. Baseline (the paper's reference procedure): Metropolis–Hastings with a fixed
Gaussian proposal of σ = 0.1 on z-scored parameters and the direct ratio d(θ*, θ, x), one Python step at a time
over the same 1,000 chains, started from the same points as ours. Every figure is a median over repeats; every
ratio is measured side by side in one run.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from dataclasses import dataclass

import torch
from torch import Tensor

import dnre_core
from benchmarks.output import RESULTS, headline, provenance_line, write_markdown
from benchmarks.problems import LinearGaussian
from benchmarks.runner import use_one_thread
from dnre_core.diagnostics import arviz_summary
from dnre_core.posterior import initial_states
from dnre_core.potentials import RatioPotential
from dnre_core.samplers import DEFAULT_SCALE_SPREAD

NUM_SIMULATIONS = 10_000
TRAIN_EPOCHS = 30
NUM_CHAINS = 1000
MH_WARMUP, MH_DRAWS = 200, 500
HMC_WARMUP, HMC_DRAWS = 100, 100
BASELINE_SIGMA = 0.1
REPEATS = 3
HMC_REPEATS = 2
GRADIENT_REPEATS = 200
MH_SCALE_SPREAD = DEFAULT_SCALE_SPREAD  # decades: MH's default
THETA_TRUE = torch.tensor([[0.5, -0.3, 0.8]])
OUTPUT = RESULTS / "core.md"


@dataclass
class Run:
    """One sampling run: wall seconds (warm-up + draws), chain-steps per second, min bulk ESS over parameters."""

    seconds: float
    chain_steps_per_second: float
    min_ess: float
    max_rhat: float

    @property
    def ess_per_second(self) -> float:
        return self.min_ess / self.seconds


def train(kind: str, problem: LinearGaussian) -> tuple[dnre_core.RatioEstimator, float]:
    """Train ``kind`` on 10k simulations (seed 0); returns (estimator, median seconds per epoch)."""
    theta, x = problem.sample_joint(NUM_SIMULATIONS, seed=0)
    trainer = getattr(dnre_core, kind)(problem.prior).append_simulations(theta, x)
    stamps = [time.perf_counter()]
    estimator = trainer.train(max_epochs=TRAIN_EPOCHS, seed=0, callback=lambda *_: stamps.append(time.perf_counter()))
    return estimator, statistics.median(b - a for a, b in itertools.pairwise(stamps))


class RowCounter:
    """Forward hook on the MLP: the number of rows of every call (MH: one call per step)."""

    def __init__(self, net: torch.nn.Module):
        self.rows: list[int] = []
        self.handle = net.register_forward_hook(lambda module, inputs, output: self.rows.append(inputs[0].shape[0]))

    def close(self) -> list[int]:
        self.handle.remove()
        return self.rows


def macs_per_row(net: torch.nn.Module) -> int:
    """Multiply-adds of one row through the MLP's linear layers."""
    return sum(layer.in_features * layer.out_features for layer in net if isinstance(layer, torch.nn.Linear))


def ours(estimator: dnre_core.RatioEstimator, problem: LinearGaussian, x_o: Tensor, initial: Tensor, sampler: str,
         warmup: int, draws: int, seed: int, **options: float) -> tuple[Run, list[int]]:
    """Our sampler (with sampler ``options``) from ``initial`` (C, D); returns the run and the rows of every network
    call."""
    posterior = dnre_core.RatioPosterior(estimator, problem.prior, sampler=sampler, **options)
    counter = RowCounter(estimator.net)
    posterior.sample((NUM_CHAINS * draws,), x=x_o, num_chains=NUM_CHAINS, warmup_steps=warmup, thin=1, seed=seed,
                     initial=initial)
    rows = counter.close()
    diagnostics = posterior.diagnostics
    return Run(diagnostics.seconds, NUM_CHAINS * diagnostics.step / diagnostics.seconds, diagnostics.min_ess_bulk,
               diagnostics.max_rhat), rows


@torch.no_grad()
def baseline(estimator: dnre_core.RatioEstimator, problem: LinearGaussian, x_o: Tensor, initial: Tensor, warmup: int,
             draws: int, seed: int) -> Run:
    """Fixed-scale Gaussian MH (σ = 0.1 in z-scored units, direct ratio) over all chains, one Python step at a time."""
    potential = RatioPotential(estimator, problem.prior, x_o, ratio="direct")
    generator = torch.Generator().manual_seed(seed)
    scale = BASELINE_SIGMA * estimator.theta_norm.std
    theta = initial.clone()
    kept = torch.empty(NUM_CHAINS, draws, theta.shape[1])
    start = time.perf_counter()
    for step in range(warmup + draws):
        proposal = theta + scale * torch.randn(theta.shape, generator=generator)
        log_alpha = torch.full((NUM_CHAINS,), -math.inf)
        inside = potential.in_support(proposal)
        log_alpha[inside] = potential.log_ratio(proposal[inside], theta[inside])
        accepted = torch.rand(NUM_CHAINS, generator=generator).log() < log_alpha
        theta = torch.where(accepted.unsqueeze(-1), proposal, theta)
        if step >= warmup:
            kept[:, step - warmup] = theta
    seconds = time.perf_counter() - start
    rhat, ess_bulk, _ = arviz_summary(kept.numpy())
    return Run(seconds, NUM_CHAINS * (warmup + draws) / seconds, float(ess_bulk.min()), float(rhat.max()))


def matmul_seconds(net: torch.nn.Module, rows_per_call: list[int]) -> float:
    """Wall time of the MLP's matmuls alone, (rows, in) @ (in, out) per linear layer (no bias, no activation), replayed
    for every recorded network call: the same shapes and the same number of calls as the sampler, timed in one block
    so that both figures see the same load on a shared machine."""
    shapes = [(layer.in_features, layer.out_features) for layer in net if isinstance(layer, torch.nn.Linear)]
    most = max(rows_per_call)
    inputs = [torch.randn(most, i) for i, _ in shapes]
    weights = [torch.randn(i, o) for i, o in shapes]
    start = time.perf_counter()
    for rows in rows_per_call:
        for a, w in zip(inputs, weights, strict=True):
            torch.matmul(a[:rows], w)
    return time.perf_counter() - start


def gradient_through_the_pair(potential: RatioPotential, theta: Tensor, anchor: Tensor) -> Tensor:
    """∇θ [d(θ, θ', x) + log p(θ)] by autograd through the pair's log-ratio: for a difference of potentials it
    evaluates g at θ and at θ' (2C rows), where ``grad_log_target`` evaluates g at θ alone (C rows)."""
    with torch.enable_grad():
        theta = theta.detach().requires_grad_(True)
        log_target = potential.pair_log_ratio(theta, anchor) + potential.prior.log_prob(theta)
        return torch.autograd.grad(log_target.sum(), theta)[0]


def gradient_milliseconds(potential: RatioPotential, theta: Tensor, anchor: Tensor) -> tuple[float, float]:
    """Median milliseconds of one HMC gradient over C chains, (``grad_log_target``, through the pair), the two
    timed alternately in one loop so that both see the same load."""
    ours_ms, pair_ms = [], []
    for _ in range(GRADIENT_REPEATS):
        start = time.perf_counter()
        potential.grad_log_target(theta, anchor)
        middle = time.perf_counter()
        gradient_through_the_pair(potential, theta, anchor)
        ours_ms.append(1e3 * (middle - start))
        pair_ms.append(1e3 * (time.perf_counter() - middle))
    return statistics.median(ours_ms), statistics.median(pair_ms)


def median_run(runs: list[Run]) -> Run:
    return Run(statistics.median(r.seconds for r in runs), statistics.median(r.chain_steps_per_second for r in runs),
               statistics.median(r.min_ess for r in runs), statistics.median(r.max_rhat for r in runs))


def bench_kind(kind: str, problem: LinearGaussian, x_o: Tensor) -> dict:
    """All measurements for one estimator kind."""
    estimator, epoch_seconds = train(kind, problem)
    potential = RatioPotential(estimator, problem.prior, x_o)
    initial = initial_states(potential, NUM_CHAINS, torch.Generator().manual_seed(0))
    mh, spread, base, hmc, flops, matmul = [], [], [], [], [], []
    for repeat in range(REPEATS):
        run, rows = ours(estimator, problem, x_o, initial, "mh", MH_WARMUP, MH_DRAWS, seed=repeat, scale_spread=0.0)
        mh.append(run)
        spread.append(ours(estimator, problem, x_o, initial, "mh", MH_WARMUP, MH_DRAWS, seed=repeat,
                           scale_spread=MH_SCALE_SPREAD)[0])
        flops.append(2 * macs_per_row(estimator.net) * sum(rows) / run.seconds)
        matmul.append(2 * macs_per_row(estimator.net) * sum(rows) / matmul_seconds(estimator.net, rows))
        base.append(baseline(estimator, problem, x_o, initial, MH_WARMUP, MH_DRAWS, seed=repeat))
        print(f"{kind} MH repeat {repeat}: ours {run.ess_per_second:.0f} ESS/s, baseline {base[-1].ess_per_second:.0f} "
              f"ESS/s, {flops[-1] / 1e9:.1f} GFLOP/s vs matmul {matmul[-1] / 1e9:.1f}", flush=True)
    anchors = initial[torch.randperm(NUM_CHAINS, generator=torch.Generator().manual_seed(1))]
    gradient_ms = gradient_milliseconds(potential, initial, anchors)
    for repeat in range(HMC_REPEATS):
        hmc.append(ours(estimator, problem, x_o, initial, "hmc", HMC_WARMUP, HMC_DRAWS, seed=repeat)[0])
        print(f"{kind} HMC repeat {repeat}: {hmc[-1].ess_per_second:.0f} ESS/s", flush=True)
    # Ratios per repeat (side by side), then their median.
    return {"epoch_seconds": epoch_seconds, "mh": median_run(mh), "hmc": median_run(hmc), "baseline": median_run(base),
            "spread": median_run(spread),
            "mh_ratio": statistics.median(m.ess_per_second / b.ess_per_second for m, b in zip(mh, base, strict=True)),
            "spread_ratio": statistics.median(s.ess_per_second / b.ess_per_second
                                              for s, b in zip(spread, base, strict=True)),
            "spread_vs_mh": statistics.median(s.ess_per_second / m.ess_per_second
                                              for s, m in zip(spread, mh, strict=True)),
            "hmc_ratio": statistics.median(h.ess_per_second for h in hmc)
            / statistics.median(b.ess_per_second for b in base),
            "gradient_ms": gradient_ms, "flops": statistics.median(flops), "matmul": statistics.median(matmul),
            "flop_fraction": statistics.median(f / m for f, m in zip(flops, matmul, strict=True))}


def report(results: dict[str, dict], seconds: float) -> str:
    lines = [
        "## dnre_core: sampler and training speed",
        "",
        provenance_line("python -m benchmarks speed core"),
        "",
        f"3-D linear-Gaussian, default network 5 × 128 ELU, {NUM_SIMULATIONS:,} simulations, {NUM_CHAINS:,} chains. "
        f"MH: {MH_WARMUP} warm-up + {MH_DRAWS} draws per chain; HMC: {HMC_WARMUP} + {HMC_DRAWS} "
        "iterations of 10 leapfrog steps. ESS/s = min bulk ESS over parameters (ArviZ) / wall time of warm-up + "
        "draws. Baseline: fixed-scale Gaussian MH, σ = 0.1 on z-scored θ, direct ratio d(θ*, θ, x), no adaptation, "
        f"one Python step at a time over the same chains from the same starting points. Medians over {REPEATS} "
        f"repeats (HMC: {HMC_REPEATS}); total run {seconds:.0f} s. A max R̂ above 1.01 marks chains that had not "
        "mixed within the run: their ESS overstates what was achieved.",
        "",
        *headline([
            "| estimator | sampler | chain-steps/s | min bulk ESS | max R̂ | ESS/s | ESS/s ÷ baseline |",
            "|---|---|---:|---:|---:|---:|---:|",
            *[f"| {kind} | {name} | {run.chain_steps_per_second:,.0f} | {run.min_ess:,.0f} | {run.max_rhat:.3f} | "
              f"{run.ess_per_second:,.0f} | {ratio:.1f}× |"
              for kind, r in results.items()
              for name, run, ratio in (("MH, adapted scale alone", r["mh"], r["mh_ratio"]),
                                       (f"MH, scale spread {MH_SCALE_SPREAD:g} (the default)", r["spread"],
                                        r["spread_ratio"]),
                                       ("HMC", r["hmc"], r["hmc_ratio"]), ("baseline MH σ=0.1", r["baseline"], 1.0))],
        ]),
        "",
        f"MH's default `scale_spread` ({MH_SCALE_SPREAD:g} decades) on this single-scale posterior, ESS/s ÷ that of "
        "MH with the adapted scale alone (median of per-repeat ratios): "
        + ", ".join(f"{kind} {r['spread_vs_mh']:.2f}" for kind, r in results.items()) + ".",
        "",
        "| estimator | training s/epoch | MH step GFLOP/s | matmul GFLOP/s, same shapes | fraction |",
        "|---|---:|---:|---:|---:|",
        *[f"| {kind} | {r['epoch_seconds']:.3f} | {r['flops'] / 1e9:.2f} | {r['matmul'] / 1e9:.2f} | "
          f"{100 * r['flop_fraction']:.0f} % |" for kind, r in results.items()],
        "",
        "FLOP/s of the MH step: 2 × the MLP's multiply-adds for the rows actually evaluated ÷ the sampler's wall time "
        "(proposals, support checks, acceptance and recording included); the matmul rate replays every recorded "
        "call's shapes through torch.matmul alone. HMC's gradient over "
        f"{NUM_CHAINS:,} chains (median of {GRADIENT_REPEATS} calls, timed alternately): "
        "`RatioPotential.grad_log_target` evaluates g(θ, x) alone, autograd through the pair's log-ratio g at θ and "
        "θ′; " + "; ".join(f"{kind} {r['gradient_ms'][0]:.1f} ms against {r['gradient_ms'][1]:.1f} ms"
                           for kind, r in results.items()) + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    use_one_thread()
    start = time.perf_counter()
    problem = LinearGaussian(dim=3)
    x_o = problem.simulate(THETA_TRUE, seed=99)[0]
    results = {kind: bench_kind(kind, problem, x_o) for kind in ("DNRE", "NRE")}
    text = report(results, time.perf_counter() - start)
    write_markdown(OUTPUT, text)
    print(text)

