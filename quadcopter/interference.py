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
part in at least one interfering pair (for the 3-D view); :func:`count_interferences` is its count.
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


def find_interferences(theta: np.ndarray) -> Interferences:
    """Interfering pairs of validated designs ``theta`` (N, 19): their count and the parts involved."""
    g = geometry_si(theta)
    r = g["arm"]
    rp, rm = c.PROP_RADIUS, c.MOTOR_RADIUS
    prop_prop_adjacent, prop_prop_diagonal = np.sqrt(2) * r < 2 * rp, 2 * r < 2 * rp
    prop_arm = r < rp + c.ARM_DIAMETER / 2
    prop_motor_adjacent, prop_motor_diagonal = np.sqrt(2) * r < rp + rm, 2 * r < rp + rm
    count = (4 * prop_prop_adjacent + 2 * prop_prop_diagonal + 8 * prop_arm
             + 8 * prop_motor_adjacent + 4 * prop_motor_diagonal)
    rotors = rotor_positions(r)  # (N, 4, 2)
    # propeller vs fuselage plan rectangle [-L/2, L/2] x [-H/2, H/2]
    half = np.stack([g["L"], g["H"]], axis=1)[:, None, :] / 2  # (N, 1, 2)
    gap = np.maximum(np.abs(rotors) - half, 0.0)
    prop_fuselage = np.hypot(gap[..., 0], gap[..., 1]) < rp  # (N, 4)
    pos = component_positions(theta)  # (N, 7, 3)
    sticks_out = pos[..., 2] + _BOX[None, :, 2] / 2 > g["V"][:, None] / 2  # (N, 7)
    # propeller vs component: rectangle-to-point distance below R_p
    d = np.maximum(np.abs(pos[:, None, :, :2] - rotors[:, :, None, :]) - _BOX[None, None, :, :2] / 2, 0.0)
    prop_component = np.hypot(d[..., 0], d[..., 1]) < rp  # (N, 4, 7)
    # component footprints overlapping each other
    a, b = pos[:, _PAIRS[:, 0], :2], pos[:, _PAIRS[:, 1], :2]  # (N, 21, 2)
    reach = (_BOX[_PAIRS[:, 0], :2] + _BOX[_PAIRS[:, 1], :2]) / 2  # (21, 2)
    overlap = (np.abs(a - b) < reach[None]).all(axis=2)  # (N, 21)
    count = (count + prop_fuselage.sum(axis=1) + sticks_out.sum(axis=1) + prop_component.sum(axis=(1, 2))
             + overlap.sum(axis=1))
    rotor_wide = prop_prop_adjacent | prop_arm | prop_motor_adjacent  # the diagonal checks imply the adjacent ones
    rotor_flag = rotor_wide[:, None] | prop_fuselage | prop_component.any(axis=2)
    component_flag = sticks_out | prop_component.any(axis=1) | (overlap[:, :, None] & _MEMBERS[None]).any(axis=1)
    return Interferences(count=count.astype(float), rotors=rotor_flag, arms=np.repeat(prop_arm[:, None], 4, axis=1),
                         components=component_flag, fuselage=prop_fuselage.any(axis=1) | sticks_out.any(axis=1))


def count_interferences(theta: np.ndarray) -> np.ndarray:
    """Interference count (N,) of validated designs ``theta`` (N, 19)."""
    return find_interferences(theta).count
