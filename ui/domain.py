"""The quadcopter as the dashboard shows it: names, labels with units, groups, bounds, and the CSV schema.

A thin adapter over the public API of :mod:`quadcopter` (the canonical names stay the keys everywhere; labels are
for display only).
"""

from __future__ import annotations

from quadcopter import (
    COMPONENTS,
    DEFAULTS,
    LOWER,
    METRIC_LABELS,
    METRIC_NAMES,
    METRIC_UNITS,
    PARAMETER_LABELS,
    PARAMETER_NAMES,
    UPPER,
)
from ui.csv_import import Schema

__all__ = ["DEFAULTS", "LOWER", "METRIC_NAMES", "METRIC_UNITS", "PARAMETER_NAMES", "UPPER"]

# The five flight metrics: a design whose trim fails at every speed has all of them 0 (README of the SRI data).
FAILURE_METRICS: tuple[str, ...] = tuple(m for m in METRIC_NAMES if m not in ("Interferences", "mass"))

# Metrics where more is better (the rest: less is better), for the Pareto front of designs.
HIGHER_IS_BETTER: frozenset[str] = frozenset(
    {"Max_Flight_Distance_(m)", "Max_Hover_Time_(s)", "Max_Lateral_Speed_(m/s)"})

PARAMETER_GROUPS: dict[str, tuple[str, ...]] = {
    "Arms": ("Arm_2159_Length",),
    "Fuselage": ("FUSELAGE_FLOOR_HEIGHT", "FUSELAGE_HORZ_DIAMETER", "FUSELAGE_VERT_DIAMETER", "FUSELAGE_LENGTH"),
    "Component layout": tuple(f"FUSELAGE_{part}_{axis}_OFFSET" for part in COMPONENTS for axis in ("X", "Y")),
}


def parameter_labels(names: list[str] | tuple[str, ...] = PARAMETER_NAMES) -> list[str]:
    return [PARAMETER_LABELS.get(n, n) for n in names]


def metric_labels(names: list[str] | tuple[str, ...] = METRIC_NAMES) -> list[str]:
    return [METRIC_LABELS.get(n, n) for n in names]


def csv_schema() -> Schema:
    """What an imported (θ, x) CSV must contain: the 19 parameters within bounds and the 7 metrics."""
    return Schema(
        parameter_names=PARAMETER_NAMES,
        metric_names=METRIC_NAMES,
        low=tuple(float(v) for v in LOWER),
        high=tuple(float(v) for v in UPPER),
        failure_metrics=FAILURE_METRICS,
        zero_means_unsolved=("Max_Hover_Time_(s)",),  # 0 when no hover trim is found (README of the SRI data)
        labels={**PARAMETER_LABELS, **METRIC_LABELS},
    )
