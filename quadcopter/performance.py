"""Flight metrics from a trim sweep: hover time, max lateral speed, power there, max distance, peak throttle.

hover time = E / P(0); max lateral speed = highest achievable speed; power at max speed = P there;
max flight distance = max over achievable V of V E / P(V); peak control = largest throttle at that V.
A design with no achievable speed fails: its five flight metrics are 0 and it gets a failure reason.
"""

from __future__ import annotations

import numpy as np

from quadcopter import constants as c
from quadcopter.trim import TrimSweep

FAILURE_REASONS: tuple[str, ...] = (
    "",
    "needs negative thrust on a rotor (centre of gravity outside the rotor footprint)",
    "motor current limit exceeded (thrust-to-weight too low)",
    "throttle saturated (battery voltage too low for the needed rotor speed)",
)


def top_speed_index(feasible: np.ndarray) -> np.ndarray:
    """Index (N,) of the highest achievable speed in ``feasible`` (N, S); 0 where no speed is achievable."""
    return feasible.shape[1] - 1 - np.argmax(feasible[:, ::-1], axis=1)


def flight_metrics(sweep: TrimSweep, energy_scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metrics (N, 5) in the order distance, hover time, lateral speed, peak throttle, power, and failure codes
    (N,) indexing ``FAILURE_REASONS`` (0 = success), from ``sweep`` and usable-energy scales (N,)."""
    energy = c.USABLE_ENERGY_WH * 3600.0 * energy_scale  # J, (N,)
    ok = sweep.feasible
    n = ok.shape[0]
    rows = np.arange(n)
    endurance = np.where(ok, energy[:, None] / sweep.power, 0.0)  # (N, S)
    distance = endurance * sweep.speeds[None, :]
    any_ok = ok.any(axis=1)
    best = np.argmax(distance, axis=1)
    top = top_speed_index(ok)
    out = np.zeros((n, 5))
    out[:, 0] = distance[rows, best]
    out[:, 1] = endurance[:, 0]
    out[:, 2] = sweep.speeds[top]
    out[:, 3] = sweep.throttle[rows, best].max(axis=-1)
    out[:, 4] = sweep.power[rows, top]
    out[~any_ok] = 0.0
    hover = 0
    code = np.select(
        [~(sweep.thrust[:, hover] > 0).all(axis=-1),
         ~(sweep.current[:, hover] <= c.MOTOR_MAX_CURRENT).all(axis=-1)],
        [1, 2], default=3)
    return out, np.where(any_ok, 0, code)
