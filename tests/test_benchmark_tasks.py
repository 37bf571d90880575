"""The ten sbibm benchmark tasks: interface, reproducibility, the SciPy ODE simulators, and consistency of every
task's simulator with sbibm's stored observations."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from benchmarks.ode_tasks import OdeTask, solve_batch
from benchmarks.registry import TASK_NAMES, get_task
from benchmarks.sbibm_source import (
    SbibmMissingError,
    require_sbibm,
    sbibm_available,
    sbibm_pickles_allowed,
    sbibm_task,
    student_t_sampled_in_row_chunks,
)
from benchmarks.tasks import BenchmarkTask
from dnre_core.priors import BoxUniform

needs_sbibm = pytest.mark.skipif(not sbibm_available(), reason="sbibm is not installed: run `make bench-setup`")
BOX_TASKS = {"gaussian_linear_uniform", "slcp", "slcp_distractors", "gaussian_mixture", "two_moons"}


def test_unknown_task_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="two_moons"):
        get_task("three_moons")


def test_missing_sbibm_names_the_setup_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sbibm", None)  # makes `import sbibm` fail
    with pytest.raises(SbibmMissingError, match="make bench-setup"):
        require_sbibm()


@needs_sbibm
@pytest.mark.parametrize("name", TASK_NAMES)
def test_task_interface_shapes_and_prior(name: str) -> None:
    task = get_task(name)
    assert isinstance(task, BenchmarkTask) and task.name == name
    assert isinstance(task.prior, BoxUniform) == (name in BOX_TASKS)
    d, length = task.dim_parameters, task.dim_data
    assert task.prior.sample((3,)).shape == (3, d)
    for i in (1, 10):
        assert task.observation(i).shape == (length,)
        assert task.true_parameters(i).shape == (d,)
        reference = task.reference_samples(i)
        assert reference.shape == (10_000, d) and reference.dtype == torch.float32
        assert torch.isfinite(task.prior.log_prob(reference)).all()
        assert torch.isfinite(task.prior.log_prob(task.true_parameters(i)))


@needs_sbibm
@pytest.mark.parametrize("name", TASK_NAMES)
def test_simulate_is_reproducible_in_its_seed_and_leaves_the_global_generator_alone(name: str) -> None:
    task = get_task(name)
    torch.manual_seed(0)
    theta = task.prior.sample((20,))
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    x = task.simulate(theta, seed=5)
    assert torch.equal(torch.rand(1), before)
    assert x.shape == (20, task.dim_data) and x.dtype == torch.float32 and torch.isfinite(x).all()
    assert torch.equal(x, task.simulate(theta, seed=5))
    assert not torch.equal(x, task.simulate(theta, seed=6))


@needs_sbibm
def test_bad_inputs_are_clear_errors() -> None:
    task = get_task("two_moons")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        task.simulate(torch.zeros(4, 3), seed=0)
    with pytest.raises(TypeError, match="seed"):
        task.simulate(torch.zeros(4, 2), seed=None)  # type: ignore[arg-type]
    for bad in (0, 11, 1.0):
        with pytest.raises(ValueError, match="1 to 10"):
            task.observation(bad)  # type: ignore[arg-type]


def _blow_up_rhs(_t: float, u: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[0] * u**2


def test_solve_batch_gives_nan_only_for_rows_that_fail() -> None:
    # du/dt = p u², u(0) = 1: u = 1/(1 - p t) blows up at t = 1/p for p > 0, is finite for p ≤ 0.
    t = np.linspace(0.0, 2.0, 5)
    u = solve_batch(_blow_up_rhs, np.array([1.0]), np.array([[-1.0], [1.0], [-0.5]]), t)
    assert u.shape == (3, 1, 5)
    assert np.isnan(u[1]).all()
    np.testing.assert_allclose(u[0, 0], 1.0 / (1.0 + t), rtol=1e-7)
    np.testing.assert_allclose(u[2, 0], 1.0 / (1.0 + 0.5 * t), rtol=1e-7)


@needs_sbibm
def test_sir_ode_conserves_population_and_its_first_integral() -> None:
    task = get_task("sir")
    assert isinstance(task, OdeTask)
    torch.manual_seed(0)
    theta = task.prior.sample((300,))
    u = task.trajectories(theta)  # (300, 3, 161)
    theta = theta.double().numpy()
    s, _, r = u[:, 0], u[:, 1], u[:, 2]
    np.testing.assert_allclose(u.sum(axis=1), task.population, rtol=1e-9)
    # S(t) = S(0) exp(-(β/γ) R(t) / N) along every trajectory.
    ratio = (theta[:, 0] / theta[:, 1])[:, None]
    np.testing.assert_allclose(s, s[:, :1] * np.exp(-ratio * r / task.population), rtol=1e-5, atol=1e-3)


@needs_sbibm
def test_lotka_volterra_ode_conserves_its_first_integral() -> None:
    task = get_task("lotka_volterra")
    assert isinstance(task, OdeTask)
    torch.manual_seed(0)
    theta = task.prior.sample((300,))
    u = task.trajectories(theta)  # (300, 2, 201)
    theta = theta.double().numpy()
    a, b, g, d = (theta[:, j : j + 1] for j in range(4))
    x, y = u[:, 0], u[:, 1]
    terms = np.stack([d * x, -g * np.log(x), b * y, -a * np.log(y)])  # V = δx − γ log x + βy − α log y
    invariant, scale = terms.sum(axis=0), np.abs(terms).sum(axis=0)
    # Local error 1e-8 per step, measured as an RMS over a chunk of 256 stacked systems, accumulates over thousands of
    # steps on the fastest cycles: 1e-4 of the terms' size bounds the worst row, 1,000x below the 10 % data noise.
    assert (np.abs(invariant - invariant[:, :1]) <= 1e-4 * scale).all()


def _exceedance_p_value(observed: np.ndarray, simulated: np.ndarray) -> float:
    """P-value of ``observed`` (L,) among ``simulated`` (n, L) for the standardised squared distance to the mean.

    Under the task's model the observation is one more draw, so the p-value is (1 + #{sims at least as far}) / (n + 1),
    uniform up to ties; 1/(n + 1) means the observation lies beyond every simulation.
    """
    mean, sd = simulated.mean(axis=0), simulated.std(axis=0)
    constant = sd == 0

    def distance(x: np.ndarray) -> np.ndarray:
        z = np.where(constant, np.where(x == mean, 0.0, np.inf), (x - mean) / np.where(constant, 1.0, sd))
        return (z**2).sum(axis=-1)

    return float((1 + (distance(simulated) >= distance(observed)).sum()) / (simulated.shape[0] + 1))


# Simulations per observation, and the observations checked (slcp_distractors' simulator is slow: ~3 ms a row).
_SPREAD_CHECK = {name: (2000, range(1, 11)) for name in TASK_NAMES} | {"slcp_distractors": (400, range(1, 4))}


def _spread_p_values(task: BenchmarkTask, parameters_of: dict[int, int], n: int) -> list[float]:
    """P-values of observation i among n simulations at the true parameters of observation ``parameters_of[i]``."""
    log_scale = task.name == "lotka_volterra"  # log-normal noise: compare on the log scale
    p_values = []
    for i, j in parameters_of.items():
        theta = task.true_parameters(j).expand(n, -1)
        simulated, observed = task.simulate(theta, seed=1000 + i).double().numpy(), task.observation(i).double().numpy()
        if log_scale:
            simulated, observed = np.log(simulated), np.log(observed)
        p_values.append(_exceedance_p_value(observed, simulated))
    return p_values


@needs_sbibm
@pytest.mark.parametrize("name", TASK_NAMES)
def test_stored_observations_lie_within_the_spread_simulated_at_their_true_parameters(name: str) -> None:
    task = get_task(name)
    n, observations = _SPREAD_CHECK[name]
    p_values = _spread_p_values(task, {i: i for i in observations}, n)
    # Per observation a false alarm has probability 1/(n + 1) (≤ 0.25 % here).
    assert min(p_values) > 1 / (n + 1), p_values


@needs_sbibm
@pytest.mark.parametrize("name", ["sir", "lotka_volterra"])
def test_spread_check_rejects_observations_simulated_from_other_parameters(name: str) -> None:
    # The check has power: at the true parameters of observation i + 1, observation i is an outlier. Under a correct
    # model the p-values are uniform and 9 of 10 fall below 0.05 with probability ≈ 2e-11.
    task = get_task(name)
    n = _SPREAD_CHECK[name][0]
    p_values = _spread_p_values(task, {i: i % 10 + 1 for i in range(1, 11)}, n)
    assert sum(p < 0.05 for p in p_values) >= 9, p_values


@needs_sbibm
@pytest.mark.parametrize("name", ["gaussian_linear", "gaussian_linear_uniform"])
def test_sample_joint_draws_the_simulator_noise_independently_of_theta(name: str) -> None:
    """x = θ + ε, ε ~ N(0, 0.1 I) on both tasks: ε must have variance 0.1 and be uncorrelated with θ.

    With 5,000 pairs a sample variance has relative sd √(2/4999) ≈ 0.02 and a correlation sd ≈ 0.014, so the
    bounds (0.1 and 0.07) are 5 sd. One seed for θ and for the simulator gave ε = θ exactly on gaussian_linear.
    """
    theta, x = get_task(name).sample_joint(5000, seed=3)
    noise = (x - theta).double()
    assert torch.allclose(noise.var(dim=0), torch.full((10,), 0.1, dtype=torch.float64), rtol=0.1)
    centred_theta, centred_noise = theta.double() - theta.double().mean(0), noise - noise.mean(0)
    correlation = (centred_theta * centred_noise).mean(0) / (centred_theta.std(0) * centred_noise.std(0))
    assert correlation.abs().max() < 0.07, correlation
    again, _ = get_task(name).sample_joint(5000, seed=3)
    assert torch.equal(again, theta) and not torch.equal(get_task(name).sample_joint(5000, seed=4)[0], theta)


@needs_sbibm
def test_slcp_distractors_samples_its_student_t_mixture_in_row_chunks_bit_for_bit() -> None:
    """The chunked product that bounds slcp_distractors' memory (13.5 GB → about 1 GB at 10,000 simulations, measured)
    gives pyro's own samples exactly, also across chunk boundaries (7 rows a chunk here)."""
    task = sbibm_task("slcp_distractors")
    with sbibm_pickles_allowed():
        mixture = torch.load(task.path / "files" / "gmm.torch")
    student_t = type(mixture.component_distribution.base_dist)
    pyros_own = student_t.rsample
    draws = []
    for chunked in (False, True):
        torch.manual_seed(5)
        if chunked:
            with student_t_sampled_in_row_chunks(rows=7):
                assert student_t.rsample is not pyros_own
                draws.append(mixture.sample((50,)))
        else:
            draws.append(mixture.sample((50,)))
    assert draws[0].shape == (50, 92)
    assert torch.equal(draws[0], draws[1])
    assert student_t.rsample is pyros_own  # restored on leaving
