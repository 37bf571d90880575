"""Geometric interference count of the fixed X-quad topology, vectorised over designs.

Counted, each as one interfering pair (all in plan view unless said):
- propeller disc vs adjacent propeller disc (4 pairs): sqrt(2) r < 2 R_p;
- propeller disc vs diagonal propeller disc (2 pairs): 2 r < 2 R_p;
- propeller disc vs adjacent arm tube (8 pairs): distance r from a rotor to the neighbouring arm's line < R_p;
- propeller disc vs adjacent motor (8 pairs): sqrt(2) r < R_p + r_motor;
- propeller disc vs diagonal motor (4 pairs): 2 r < R_p + r_motor;
- propeller disc vs the fuselage (4): the disc reaches the fuselage's plan rectangle (L x H);
- propeller disc vs floor component (4 x 7): the disc covers part of its footprint;
- floor component vs floor component (21 pairs): their footprint boxes overlap;
- floor component vs fuselage shell (7): its top rises above the fuselage's vertical diameter.
r = arm length (rotor distance from the centre), R_p = propeller radius.

:func:`find_interferences` evaluates every pair once and reports both the count and, per part, whether it takes
part in at least one interfering pair (for the 3-D view); :func:`count_interferences` is its count, and
:func:`interfering_pairs` names the pairs of one design in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quadcopter import constants as c
from quadcopter.mass import component_positions, geometry_si
from quadcopter.params import COMPONENTS

_BOX = np.array([c.COMPONENT_BOX[p] for p in COMPONENTS])  # (7, 3)
_PAIRS = np.array([(i, j) for i in range(len(COMPONENTS)) for j in range(i + 1, len(COMPONENTS))])  # (21, 2)
_MEMBERS = np.arange(len(COMPONENTS))[None, :] == _PAIRS[:, :, None]  # (21, 2, 7): which components form a pair
_MEMBERS = _MEMBERS.any(axis=1)  # (21, 7)
_DIAGONALS = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]) / np.sqrt(2)  # rotor directions (4, 2)


@dataclass(frozen=True)
class Interferences:
    """Interferences of N designs: ``count`` (N,) pairs, and per part whether it interferes with anything:
    ``rotors`` (N, 4) (propeller disc or motor), ``arms`` (N, 4), ``components`` (N, 7) in ``COMPONENTS`` order,
    ``fuselage`` (N,)."""

    count: np.ndarray
    rotors: np.ndarray
    arms: np.ndarray
    components: np.ndarray
    fuselage: np.ndarray


def rotor_positions(arm: np.ndarray) -> np.ndarray:
    """Plan positions (N, 4, 2) of the rotors (x, y) in metres for arm lengths ``arm`` (N,)."""
    return arm[:, None, None] * _DIAGONALS[None]


def _checks(theta: np.ndarray) -> dict[str, np.ndarray]:
    """Every pair check of validated designs ``theta`` (N, 19), as booleans: per-design rotor checks (N,) (each
    counted for 4, 2, 8, 8 or 4 symmetric pairs), ``prop_fuselage`` (N, 4), ``sticks_out`` (N, 7),
    ``prop_component`` (N, 4, 7) and ``overlap`` (N, 21) of the component pairs ``_PAIRS``."""
    g = geometry_si(theta)
    r = g["arm"]
    rp, rm = c.PROP_RADIUS, c.MOTOR_RADIUS
    rotors = rotor_positions(r)  # (N, 4, 2)
    # propeller vs fuselage plan rectangle [-L/2, L/2] x [-H/2, H/2]
    half = np.stack([g["L"], g["H"]], axis=1)[:, None, :] / 2  # (N, 1, 2)
    gap = np.maximum(np.abs(rotors) - half, 0.0)
    pos = component_positions(theta)  # (N, 7, 3)
    # propeller vs component: rectangle-to-point distance below R_p
    d = np.maximum(np.abs(pos[:, None, :, :2] - rotors[:, :, None, :]) - _BOX[None, None, :, :2] / 2, 0.0)
    # component footprints overlapping each other
    a, b = pos[:, _PAIRS[:, 0], :2], pos[:, _PAIRS[:, 1], :2]  # (N, 21, 2)
    reach = (_BOX[_PAIRS[:, 0], :2] + _BOX[_PAIRS[:, 1], :2]) / 2  # (21, 2)
    return {
        "prop_prop_adjacent": np.sqrt(2) * r < 2 * rp, "prop_prop_diagonal": 2 * r < 2 * rp,
        "prop_arm": r < rp + c.ARM_DIAMETER / 2,
        "prop_motor_adjacent": np.sqrt(2) * r < rp + rm, "prop_motor_diagonal": 2 * r < rp + rm,
        "prop_fuselage": np.hypot(gap[..., 0], gap[..., 1]) < rp,  # (N, 4)
        "sticks_out": pos[..., 2] + _BOX[None, :, 2] / 2 > g["V"][:, None] / 2,  # (N, 7)
        "prop_component": np.hypot(d[..., 0], d[..., 1]) < rp,  # (N, 4, 7)
        "overlap": (np.abs(a - b) < reach[None]).all(axis=2),  # (N, 21)
    }


# The per-design rotor checks: how many symmetric pairs each counts for, and how a person names them.
_ROTOR_CHECKS = {
    "prop_prop_adjacent": (4, "each propeller disc with its two neighbours' discs"),
    "prop_prop_diagonal": (2, "each propeller disc with the diagonally opposite disc"),
    "prop_arm": (8, "each propeller disc with its neighbours' arm tubes"),
    "prop_motor_adjacent": (8, "each propeller disc with its neighbours' motors"),
    "prop_motor_diagonal": (4, "each propeller disc with the diagonally opposite motor"),
}


def find_interferences(theta: np.ndarray) -> Interferences:
    """Interfering pairs of validated designs ``theta`` (N, 19): their count and the parts involved."""
    k = _checks(theta)
    count = sum(n * k[name] for name, (n, _) in _ROTOR_CHECKS.items())
    count = (count + k["prop_fuselage"].sum(axis=1) + k["sticks_out"].sum(axis=1) + k["prop_component"].sum(axis=(1, 2))
             + k["overlap"].sum(axis=1))
    rotor_wide = k["prop_prop_adjacent"] | k["prop_arm"] | k["prop_motor_adjacent"]  # the diagonal checks imply these
    rotor_flag = rotor_wide[:, None] | k["prop_fuselage"] | k["prop_component"].any(axis=2)
    component_flag = (k["sticks_out"] | k["prop_component"].any(axis=1)
                      | (k["overlap"][:, :, None] & _MEMBERS[None]).any(axis=1))
    return Interferences(count=count.astype(float), rotors=rotor_flag,
                         arms=np.repeat(k["prop_arm"][:, None], 4, axis=1), components=component_flag,
                         fuselage=k["prop_fuselage"].any(axis=1) | k["sticks_out"].any(axis=1))


def interfering_pairs(theta: np.ndarray) -> list[tuple[str, int]]:
    """What interferes in one validated design ``theta`` (19,) or (1, 19): (description, pairs counted) for every
    check that fires, in words (propeller discs numbered 1–4 as labelled in the 3-D view, components by name);
    the counts add up to the design's interference count."""
    k = {name: value[0] for name, value in _checks(np.asarray(theta, dtype=float).reshape(1, -1)).items()}
    found = [(text, n) for name, (n, text) in _ROTOR_CHECKS.items() if k[name]]
    found += [(f"propeller disc {i + 1} with the fuselage", 1) for i in np.flatnonzero(k["prop_fuselage"])]
    found += [(f"propeller disc {i + 1} with the {COMPONENTS[j].lower()} board", 1)
              for i, j in zip(*np.nonzero(k["prop_component"]), strict=True)]
    found += [(f"the {COMPONENTS[a].lower()} and {COMPONENTS[b].lower()} boards overlap", 1)
              for a, b in _PAIRS[k["overlap"]]]
    found += [(f"the {COMPONENTS[j].lower()} board sticks out of the fuselage", 1)
              for j in np.flatnonzero(k["sticks_out"])]
    return found


def count_interferences(theta: np.ndarray) -> np.ndarray:
    """Interference count (N,) of validated designs ``theta`` (N, 19)."""
    return find_interferences(theta).count
