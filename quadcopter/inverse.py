"""What inverse design needs to know about this simulator, for :func:`dnre_core.inverse_design`.

- :func:`simulator`: ``simulator(theta (n, 19), seed) -> x (n, 7)``, the noisy simulator in the library's form.
- :data:`EXACT_METRICS`: the interference count is geometry alone, an exact and cheap function of the design, so a
  band on it restricts the designs proposed instead of being learned (:mod:`dnre_core.constraints`).
- :data:`DEFAULT_CONSTRAINTS`: "no interferences" — a design whose parts collide cannot be built, so it is added to
  every target that does not name ``Interferences`` itself (naming it, even as free, overrides it).
- :data:`METRIC_RESOLUTION`: the spacing of the values a metric can take. The maximum lateral speed is the fastest
  speed of the trim sweep's 1 m/s grid (``constants.SPEEDS``), as in the SRI data set, so a speed band narrower
  than 1 m/s holds one possible value at most; the interference count is an integer. The flight distance is also
  found at grid speeds, but it is a speed times an endurance and takes continuous values.
- :data:`UNITS`: every parameter's and metric's unit, for tables and exported designs.
"""

from __future__ import annotations

import numpy as np

from quadcopter.interference import count_interferences
from quadcopter.params import METRIC_UNITS, PARAMETER_UNITS, validate_theta
from quadcopter.simulate import simulate


def simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    """Metrics (n, 7) of designs θ (n, 19) with manufacturing tolerances and wind drawn from ``seed``."""
    return np.asarray(simulate(theta, seed=seed, noise=True), dtype=float)


def interference_count(theta: np.ndarray) -> np.ndarray:
    """Interfering part pairs (n,) of designs θ (n, 19): the simulator's ``Interferences`` metric, noise-free."""
    return count_interferences(validate_theta(theta))


EXACT_METRICS = {"Interferences": interference_count}
DEFAULT_CONSTRAINTS = {"Interferences": (None, 0.0)}
METRIC_RESOLUTION = {"Max_Lateral_Speed_(m/s)": 1.0, "Interferences": 1.0}
UNITS = {**PARAMETER_UNITS, **METRIC_UNITS}
