"""Streamlit AppTest for every page: renders without exception; main controls; bad input gives a specific error."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.models import DEFAULT_MODEL_PATH

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def empty_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DNRE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.chdir(REPO)
    return tmp_path / "ws"


def _run(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.switch_page(f"pages/{page}").run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_home_renders_with_an_empty_workspace() -> None:
    at = _run("home.py")
    assert "workspace is empty" in _texts(at.info)
    assert [m.value for m in at.metric] == ["0", "0", "0"]


def test_app_navigation_starts_on_home() -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value.startswith("dnre-quad")


def test_design_lab_simulates_the_design_and_reacts_to_inputs() -> None:
    at = _run("design_lab.py")
    first = at.dataframe[0].value["this design"].tolist()
    at.number_input(key="lab_Arm_2159_Length").set_value(120.0).run()
    assert not at.exception
    assert at.dataframe[0].value["this design"].tolist() != first


def test_design_lab_flies_a_step_response_and_asks_again_when_the_design_changes() -> None:
    at = _run("design_lab.py")
    charts = len(at.get("plotly_chart"))
    assert "Press **Fly the step response**" in _texts(at.info)
    at.number_input(key="replay_speed").set_value(3.0)
    next(b for b in at.button if b.label == "Fly the step response").click().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts + 1
    at.number_input(key="lab_Arm_2159_Length").set_value(200.0).run()
    assert "changed since the last flight" in _texts(at.info) and len(at.get("plotly_chart")) == charts


def test_validate_and_train_explain_what_is_missing_in_an_empty_workspace() -> None:
    assert "Nothing to validate yet" in _texts(_run("validate.py").error)
    assert "no data set to train on" in _texts(_run("train.py").error)
    data = _run("data.py")
    assert "no data sets yet" in _texts(data.info)


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="the shipped default model is missing (make default-model)")
def test_inverse_design_rejects_a_target_outside_the_models_range() -> None:
    at = _run("inverse_design.py")
    key = "inverse_default_Max_Hover_Time_(s)"
    at.selectbox(key=f"{key}_mode").set_value("value")
    at.number_input(key=f"{key}_value").set_value(10_000.0)
    at.button[0].click().run()
    assert not at.exception
    assert "outside the range the model was trained on" in _texts(at.error)


def test_benchmarks_page_renders() -> None:
    at = _run("benchmarks.py")
    assert not at.exception and not at.title  # the report's own "# Benchmarks" is the page's one title
    assert at.markdown[0].value.startswith("# Benchmarks\n")
    assert any("## Headline results" in m.value for m in at.markdown)  # the report, split around its figures
    assert len(at.get("image")) >= 2  # its figures as images (markdown cannot show local files)


def test_train_page_trains_with_the_chosen_options(empty_workspace: Path) -> None:
    """With a data set in the workspace the page offers every option and passes them to the training job."""
    import time

    import numpy as np

    import quadcopter
    from ui.workspace import Workspace

    rng = np.random.default_rng(0)
    theta = rng.uniform(quadcopter.LOWER, quadcopter.UPPER, size=(300, len(quadcopter.PARAMETER_NAMES)))
    x = quadcopter.simulate(theta, seed=0)
    Workspace(empty_workspace).add_dataset("tiny", theta, x, list(quadcopter.PARAMETER_NAMES),
                                           list(quadcopter.METRIC_NAMES), source="test")
    at = _run("train.py")
    assert at.number_input(key="train_averaging").value == 0.99  # the library's defaults
    assert at.selectbox(key="train_schedule").value == "constant"
    for key, value in {"train_hidden": 16, "train_layers": 1, "train_epochs": 3, "train_averaging": 0.9}.items():
        at.number_input(key=key).set_value(value)
    at.selectbox(key="train_head").set_value("pairwise")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, at.exception
    workspace = Workspace(empty_workspace)
    deadline = time.monotonic() + 120
    while not workspace.models() and time.monotonic() < deadline:
        time.sleep(0.5)
    (model,) = workspace.models()
    assert model.config["weight_averaging"] == 0.9 and model.config["dnre_head"] == "pairwise"
    assert model.config["max_epochs"] == 3 and model.metrics["epochs"] == 3
