"""Targets as engineers state them on the Inverse design page, turned into :class:`dnre_core.Target` bands.

Per metric the form offers four modes: ``value`` v ± tolerance (the band [v − tol, v + tol]), ``at least`` v,
``at most`` v, and ``free`` (no band: the metric is left out of the target, so a standing constraint of the
simulator, such as "no interferences", still applies to it). :func:`to_target` refuses what no simulation could
meet or what is not a number, with a message naming the metric; :func:`dnre_core.target_warnings` then flags what
is legal but likely not meant (a band narrower than a grid metric's step, a band outside the values seen).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dnre_core import InputError, Target
from dnre_core.targets import at_least, at_most, value

MODES = ("value", "at least", "at most", "free")


@dataclass(frozen=True)
class MetricForm:
    """One metric's row of the target form."""

    name: str
    mode: str = "free"
    value: float = 0.0
    tolerance: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mode": self.mode, "value": self.value, "tolerance": self.tolerance}


def to_target(rows: Sequence[MetricForm], resolution: Mapping[str, float] | None = None,
              labels: Mapping[str, str] | None = None) -> Target:
    """The bands of the form's rows (free rows are left out).

    Raises :class:`dnre_core.InputError` naming the metric (by its label) for an unknown mode, a value or tolerance
    that is not a finite number, a negative tolerance, a tolerance of 0 on a continuous metric (one without a
    ``resolution``: no simulation lands exactly on a value), and a form with every metric free.
    """
    bands = {}
    for row in rows:
        label = (labels or {}).get(row.name, row.name)
        if row.mode not in MODES:
            raise InputError(f"{label}: unknown target {row.mode!r}; choose one of {', '.join(MODES)}.")
        if row.mode == "free":
            continue
        if not math.isfinite(row.value):
            raise InputError(f"{label}: the target value must be a finite number.")
        if row.mode == "value":
            if not math.isfinite(row.tolerance) or row.tolerance < 0:
                raise InputError(f"{label}: the tolerance must be a finite number ≥ 0, not {row.tolerance:g}.")
            if row.tolerance == 0 and row.name not in (resolution or {}):
                raise InputError(f"{label}: a tolerance of 0 on a continuous metric is met by no simulation; give "
                                 "the tolerance you can accept (the band is value ± tolerance).")
            bands[row.name] = value(row.value, row.tolerance)
        else:
            bands[row.name] = at_least(row.value) if row.mode == "at least" else at_most(row.value)
    if not bands:
        raise InputError("Every metric is free: state at least one target, otherwise any design from the prior "
                         "will do.")
    return Target(bands)


def timing_point(target: Target, metric_names: Sequence[str], x_min: Sequence[float],
                 x_max: Sequence[float]) -> np.ndarray:
    """One metrics vector (L,) inside ``target``'s bands, for timing a sampler at a single observation (the
    Benchmarks page's throughput run and ``benchmarks/speed/callbacks.py``), not for design: a band's centre, or
    for a one-sided band the centre of its part inside the training range [x_min, x_max]; NaN where it is free."""
    point = np.full(len(metric_names), np.nan)
    for k, name in enumerate(metric_names):
        low, high = target.bands.get(name, (None, None))
        if low is not None and high is not None:
            point[k] = (low + high) / 2
        elif low is not None:
            point[k] = (low + max(x_max[k], low)) / 2
        elif high is not None:
            point[k] = (min(x_min[k], high) + high) / 2
    return point
