"""sir and lotka_volterra with SciPy ODE solvers in place of sbibm's Julia ones (sbibm 1.1.0 definitions).

Both tasks integrate their ODE on sbibm's time grid, keep sbibm's subsampled summary and add sbibm's noise:

- sir: S, I, R with N = 10⁶, (S, I, R)(0) = (N − 1, 1, 0), dS = −βSI/N, dI = βSI/N − γI, dR = γI, saved daily on
  days 0..160; summary I at days 0, 17, …, 153 (10 values); data ~ Binomial(1000, clamp(I/N, 0, 1)).
  Prior: β ~ LogNormal(log 0.4, 0.5), γ ~ LogNormal(log 0.125, 0.2).
- lotka_volterra: (x, y)(0) = (30, 1), dx = αx − βxy, dy = −γy + δxy (solved in log x, log y), saved every 0.1 on
  [0, 20]; summary x and y at times 0, 2.1, …, 18.9 (every 21st point; 10 each, x first);
  data ~ LogNormal(log clamp(u, 1e-10, 1e4), 0.1).
  Prior: α, γ ~ LogNormal(−0.125, 0.5), β, δ ~ LogNormal(−3, 0.5).

The ODEs of a batch are integrated together as one stacked system (DOP853, tight tolerances) in chunks; a chunk whose
solve fails is re-solved one row at a time, and rows that still fail give NaN data, as in sbibm.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import Tensor
from torch.distributions import Independent, LogNormal

from benchmarks.sbibm_source import sbibm_data_task
from benchmarks.tasks import BenchmarkTask

# Right-hand side on a stacked state: u (K·n,) laid out component-major, params (P, n) → du/dt (K·n,).
OdeRhs = Callable[[float, np.ndarray, np.ndarray], np.ndarray]

_CHUNK = 256
_RTOL = 1e-8
_ATOL = 1e-8


def solve_batch(rhs: OdeRhs, u0: np.ndarray, params: np.ndarray, t_eval: np.ndarray) -> np.ndarray:
    """Solve one ODE per parameter row on the grid ``t_eval`` (T,), starting at ``t_eval[0]``.

    Args:
        rhs: stacked right-hand side (see :data:`OdeRhs`).
        u0: initial state (K,), shared by all rows.
        params: parameters (n, P).
        t_eval: save times (T,), increasing.

    Returns:
        Solutions (n, K, T); NaN for rows whose solve failed.
    """
    out = np.full((params.shape[0], u0.shape[0], t_eval.shape[0]), np.nan)
    for start in range(0, params.shape[0], _CHUNK):
        block = params[start : start + _CHUNK]
        solution = _solve_stacked(rhs, u0, block, t_eval)
        if solution is not None:
            out[start : start + len(block)] = solution
            continue
        for row in range(len(block)):
            single = _solve_stacked(rhs, u0, block[row : row + 1], t_eval)
            if single is not None:
                out[start + row] = single[0]
    return out


def _solve_stacked(rhs: OdeRhs, u0: np.ndarray, params: np.ndarray, t_eval: np.ndarray) -> np.ndarray | None:
    """Solve the rows of ``params`` (n, P) as one system; (n, K, T), or None when the solver fails."""
    n, k = params.shape[0], u0.shape[0]
    y0 = np.repeat(u0[:, None], n, axis=1).reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        sol = solve_ivp(
            rhs, (t_eval[0], t_eval[-1]), y0, method="DOP853", t_eval=t_eval, args=(params.T,), rtol=_RTOL, atol=_ATOL
        )
    if not sol.success or sol.y.shape[1] != t_eval.shape[0] or not np.isfinite(sol.y).all():
        return None
    return sol.y.reshape(k, n, -1).transpose(1, 0, 2)


def _sir_rhs(population: float) -> OdeRhs:
    def rhs(_t: float, u: np.ndarray, p: np.ndarray) -> np.ndarray:
        s, i, _r = u.reshape(3, -1)
        beta, gamma = p
        infection = beta * s * i / population
        recovery = gamma * i
        return np.concatenate([-infection, infection - recovery, recovery])

    return rhs


def _lotka_volterra_log_rhs(_t: float, u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The Lotka-Volterra ODE in (log x, log y), which keeps relative accuracy when a population comes close to 0."""
    log_x, log_y = u.reshape(2, -1)
    alpha, beta, gamma, delta = p
    return np.concatenate([alpha - beta * np.exp(log_y), -gamma + delta * np.exp(log_x)])


