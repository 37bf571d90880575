"""Training and design jobs end to end on a tiny linear-Gaussian problem (fast; fixed seeds)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import dnre_core
from ui.design_job import load_designs
from ui.inverse import DesignOptions, start_design
from ui.jobs import JobRunner
from ui.models import read_info, scan_models
from ui.training_job import DASHBOARD_DEFAULTS, TrainingRequest, training_job
from ui.workspace import Workspace

LOW, HIGH = [-2.0, -2.0], [2.0, 2.0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    rng = np.random.default_rng(0)
    theta = rng.uniform(-2, 2, size=(2000, 2))
    x = np.column_stack([theta[:, 0] + theta[:, 1], theta[:, 0] - theta[:, 1]]) + 0.1 * rng.normal(size=(2000, 2))
    dataset = ws.add_dataset("lg", theta, x, ["a", "b"], ["s", "d"], source="test")
    runner = JobRunner(ws, "s")
    request = TrainingRequest("tiny", dataset.id, replace(DASHBOARD_DEFAULTS, hidden_features=32, num_layers=2,
                                                          max_epochs=60, batch_size=128, mask_probability=0.2))
    snap = runner.wait(runner.submit("training", "tiny", training_job(request, LOW, HIGH), request.record()),
                       timeout=300)
    assert snap.status == "done", snap.error
    assert len(snap.data["train_losses"]) == snap.result["epochs"] == len(snap.data["val_losses"])
    runner.shutdown()
    return ws, snap.result["model_id"]


def test_training_job_saves_and_indexes_the_model(trained: tuple[Workspace, str]) -> None:
    ws, model_id = trained
    record = ws.model(model_id)
    info = read_info(model_id, record.name, record.path)
    assert info.kind == "DNRE" and info.masked and info.metric_names == ["s", "d"]
    assert len(record.metrics["val_losses"]) == record.metrics["epochs"]
    assert record.config["hidden_features"] == 32 and record.config["method"] == "DNRE"
    assert not ws.checkpoint_path(ws.runs("training")[0].id).exists()  # the checkpoint served the run only


def test_a_model_whose_data_names_no_simulator_gets_the_amortized_route(trained: tuple[Workspace, str]) -> None:
    """No simulator: the designs are the model's band posterior, conditioned on its data set's simulations inside
    the band, with no P(meet) and no simulations to keep."""
    ws, model_id = trained
    record = ws.model(model_id)
    (info,) = [m for m in scan_models(ws)[0] if m.id == model_id]
    assert info.simulator is None and info.dataset_id == record.dataset_id  # source "test" names none
    runner = JobRunner(ws, "s")
    target = dnre_core.Target({"s": (0.8, 1.2)})
    snap = runner.wait(start_design(runner, info, target, True, DesignOptions(num_designs=200, seed=3)), timeout=300)
    runner.shutdown()
    assert snap.status == "done", snap.error
    assert snap.result["route"] == "amortized" and snap.result["simulator"] is None
    assert snap.result["dataset_id"] is None and len(ws.datasets()) == 1
    designs = load_designs(ws.run_dir(snap.id))
    assert designs.theta.shape == (200, 2) and not designs.checked and np.isnan(designs.nominal).all()
    # Plumbing check, not a library accuracy test: s = a + b + noise (sd 0.1) in [0.8, 1.2] puts a + b near 1,
    # clearly narrower than under the prior (a + b spread over [-4, 4], sd 1.63).
    sums = designs.theta.sum(axis=1)
    assert abs(float(np.median(sums)) - 1.0) < 0.3 and float(sums.std()) < 0.7 * 1.63
