"""3-D layout of one design for viewers: fuselage, arms, motors, propeller discs, floor components, CG.

Body frame, metres: x along the fuselage length, y along the horizontal diameter, z up, origin at the fuselage
centre (see ``constants``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from quadcopter import constants as c
from quadcopter.design import Design
from quadcopter.interference import find_interferences, rotor_positions
from quadcopter.mass import component_positions, geometry_si, mass_properties
from quadcopter.params import COMPONENTS, validate_theta


def geometry(design: Design | np.ndarray | dict[str, float]) -> dict[str, Any]:
    """Parts of one design (a :class:`Design`, a canonical vector (19,) or a name → value dict).

    Returns ``fuselage`` {center (3,), size (3,) = (L, H, V), interferes}, ``floor_z``,
    ``arms`` [(start (3,), end (3,))] x 4 and ``arms_interfere`` [bool] x 4,
    ``rotors`` [{center (3,), prop_radius, motor_radius, interferes}] x 4,
    ``components`` [{name, center (3,), size (3,), interferes}] x 7, ``interferences`` (the count, as simulated),
    ``cg`` (3,), ``mass`` (kg); all lengths in metres, as plain lists. ``interferes`` is True when the part is in at
    least one interfering pair of the interference count (:func:`quadcopter.interference.find_interferences`).
    """
    if isinstance(design, dict):
        design = Design.from_dict(design)
    row = design.to_array() if isinstance(design, Design) else np.asarray(design, dtype=float)
    theta = validate_theta(row)
    g = {k: float(v[0]) for k, v in geometry_si(theta).items()}
    mp = mass_properties(theta)
    z_r = float(mp.rotor_z[0])
    rotors = rotor_positions(np.array([g["arm"]]))[0]
    pos = component_positions(theta)[0]
    hits = find_interferences(theta)
    return {
        "fuselage": {"center": [0.0, 0.0, 0.0], "size": [g["L"], g["H"], g["V"]], "interferes": bool(hits.fuselage[0])},
        "floor_z": -g["V"] / 2 + g["floor"],
        "arms": [([0.0, 0.0, z_r], [float(x), float(y), z_r]) for x, y in rotors],
        "arms_interfere": hits.arms[0].tolist(),
        "rotors": [{"center": [float(x), float(y), z_r], "prop_radius": c.PROP_RADIUS, "motor_radius": c.MOTOR_RADIUS,
                    "interferes": bool(hits.rotors[0, i])} for i, (x, y) in enumerate(rotors)],
        "components": [{"name": name, "center": pos[k].tolist(), "size": list(c.COMPONENT_BOX[name]),
                        "interferes": bool(hits.components[0, k])} for k, name in enumerate(COMPONENTS)],
        "interferences": int(hits.count[0]),
        "cg": mp.cg[0].tolist(),
        "mass": float(mp.mass[0]),
    }
