"""Can I trust this model? Expected coverage of its posterior on held-out simulations (Hermans et al., 2022).

For N designs θᵢ drawn from the prior and simulated afresh (xᵢ, never seen in training), a calibrated posterior puts
the true θᵢ inside its α-highest-density region for a fraction α of the pairs, at every level α. Each posterior
p(θ | xᵢ) is represented without MCMC, so that the check is one pass of the network per draw: S prior draws θₛ
(shared by all pairs) weighted by p(θₛ | xᵢ) / p(θₛ) (the model's log density,
:meth:`dnre_core.RatioPosterior.log_prob`) and resampled (seeded). This is exact as S grows; its precision is that of
the weights, reported as their Kish effective sample size per pair (a posterior much narrower than the prior needs a
larger S). :func:`dnre_core.expected_coverage` turns the log densities at the truths and at the resampled draws into
the curve; :func:`verdict` reads it with the binomial standard error of a coverage from N pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

import dnre_core
from dnre_core.design import metric_scale
from dnre_core.priors import prior_log_prob, sample_prior
from ui.jobs import JobContext
from ui.simulation import Simulator

# A shortfall of coverage below the nominal level by more than this many binomial standard errors, at any level,
# marks the model as over-confident (its credible regions miss the truth more often than they claim).
OVERCONFIDENT_SE = 3.0
LOW_ESS = 20.0  # median importance ESS per pair below which the check itself is too noisy to read


@dataclass(frozen=True)
class CoverageConfig:
    model_id: str
    model_path: str
    num_pairs: int = 100
    num_prior_draws: int = 20_000
    num_resampled: int = 1000
    num_reference: int = 256  # prior draws for the model's Monte Carlo density (pairwise DNRE heads need them)
    seed: int = 0
    # Near a target ({metric: [low, high]}): the held-out pairs are the num_pairs of num_pairs × NEAR_POOL simulated
    # prior designs whose metrics lie closest to its bands (inside first). Choosing pairs by their metrics alone
    # leaves θ | x distributed as p(θ | x), so a calibrated model covers them as it covers any others.
    near_target: dict[str, list[float | None]] | None = None


NEAR_POOL = 20


def coverage_job(config: CoverageConfig, simulator: Simulator) -> Callable[[JobContext], dict[str, Any]]:
    """A job computing the expected-coverage curve of model ``config.model_path`` on ``num_pairs`` fresh simulations
    of ``simulator(theta (n, D), seed=int) -> x (n, L)``; its result is JSON (levels, coverage, ESS, counts)."""

    def run(ctx: JobContext) -> dict[str, Any]:
        estimator = dnre_core.load_estimator(config.model_path)
        posterior = dnre_core.RatioPosterior(estimator)
        generator = torch.Generator().manual_seed(config.seed)
        pool = config.num_pairs * (NEAR_POOL if config.near_target else 1)
        theta = sample_prior(posterior.prior, pool, generator)
        ctx.report(progress=0.0, message=f"simulating {pool:,} held-out designs")
        x = np.asarray(simulator(theta.numpy().astype(np.float64), seed=config.seed), dtype=float)
        inside = None  # held-out pairs whose metrics meet the target, when they were chosen near it
        if config.near_target:
            target, names = dnre_core.Target(config.near_target), estimator.metadata["metric_names"]
            near = _nearest(target, names, x, config.num_pairs)
            theta, x = theta[near], x[near]
            inside = int(target.meets(x, names).sum())
        finite = np.isfinite(x).all(axis=1)
        draws = sample_prior(posterior.prior, config.num_prior_draws, generator)
        log_prior = prior_log_prob(posterior.prior, draws).numpy().astype(np.float64)
        rng = np.random.default_rng(config.seed)
        log_prob_true, log_prob_samples, ess = [], [], []
        pairs = np.flatnonzero(finite)
        for k, j in enumerate(pairs):
            ctx.check_cancelled()
            rows = torch.cat([theta[j : j + 1], draws])
            log_prob = posterior.log_prob(rows, x=torch.as_tensor(x[j], dtype=torch.float32),
                                          num_reference=config.num_reference,
                                          seed=config.seed).numpy().astype(np.float64)
            weights = _weights(log_prob[1:] - log_prior)
            ess.append(1.0 / float((weights**2).sum()))
            picked = rng.choice(len(weights), size=config.num_resampled, replace=True, p=weights)
            log_prob_true.append(log_prob[0])
            log_prob_samples.append(log_prob[1:][picked])
            if k % 5 == 0:
                ctx.report(progress=(k + 1) / len(pairs), message=f"held-out pair {k + 1:,} of {len(pairs):,}")
        levels, coverage = dnre_core.expected_coverage(np.array(log_prob_true), np.stack(log_prob_samples))
        return {"levels": levels.tolist(), "coverage": coverage.tolist(), "pairs": len(pairs),
                "inside_target": inside,
                "dropped_non_finite": int((~finite).sum()), "ess_median": float(np.median(ess)),
                "ess_min": float(np.min(ess)), "config": asdict(config)}

    return run


def _nearest(target: dnre_core.Target, metric_names: list[str], x: np.ndarray, num: int) -> np.ndarray:
    """Indices of the ``num`` rows of x (N, L) closest to ``target``'s bands, in units of each metric's spread."""
    distance = target.violation(x, metric_names, metric_scale(x))
    return np.sort(np.argsort(distance, kind="stable")[:num])


def _weights(log_w: np.ndarray) -> np.ndarray:
    """Self-normalised importance weights from log weights (non-finite ones weigh 0)."""
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def verdict(result: dict[str, Any]) -> tuple[str, str]:
    """(level, message) for a coverage result: "success", "warning" or "info" (st.success etc.)."""
    levels, coverage, n = np.asarray(result["levels"]), np.asarray(result["coverage"]), int(result["pairs"])
    inner = (levels > 0) & (levels < 1)
    se = np.sqrt(levels[inner] * (1 - levels[inner]) / n)
    shortfall = float(np.max((levels[inner] - coverage[inner]) / se))
    gap = float(np.mean(coverage - levels))
    noisy = result["ess_median"] < LOW_ESS
    caveat = (f" The check itself is noisy: the model's posteriors are much narrower than the prior (median "
              f"importance ESS {result['ess_median']:.0f} per pair); read the curve with care." if noisy else "")
    if shortfall > OVERCONFIDENT_SE:
        return "warning", (f"Over-confident: its credible regions hold the true design less often than they claim "
                           f"(up to {shortfall:.1f} standard errors below the diagonal, mean coverage − level "
                           f"{gap:+.3f} over {n} held-out simulations). Distrust its narrowest proposals: train on "
                           "more data or for longer." + caveat)
    kind = "conservative (its regions are wider than needed)" if gap > 0.05 else "calibrated"
    below = (f"never more than {shortfall:.1f} standard errors below the diagonal" if shortfall > 0
             else "never below the diagonal")
    return ("info" if noisy else "success"), (f"Its coverage is {kind}: mean coverage − level {gap:+.3f} over {n} "
                                              f"held-out simulations, {below}." + caveat)
