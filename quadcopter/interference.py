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
"""

from __future__ import annotations

import numpy as np

from quadcopter import constants as c
from quadcopter.mass import component_positions, geometry_si
from quadcopter.params import COMPONENTS

_BOX = np.array([c.COMPONENT_BOX[p] for p in COMPONENTS])  # (7, 3)
_PAIRS = np.array([(i, j) for i in range(len(COMPONENTS)) for j in range(i + 1, len(COMPONENTS))])  # (21, 2)
_DIAGONALS = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]) / np.sqrt(2)  # rotor directions (4, 2)


def rotor_positions(arm: np.ndarray) -> np.ndarray:
    """Plan positions (N, 4, 2) of the rotors (x, y) in metres for arm lengths ``arm`` (N,)."""
    return arm[:, None, None] * _DIAGONALS[None]


def count_interferences(theta: np.ndarray) -> np.ndarray:
    """Interference count (N,) of validated designs ``theta`` (N, 19)."""
    g = geometry_si(theta)
    r = g["arm"]
    rp, rm = c.PROP_RADIUS, c.MOTOR_RADIUS
    count = (4 * (np.sqrt(2) * r < 2 * rp) + 2 * (2 * r < 2 * rp) + 8 * (r < rp + c.ARM_DIAMETER / 2)
             + 8 * (np.sqrt(2) * r < rp + rm) + 4 * (2 * r < rp + rm))
    rotors = rotor_positions(r)  # (N, 4, 2)
    # propeller vs fuselage plan rectangle [-L/2, L/2] x [-H/2, H/2]
    half = np.stack([g["L"], g["H"]], axis=1)[:, None, :] / 2  # (N, 1, 2)
    gap = np.maximum(np.abs(rotors) - half, 0.0)
    count = count + (np.hypot(gap[..., 0], gap[..., 1]) < rp).sum(axis=1)
    pos = component_positions(theta)  # (N, 7, 3)
    top = pos[..., 2] + _BOX[None, :, 2] / 2
    sticks_out = top > g["V"][:, None] / 2  # (N, 7)
    count = count + sticks_out.sum(axis=1)
    # propeller vs protruding component: rectangle-to-point distance below R_p
    d = np.abs(pos[:, None, :, :2] - rotors[:, :, None, :]) - _BOX[None, None, :, :2] / 2  # (N, 4, 7, 2)
    d = np.maximum(d, 0.0)
    covered = np.hypot(d[..., 0], d[..., 1]) < rp
    count = count + covered.sum(axis=(1, 2))
    # component footprints overlapping each other
    a, b = pos[:, _PAIRS[:, 0], :2], pos[:, _PAIRS[:, 1], :2]  # (N, 21, 2)
    reach = (_BOX[_PAIRS[:, 0], :2] + _BOX[_PAIRS[:, 1], :2]) / 2  # (21, 2)
    overlap = (np.abs(a - b) < reach[None]).all(axis=2)
    return (count + overlap.sum(axis=1)).astype(float)
