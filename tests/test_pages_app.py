"""Streamlit AppTest for every page: renders without exception; main controls; bad input gives a specific error."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import quadcopter
from ui.models import DEFAULT_MODEL_PATH
from ui.text import md
from ui.workspace import Workspace

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


def _add_dataset(folder: Path, name: str, rows: int = 300, source: str = "simulator") -> str:
    rng = np.random.default_rng(0)
    theta = rng.uniform(quadcopter.LOWER, quadcopter.UPPER, size=(rows, len(quadcopter.PARAMETER_NAMES)))
    x = quadcopter.simulate(theta, seed=0)
    return Workspace(folder).add_dataset(name, theta, x, list(quadcopter.PARAMETER_NAMES),
                                         list(quadcopter.METRIC_NAMES), source=source).id


def test_home_renders_with_an_empty_workspace(empty_workspace: Path) -> None:
    """Issue 37 defect 11: the shipped model counts among the models; issue 36 item 3: the workspace's folder is
    not shown to whoever opens the page."""
    at = _run("home.py")
    assert "workspace is empty" in _texts(at.info)
    shipped = 1 if DEFAULT_MODEL_PATH.exists() else 0
    assert [m.value for m in at.metric] == ["0", str(shipped), "0"]
    shown = " ".join(e.value for kind in ("markdown", "caption", "info", "warning") for e in at.get(kind))
    assert str(empty_workspace) not in shown and "Folder" not in shown


def test_app_navigation_starts_on_home() -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value.startswith("dnre-quad")


def test_design_lab_simulates_the_design_and_reacts_to_inputs() -> None:
    at = _run("design_lab.py")
    first = at.table[0].value["this design"].tolist()
    at.number_input(key="lab_Arm_2159_Length").set_value(120.0).run()
    assert not at.exception
    assert at.table[0].value["this design"].tolist() != first


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


needs_model = pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(),
                                 reason="the shipped default model is missing (make default-model)")
HOVER = "design_default_Max_Hover_Time_(s)"
SPEED = "design_default_Max_Lateral_Speed_(m/s)"


def _wait_for(workspace: Workspace, kind: str, timeout: float = 300) -> str:
    """The id of the newest run of ``kind`` once it has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = workspace.runs(kind)
        if runs and runs[0].status not in ("queued", "running"):
            return runs[0].id
        time.sleep(0.3)
    raise TimeoutError(f"no {kind} run finished within {timeout} s")


def _find_designs(at: AppTest, num: int = 100) -> None:
    at.number_input(key="design_num").set_value(num)
    next(b for b in at.button if b.label == "Find designs").click().run()
    assert not at.exception, at.exception


@needs_model
def test_inverse_design_refuses_a_tolerance_of_zero_and_notes_the_speed_grid() -> None:
    """Issue 37 defect 6 ("25 ± 0" accepted silently) and issue 34 item 5 (a speed band narrower than 1 m/s)."""
    at = _run("inverse_design.py")
    at.selectbox(key=f"{HOVER}_mode").set_value("value").run()
    at.number_input(key=f"{HOVER}_value").set_value(25.0)
    at.number_input(key=f"{HOVER}_tol").set_value(0.0).run()
    assert "Max hover time \\(s\\)\\: a tolerance of 0 on a continuous metric" in _texts(at.error)
    assert next(b for b in at.button if b.label == "Find designs").disabled
    at.number_input(key=f"{HOVER}_tol").set_value(2.0)
    at.selectbox(key=f"{SPEED}_mode").set_value("value").run()
    at.number_input(key=f"{SPEED}_value").set_value(20.2)
    at.number_input(key=f"{SPEED}_tol").set_value(0.3).run()
    assert not at.error
    assert "computed on a grid of 1" in _texts(at.warning)


