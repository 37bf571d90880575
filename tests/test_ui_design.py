"""The Inverse design page's logic without Streamlit: the target form → dnre_core.Target, and the design job with the
shipped model and the built-in simulator (fixed seeds, small runs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import dnre_core
import quadcopter
from ui.design_job import DESIGN_SOURCE, TRACE_CHAINS, _proposals, load_designs
from ui.design_tables import compare_frame, designs_frame, p_meet_category, parameter_summary, parcoords_axes
from ui.inverse import DesignOptions, example_rows, labels, start_design
from ui.jobs import JobRunner
from ui.models import DEFAULT_MODEL_PATH, scan_models
from ui.report import design_report
from ui.targets import MetricForm, timing_point, to_target
from ui.workspace import Workspace

SPEED = "Max_Lateral_Speed_(m/s)"
HOVER = "Max_Hover_Time_(s)"
GRID = {SPEED: 1.0, "Interferences": 1.0}


def test_the_forms_become_bands_and_free_metrics_are_left_out() -> None:
    target = to_target([MetricForm("mass", "at most", 4.5), MetricForm(HOVER, "at least", 20.0),
                        MetricForm(SPEED, "value", 20.0, 4.0), MetricForm("Interferences", "free", 3.0, 1.0)], GRID)
    assert target.bands == {"mass": (None, 4.5), HOVER: (20.0, None), SPEED: (16.0, 24.0)}
    assert "Interferences" not in target.bands  # free: a standing constraint on it still applies


def test_a_tolerance_of_zero_is_refused_on_a_continuous_metric_and_allowed_on_a_grid_metric() -> None:
    """Issue 37 defect 6: "25 ± 0" was accepted silently; no simulation lands exactly on a continuous value."""
    with pytest.raises(dnre_core.InputError, match=r"Max hover time \(s\): a tolerance of 0 on a continuous metric"):
        to_target([MetricForm(HOVER, "value", 25.0, 0.0)], GRID, labels([HOVER]))
    assert to_target([MetricForm(SPEED, "value", 20.0, 0.0)], GRID).bands == {SPEED: (20.0, 20.0)}


@pytest.mark.parametrize(("row", "message"), [
    (MetricForm("mass", "value", 3.0, -1.0), "tolerance must be a finite number ≥ 0"),
    (MetricForm("mass", "at least", float("nan")), "finite number"),
    (MetricForm("mass", "between", 3.0), "unknown target"),
])
def test_bad_rows_are_refused_naming_the_metric(row: MetricForm, message: str) -> None:
    with pytest.raises(dnre_core.InputError, match=f"^mass: .*{message}"):
        to_target([row])


def test_a_form_with_every_metric_free_is_refused() -> None:
    with pytest.raises(dnre_core.InputError, match="Every metric is free"):
        to_target([MetricForm("mass"), MetricForm(HOVER)])


def test_the_timing_point_lies_inside_the_bands_within_the_training_range() -> None:
    target = dnre_core.Target({"a": (None, 4.5), "b": (20.0, None), "c": (1.0, 3.0)})
    point = timing_point(target, ["a", "b", "c", "d"], [1.0, 0.0, 0.0, 0.0], [9.0, 40.0, 9.0, 9.0])
    np.testing.assert_array_equal(point[:3], [2.75, 30.0, 2.0])
    assert np.isnan(point[3])


@pytest.fixture()
def runner(tmp_path: Path) -> Iterator[JobRunner]:
    job_runner = JobRunner(Workspace(tmp_path / "ws"), "session")
    yield job_runner
    job_runner.shutdown()


needs_model = pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="the shipped default model is missing")


@needs_model
def test_a_design_run_saves_ranked_designs_with_nominal_metrics_and_keeps_its_simulations(runner: JobRunner) -> None:
    model = next(m for m in scan_models(runner.workspace)[0] if m.id == "default")
    assert model.simulator == "quadcopter"  # the shipped model knows the built-in simulator
    target = to_target(example_rows(model))
    run_id = start_design(runner, model, target, True, DesignOptions(num_designs=60, replicates=4, seed=3))
    snap = runner.wait(run_id, timeout=300)
    assert snap.status == "done", snap.error
    result = snap.result
    assert result["target"] == {**target.to_dict(), "Interferences": [None, 0.0]}  # the standing constraint added
    designs = load_designs(runner.workspace.run_dir(run_id))
    assert designs.theta.shape == (60, 19) and designs.checked
    assert (designs.p_meet_simulations == 4).all()
    assert (np.diff(designs.p_meet) <= 0).all()  # best first: by P(meet) ...
    ties = designs.p_meet[1:] == designs.p_meet[:-1]
    assert (np.diff(designs.margin)[ties] <= 0).all()  # ... then by margin
    np.testing.assert_array_equal(designs.nominal, quadcopter.simulate(designs.theta, noise=False))
    assert (designs.nominal[:, 0] == 0).all()  # no interferences: an exact function of the geometry
    names = list(quadcopter.METRIC_NAMES)
    assert (dnre_core.Target(result["target"]).meets(designs.x, names) == designs.meets).all()
    # every simulation the run made is a data set named after the run, naming its simulator
    (dataset,) = runner.workspace.datasets()
    assert dataset.id == result["dataset_id"] and dataset.source == DESIGN_SOURCE
    assert dataset.meta["simulator"] == "quadcopter" and run_id in dataset.name
    assert dataset.n_rows == result["simulations_used"]
    # the run as one self-contained HTML report: user text escaped, Plotly's JavaScript embedded once
    page = design_report(runner.workspace.run(run_id), designs, labels([*model.parameter_names, *names]), "<b>m</b>")
    assert "&lt;b&gt;m&lt;/b&gt;" in page and "<b>m</b>" not in page
    assert page.count("* plotly.js v") == 1 and "<script src=" not in page  # opens offline
    assert "Mass (kg) at most 4.5" in page and "The best 50 designs" in page and "Arm length (mm)" in page
    # the same seed gives the same designs
    again = runner.wait(start_design(runner, model, target, True, DesignOptions(num_designs=60, replicates=4, seed=3)),
                        timeout=300)
    np.testing.assert_array_equal(load_designs(runner.workspace.run_dir(again.id)).theta, designs.theta)


@needs_model
def test_without_the_standing_constraint_designs_may_interfere(runner: JobRunner) -> None:
    model = next(m for m in scan_models(runner.workspace)[0] if m.id == "default")
    target = to_target(example_rows(model))
    snap = runner.wait(start_design(runner, model, target, False, DesignOptions(num_designs=200, replicates=1)),
                       timeout=300)
    assert snap.status == "done", snap.error
    assert snap.result["target"] == target.to_dict()
    assert (load_designs(runner.workspace.run_dir(snap.id)).nominal[:, 0] > 0).any()


@needs_model
def test_a_stopped_design_run_is_stopped_not_failed(runner: JobRunner) -> None:
    """Issue 37 defect 2: a stop showed "failed: RuntimeError…" and listed the run as failed."""
    model = next(m for m in scan_models(runner.workspace)[0] if m.id == "default")
    hard = to_target([MetricForm("mass", "at most", 5.0), MetricForm("Max_Flight_Distance_(m)", "at least", 400.0),
                      MetricForm(SPEED, "value", 20.0, 4.0)], GRID)
    run_id = start_design(runner, model, hard, True, DesignOptions(num_designs=20_000))
    deadline = time.monotonic() + 120
    while "rounds" not in runner.snapshot(run_id).data and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.cancel(run_id)
    snap = runner.wait(run_id, timeout=300)
    assert snap.status == "cancelled" and snap.error is None
    assert runner.workspace.run(run_id).status == "cancelled"
    assert snap.result is not None and snap.result["stopped"] == "stopped"
    kept = load_designs(runner.workspace.run_dir(run_id))  # what round 0 found before the stop is kept
    assert 0 < len(kept.theta) < 20_000 and not kept.checked  # stopped before P(meet): none is claimed


def test_the_tables_label_columns_with_units_and_put_nominal_beside_simulated() -> None:
    rng = np.random.default_rng(0)
    theta = rng.uniform(quadcopter.LOWER, quadcopter.UPPER, size=(5, 19))
    from ui.design_job import Designs

    designs = Designs(theta, quadcopter.simulate(theta, seed=1), np.ones(5, bool), np.linspace(1, 0.6, 5),
                      np.full(5, 10), np.zeros(5), quadcopter.simulate(theta, noise=False))
    names = labels([*quadcopter.PARAMETER_NAMES, *quadcopter.METRIC_NAMES])
    frame = designs_frame(designs, quadcopter.PARAMETER_NAMES, quadcopter.METRIC_NAMES, names)
    assert list(frame.index) == [1, 2, 3, 4, 5]
    assert list(frame.columns[:5]) == ["P(meet)", "of simulations", "margin", "Interferences (count), nominal",
                                       "Interferences (count), simulated"]
    assert frame["Mass (kg), nominal"].tolist() == designs.nominal[:, 1].tolist()
    assert "Arm length (mm)" in frame.columns
    side = compare_frame(frame, [1, 3])
    assert list(side.columns) == ["design 1", "design 3"] and side.loc["P(meet)", "design 3"] == 0.8
    summary = parameter_summary(theta, quadcopter.PARAMETER_NAMES, names)
    assert summary.loc[0, "parameter"] == "Arm length (mm)"
    assert summary.loc[0, "median"] == pytest.approx(np.median(theta[:, 0]))
    unchecked = replace(designs, p_meet=np.full(5, np.nan), x=np.full((5, 7), np.nan))
    assert "P(meet)" not in designs_frame(unchecked, quadcopter.PARAMETER_NAMES, quadcopter.METRIC_NAMES, names)
    # parallel coordinates: nominal metrics and P(meet), without an axis on which every design agrees
    buildable = replace(designs, nominal=np.column_stack([np.zeros(5), designs.nominal[:, 1:]]))
    columns, axes = parcoords_axes(buildable, quadcopter.METRIC_NAMES, names)
    assert axes[0] == "Mass (kg)" and axes[-1] == "P(meet)" and "Interferences (count)" not in axes
    np.testing.assert_array_equal(columns[:, -1], designs.p_meet)
    assert p_meet_category(designs).tolist() == ["P(meet) ≥ 0.9", "P(meet) ≥ 0.9", "P(meet) 0.5–0.9",
                                                 "P(meet) 0.5–0.9", "P(meet) 0.5–0.9"]


def test_the_live_view_draws_proposal_chains_with_several_draws_but_never_compares_them_by_r_hat() -> None:
    """Each chain of the band posterior is conditioned on its own metrics: disagreeing chains are expected, so the
    live view gets their traces (once they keep two draws or more) and no R̂/ESS table or convergence warning."""
    import torch

    generator = torch.Generator().manual_seed(0)
    chains = torch.randn(50, 4, 3, generator=generator) + 10 * torch.arange(50.0).reshape(50, 1, 1)  # disagreeing
    diagnostics = dnre_core.ChainDiagnostics.from_chains(chains, torch.full((50,), 0.3), torch.full((50,), 0.1),
                                                         sampler="mh", step=140, total_steps=140, warmup_steps=100,
                                                         seconds=1.0)
    assert diagnostics.warnings()  # R̂ would call these chains unconverged
    live = _proposals(diagnostics)
    assert live["chains"].shape == (TRACE_CHAINS, 4, 3) and live["draws_per_chain"] == 4
    assert "diagnostics" not in live and "warnings" not in live
    one_draw = dnre_core.ChainDiagnostics.from_chains(chains[:, :1], torch.full((50,), 0.3), torch.full((50,), 0.1),
                                                      sampler="mh", step=110, total_steps=110, warmup_steps=100,
                                                      seconds=1.0)
    assert "chains" not in _proposals(one_draw)
