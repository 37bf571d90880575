"""Propeller, motor and ESC models in closed form, vectorised over any array shape.

Propeller (advance ratio J = u / (n D), u the inflow along the rotor axis, n in rev/s):
    T = rho n^2 D^4 C_T(J),  P_shaft = rho n^3 D^5 C_P(J)   with the quadratic C_T, C_P of ``constants``.
Because C_T is quadratic in J, T = rho D^4 (CT0 n^2 - CT1 (u/D) n - CT2 (u/D)^2) is quadratic in n and the
rotor speed for a wanted thrust has a closed form.
DC motor (Kv in rpm/V, winding resistance R, no-load current I0):
    I = Q / K_t + I0,  K_t = 60 / (2 pi Kv) N m/A,   U = 60 n / Kv + I R,   throttle = U / U_battery.
Electrical power drawn from the battery = U I / eta_ESC.
"""

from __future__ import annotations

import numpy as np

from quadcopter import constants as c


def rotor_speed(thrust: np.ndarray, axial_speed: np.ndarray, ct_scale: np.ndarray | float = 1.0) -> np.ndarray:
    """Rotor speed n (rev/s) giving ``thrust`` (N) at axial inflow ``axial_speed`` (m/s); broadcasting shapes.

    ``ct_scale`` multiplies C_T (manufacturing scatter). Non-positive thrust gives n = 0.
    """
    d = c.PROP_DIAMETER
    k = c.RHO * d**4 * ct_scale
    a = c.CT0
    b = -c.CT1 * axial_speed / d
    cc = -c.CT2 * (axial_speed / d) ** 2 - np.maximum(thrust, 0.0) / k
    return (-b + np.sqrt(b * b - 4 * a * cc)) / (2 * a)


def shaft_power(n: np.ndarray, axial_speed: np.ndarray) -> np.ndarray:
    """Shaft power (W) of a propeller at speed ``n`` (rev/s) and axial inflow ``axial_speed`` (m/s); ≥ 0."""
    d = c.PROP_DIAMETER
    v = axial_speed / d
    p = c.RHO * d**5 * (c.CP0 * n**3 + c.CP1 * v * n**2 - c.CP2 * v**2 * n)
    return np.maximum(p, 0.0)


def motor_operating_point(n: np.ndarray, power: np.ndarray, kv: np.ndarray | float = c.MOTOR_KV,
                          resistance: np.ndarray | float = c.MOTOR_RESISTANCE) -> tuple[np.ndarray, np.ndarray]:
    """Motor current (A) and terminal voltage (V) delivering shaft ``power`` (W) at ``n`` (rev/s); same shapes."""
    omega = 2 * np.pi * np.maximum(n, 1e-9)
    torque = power / omega
    kt = 60.0 / (2 * np.pi * kv)
    current = torque / kt + c.MOTOR_NO_LOAD_CURRENT
    voltage = 60.0 * n / kv + current * resistance
    return current, voltage
