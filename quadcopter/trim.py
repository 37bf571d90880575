"""Steady lateral-flight trim sweep, vectorised over designs x speeds x rotors.

At each ground speed V (``constants.SPEEDS``) along ``FLIGHT_DIRECTION`` x body y (coordinates below are
mirrored so that +y is the flight direction), with airspeed V_a = V + wind:
1. Drag D = q (Cd(H/V) V L + CD_ARM d_arm 4 r sin 45° + 4 ROTOR_CDA): the fuselage as an elliptic cylinder,
   arm tubes and rotors; q = rho V_a^2 / 2. It acts at the fuselage centre (as in the professional model).
2. Force balance with roll held level: the body tilts by phi = atan(D / W) about x, total thrust T = hypot(D, W).
3. Moment balance about the CG: sum_i y_i T_i = y_cg T - M_drag - M_hub,  sum_i x_i T_i = x_cg T,  and yaw
   sum_i s_i T_i = 0 (diagonal pairs spin alike), M_drag = D (y_cg sin phi - z_cg cos phi), and the rotors' own
   nose-up hub moments in edgewise flow M_hub = K_M R sum_i mu_i T_i, mu_i = V_a cos phi / (2 pi n_i R).
   With rotors on the diagonals at (±c, ±c), c = r / sqrt 2, the 4x4 system has the closed-form solution
   T_i = (T + s^y_i M_y / c + s^x_i M_x / c) / 4; as M_hub depends on the rotor speeds, the split is found by a
   scalar fixed point per design and speed, solved by ``HUB_ITERATIONS`` secant steps (to round-off; see the tests).
4. Each rotor: axial inflow u = V_a sin phi, speed n from the C_T quadratic, shaft power from C_P, motor current
   and voltage, throttle = U / U_battery with the battery's voltage sag under the total current.
A speed is achievable when every T_i > 0, every throttle ≤ 1, every motor current ≤ its limit and the tilt is within
the flight controller's maximum lean angle (``constants.MAX_TILT_DEG``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quadcopter import constants as c
from quadcopter.mass import MassProperties, geometry_si
from quadcopter.propulsion import motor_operating_point, rotor_speed, shaft_power
from quadcopter.uncertainty import Uncertainty

_SX = np.array([1.0, -1.0, -1.0, 1.0])  # sign of rotor x (rotors on the diagonals, see interference.rotor_positions)
_SY = np.array([1.0, 1.0, -1.0, -1.0])  # sign of rotor y
HUB_ITERATIONS = 12


@dataclass(frozen=True)
class TrimSweep:
    """Trim over N designs and S speeds: ``speeds`` (S,), ``feasible`` (N, S), ``power`` (N, S) W electrical,
    ``throttle`` (N, S, 4), ``current`` (N, S, 4) A, ``thrust`` (N, S, 4) N, ``tilt`` (N, S) rad, ``rpm`` (N, S, 4)."""

    speeds: np.ndarray
    feasible: np.ndarray
    power: np.ndarray
    throttle: np.ndarray
    current: np.ndarray
    thrust: np.ndarray
    tilt: np.ndarray
    rpm: np.ndarray


def fuselage_drag_area(theta: np.ndarray) -> np.ndarray:
    """Drag area Cd S (N,) m^2 of the fuselage in flow along its horizontal diameter."""
    g = geometry_si(theta)
    cd = np.minimum(c.CD_FUS0 + c.CD_FUS1 * g["V"] / g["H"], c.CD_FUS_MAX)
    return cd * g["V"] * g["L"]


def rotor_drag_area(theta: np.ndarray) -> np.ndarray:
    """Drag area (N,) m^2 of the four arms and rotors in flow along body y."""
    arm = geometry_si(theta)["arm"]
    return c.CD_ARM * c.ARM_DIAMETER * 4 * arm * np.sin(np.pi / 4) + 4 * c.ROTOR_CDA


def hub_moment(rotor_thrust: np.ndarray, n: np.ndarray, edgewise_speed: np.ndarray) -> np.ndarray:
    """Nose-up hub moment (N m) of the four rotors, K_M R sum_i mu_i T_i: ``rotor_thrust`` (..., 4) N, speeds
    ``n`` (..., 4) rev/s, ``edgewise_speed`` (..., 1) m/s in the rotor plane; returns shape (...)."""
    mu = edgewise_speed / np.maximum(2 * np.pi * n * c.PROP_RADIUS, 1e-9)
    return c.HUB_MOMENT_COEFF * c.PROP_RADIUS * (mu * np.maximum(rotor_thrust, 0.0)).sum(axis=-1)


def trim_sweep(theta: np.ndarray, mp: MassProperties, unc: Uncertainty, speeds: np.ndarray = c.SPEEDS) -> TrimSweep:
    """Trim validated designs ``theta`` (N, 19) with mass properties ``mp`` at every speed of ``speeds`` (S,)."""
    airspeed = speeds[None, :] + unc.wind[:, None]  # (N, S)
    q = 0.5 * c.RHO * airspeed * np.abs(airspeed)
    d_fus = q * fuselage_drag_area(theta)[:, None]
    d_rot = q * rotor_drag_area(theta)[:, None]
    drag = d_fus + d_rot
    weight = (mp.mass * c.G)[:, None]
    tilt = np.arctan2(drag, weight)
    thrust = np.hypot(drag, weight)
    x_cg, y_cg, z_cg = (mp.cg[:, k][:, None] for k in range(3))
    y_cg = c.FLIGHT_DIRECTION * y_cg  # work in a frame whose +y is the flight direction
    sin, cos = np.sin(tilt), np.cos(tilt)
    m_drag = drag * (y_cg * sin - z_cg * cos)
    m_x = x_cg * thrust  # required sum_i x_i T_i
    arm = (mp.rotor_radius / np.sqrt(2))[:, None, None]
    axial = (airspeed * sin)[..., None]
    edgewise = (np.abs(airspeed) * cos)[..., None]

    def split(m_hub: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rotor thrusts (N, S, 4) and speeds for an assumed hub moment (N, S), and the hub moment they make."""
        m_y = y_cg * thrust - m_drag - m_hub  # required sum_i y_i T_i
        t_i = (thrust[..., None] + _SY * m_y[..., None] / arm + _SX * m_x[..., None] / arm) / 4
        n_i = rotor_speed(t_i, axial, unc.ct_scale[:, None, None])
        return t_i, n_i, hub_moment(t_i, n_i, edgewise)

    # secant iteration on the scalar fixed point m = M_hub(split(m)), one per design and speed
    m_prev = np.zeros_like(thrust)
    *_, made = split(m_prev)
    g_prev, m_hub = made - m_prev, made
    for _ in range(HUB_ITERATIONS):
        *_, made = split(m_hub)
        g = made - m_hub
        step = np.divide(g * (m_hub - m_prev), g - g_prev, out=np.zeros_like(g), where=np.abs(g - g_prev) > 1e-15)
        m_prev, g_prev, m_hub = m_hub, g, m_hub - step
    rotor_thrust, n, _ = split(m_hub)
    p_shaft = shaft_power(n, axial)
    kv = (c.MOTOR_KV * unc.kv_scale)[:, None, None]
    res = (c.MOTOR_RESISTANCE * unc.resistance_scale)[:, None, None]
    current, voltage = motor_operating_point(n, p_shaft, kv, res)
    power = (voltage * current).sum(axis=-1) / c.ESC_EFFICIENCY + c.AVIONICS_POWER
    battery_voltage = c.BATTERY_VOLTAGE - c.BATTERY_RESISTANCE * power / c.BATTERY_VOLTAGE
    throttle = voltage / battery_voltage[..., None]
    feasible = ((rotor_thrust > 0).all(axis=-1) & (throttle <= 1).all(axis=-1)
                & (current <= c.MOTOR_MAX_CURRENT).all(axis=-1) & (battery_voltage > 0)
                & (tilt <= np.radians(c.MAX_TILT_DEG)))
    return TrimSweep(speeds=np.asarray(speeds, dtype=float), feasible=feasible, power=power, throttle=throttle,
                     current=current, thrust=rotor_thrust, tilt=tilt, rpm=60 * n)
