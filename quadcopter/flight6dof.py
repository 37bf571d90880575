"""A light 6-DOF time-domain simulator, vectorised over designs: rigid body, rotor lag, cascaded controller, gusts.

State per design: position p and velocity v (world, z up), attitude R (body → world), body rates w, rotor
speeds n (rev/s). Dynamics (fixed-step RK4, controller held over a step):
    m dv/dt = R (0, 0, sum T_i) - m g e_z - 1/2 rho CdA |v - wind| (v - wind),     dp/dt = v,
    I dw/dt = sum (r_i - r_cg) x (0, 0, T_i) + (0, 0, sum s_i kappa T_i) - w x I w,   dR/dt = R [w]x,
    dn_i/dt = (n_cmd,i - n_i) / tau,   T_i = rho D^4 CT0 n_i^2,   kappa = D CP0 / (2 pi CT0).
Controller: velocity loop a_des = k_v (v_ref - v) + g e_z (tilt capped at MAX_TILT), thrust along the desired
body z; geometric attitude loop (Lee et al., CDC 2010) M = -I (k_R e_R + k_w w); a 4x4 mixer including the
CG offset gives rotor thrusts, clipped to [0, T_max] (full-throttle rotor speed n_max = U_battery Kv / 60).
Gusts: a seeded Ornstein-Uhlenbeck wind (time constant GUST_TAU) of standard deviation ``gust`` m/s per axis.
The 6-DOF model uses static propeller coefficients (no inflow correction, no hub moment); the trim sweep is the
performance model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quadcopter import constants as c
from quadcopter.interference import rotor_positions
from quadcopter.mass import mass_properties
from quadcopter.params import validate_theta
from quadcopter.trim import fuselage_drag_area, rotor_drag_area

MOTOR_TAU = 0.05  # s, rotor speed time constant
K_VEL = 2.0  # 1/s
K_ATT = 40.0  # 1/s^2
K_RATE = 12.0  # 1/s
MAX_TILT = np.radians(c.MAX_TILT_DEG)  # the autopilot's maximum lean angle, as in the trim sweep
GUST_TAU = 2.0  # s
SPEED_STEP_TIME = 0.5  # s: when fly() steps the speed command from 0 to velocity_ref
_SPIN = np.array([1.0, -1.0, 1.0, -1.0])  # diagonal pairs spin alike


@dataclass(frozen=True)
class FlightLog:
    """Time histories: ``time`` (T,), ``position``/``velocity`` (N, T, 3) world, ``attitude`` (N, T, 3, 3),
    ``rates`` (N, T, 3) body, ``rotor_speed`` (N, T, 4) rev/s, ``throttle`` (N, T, 4) (0–1, commanded)."""

    time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    attitude: np.ndarray
    rates: np.ndarray
    rotor_speed: np.ndarray
    throttle: np.ndarray


def _hat(w: np.ndarray) -> np.ndarray:
    z = np.zeros(w.shape[:-1])
    return np.stack([np.stack([z, -w[..., 2], w[..., 1]], -1), np.stack([w[..., 2], z, -w[..., 0]], -1),
                     np.stack([-w[..., 1], w[..., 0], z], -1)], -2)


def fly(theta: np.ndarray, velocity_ref: np.ndarray | float = 0.0, duration: float = 5.0, dt: float = 0.005,
        gust: float = 0.0, seed: int | None = None, motors_on: bool = True, drag: bool = True,
        initial_velocity: np.ndarray | None = None, initial_rates: np.ndarray | None = None) -> FlightLog:
    """Fly designs ``theta`` (N, 19) from hover, tracking a lateral velocity step ``velocity_ref`` (N,) or scalar
    m/s along world y starting at t = ``SPEED_STEP_TIME`` (0.5 s), for ``duration`` s with step ``dt``.

    ``motors_on=False`` and ``drag=False`` give a passive rigid body (free fall), used to check the integrator.
    ``initial_velocity`` (N, 3) m/s and ``initial_rates`` (N, 3) rad/s override the hover start.
    """
    if not (dt > 0 and duration > 0):
        raise ValueError(f"duration and dt must be positive; got duration={duration}, dt={dt}.")
    t_in = validate_theta(theta)
    n = t_in.shape[0]
    mp = mass_properties(t_in)
    m, inertia = mp.mass, mp.inertia
    cda = fuselage_drag_area(t_in) + rotor_drag_area(t_in) if drag else np.zeros(n)
    rotors = np.concatenate([rotor_positions(mp.rotor_radius), np.broadcast_to(mp.rotor_z[:, None, None], (n, 4, 1))],
                            axis=2) - mp.cg[:, None, :]  # (N, 4, 3) from the CG
    k_t = c.RHO * c.PROP_DIAMETER**4 * c.CT0
    kappa = c.PROP_DIAMETER * c.CP0 / (2 * np.pi * c.CT0)
    mixer = np.stack([np.ones((n, 4)), rotors[..., 1], -rotors[..., 0], np.broadcast_to(kappa * _SPIN, (n, 4))], 1)
    unmix = np.linalg.inv(mixer)  # (N, 4, 4)
    n_max = c.BATTERY_VOLTAGE * c.MOTOR_KV / 60.0
    v_ref = np.broadcast_to(np.asarray(velocity_ref, dtype=float), (n,))
    rng = np.random.default_rng(seed)
    steps = round(duration / dt)
    hover_n = np.sqrt(m * c.G / 4 / k_t)
    state = {"p": np.zeros((n, 3)),
             "v": np.zeros((n, 3)) if initial_velocity is None else np.array(initial_velocity, float),
             "R": np.broadcast_to(np.eye(3), (n, 3, 3)).copy(),
             "w": np.zeros((n, 3)) if initial_rates is None else np.array(initial_rates, float),
             "n": np.repeat(hover_n[:, None], 4, 1) if motors_on else np.zeros((n, 4))}
    wind = np.zeros((n, 3))
    log = {k: np.empty((n, steps + 1, *s)) for k, s in
           (("p", (3,)), ("v", (3,)), ("R", (3, 3)), ("w", (3,)), ("n", (4,)), ("u", (4,)))}

    def command(s: dict[str, np.ndarray], t: float) -> np.ndarray:
        target = np.zeros((n, 3))
        target[:, 1] = np.where(t >= SPEED_STEP_TIME, v_ref, 0.0)
        acc = K_VEL * (target - s["v"])
        horiz = np.linalg.norm(acc[:, :2], axis=1)
        cap = c.G * np.tan(MAX_TILT)
        acc[:, :2] *= np.minimum(1.0, cap / np.maximum(horiz, 1e-12))[:, None]
        acc[:, 2] += c.G
        force = m[:, None] * acc
        zb = force / np.linalg.norm(force, axis=1, keepdims=True)
        yb = np.cross(zb, np.array([1.0, 0.0, 0.0]))
        yb /= np.linalg.norm(yb, axis=1, keepdims=True)
        rd = np.stack([np.cross(yb, zb), yb, zb], axis=2)
        err = np.einsum("nji,njk->nik", rd, s["R"]) - np.einsum("nji,njk->nik", s["R"], rd)
        e_r = 0.5 * np.stack([err[:, 2, 1], err[:, 0, 2], err[:, 1, 0]], axis=1)
        moment = -inertia * (K_ATT * e_r + K_RATE * s["w"])
        total = np.einsum("ni,ni->n", force, s["R"][:, :, 2])
        wanted = np.einsum("nij,nj->ni", unmix, np.column_stack([total, moment]))
        thrust = np.clip(wanted, 0.0, k_t * n_max**2)
        return np.sqrt(thrust / k_t)

    def deriv(s: dict[str, np.ndarray], n_cmd: np.ndarray) -> dict[str, np.ndarray]:
        thrust = k_t * s["n"] ** 2
        air = s["v"] - wind
        f = np.einsum("nij,nj->ni", s["R"], np.column_stack([np.zeros((n, 2)), thrust.sum(1)]))
        f -= 0.5 * c.RHO * cda[:, None] * np.linalg.norm(air, axis=1, keepdims=True) * air
        f[:, 2] -= m * c.G
        torque = np.cross(rotors, np.concatenate([np.zeros((n, 4, 2)), thrust[..., None]], 2)).sum(1)
        torque[:, 2] += (kappa * _SPIN * thrust).sum(1)
        iw = inertia * s["w"]
        return {"p": s["v"], "v": f / m[:, None], "R": s["R"] @ _hat(s["w"]),
                "w": (torque - np.cross(s["w"], iw)) / inertia, "n": (n_cmd - s["n"]) / MOTOR_TAU}

    def record(i: int, s: dict[str, np.ndarray], n_cmd: np.ndarray) -> None:
        for k in ("p", "v", "R", "w", "n"):
            log[k][:, i] = s[k]
        log["u"][:, i] = n_cmd / n_max

    for i in range(steps):
        n_cmd = command(state, i * dt) if motors_on else np.zeros((n, 4))
        record(i, state, n_cmd)
        k1 = deriv(state, n_cmd)
        k2 = deriv({k: state[k] + 0.5 * dt * k1[k] for k in state}, n_cmd)
        k3 = deriv({k: state[k] + 0.5 * dt * k2[k] for k in state}, n_cmd)
        k4 = deriv({k: state[k] + dt * k3[k] for k in state}, n_cmd)
        state = {k: state[k] + dt / 6 * (k1[k] + 2 * k2[k] + 2 * k3[k] + k4[k]) for k in state}
        u, _, vt = np.linalg.svd(state["R"])
        state["R"] = u @ vt  # re-orthonormalise the attitude
        if gust > 0:
            a = np.exp(-dt / GUST_TAU)
            wind = a * wind + gust * np.sqrt(1 - a * a) * rng.standard_normal((n, 3))
    record(steps, state, command(state, steps * dt) if motors_on else np.zeros((n, 4)))
    return FlightLog(time=np.arange(steps + 1) * dt, position=log["p"], velocity=log["v"], attitude=log["R"],
                     rates=log["w"], rotor_speed=log["n"], throttle=log["u"])