@needs_model
def test_inverse_design_finds_designs_with_p_meet_and_a_reload_reopens_the_run(empty_workspace: Path) -> None:
    """Issue 34 item 4 (designs with P(meet), nominal beside simulated) and issue 37 defect 3 (a reload showed no
    run and reset the target and the model)."""
    at = _run("inverse_design.py")
    at.number_input(key=f"{HOVER}_value").set_value(22.0)
    _find_designs(at)
    workspace = Workspace(empty_workspace)
    run_id = _wait_for(workspace, "design")
    assert workspace.run(run_id).status == "done"
    reloaded = _run("inverse_design.py")  # a new session: what a reload or a second tab gets
    assert reloaded.selectbox(key="design_run").value == run_id
    assert reloaded.selectbox(key="design_model").value == "default"
    assert reloaded.number_input(key=f"{HOVER}_value").value == 22.0  # the target is remembered
    assert [m.value for m in reloaded.metric][:2] == ["100", f"{workspace.run(run_id).result['hit_rate']:.1%}"]
    table = next(d.value for d in reloaded.dataframe if "P(meet)" in d.value.columns)
    assert len(table) == 100 and table["P(meet)"].is_monotonic_decreasing
    assert {"of simulations", "Mass (kg), nominal", "Mass (kg), simulated", "Arm length (mm)"} <= set(table.columns)
    assert "Route: " in _texts(reloaded.info)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in reloaded.get("plotly_chart")]
    assert any(t.startswith("Designs in parallel coordinates") for t in titles)
    assert any(t.startswith("Trade-off between two metrics") for t in titles)
    assert "Design 1 (axes in mm)" in titles and "Design 2 (axes in mm)" in titles  # side by side, in 3-D
    assert "Validate these designs →" in [b.label for b in reloaded.button]
    downloads = [d.proto.label for d in reloaded.get("download_button")]
    assert downloads == ["Export the designs (CSV)", "Report of this run (HTML)"]
    assert any(d.value.columns.tolist() == ["design 1", "design 2"] for d in reloaded.dataframe)
    assert any(d.value.columns.tolist() == ["parameter", "5 %", "median", "95 %"] for d in reloaded.dataframe)


@needs_model
def test_validate_re_simulates_a_design_run_and_opens_a_design_in_the_lab(empty_workspace: Path) -> None:
    at = _run("inverse_design.py")
    _find_designs(at, 50)
    workspace = Workspace(empty_workspace)
    design_run = _wait_for(workspace, "design")
    validate = _run("validate.py")
    assert validate.selectbox(key="validate_run").value == design_run
    next(b for b in validate.button if b.label == "Re-simulate and check").click().run()
    _wait_for(workspace, "validation")
    validate = _run("validate.py")
    assert [m.label for m in validate.metric] == ["Designs meeting every band", "Prior designs meeting every band",
                                                  "Mean P(meet) of these designs (design run)"]
    bands = next(d.value for d in validate.dataframe if "band" in d.value.columns)
    assert bands["band"].tolist()[:2] == ["Mass (kg) at most 4.5", "Max hover time (s) at least 20"]
    best = next(d.value for d in validate.dataframe if "meets" in d.value.columns)
    assert {"Mass (kg), nominal", "Mass (kg), fresh", "P(meet)"} <= set(best.columns) and len(best) == 20
    next(b for b in validate.button if b.label == "Open in Design lab →").click().run()
    assert not validate.exception
    lab = validate.switch_page("pages/design_lab.py").run()
    metrics = lab.table[0].value
    assert metrics.columns.tolist() == ["this design", "simulated (Validate)"]
    nominal = quadcopter.simulate([best.loc[1, quadcopter.PARAMETER_LABELS[n]] for n in quadcopter.PARAMETER_NAMES],
                                  noise=False)
    np.testing.assert_allclose(metrics["this design"], nominal[0].round(3))
    np.testing.assert_allclose(metrics["this design"], best.loc[1, [f"{label}, nominal" for label in
                                                                    quadcopter.METRIC_LABELS.values()]].round(3))


