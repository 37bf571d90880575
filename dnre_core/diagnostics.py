"""Chain diagnostics: split-R̂ and bulk/tail ESS computed with ArviZ, plus acceptance and step sizes.

ArviZ expects arrays (chain, draw, parameter); we pass the raw chains as they are. R̂ and ESS are computed on first
use, so a sampler callback that only reads progress or the chains costs no ArviZ call.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from torch import Tensor

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import arviz as az


def arviz_summary(chains: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank-normalised split-R̂, bulk ESS and tail ESS per parameter for chains (C, T, D) → three (D,) arrays.

    Returns NaNs when there are fewer than 4 draws per chain (ArviZ's split-R̂ needs at least 2 per half).
    """
    num_params = chains.shape[-1]
    if chains.ndim != 3 or chains.shape[1] < 4:
        nan = np.full(num_params, np.nan)
        return nan, nan.copy(), nan.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "more chains than draws" is expected with many short chains
        dataset = az.convert_to_dataset(np.asarray(chains, dtype=np.float64))
        rhat = az.rhat(dataset)["x"].values
        ess_bulk = az.ess(dataset, method="bulk")["x"].values
        ess_tail = az.ess(dataset, method="tail")["x"].values
    return np.asarray(rhat, dtype=float), np.asarray(ess_bulk, dtype=float), np.asarray(ess_tail, dtype=float)


@dataclass
class ChainDiagnostics:
    """Diagnostics of one sampling run.

    Attributes:
        chains: kept draws (C, T, D) after warm-up and thinning.
        rhat, ess_bulk, ess_tail: per parameter (D,), from ArviZ, computed once on first access.
        acceptance: acceptance rate per chain (C,) over the kept phase (warm-up when nothing is kept yet).
        step_size: final MH proposal scale or HMC leapfrog step size per chain (C,).
        sampler: "mh" or "hmc"; step / total_steps / warmup_steps: progress; phase: "warmup" or "sampling".
        seconds: wall time so far; stopped_early: the callback asked to stop.
        thin: steps per kept draw; ess_target: with automatic thinning, the bulk ESS every parameter was to reach,
            as a fraction of the kept draws (None otherwise).
    """

    chains: Tensor
    acceptance: np.ndarray
    step_size: np.ndarray
    sampler: str
    step: int
    total_steps: int
    warmup_steps: int
    seconds: float
    stopped_early: bool = False
    parameter_names: list[str] | None = field(default=None)
    thin: int = 1
    ess_target: float | None = None

    @classmethod
    def from_chains(cls, chains: Tensor, acceptance: Tensor, step_size: Tensor, **info: Any) -> ChainDiagnostics:
        """Diagnostics of ``chains`` (C, T, D) with per-chain ``acceptance`` and ``step_size`` (C,)."""
        return cls(chains=chains.detach().cpu(), acceptance=acceptance.detach().cpu().numpy(),
                   step_size=step_size.detach().cpu().numpy(), **info)

    @cached_property
    def _summary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return arviz_summary(self.chains.numpy())

    @property
    def rhat(self) -> np.ndarray:
        return self._summary[0]

    @property
    def ess_bulk(self) -> np.ndarray:
        return self._summary[1]

    @property
    def ess_tail(self) -> np.ndarray:
        return self._summary[2]

    @property
    def phase(self) -> str:
        return "warmup" if self.step < self.warmup_steps else "sampling"

    @property
    def num_draws(self) -> int:
        return int(self.chains.shape[1])

    @property
    def max_rhat(self) -> float:
        return float(np.nanmax(self.rhat)) if np.isfinite(self.rhat).any() else math.nan

    @property
    def min_ess_bulk(self) -> float:
        return float(np.nanmin(self.ess_bulk)) if np.isfinite(self.ess_bulk).any() else math.nan

    @property
    def min_ess_per_second(self) -> float:
        return self.min_ess_bulk / self.seconds if self.seconds > 0 else math.nan

    def ess_shortfall(self) -> str | None:
        """A warning when automatic thinning ended with a bulk ESS below its target (:attr:`ess_target`), else None."""
        if self.ess_target is None or self.stopped_early or not math.isfinite(self.min_ess_bulk):
            return None
        num_draws = self.chains.shape[0] * self.num_draws
        if self.min_ess_bulk >= self.ess_target * num_draws:
            return None
        return (f"Automatic thinning stopped at {self.thin} steps per draw with a bulk ESS of {self.min_ess_bulk:.0f} "
                f"for {num_draws} draws, short of {self.ess_target:.0%} of them: the chains mix slowly here, so the "
                "draws are correlated and spreads are underestimated; pass a larger thin= or more chains.")

    def table(self) -> list[dict[str, Any]]:
        """One row per parameter: name, R̂, bulk ESS, tail ESS (for display)."""
        names = self.parameter_names or [f"theta_{i}" for i in range(len(self.rhat))]
        return [{"parameter": n, "rhat": float(r), "ess_bulk": float(b), "ess_tail": float(t)}
                for n, r, b, t in zip(names, self.rhat, self.ess_bulk, self.ess_tail, strict=True)]

    def warnings(self, rhat_threshold: float = 1.01, min_ess: float = 100.0, min_ess_fraction: float = 0.05,
                 labels: Sequence[str] | None = None) -> list[str]:
        """Plain-language warnings about convergence (empty when nothing looks wrong).

        Bulk ESS is flagged below ``min_ess`` and below ``min_ess_fraction`` of the draws kept (all chains): many
        draws worth few independent ones are mostly repeats, however many were asked for. Parameters are named by
        ``labels`` (e.g. with units) when given, else by their names.
        """
        found = []
        names = list(labels or self.parameter_names or [f"theta_{i}" for i in range(len(self.rhat))])
        high = [n for n, r in zip(names, self.rhat, strict=True) if np.isfinite(r) and r > rhat_threshold]
        if high:
            found.append(f"The chains disagree (R̂ > {rhat_threshold}) for {', '.join(high)}: run longer warm-up or "
                         "more draws before trusting these parameters.")
        kept = int(self.chains.shape[0]) * self.num_draws
        threshold = max(min_ess, min_ess_fraction * kept)
        low = [n for n, e in zip(names, self.ess_bulk, strict=True) if np.isfinite(e) and e < threshold]
        if low:
            found.append(f"Few effectively independent draws (bulk ESS < {threshold:,.0f} of {kept:,} draws) for "
                         f"{', '.join(low)}: the draws are mostly repeats and estimates of their spread are noisy; run "
                         "longer chains, thin more, or use HMC.")
        shortfall = self.ess_shortfall()
        if shortfall is not None:
            found.append(shortfall)
        if len(self.acceptance) and float(np.mean(self.acceptance)) < 0.05:
            found.append("Very few proposals were accepted (< 5 %): the chains barely move.")
        return found

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (no raw chains)."""
        return {"sampler": self.sampler, "num_chains": int(self.chains.shape[0]), "num_draws": self.num_draws,
                "step": self.step, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps,
                "thin": self.thin, "ess_target": self.ess_target,
                "seconds": self.seconds, "stopped_early": self.stopped_early, "parameters": self.table(),
                "acceptance_mean": float(np.mean(self.acceptance)) if len(self.acceptance) else math.nan,
                "step_size_median": float(np.median(self.step_size)) if len(self.step_size) else math.nan,
                "max_rhat": self.max_rhat, "min_ess_bulk": self.min_ess_bulk, "warnings": self.warnings()}