def _time_grid(days: float, saveat: float) -> np.ndarray:
    """sbibm's save times 0, saveat, …, days (days/saveat + 1 points)."""
    return np.linspace(0.0, days, round(days / saveat) + 1)


def _log_normal_prior(loc: list[float], scale: list[float]) -> Independent:
    return Independent(LogNormal(torch.tensor(loc), torch.tensor(scale)), 1)


class OdeTask(BenchmarkTask):
    """A task whose simulator solves an ODE from ``initial_state`` (K,, in the solver's variables) on the grid ``times``
    (T,), then adds noise."""

    initial_state: np.ndarray
    times: np.ndarray
    _rhs: OdeRhs

    def trajectories(self, theta: Tensor) -> np.ndarray:
        """Noise-free solutions (N, K, T) for parameters ``theta`` (N, D); NaN rows where the solve failed."""
        return solve_batch(self._rhs, self.initial_state, theta.detach().double().numpy(), self.times)


class SIRTask(OdeTask):
    """sbibm's SIR epidemic task: θ = (β, γ) (D = 2), x = 10 binomial counts of infected (L = 10)."""

    population = 1_000_000.0
    total_count = 1000

    def __init__(self) -> None:
        self.name = "sir"
        self.dim_parameters, self.dim_data = 2, 10
        self.prior = _log_normal_prior([float(np.log(0.4)), float(np.log(0.125))], [0.5, 0.2])
        self._data = sbibm_data_task(self.name, self.dim_parameters, self.dim_data)
        self.initial_state = np.array([self.population - 1.0, 1.0, 0.0])
        self.times = _time_grid(160.0, 1.0)
        self._rhs = _sir_rhs(self.population)

    def _simulate(self, theta: Tensor, seed: int) -> Tensor:
        u = self.trajectories(theta)  # (N, 3, 161)
        probs = np.clip(u[:, 1, ::17] / self.population, 0.0, 1.0)  # (N, 10)
        ok = np.isfinite(probs).all(axis=1)
        x = np.full(probs.shape, np.nan)
        x[ok] = np.random.default_rng(seed).binomial(self.total_count, probs[ok])
        return torch.from_numpy(x)


class LotkaVolterraTask(OdeTask):
    """sbibm's Lotka-Volterra task: θ = (α, β, γ, δ) (D = 4), x = 10 noisy prey then 10 predator counts (L = 20)."""

    noise_scale = 0.1

    def __init__(self) -> None:
        self.name = "lotka_volterra"
        self.dim_parameters, self.dim_data = 4, 20
        self.prior = _log_normal_prior([-0.125, -3.0, -0.125, -3.0], [0.5] * 4)
        self._data = sbibm_data_task(self.name, self.dim_parameters, self.dim_data)
        self.initial_state = np.log([30.0, 1.0])  # solved in log variables
        self.times = _time_grid(20.0, 0.1)
        self._rhs = _lotka_volterra_log_rhs

    def trajectories(self, theta: Tensor) -> np.ndarray:
        """Noise-free populations (x, y) (N, 2, T) for parameters ``theta`` (N, 4); NaN rows where the solve failed."""
        return np.exp(super().trajectories(theta))

    def _simulate(self, theta: Tensor, seed: int) -> Tensor:
        u = self.trajectories(theta)  # (N, 2, 201)
        summary = u[:, :, ::21].reshape(u.shape[0], -1)  # (N, 20): x at 10 times, then y
        ok = np.isfinite(summary).all(axis=1)
        x = np.full(summary.shape, np.nan)
        log_mean = np.log(np.clip(summary[ok], 1e-10, 10_000.0))
        x[ok] = np.exp(log_mean + self.noise_scale * np.random.default_rng(seed).standard_normal(log_mean.shape))
        return torch.from_numpy(x)