def test_a_model_whose_data_names_no_simulator_says_its_designs_are_not_checked(empty_workspace: Path) -> None:
    if not DEFAULT_MODEL_PATH.exists():
        pytest.skip("the shipped default model is missing (make default-model)")
    import shutil

    dataset = _add_dataset(empty_workspace, "imported", source="csv: x.csv")
    workspace = Workspace(empty_workspace)
    shutil.copy(DEFAULT_MODEL_PATH, workspace.model_path("m1"))
    workspace.add_model("m1", "on imported data", "DNRE", dataset, {}, {})
    at = _run("inverse_design.py")
    at.selectbox(key="design_model").set_value("m1").run()
    assert "No simulator: designs are the model's answer, not checked" in _texts(at.warning)
    assert at.number_input(key="design_budget").disabled and at.checkbox(key="design_robust_on").disabled


def test_benchmarks_page_shows_the_headline_first_a_table_of_contents_and_folds_the_details() -> None:
    """Issue 37 defect 11: the page was 41,000 px of report text with unrounded numbers."""
    at = _run("benchmarks.py")
    assert [t.value for t in at.title] == ["Benchmarks"]
    headings = [h.value for h in at.subheader]
    assert headings[:2] == ["Headline results", "Contents"]
    first_main = next(i for i, m in enumerate(at.markdown) if "DNRE against the best other ratio estimator" in m.value)
    contents = next(i for i, m in enumerate(at.markdown) if m.value.startswith("- ["))
    assert first_main < contents  # the sbibm headline table comes before the table of contents
    assert "Headline results" not in at.markdown[contents].value  # shown above, not listed again
    sections = headings[2:-1]
    assert len(sections) >= 10 and headings[-1] == "Run a small benchmark here"
    assert all(f"[{title}](#" in at.markdown[contents].value for title in sections)
    assert len(at.expander) == len(sections) + 1  # each section's details, and the report's introduction
    assert len(at.get("image")) >= 2  # figures as images (markdown cannot show local files)
    table_numbers = [n for m in at.markdown for line in m.value.splitlines() if line.startswith("|")
                     for n in re.findall(r"(?<![\w.])\d+\.\d{4,}(?![\w.])", line)]
    assert table_numbers and max(len(n.replace(".", "").lstrip("0")) for n in table_numbers) == 4  # rounded


def test_train_page_trains_with_the_chosen_options(empty_workspace: Path) -> None:
    """With a data set in the workspace the page offers every option and passes them to the training job."""
    _add_dataset(empty_workspace, "tiny")
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


def test_train_model_name_follows_the_data_set_until_the_user_types_one(empty_workspace: Path) -> None:
    """Issue 37 defect 1: a model trained on "sim 20k" was saved under the name built from the first data set shown."""
    first = _add_dataset(empty_workspace, "SRI designs")
    second = _add_dataset(empty_workspace, "sim 20k")
    at = _run("train.py")
    at.selectbox(key="train_ds").set_value(first).run()
    assert at.text_input(key="train_name").value == "DNRE on SRI designs"
    at.selectbox(key="train_ds").set_value(second).run()
    assert at.text_input(key="train_name").value == "DNRE on sim 20k"
    at.selectbox(key="train_est").set_value("NRE").run()
    assert at.text_input(key="train_name").value == "NRE on sim 20k"
    at.text_input(key="train_name").set_value("my model").run()
    at.selectbox(key="train_ds").set_value(first).run()
    assert at.text_input(key="train_name").value == "my model"  # typed by the user: kept


HOSTILE = "![b](http://host/beacon.png) **bold** :red[x]"


def test_compare_models_includes_the_shipped_model_and_shows_names_as_typed(empty_workspace: Path) -> None:
    """Issue 37 defect 11 (the shipped model left out) and issue 36 item 4 (names rendered as Markdown)."""
    if not DEFAULT_MODEL_PATH.exists():
        pytest.skip("the shipped default model is missing (make default-model)")
    import shutil

    dataset = _add_dataset(empty_workspace, HOSTILE)
    workspace = Workspace(empty_workspace)
    shutil.copy(DEFAULT_MODEL_PATH, workspace.model_path("m1"))
    workspace.add_model("m1", HOSTILE, "DNRE", dataset, {"num_layers": 4, "hidden_features": 128},
                        {"epochs": 3, "train_losses": [1.0, 0.5], "val_losses": [1.1, 0.6]})
    at = _run("train.py")
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["Default DNRE (shipped)", HOSTILE]
    at.multiselect(key="train_compare").set_value(["default", "m1"]).run()
    assert not at.exception
    shown = [e.value for kind in ("markdown", "success", "info", "warning", "caption") for e in at.get(kind)]
    assert not any("![b](" in text or "**bold**" in text or ":red[" in text for text in shown)
    assert any(r"\!\[b\]\(http\:\/\/host\/beacon\.png\)" in text for text in shown)  # escaped, shown as typed


