"""The simulator: designs (N, 19) → metrics (N, 7) in ``METRIC_NAMES`` order, vectorised and seeded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quadcopter.interference import count_interferences
from quadcopter.mass import mass_properties
from quadcopter.params import METRIC_NAMES, validate_theta
from quadcopter.performance import FAILURE_REASONS, flight_metrics
from quadcopter.trim import TrimSweep, trim_sweep
from quadcopter.uncertainty import Uncertainty


@dataclass(frozen=True)
class SimulationResult:
    """Metrics (N, 7), failure reasons (N,) ('' on success) and the full trim sweep behind them."""

    metrics: np.ndarray
    failure: np.ndarray
    sweep: TrimSweep


#: Designs simulated per pass by :func:`simulate`: the trim sweep of this many designs takes some tens of MB, so
#: memory stays flat however many designs are asked for.
CHUNK_SIZE = 2_000


def _noise(n: int, seed: int | None, noise: bool) -> Uncertainty:
    """The perturbations of all ``n`` designs, drawn at once (so that chunking cannot change them)."""
    return Uncertainty.sample(n, np.random.default_rng(seed)) if noise else Uncertainty.nominal(n)


def _simulate(t: np.ndarray, unc: Uncertainty) -> SimulationResult:
    mp = mass_properties(t, unc.mass_scale, unc.cg_jitter)
    sweep = trim_sweep(t, mp, unc)
    flight, code = flight_metrics(sweep, unc.energy_scale)
    metrics = np.column_stack([count_interferences(t), mp.mass, flight])
    return SimulationResult(metrics=metrics, failure=np.asarray(FAILURE_REASONS, dtype=object)[code], sweep=sweep)


def simulate_detailed(
    theta: np.ndarray | pd.DataFrame, seed: int | None = None, noise: bool = True
) -> SimulationResult:
    """Like :func:`simulate` for an array, also returning failure reasons and the trim sweep (of every design at
    once: meant for inspecting a few designs)."""
    t = validate_theta(theta)
    return _simulate(t, _noise(t.shape[0], seed, noise))


def simulate(
    theta: np.ndarray | pd.DataFrame, seed: int | None = None, noise: bool = True, chunk_size: int = CHUNK_SIZE
) -> np.ndarray | pd.DataFrame:
    """Simulate designs ``theta`` (N, 19) in canonical order (or a DataFrame with the canonical columns).

    Returns metrics (N, 7) in ``METRIC_NAMES`` order; a DataFrame (same index) for DataFrame input.
    ``noise=True`` draws manufacturing tolerances and wind from ``seed``; ``noise=False`` is the nominal design.
    Failed designs (no achievable trim) have their five flight metrics 0. The designs are simulated
    ``chunk_size`` at a time with their perturbations drawn for all of them first, so the result does not depend
    on ``chunk_size`` and memory does not grow with N beyond the inputs and outputs.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer; got {chunk_size!r}.")
    t = validate_theta(theta)
    unc = _noise(t.shape[0], seed, noise)
    metrics = np.empty((t.shape[0], len(METRIC_NAMES)))
    for start in range(0, t.shape[0], chunk_size):
        rows = slice(start, start + chunk_size)
        metrics[rows] = _simulate(t[rows], unc.rows(rows)).metrics
    if isinstance(theta, pd.DataFrame):
        return pd.DataFrame(metrics, columns=list(METRIC_NAMES), index=theta.index)
    return metrics
