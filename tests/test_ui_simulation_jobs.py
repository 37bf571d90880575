"""The simulation and validation jobs, driven directly with a fake, cheap simulator (no physics)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import dnre_core
import quadcopter
from ui import domain
from ui.jobs import JobRunner
from ui.models import DEFAULT_MODEL_PATH
from ui.simulation import SimulationConfig, simulation_job
from ui.validation import ValidationConfig, load_result, validation_job
from ui.workspace import Workspace

ARM = domain.PARAMETER_NAMES.index("Arm_2159_Length")
MASS = domain.METRIC_NAMES.index("mass")
CALLS: list[int] = []  # batch sizes seen by fake_simulator in this process
GATE = threading.Event()  # fake_simulator's call number BLOCK_AT[0] waits for it
BLOCK_AT: list[int | None] = [None]


def fake_simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    """Seeded noise for every metric except "mass", which is exactly the arm length / 100 (so bands are checkable)."""
    CALLS.append(theta.shape[0])
    if BLOCK_AT[0] is not None and len(CALLS) == BLOCK_AT[0]:
        GATE.wait(30)
    x = np.random.default_rng(seed).normal(size=(theta.shape[0], len(domain.METRIC_NAMES)))
    x[:, MASS] = theta[:, ARM] / 100.0
    return x


def slow_simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    """Half a second per batch (for the stop test on a process pool)."""
    time.sleep(0.5)
    return np.zeros((theta.shape[0], len(domain.METRIC_NAMES)))


def short_simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    """A broken simulator: one row too few."""
    return np.zeros((theta.shape[0] - 1, len(domain.METRIC_NAMES)))


@pytest.fixture()
def runner(tmp_path: Path) -> Iterator[JobRunner]:
    CALLS.clear()
    GATE.clear()
    BLOCK_AT[0] = None
    job_runner = JobRunner(Workspace(tmp_path / "ws"), "session")
    yield job_runner
    GATE.set()
    job_runner.shutdown()


def _expected(config: SimulationConfig) -> tuple[np.ndarray, np.ndarray]:
    theta, x = dnre_core.simulate_for_sbi(fake_simulator, quadcopter.prior(), config.num_designs, seed=config.seed,
                                          batch_size=config.batch_size)
    return theta.numpy(), x.numpy()


def test_simulation_job_stores_the_seeded_data_set_with_progress(runner: JobRunner) -> None:
    config = SimulationConfig("fake", num_designs=250, seed=7, batch_size=100)
    snap = runner.wait(runner.submit("simulation", "fake", simulation_job(config, fake_simulator)), timeout=60)
    assert snap.status == "done", snap.error
    assert snap.progress == 1.0 and snap.message == "finished" and CALLS == [100, 100, 50]
    data = runner.workspace.load_dataset(snap.result["dataset_id"])
    theta, x = _expected(config)
    np.testing.assert_allclose(data.theta, theta)
    np.testing.assert_allclose(data.x, x)
    assert list(data.parameter_names) == list(domain.PARAMETER_NAMES)
    assert list(data.metric_names) == list(domain.METRIC_NAMES)
    assert ((data.theta >= domain.LOWER) & (data.theta <= domain.UPPER)).all()
    meta = runner.workspace.dataset(snap.result["dataset_id"]).meta
    assert meta["backend"] == "local"
    assert meta["simulator"] == f"{fake_simulator.__module__}:fake_simulator"  # the data set names its simulator
    assert not any(runner.workspace.partial_path("").iterdir())  # nothing left behind


def test_stopped_simulation_keeps_its_batches_and_the_same_job_resumes(runner: JobRunner) -> None:
    config = SimulationConfig("fake", num_designs=1000, seed=3, batch_size=100)
    BLOCK_AT[0] = 4  # the fourth batch waits until the stop was requested
    job = runner.submit("simulation", "fake", simulation_job(config, fake_simulator))
    deadline = time.time() + 30
    while runner.snapshot(job).progress < 0.3 and time.time() < deadline:
        time.sleep(0.01)
    runner.cancel(job)
    GATE.set()
    snap = runner.wait(job, timeout=30)
    assert snap.status == "cancelled" and snap.result["simulated_before_stop"] == 400
    assert len(CALLS) == 4 and Path(snap.result["kept_for_resume"]).exists()
    assert runner.workspace.datasets() == []  # no half data set in the index

    CALLS.clear()
    again = runner.wait(runner.submit("simulation", "fake", simulation_job(config, fake_simulator)), timeout=60)
    assert again.status == "done" and again.result["resumed"] and len(CALLS) == 6  # only the missing batches
    data = runner.workspace.load_dataset(again.result["dataset_id"])
    theta, x = _expected(config)
    np.testing.assert_allclose(data.theta, theta)
    np.testing.assert_allclose(data.x, x)
    assert not Path(snap.result["kept_for_resume"]).exists()


def test_process_pool_gives_the_same_data_as_one_process(runner: JobRunner) -> None:
    config = SimulationConfig("pool", num_designs=300, seed=11, num_workers=2, batch_size=100)
    snap = runner.wait(runner.submit("simulation", "pool", simulation_job(config, fake_simulator)), timeout=120)
    assert snap.status == "done", snap.error
    data = runner.workspace.load_dataset(snap.result["dataset_id"])
    theta, x = _expected(config)
    np.testing.assert_allclose(data.theta, theta)
    np.testing.assert_allclose(data.x, x)


def test_stopping_a_process_pool_simulation_does_not_run_the_queued_batches(runner: JobRunner) -> None:
    config = SimulationConfig("pool", num_designs=400, num_workers=2,
                              batch_size=10)  # 40 batches of 0.5 s: 10 s on 2 workers
    job = runner.submit("simulation", "pool", simulation_job(config, slow_simulator))
    deadline = time.time() + 120
    while runner.snapshot(job).progress == 0.0 and time.time() < deadline:
        time.sleep(0.01)
    runner.cancel(job)
    stop_requested = time.time()
    snap = runner.wait(job, timeout=120)
    assert snap.status == "cancelled"
    assert time.time() - stop_requested < 4.0  # the batches in flight (≤ 2 x 0.5 s), not the ~9 s still queued


def test_a_broken_simulator_fails_the_job_with_the_reason(runner: JobRunner) -> None:
    snap = runner.wait(runner.submit("simulation", "bad", simulation_job(SimulationConfig("bad", 50), short_simulator)),
                       timeout=30)
    assert snap.status == "failed" and "returned 49 rows for a batch of 50" in snap.error
    assert runner.workspace.datasets() == []


def test_unknown_backend_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="Unknown simulation backend 'dask'; choose one of local, ray"):
        simulation_job(SimulationConfig("x", 10, backend="dask"), fake_simulator)


TARGET = {"mass": [None, 3.0]}  # fake mass = arm / 100 ≤ 3: arm ≤ 300 mm


def _design_run(workspace: Workspace, theta: np.ndarray) -> str:
    """A finished design run holding ``theta`` as its designs (best first), made with the shipped model's prior."""
    run = workspace.create_run("design", "fake designs", "session")
    n, nan = theta.shape[0], np.full(theta.shape[0], np.nan)
    np.savez(workspace.run_dir(run.id) / "designs.npz", theta=theta, x=np.zeros((n, 7)), meets=np.ones(n, bool),
             p_meet=np.ones(n), p_meet_simulations=np.full(n, 10), margin=nan, nominal=np.full((n, 7), np.nan))
    workspace.update_run(run.id, status="done", result={
        "designs": "designs.npz", "num_designs": n, "simulator": "quadcopter", "target": TARGET,
        "metric_names": list(domain.METRIC_NAMES), "parameter_names": list(domain.PARAMETER_NAMES),
        "config": {"model_path": str(DEFAULT_MODEL_PATH)}})
    return run.id