def test_a_run_started_in_one_session_is_followed_and_stopped_from_another(empty_workspace: Path) -> None:
    """Run history: a reloaded page (a new session) reopens the running simulation, shows it live and stops it;
    the page also comes back with the settings last chosen."""
    first = _run("data.py")
    first.number_input(key="sim_num").set_value(200_000)
    first.number_input(key="sim_batch").set_value(500)
    next(b for b in first.button if b.label == "Simulate").click().run()
    assert not first.exception
    workspace = Workspace(empty_workspace)
    (run,) = workspace.runs("simulation")
    deadline = time.monotonic() + 60
    while workspace.run(run.id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    reloaded = _run("data.py")  # another session: what a reload or a second tab gets
    assert reloaded.selectbox(key="sim_run").value == run.id
    assert reloaded.number_input(key="sim_num").value == 200_000  # remembered
    stop = next(b for b in reloaded.button if b.label == "Stop")
    stop.click().run()
    while workspace.run(run.id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workspace.run(run.id).status == "cancelled"
    again = _run("data.py")
    assert not again.exception and "Stop" not in [b.label for b in again.button]
    assert any(md(run.name) in w.value for w in again.warning)  # the stopped run, shown as such


def test_design_lab_sweeps_one_and_two_parameters_and_shows_sensitivity() -> None:
    at = _run("design_lab.py")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any("The seven metrics along Arm length" in t for t in titles)
    assert any("Max hover time (s) over Arm length" in t and "50 × 50 designs" in t for t in titles)
    assert any("Local sensitivity" in t and "10 % of its value" in t for t in titles)
    at.selectbox(key="sweep_y").set_value("Arm_2159_Length").run()
    assert "Choose two different parameters." in _texts(at.info)


def test_design_lab_names_the_interfering_pairs() -> None:
    """Issue 37 defect 8: when everything interferes, all parts were red with no sign of which pairs."""
    at = _run("design_lab.py")
    at.number_input(key="lab_Arm_2159_Length").set_value(60.0).run()  # propellers overlap each other and the body
    table = next(d.value for d in at.dataframe if "parts" in d.value.columns)
    geometry = quadcopter.geometry([*quadcopter.DEFAULTS[:0], 60.0, *quadcopter.DEFAULTS[1:]])
    assert table["pairs"].sum() == geometry["interferences"] > 0
    assert "each propeller disc with its two neighbours' discs" in table["parts"].tolist()


def test_the_server_settings_keep_the_dashboard_local_and_hide_error_details() -> None:
    """Issue 36 item 3 (the browser test checks the bound address of a running server)."""
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"] == {"showErrorDetails": "none", "toolbarMode": "viewer"}
    makefile = (REPO / "Makefile").read_text()
    assert "ADDRESS ?= 127.0.0.1" in makefile and "--server.address $(ADDRESS)" in makefile


@needs_model
def test_inverse_design_checks_the_model_near_the_target(empty_workspace: Path) -> None:
    """Issue 37 "Can I trust this model?" on Inverse design: coverage on held-out simulations near the target."""
    at = _run("inverse_design.py")
    next(b for b in at.button if b.label == "Check it near this target").click().run()
    assert not at.exception, at.exception
    workspace = Workspace(empty_workspace)
    run = workspace.run(_wait_for(workspace, "coverage"))
    assert run.status == "done"
    assert run.params["near_target"] == {"mass": [None, 4.5], "Max_Hover_Time_(s)": [20.0, None]}
    assert run.result["inside_target"] == run.result["pairs"] == 100  # the example target is wide: all inside
    again = _run("inverse_design.py")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in again.get("plotly_chart")]
    assert "Expected coverage of Default DNRE (shipped) near the target" in titles
