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


def simulate_detailed(
    theta: np.ndarray | pd.DataFrame, seed: int | None = None, noise: bool = True
) -> SimulationResult:
    """Like :func:`simulate` for an array, also returning failure reasons and the trim sweep."""
    t = validate_theta(theta)
    n = t.shape[0]
    unc = Uncertainty.sample(n, np.random.default_rng(seed)) if noise else Uncertainty.nominal(n)
    mp = mass_properties(t, unc.mass_scale, unc.cg_jitter)
    sweep = trim_sweep(t, mp, unc)
    flight, code = flight_metrics(sweep, unc.energy_scale)
    metrics = np.column_stack([count_interferences(t), mp.mass, flight])
    return SimulationResult(metrics=metrics, failure=np.asarray(FAILURE_REASONS, dtype=object)[code], sweep=sweep)


def simulate(
    theta: np.ndarray | pd.DataFrame, seed: int | None = None, noise: bool = True
) -> np.ndarray | pd.DataFrame:
    """Simulate designs ``theta`` (N, 19) in canonical order (or a DataFrame with the canonical columns).

    Returns metrics (N, 7) in ``METRIC_NAMES`` order; a DataFrame (same index) for DataFrame input.
    ``noise=True`` draws manufacturing tolerances and wind from ``seed``; ``noise=False`` is the nominal design.
    Failed designs (no achievable trim) have their five flight metrics 0.
    """
    metrics = simulate_detailed(theta, seed=seed, noise=noise).metrics
    if isinstance(theta, pd.DataFrame):
        return pd.DataFrame(metrics, columns=list(METRIC_NAMES), index=theta.index)
    return metrics
