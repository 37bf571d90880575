"""Targets as engineers state them: per metric a value ± tolerance, a one-sided bound, or "free".

A target defines, per metric, an accepted band ``[low, high]`` (±inf for open sides) and the point x_o the
model conditions on when proposing designs:

* ``value`` v ± tol: band [v − tol, v + tol], conditioned on v (the band's centre);
* ``at least`` v / ``at most`` v: band [v, inf) / (−inf, v], conditioned on the centre of the band's part
  inside the range of the training data (a point in the band, so the proposal concentrates there);
* ``free``: band (−inf, inf), conditioned on nothing (needs a masked model).

The designs proposed for x_o are then re-simulated and importance-weighted towards p(θ | x in band) by
:mod:`ui.validation`. :func:`check_target` turns impossible or unsupported targets into specific messages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MODES = ("value", "at least", "at most", "free")


class TargetError(ValueError):
    """The target cannot be used with this model; the message says why."""


@dataclass(frozen=True)
class MetricTarget:
    name: str
    mode: str = "value"
    value: float = 0.0
    tolerance: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise TargetError(f"{self.name}: unknown target mode {self.mode!r}; choose one of {', '.join(MODES)}.")
        if self.mode != "free" and not math.isfinite(self.value):
            raise TargetError(f"{self.name}: the target value must be a finite number.")
        if not math.isfinite(self.tolerance) or self.tolerance < 0:
            raise TargetError(f"{self.name}: the tolerance must be a finite number ≥ 0, not {self.tolerance}.")

    @property
    def band(self) -> tuple[float, float]:
        if self.mode == "value":
            return self.value - self.tolerance, self.value + self.tolerance
        if self.mode == "at least":
            return self.value, math.inf
        if self.mode == "at most":
            return -math.inf, self.value
        return -math.inf, math.inf


@dataclass(frozen=True)
class Target:
    metrics: tuple[MetricTarget, ...]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def bands(self) -> tuple[np.ndarray, np.ndarray]:
        low, high = zip(*(m.band for m in self.metrics), strict=True)
        return np.array(low, dtype=float), np.array(high, dtype=float)

    def conditioning_point(self, x_min: Sequence[float], x_max: Sequence[float]) -> np.ndarray:
        """x_o for the model: the band's centre for a value; for a one-sided bound, the centre of the part of the
        band inside the training range ``[x_min, x_max]`` (so the proposal lands in the band); NaN for free."""
        point = []
        for m, lo, hi in zip(self.metrics, x_min, x_max, strict=True):
            if m.mode == "value":
                point.append(m.value)
            elif m.mode == "at least":
                point.append((m.value + max(hi, m.value)) / 2)
            elif m.mode == "at most":
                point.append((min(lo, m.value) + m.value) / 2)
            else:
                point.append(math.nan)
        return np.array(point, dtype=float)

    def as_dict(self) -> list[dict[str, Any]]:
        return [{"name": m.name, "mode": m.mode, "value": m.value, "tolerance": m.tolerance} for m in self.metrics]

    @classmethod
    def from_dict(cls, rows: Sequence[dict[str, Any]]) -> Target:
        return cls(tuple(MetricTarget(str(r["name"]), str(r["mode"]), float(r["value"]),
                                      float(r["tolerance"])) for r in rows))


def check_target(target: Target, metric_names: Sequence[str], x_min: Sequence[float], x_max: Sequence[float],
                 masked: bool, labels: Sequence[str] | None = None) -> None:
    """Raise :class:`TargetError` when the model cannot serve this target: wrong metrics, free metrics without
    masking, everything free, or a band that does not overlap the range of the model's training data."""
    shown = list(labels) if labels is not None else list(metric_names)
    if target.names != list(metric_names):
        raise TargetError(f"The target's metrics ({', '.join(target.names)}) are not the model's "
                          f"({', '.join(metric_names)}).")
    free = [shown[i] for i, m in enumerate(target.metrics) if m.mode == "free"]
    if free and not masked:
        raise TargetError(
            f"This model was trained without metric masking, so every metric needs a target; {', '.join(free)} "
            "is left free. Give it a value, or choose a model trained with masking (such as the default model)."
        )
    if all(m.mode == "free" for m in target.metrics):
        raise TargetError("Every metric is free: state at least one target, otherwise any design from the prior "
                          "will do.")
    problems = []
    for i, m in enumerate(target.metrics):
        low, high = m.band
        if m.mode == "free":
            continue
        if high < x_min[i] or low > x_max[i]:
            problems.append(f"{shown[i]}: the target {_describe(m)} lies outside the range the model was trained on "
                            f"({x_min[i]:.4g} to {x_max[i]:.4g})")
        elif m.mode == "value" and not x_min[i] <= m.value <= x_max[i]:
            problems.append(f"{shown[i]}: the value {m.value:g} lies outside the range the model was trained on "
                            f"({x_min[i]:.4g} to {x_max[i]:.4g})")
    if problems:
        raise TargetError("; ".join(problems)
                          + ". The model cannot propose designs there: move the target inside that range.")


def _describe(m: MetricTarget) -> str:
    if m.mode == "value":
        return f"{m.value:g} ± {m.tolerance:g}"
    return f"{m.mode} {m.value:g}"


def meets(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(N,) booleans: rows of x (N, L) inside every band (NaN never meets a band, but a free metric accepts it)."""
    x = np.asarray(x, dtype=float)
    free = ~np.isfinite(low) & ~np.isfinite(high)
    inside = (x >= low) & (x <= high)
    return (inside | free).all(axis=1)
