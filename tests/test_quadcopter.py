"""Physics sanity, input validation, reproducibility and API of the quadcopter simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import quadcopter
from quadcopter import constants as c
from quadcopter.mass import mass_properties
from quadcopter.performance import top_speed_index
from quadcopter.propulsion import motor_operating_point, rotor_speed, shaft_power
from quadcopter.trim import _SY, hub_moment, trim_sweep
from quadcopter.uncertainty import Uncertainty

G = c.G


def designs(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return quadcopter.LOWER + (quadcopter.UPPER - quadcopter.LOWER) * rng.random((n, 19))


def with_value(name: str, values: list[float]) -> np.ndarray:
    theta = np.repeat(quadcopter.DEFAULTS[None], len(values), axis=0)
    theta[:, quadcopter.PARAMETER_NAMES.index(name)] = values
    return theta


def test_shapes_and_dataframe_roundtrip():
    theta = designs(7)
    out = quadcopter.simulate(theta, seed=1)
    assert out.shape == (7, 7) and np.isfinite(out).all()
    frame = pd.DataFrame(theta, columns=list(quadcopter.PARAMETER_NAMES)).iloc[:, ::-1]
    df = quadcopter.simulate(frame, seed=1)
    assert list(df.columns) == list(quadcopter.METRIC_NAMES)
    np.testing.assert_array_equal(df.to_numpy(), out)


def test_seeded_reproducibility_and_noise():
    theta = designs(50)
    a, b = quadcopter.simulate(theta, seed=3), quadcopter.simulate(theta, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, quadcopter.simulate(theta, seed=4))
    nominal = quadcopter.simulate(theta, noise=False)
    np.testing.assert_array_equal(nominal, quadcopter.simulate(theta, seed=99, noise=False))
    # mass scatter is the 1% manufacturing tolerance: relative spread well inside 5%
    assert np.abs(a[:, 1] / nominal[:, 1] - 1).max() < 0.05


def test_vectorised_equals_looped():
    theta = designs(12, seed=5)
    batch = quadcopter.simulate(theta, noise=False)
    looped = np.vstack([quadcopter.simulate(row, noise=False) for row in theta])
    np.testing.assert_allclose(batch, looped, rtol=1e-12, atol=1e-12)


def test_longer_arms_fewer_interferences():
    out = quadcopter.simulate(with_value("Arm_2159_Length", [60, 150, 250, 350, 480]), noise=False)
    assert np.all(np.diff(out[:, 0]) <= 0) and out[0, 0] > out[-1, 0]


def test_more_mass_shorter_hover():
    # the fuselage's vertical diameter adds shell mass; hover has no drag, so only mass changes hover power
    out = quadcopter.simulate(with_value("FUSELAGE_VERT_DIAMETER", [60, 150, 250, 380]), noise=False)
    assert np.all(np.diff(out[:, 1]) > 0)
    assert np.all(np.diff(out[:, 3]) < 0)


def test_top_speed_respects_the_autopilot_tilt_limit(monkeypatch):
    theta = designs(300, seed=11)
    mp, unc = mass_properties(theta), Uncertainty.nominal(len(theta))
    sweep = trim_sweep(theta, mp, unc)
    limit = np.radians(c.MAX_TILT_DEG)
    assert (sweep.tilt[sweep.feasible] <= limit).all()
    # the limit binds: some designs have the next speed refused for its tilt alone
    top = top_speed_index(sweep.feasible)
    rows = np.flatnonzero(top < sweep.feasible.shape[1] - 1)
    following = sweep.tilt[rows, top[rows] + 1]
    motors_ok = ((sweep.current[rows, top[rows] + 1] <= c.MOTOR_MAX_CURRENT).all(axis=-1)
                 & (sweep.throttle[rows, top[rows] + 1] <= 1).all(axis=-1))
    tilt_bound = (following > limit) & motors_ok
    assert tilt_bound.mean() > 0.2
    # and a more permissive autopilot lets exactly those designs fly faster
    monkeypatch.setattr(c, "MAX_TILT_DEG", 45.0)
    wider = trim_sweep(theta, mp, unc)
    top_wider = top_speed_index(wider.feasible)
    assert (top_wider[rows[tilt_bound]] > top[rows[tilt_bound]]).all()
    assert (top_wider >= top).all()


def test_hub_moment_is_trimmed_and_loads_the_rear_rotors(monkeypatch):
    theta = designs(200, seed=4)
    mp, unc = mass_properties(theta), Uncertainty.nominal(len(theta))
    sweep = trim_sweep(theta, mp, unc)
    # the secant iteration solves the moment balance sum_i y_i T_i = y_cg T - M_drag - M_hub to round-off
    weight = (mp.mass * G)[:, None]
    drag, thrust = weight * np.tan(sweep.tilt), weight / np.cos(sweep.tilt)
    y_cg, z_cg = c.FLIGHT_DIRECTION * mp.cg[:, 1:2], mp.cg[:, 2:3]
    m_drag = drag * (y_cg * np.sin(sweep.tilt) - z_cg * np.cos(sweep.tilt))
    m_hub = hub_moment(sweep.thrust, sweep.rpm / 60, (sweep.speeds[None, :] * np.cos(sweep.tilt))[..., None])
    arm = (mp.rotor_radius / np.sqrt(2))[:, None]
    rows = (sweep.thrust > 0).all(axis=-1)  # a rotor at zero thrust is outside the model (and infeasible)
    balance = (sweep.thrust * _SY).sum(axis=-1) * arm - (y_cg * thrust - m_drag - m_hub)
    assert np.abs(balance[rows]).max() < 1e-9
    # no edgewise flow in hover: no hub moment; in forward flight it loads the rear rotors (_SY < 0)
    monkeypatch.setattr(c, "HUB_MOMENT_COEFF", 0.0)
    without = trim_sweep(theta, mp, unc)
    np.testing.assert_allclose(sweep.thrust[:, 0], without.thrust[:, 0], rtol=1e-12)
    rear_minus_front = (-_SY * sweep.thrust).sum(axis=-1)
    assert (rear_minus_front[:, 1:] > (-_SY * without.thrust).sum(axis=-1)[:, 1:]).all()


def test_mass_does_not_depend_on_offsets():
    theta = designs(20, seed=2)
    moved = theta.copy()
    moved[:, 4:12] = 0.0
    np.testing.assert_allclose(quadcopter.simulate(theta, noise=False)[:, 1],
                               quadcopter.simulate(moved, noise=False)[:, 1], rtol=1e-12)


def max_static_thrust() -> float:
    """Static thrust (N) of one rotor at the motor current limit, by bisection on rotor speed."""
    lo, hi = 1.0, 300.0
    for _ in range(80):
        n = (lo + hi) / 2
        current, _ = motor_operating_point(np.array(n), shaft_power(np.array(n), np.array(0.0)))
        lo, hi = (n, hi) if current < c.MOTOR_MAX_CURRENT else (lo, n)
    return c.RHO * c.PROP_DIAMETER**4 * c.CT0 * lo**2


@pytest.mark.parametrize(("thrust_to_weight", "hovers"), [(0.9, False), (1.3, True)])
def test_thrust_to_weight_below_one_cannot_hover(thrust_to_weight, hovers):
    theta = quadcopter.validate_theta(quadcopter.DEFAULTS)
    weight = mass_properties(theta).mass[0] * G
    scale = 4 * max_static_thrust() / (thrust_to_weight * weight)
    unc = Uncertainty.nominal(1)
    mp = mass_properties(theta, mass_scale=np.array([scale]))
    assert bool(trim_sweep(theta, mp, unc).feasible[0, 0]) is hovers


def test_failed_design_reports_reason():
    theta = quadcopter.validate_theta(quadcopter.DEFAULTS)
    mp = mass_properties(theta, mass_scale=np.array([4.0]))
    from quadcopter.performance import FAILURE_REASONS, flight_metrics

    sweep = trim_sweep(theta, mp, Uncertainty.nominal(1))
    metrics, code = flight_metrics(sweep, np.ones(1))
    assert np.all(metrics == 0) and "current limit" in FAILURE_REASONS[code[0]]


def test_rotor_speed_inverts_thrust():
    n = np.array([20.0, 60.0, 100.0])
    u = np.array([0.0, 5.0, 12.0])
    jv = u / c.PROP_DIAMETER
    thrust = c.RHO * c.PROP_DIAMETER**4 * (c.CT0 * n**2 - c.CT1 * jv * n - c.CT2 * jv**2)
    np.testing.assert_allclose(rotor_speed(thrust, u), n, rtol=1e-10)


@pytest.mark.parametrize(("change", "words"), [
    (lambda t: t[:, :5], "shape"),
    (lambda t: np.where(np.arange(19) == 3, np.nan, t), "FUSELAGE_VERT_DIAMETER"),
    (lambda t: np.where(np.arange(19) == 0, 600.0, t),
     "Arm_2159_Length = 600 mm (row 0) is outside its upper bound 500"),
    (lambda t: np.where(np.arange(19) == 7, -51.0, t),
     "FUSELAGE_BATTERY_Y_OFFSET = -51 mm (row 0) is outside its lower bound -50"),
])
def test_bad_input_names_column_and_bound(change, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        quadcopter.simulate(change(quadcopter.DEFAULTS[None].copy()))


def test_dataframe_missing_column_is_named():
    frame = pd.DataFrame([quadcopter.DEFAULTS],
                         columns=list(quadcopter.PARAMETER_NAMES)).drop(columns="FUSELAGE_LENGTH")
    with pytest.raises(ValueError, match="FUSELAGE_LENGTH"):
        quadcopter.simulate(frame)


def test_design_dataclass_and_geometry():
    d = quadcopter.Design(arm_length=300.0, battery_y_offset=20.0)
    assert d.to_dict()["FUSELAGE_BATTERY_Y_OFFSET"] == 20.0
    assert quadcopter.Design.from_array(d.to_array()) == d
    with pytest.raises(ValueError, match="Arm_2159_Length"):
        quadcopter.Design(arm_length=10.0)
    with pytest.raises(ValueError, match="Unknown design parameter"):
        quadcopter.Design.from_dict({"ARM": 1.0})
    geo = quadcopter.geometry(d)
    assert len(geo["rotors"]) == 4 and len(geo["components"]) == 7
    radii = [np.hypot(*r["center"][:2]) for r in geo["rotors"]]
    np.testing.assert_allclose(radii, 0.3)
    assert geo["mass"] == pytest.approx(quadcopter.simulate(d.to_array(), noise=False)[0, 1])


def test_geometry_flags_the_interfering_parts():
    # long arms, centred components stacked on each other: only the components (and nothing else) interfere
    far = quadcopter.geometry(quadcopter.Design(arm_length=480.0, horz_diameter=300.0, length=100.0))
    assert not any(r["interferes"] for r in far["rotors"]) and not any(far["arms_interfere"])
    assert all(p["interferes"] for p in far["components"]) and far["interferences"] >= 21
    # short arms: propellers overlap each other, the arms, the fuselage and the components
    near = quadcopter.geometry(quadcopter.Design(arm_length=60.0))
    assert all(r["interferes"] for r in near["rotors"]) and all(near["arms_interfere"])
    assert near["fuselage"]["interferes"]
    flagged = sum(p["interferes"] for p in near["components"])
    assert flagged == 7 and near["interferences"] == quadcopter.simulate(
        quadcopter.Design(arm_length=60.0).to_array(), noise=False)[0, 0]


def test_components_follow_their_offset_parameters():
    offsets = [n for n in quadcopter.PARAMETER_NAMES if n.endswith("_X_OFFSET")]
    assert offsets == [f"FUSELAGE_{part}_X_OFFSET" for part in quadcopter.COMPONENTS]
    geometry = quadcopter.geometry(quadcopter.Design())
    assert [p["name"] for p in geometry["components"]] == list(quadcopter.COMPONENTS)


def test_prior_matches_bounds():
    prior = quadcopter.prior()
    np.testing.assert_allclose(prior.low.numpy(), quadcopter.LOWER)
    np.testing.assert_allclose(prior.high.numpy(), quadcopter.UPPER)
    sample = np.asarray(prior.sample((100,)), dtype=float)
    assert quadcopter.simulate(sample, seed=0).shape == (100, 7)


def test_free_fall_conserves_energy():
    theta = designs(3, seed=8)
    rng = np.random.default_rng(0)
    log = quadcopter.fly(theta, duration=1.0, dt=0.01, motors_on=False, drag=False,
                         initial_velocity=rng.normal(size=(3, 3)), initial_rates=rng.normal(size=(3, 3)))
    mp = mass_properties(quadcopter.validate_theta(theta))
    kinetic = 0.5 * (log.velocity**2).sum(-1) + G * log.position[..., 2]
    rotational = 0.5 * (mp.inertia[:, None, :] * log.rates**2).sum(-1)
    # RK4 is exact for constant gravity; the torque-free rotation has O(dt^4) error per unit time
    np.testing.assert_allclose(kinetic - kinetic[:, :1], 0.0, atol=1e-9)
    np.testing.assert_allclose(rotational / rotational[:, :1] - 1, 0.0, atol=1e-6)


def test_step_response_reaches_target_and_stays_level():
    theta = designs(3, seed=9)
    log = quadcopter.fly(theta, velocity_ref=8.0, duration=6.0, dt=0.01, gust=0.3, seed=1)
    final = log.velocity[:, -1]
    # proportional velocity loop: steady error = drag / (m k_v), a few per cent of the target
    np.testing.assert_allclose(final[:, 1], 8.0, rtol=0.1)
    assert np.abs(log.position[:, :, 2]).max() < 1.0
    assert (log.throttle <= 1.0 + 1e-12).all()


def test_chunked_simulation_equals_one_pass():
    """The perturbations are drawn for all designs before chunking, so the chunk size changes nothing."""
    theta = np.random.default_rng(3).uniform(quadcopter.LOWER, quadcopter.UPPER, size=(500, 19))
    one_pass = quadcopter.simulate(theta, seed=7, chunk_size=500)
    assert np.array_equal(quadcopter.simulate(theta, seed=7, chunk_size=64), one_pass)
    assert np.array_equal(quadcopter.simulate_detailed(theta, seed=7).metrics, one_pass)
    assert np.array_equal(quadcopter.simulate(theta, noise=False, chunk_size=33),
                          quadcopter.simulate(theta, noise=False, chunk_size=500))


def test_memory_does_not_grow_with_the_number_of_designs():
    """Before, the trim sweep of every design was held at once: 4.6 GB for 200,000 designs (issue 36)."""
    import tracemalloc

    rng = np.random.default_rng(0)

    def peak_bytes(n: int) -> int:
        theta = rng.uniform(quadcopter.LOWER, quadcopter.UPPER, size=(n, 19))
        tracemalloc.start()
        try:
            quadcopter.simulate(theta, seed=0)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    from quadcopter.simulate import CHUNK_SIZE as chunk

    # Four chunks' worth may add only the outputs and the perturbations (a few hundred bytes a design) to one chunk's.
    assert peak_bytes(4 * chunk) < 1.25 * peak_bytes(chunk)


def test_a_text_cell_names_its_column_and_bound_messages_show_every_digit():
    frame = pd.DataFrame([quadcopter.DEFAULTS], columns=list(quadcopter.PARAMETER_NAMES)).astype(object)
    frame.loc[0, "FUSELAGE_LENGTH"] = "abc"
    with pytest.raises(ValueError, match="Column FUSELAGE_LENGTH has 'abc' in row 0, which is not a number"):
        quadcopter.simulate(frame)
    rows = [[*quadcopter.DEFAULTS[:3], "12 mm", *quadcopter.DEFAULTS[4:]]]
    with pytest.raises(ValueError, match="Column FUSELAGE_VERT_DIAMETER has '12 mm' in row 0"):
        quadcopter.simulate(rows)
    theta = quadcopter.DEFAULTS[None].copy()
    theta[0, 0] = quadcopter.UPPER[0] + 1e-6
    with pytest.raises(ValueError,
                       match=r"Arm_2159_Length = 500\.000001 mm \(row 0\) is outside its upper bound 500 mm"):
        quadcopter.simulate(theta)
