"""The design space and the metrics: canonical names, bounds, units, labels, defaults and input validation.

Canonical order is the shared data set's column order. Parameters are millimetres; a design matrix has
shape ``(N, 19)`` and a metric matrix ``(N, 7)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPONENTS: tuple[str, ...] = ("AUTOPILOT", "BATTERY", "CURRENT", "GPS", "RPM", "VARIO", "VOLTAGE")

PARAMETER_NAMES: tuple[str, ...] = (
    "Arm_2159_Length",
    "FUSELAGE_FLOOR_HEIGHT",
    "FUSELAGE_HORZ_DIAMETER",
    "FUSELAGE_VERT_DIAMETER",
    "FUSELAGE_AUTOPILOT_X_OFFSET",
    "FUSELAGE_AUTOPILOT_Y_OFFSET",
    "FUSELAGE_BATTERY_X_OFFSET",
    "FUSELAGE_BATTERY_Y_OFFSET",
    "FUSELAGE_CURRENT_X_OFFSET",
    "FUSELAGE_CURRENT_Y_OFFSET",
    "FUSELAGE_GPS_X_OFFSET",
    "FUSELAGE_GPS_Y_OFFSET",
    "FUSELAGE_LENGTH",
    "FUSELAGE_RPM_X_OFFSET",
    "FUSELAGE_RPM_Y_OFFSET",
    "FUSELAGE_VARIO_X_OFFSET",
    "FUSELAGE_VARIO_Y_OFFSET",
    "FUSELAGE_VOLTAGE_X_OFFSET",
    "FUSELAGE_VOLTAGE_Y_OFFSET",
)

METRIC_NAMES: tuple[str, ...] = (
    "Interferences",
    "mass",
    "Max_Flight_Distance_(m)",
    "Max_Hover_Time_(s)",
    "Max_Lateral_Speed_(m/s)",
    "Max_uc_at_Max_Flight_Distance",
    "Power_at_Max_Speed_(W)",
)

METRIC_UNITS: dict[str, str] = {
    "Interferences": "count",
    "mass": "kg",
    "Max_Flight_Distance_(m)": "m",
    "Max_Hover_Time_(s)": "s",
    "Max_Lateral_Speed_(m/s)": "m/s",
    "Max_uc_at_Max_Flight_Distance": "0–1",
    "Power_at_Max_Speed_(W)": "W",
}

METRIC_LABELS: dict[str, str] = {
    "Interferences": "Interferences (count)",
    "mass": "Mass (kg)",
    "Max_Flight_Distance_(m)": "Max flight distance (m)",
    "Max_Hover_Time_(s)": "Max hover time (s)",
    "Max_Lateral_Speed_(m/s)": "Max lateral speed (m/s)",
    "Max_uc_at_Max_Flight_Distance": "Peak throttle at max distance (0–1)",
    "Power_at_Max_Speed_(W)": "Power at max speed (W)",
}


def _bounds(name: str) -> tuple[float, float]:
    fixed = {
        "Arm_2159_Length": (50.0, 500.0),
        "FUSELAGE_FLOOR_HEIGHT": (5.0, 80.0),
        "FUSELAGE_HORZ_DIAMETER": (250.0, 1000.0),
        "FUSELAGE_VERT_DIAMETER": (40.0, 400.0),
        "FUSELAGE_LENGTH": (50.0, 200.0),
    }
    if name in fixed:
        return fixed[name]
    return (-100.0, 100.0) if name.endswith("_X_OFFSET") else (-50.0, 50.0)


LOWER: np.ndarray = np.array([_bounds(n)[0] for n in PARAMETER_NAMES])
"""Lower bounds (19,), millimetres."""
UPPER: np.ndarray = np.array([_bounds(n)[1] for n in PARAMETER_NAMES])
"""Upper bounds (19,), millimetres."""
DEFAULTS: np.ndarray = np.where(LOWER < 0, 0.0, (LOWER + UPPER) / 2)
"""A mid-box default design (19,): centred components, mid-range frame."""


def _label(name: str) -> str:
    for part in COMPONENTS:
        for axis in ("X", "Y"):
            if name == f"FUSELAGE_{part}_{axis}_OFFSET":
                nice = {"CURRENT": "current sensor", "RPM": "RPM sensor", "VARIO": "variometer",
                        "VOLTAGE": "voltage sensor", "GPS": "GPS"}.get(part, part.lower())
                return f"{nice[0].upper()}{nice[1:]} {axis} offset (mm)"
    return {
        "Arm_2159_Length": "Arm length (mm)",
        "FUSELAGE_FLOOR_HEIGHT": "Floor height (mm)",
        "FUSELAGE_HORZ_DIAMETER": "Fuselage horizontal diameter (mm)",
        "FUSELAGE_VERT_DIAMETER": "Fuselage vertical diameter (mm)",
        "FUSELAGE_LENGTH": "Fuselage length (mm)",
    }[name]


PARAMETER_LABELS: dict[str, str] = {n: _label(n) for n in PARAMETER_NAMES}
PARAMETER_UNITS: dict[str, str] = dict.fromkeys(PARAMETER_NAMES, "mm")

INDEX: dict[str, int] = {n: i for i, n in enumerate(PARAMETER_NAMES)}


def validate_theta(theta: np.ndarray | pd.DataFrame | list) -> np.ndarray:
    """Check a design matrix and return it as float64 ``(N, 19)`` in canonical order.

    A DataFrame must hold the 19 canonical columns (any order, extra columns ignored); an array must have 19
    columns in canonical order (a single design of shape ``(19,)`` is accepted). Raises ``ValueError`` naming
    the offending column and bound for NaN/inf or out-of-bounds values.
    """
    if isinstance(theta, pd.DataFrame):
        missing = [n for n in PARAMETER_NAMES if n not in theta.columns]
        if missing:
            raise ValueError(f"Design table lacks column(s) {missing}; expected the 19 columns "
                             f"{list(PARAMETER_NAMES)}.")
        arr = _as_numbers(theta[list(PARAMETER_NAMES)])
    else:
        try:
            arr = np.asarray(theta, dtype=float)
        except (TypeError, ValueError) as e:
            table = _rows_as_table(theta)
            if table is not None:
                _as_numbers(table)  # raises, naming the column of the first cell that is not a number
            raise ValueError(f"Designs must be numbers, shape (N, 19); could not read them as numbers ({e}).") from None
        if arr.ndim == 1:
            arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != len(PARAMETER_NAMES):
        raise ValueError(f"Designs must have shape (N, {len(PARAMETER_NAMES)}) in the order {list(PARAMETER_NAMES)}; "
                         f"got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError("No designs given (N = 0).")
    finite = np.isfinite(arr)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ValueError(f"Column {PARAMETER_NAMES[col]} has a missing or infinite value (row {row}); every "
                         "parameter needs a number.")
    tol = 1e-9 * (UPPER - LOWER)
    for bad, bound, word in ((arr < LOWER - tol, LOWER, "lower"), (arr > UPPER + tol, UPPER, "upper")):
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(f"Column {PARAMETER_NAMES[col]} = {_mm(arr[row, col])} mm (row {row}) is outside its "
                             f"{word} bound {_mm(bound[col])} mm; allowed range [{_mm(LOWER[col])}, {_mm(UPPER[col])}] "
                             "mm.")
    return np.clip(arr, LOWER, UPPER)


def _mm(value: float) -> str:
    """``value`` with every digit it needs (the shortest text that reads back as it): 500.0000001, not 500."""
    return np.format_float_positional(float(value), trim="-")


def _rows_as_table(rows: object) -> pd.DataFrame | None:
    """Rows of 19 cells as a table with the canonical column names, or None when they are not that."""
    try:
        return pd.DataFrame(rows, columns=list(PARAMETER_NAMES))
    except (TypeError, ValueError, AssertionError):
        return None


def _as_numbers(frame: pd.DataFrame) -> np.ndarray:
    """The table as float64 (N, K); a cell that is not a number is a ValueError naming its column and row."""
    try:
        return frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        for name in frame.columns:
            numbers = pd.to_numeric(frame[name], errors="coerce")
            bad = numbers.isna() & frame[name].notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(f"Column {name} has {frame[name].iloc[row]!r} in row {row}, which is not a number; "
                                 "every parameter needs a number in millimetres.") from None
        raise
