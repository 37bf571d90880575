"""What-if sweeps around one design, vectorised: every design of a sweep goes through one call of
:func:`quadcopter.simulate_detailed` (nominal, no manufacturing noise), so a 100 × 100 grid is one batch.

* :func:`sweep_1d`: one parameter over its whole range, the others held at the design's values: all seven metrics;
* :func:`sweep_2d`: two parameters over a grid: the metrics on the grid (one is shown as a heat map);
* :func:`sensitivity`: each parameter moved by −step and +step (a fraction of its value or of its range), the
  change of every metric.

A design that cannot fly (no trim at any speed) is marked ``failed``; its flight metrics are 0 and are not changes
the engineer can use, so the plots mark such points instead of drawing them as values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import quadcopter

STEP_OF = ("value", "range")


@dataclass(frozen=True)
class Sweep1D:
    parameter: int
    values: np.ndarray  # (n,) the parameter's values
    metrics: np.ndarray  # (n, 7)
    failed: np.ndarray  # (n,) bool
    current: float  # the design's own value of the parameter


@dataclass(frozen=True)
class Sweep2D:
    parameters: tuple[int, int]
    x_values: np.ndarray  # (nx,) values of the first parameter
    y_values: np.ndarray  # (ny,) values of the second
    metrics: np.ndarray  # (ny, nx, 7), rows along the second parameter
    failed: np.ndarray  # (ny, nx) bool
    current: tuple[float, float]


@dataclass(frozen=True)
class Sensitivity:
    step: np.ndarray  # (19,) the nominal step of each parameter (mm); moves past a bound stop at it
    base: np.ndarray  # (7,) the design's own metrics
    down: np.ndarray  # (19, 7) metric change for parameter − step
    up: np.ndarray  # (19, 7) metric change for parameter + step
    failed_down: np.ndarray  # (19,) bool: the design with parameter − step cannot fly
    failed_up: np.ndarray  # (19,) bool


def _simulate(designs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nominal metrics (N, 7) and failure flags (N,) of designs (N, 19)."""
    detail = quadcopter.simulate_detailed(designs, noise=False)
    return detail.metrics, detail.failure != ""


def _design(theta: np.ndarray) -> np.ndarray:
    theta = np.asarray(theta, dtype=float).reshape(-1)
    if theta.shape != (len(quadcopter.PARAMETER_NAMES),):
        raise ValueError(f"A design has {len(quadcopter.PARAMETER_NAMES)} parameters; got {theta.shape[0]}.")
    return np.clip(theta, quadcopter.LOWER, quadcopter.UPPER)


def sweep_1d(theta: np.ndarray, parameter: int, num: int = 101) -> Sweep1D:
    """Parameter ``parameter`` of design ``theta`` (19,) over ``num`` evenly spaced values of its range."""
    base = _design(theta)
    values = np.linspace(quadcopter.LOWER[parameter], quadcopter.UPPER[parameter], num)
    designs = np.repeat(base[None], num, axis=0)
    designs[:, parameter] = values
    metrics, failed = _simulate(designs)
    return Sweep1D(parameter, values, metrics, failed, float(base[parameter]))


def sweep_2d(theta: np.ndarray, parameters: tuple[int, int], num: int = 100) -> Sweep2D:
    """Two parameters of design ``theta`` over a ``num`` × ``num`` grid of their ranges."""
    i, j = parameters
    if i == j:
        raise ValueError("A 2-D sweep needs two different parameters.")
    base = _design(theta)
    x_values = np.linspace(quadcopter.LOWER[i], quadcopter.UPPER[i], num)
    y_values = np.linspace(quadcopter.LOWER[j], quadcopter.UPPER[j], num)
    grid_x, grid_y = np.meshgrid(x_values, y_values)  # (ny, nx)
    designs = np.repeat(base[None], grid_x.size, axis=0)
    designs[:, i], designs[:, j] = grid_x.ravel(), grid_y.ravel()
    metrics, failed = _simulate(designs)
    return Sweep2D((i, j), x_values, y_values, metrics.reshape(num, num, -1), failed.reshape(num, num),
                   (float(base[i]), float(base[j])))


def sensitivity(theta: np.ndarray, fraction: float = 0.1, of: str = "value") -> Sensitivity:
    """Each parameter of ``theta`` moved by ± ``fraction`` of its value (``of="value"``) or of its range
    (``of="range"``), one at a time and clipped to the bounds: 2 × 19 designs in one batch."""
    if of not in STEP_OF:
        raise ValueError(f"The step is a fraction of the parameter's {' or '.join(STEP_OF)}, not {of!r}.")
    base = _design(theta)
    size = np.abs(base) if of == "value" else quadcopter.UPPER - quadcopter.LOWER
    d = base.shape[0]
    down = np.repeat(base[None], d, axis=0)
    up = down.copy()
    rows = np.arange(d)
    down[rows, rows] = np.maximum(base - fraction * size, quadcopter.LOWER)
    up[rows, rows] = np.minimum(base + fraction * size, quadcopter.UPPER)
    metrics, failed = _simulate(np.concatenate([base[None], down, up]))
    return Sensitivity(step=fraction * size, base=metrics[0], down=metrics[1 : d + 1] - metrics[0],
                       up=metrics[d + 1 :] - metrics[0], failed_down=failed[1 : d + 1], failed_up=failed[d + 1 :])
