"""Mass properties of a design: total mass, centre of gravity and principal inertias, vectorised over designs.

Mass (kg) = fixed parts (4 motors, props, ESCs, hub, 7 floor components)
          + 4 arm tubes (ARM_LINEAR_DENSITY x arm length)
          + fuselage shell (SHELL_AREAL_DENSITY x 2 (HV + HL + VL), a rounded box of the three diameters)
          + floor supports (floor height h x (FLOOR_DENSITY_H H + FLOOR_DENSITY_V V)).
Component offsets move the centre of gravity but not the mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quadcopter import constants as c
from quadcopter.params import COMPONENTS, INDEX


@dataclass(frozen=True)
class MassProperties:
    """Mass properties of N designs: ``mass`` (N,) kg, ``cg`` (N, 3) m from the fuselage centre, ``inertia`` (N, 3)
    kg m^2 about the body axes through the CG (diagonal terms), ``rotor_radius`` (N,) m, ``rotor_z`` (N,) m."""

    mass: np.ndarray
    cg: np.ndarray
    inertia: np.ndarray
    rotor_radius: np.ndarray
    rotor_z: np.ndarray


def geometry_si(theta: np.ndarray) -> dict[str, np.ndarray]:
    """Frame dimensions in metres from validated designs (N, 19): arm, floor, H, V, L, each (N,)."""
    mm = theta / 1000.0
    return {
        "arm": mm[:, INDEX["Arm_2159_Length"]],
        "floor": mm[:, INDEX["FUSELAGE_FLOOR_HEIGHT"]],
        "H": mm[:, INDEX["FUSELAGE_HORZ_DIAMETER"]],
        "V": mm[:, INDEX["FUSELAGE_VERT_DIAMETER"]],
        "L": mm[:, INDEX["FUSELAGE_LENGTH"]],
    }


def component_positions(theta: np.ndarray) -> np.ndarray:
    """Centres of the 7 floor components (N, 7, 3) in metres: offsets in x, y; z on the floor."""
    g = geometry_si(theta)
    out = np.empty((theta.shape[0], len(COMPONENTS), 3))
    for k, part in enumerate(COMPONENTS):
        out[:, k, 0] = theta[:, INDEX[f"FUSELAGE_{part}_X_OFFSET"]] / 1000.0
        out[:, k, 1] = theta[:, INDEX[f"FUSELAGE_{part}_Y_OFFSET"]] / 1000.0
        out[:, k, 2] = -g["V"] / 2 + g["floor"] + c.COMPONENT_BOX[part][2] / 2
    return out


def mass_properties(theta: np.ndarray, mass_scale: np.ndarray | float = 1.0,
                    cg_jitter: np.ndarray | float = 0.0) -> MassProperties:
    """Mass, CG and inertia of validated designs ``theta`` (N, 19).

    ``mass_scale`` (N,) multiplies every mass (manufacturing tolerance); ``cg_jitter`` (N, 3) m is added to the CG.
    """
    g = geometry_si(theta)
    n = theta.shape[0]
    rotor_z = np.full(n, c.ROTOR_MOUNT_HEIGHT)
    rotor_radius = g["arm"]
    m_rotor = c.MOTOR_MASS + c.PROP_MASS + c.ESC_MASS
    m_arms = 4 * c.ARM_LINEAR_DENSITY * g["arm"]
    area = 2 * (g["H"] * g["V"] + g["H"] * g["L"] + g["V"] * g["L"])
    m_shell = c.SHELL_AREAL_DENSITY * area
    m_floor = g["floor"] * (c.FLOOR_DENSITY_H * g["H"] + c.FLOOR_DENSITY_V * g["V"])
    z_floor = -g["V"] / 2 + g["floor"]
    comp_m = np.array([c.COMPONENT_MASS[p] for p in COMPONENTS])  # (7,)
    comp_pos = component_positions(theta)  # (N, 7, 3)
    mass = 4 * m_rotor + c.HUB_MASS + m_arms + m_shell + m_floor + comp_m.sum()
    moment = np.zeros((n, 3))
    moment[:, 2] = (4 * m_rotor + c.HUB_MASS + m_arms) * rotor_z + m_floor * z_floor
    moment += np.einsum("k,nkd->nd", comp_m, comp_pos)
    cg = moment / mass[:, None]
    # Inertia about the CG: rotors as point masses on the diagonals, arms as rods, shell as a box shell,
    # components as point masses. Parallel-axis terms use offsets from the CG.
    s = rotor_radius / np.sqrt(2)
    ixx = 4 * m_rotor * (s**2 + (rotor_z - cg[:, 2]) ** 2) + m_arms * (rotor_radius**2 / 6 + (rotor_z - cg[:, 2]) ** 2)
    izz = 4 * m_rotor * rotor_radius**2 + m_arms * rotor_radius**2 / 3
    ixx_shell = m_shell * (g["H"] ** 2 + g["V"] ** 2) / 12 + m_shell * cg[:, 2] ** 2
    iyy_shell = m_shell * (g["L"] ** 2 + g["V"] ** 2) / 12 + m_shell * cg[:, 2] ** 2
    izz_shell = m_shell * (g["L"] ** 2 + g["H"] ** 2) / 12
    rel = comp_pos - cg[:, None, :]
    ix_c = np.einsum("k,nk->n", comp_m, rel[..., 1] ** 2 + rel[..., 2] ** 2)
    iy_c = np.einsum("k,nk->n", comp_m, rel[..., 0] ** 2 + rel[..., 2] ** 2)
    iz_c = np.einsum("k,nk->n", comp_m, rel[..., 0] ** 2 + rel[..., 1] ** 2)
    inertia = np.stack([ixx + ixx_shell + ix_c, ixx + iyy_shell + iy_c, izz + izz_shell + iz_c], axis=1)
    scale = np.broadcast_to(np.asarray(mass_scale, dtype=float), (n,))
    return MassProperties(mass=mass * scale, cg=cg + cg_jitter, inertia=inertia * scale[:, None],
                          rotor_radius=rotor_radius, rotor_z=rotor_z)