def test_validation_scores_designs_and_prior_designs_against_the_runs_target(runner: JobRunner) -> None:
    rng = np.random.default_rng(0)
    theta = rng.uniform(domain.LOWER, domain.UPPER, size=(120, len(domain.LOWER)))
    theta[:90, ARM] = rng.uniform(domain.LOWER[ARM], 300.0, size=90)  # 90 of the 120 designs meet the band
    theta[90:, ARM] = rng.uniform(301.0, domain.UPPER[ARM], size=30)
    source = _design_run(runner.workspace, theta)
    config = ValidationConfig(design_run_id=source, num_designs=100, seed=5)
    snap = runner.wait(runner.submit("validation", "check", validation_job(config, fake_simulator)), timeout=120)
    assert snap.status == "done", snap.error
    assert snap.result["fraction"] == pytest.approx(90 / 100) and snap.result["num_designs"] == 100
    assert snap.result["bands"] == {"mass": pytest.approx(0.9)}
    result, prior_theta = load_result(runner.workspace.run_dir(snap.id))
    np.testing.assert_array_equal(result.meets, theta[:100, ARM] <= 300.0)
    np.testing.assert_array_equal(result.theta, theta[:100])  # the run's best 100, in its order
    # The prior contrast: 100 designs from the model's prior (the design box), scored by the same band.
    assert prior_theta.shape == (100, len(domain.LOWER))
    assert ((prior_theta >= domain.LOWER) & (prior_theta <= domain.UPPER)).all()
    np.testing.assert_array_equal(result.prior_meets, prior_theta[:, ARM] / 100.0 <= 3.0)
    assert snap.result["prior_fraction"] == pytest.approx(result.prior_meets.mean())
    assert snap.result["target"] == TARGET and snap.result["design_run_id"] == source


def test_validation_job_stops_when_asked(runner: JobRunner) -> None:
    theta = np.random.default_rng(1).uniform(domain.LOWER, domain.UPPER, size=(2000, 19))
    source = _design_run(runner.workspace, theta)
    BLOCK_AT[0] = 3  # the third batch of designs waits until the stop was requested
    job = runner.submit("validation", "check", validation_job(ValidationConfig(source, num_designs=2000),
                                                              fake_simulator))
    deadline = time.time() + 30
    while len(CALLS) < 3 and time.time() < deadline:
        time.sleep(0.01)
    runner.cancel(job)
    GATE.set()
    snap = runner.wait(job, timeout=60)
    assert snap.status == "cancelled" and snap.result is None and len(CALLS) == 3
    assert not (runner.workspace.run_dir(job) / "validation.npz").exists()
