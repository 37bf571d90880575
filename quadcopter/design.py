"""One design as a validated dataclass with defaults, convertible to and from the canonical vector (19,)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from quadcopter.params import DEFAULTS, INDEX, PARAMETER_NAMES, validate_theta


def _field_name(parameter: str) -> str:
    return parameter.lower().replace("fuselage_", "").replace("arm_2159_length", "arm_length")


_FIELDS: dict[str, str] = {_field_name(p): p for p in PARAMETER_NAMES}


@dataclass(frozen=True)
class Design:
    """A quadcopter design, millimetres; fields are the canonical names in snake case (``arm_length`` for
    ``Arm_2159_Length``, ``battery_y_offset`` for ``FUSELAGE_BATTERY_Y_OFFSET``...). Defaults: mid-box frame,
    centred components. Construction validates the bounds (``ValueError`` naming the column and bound)."""

    arm_length: float = float(DEFAULTS[INDEX["Arm_2159_Length"]])
    floor_height: float = float(DEFAULTS[INDEX["FUSELAGE_FLOOR_HEIGHT"]])
    horz_diameter: float = float(DEFAULTS[INDEX["FUSELAGE_HORZ_DIAMETER"]])
    vert_diameter: float = float(DEFAULTS[INDEX["FUSELAGE_VERT_DIAMETER"]])
    autopilot_x_offset: float = 0.0
    autopilot_y_offset: float = 0.0
    battery_x_offset: float = 0.0
    battery_y_offset: float = 0.0
    current_x_offset: float = 0.0
    current_y_offset: float = 0.0
    gps_x_offset: float = 0.0
    gps_y_offset: float = 0.0
    length: float = float(DEFAULTS[INDEX["FUSELAGE_LENGTH"]])
    rpm_x_offset: float = 0.0
    rpm_y_offset: float = 0.0
    vario_x_offset: float = 0.0
    vario_y_offset: float = 0.0
    voltage_x_offset: float = 0.0
    voltage_y_offset: float = 0.0

    def __post_init__(self) -> None:
        validate_theta(self.to_array())

    def to_array(self) -> np.ndarray:
        """The canonical parameter vector (19,)."""
        return np.array([float(getattr(self, f.name)) for f in fields(self)])

    def to_dict(self) -> dict[str, float]:
        """Canonical name → value (mm)."""
        return dict(zip(PARAMETER_NAMES, self.to_array().tolist(), strict=True))

    @classmethod
    def from_array(cls, values: np.ndarray | list[float]) -> Design:
        """A design from a canonical vector (19,)."""
        row = validate_theta(values)[0]
        return cls(*row.tolist())

    @classmethod
    def from_dict(cls, values: dict[str, float]) -> Design:
        """A design from canonical names (missing ones take defaults); unknown names are an error."""
        unknown = [k for k in values if k not in INDEX]
        if unknown:
            raise ValueError(f"Unknown design parameter(s) {unknown}; expected names from {list(PARAMETER_NAMES)}.")
        row = DEFAULTS.copy()
        for k, v in values.items():
            row[INDEX[k]] = float(v)
        return cls.from_array(row)


assert [f.name for f in fields(Design)] == list(_FIELDS), "Design fields must follow PARAMETER_NAMES"
