"""Real browser end to end: streamlit run app.py → Home → Inverse design (default model, the example target) →
designs with P(meet) → Validate shows the fraction meeting the target → Design lab flight replay → a long design
run followed live and stopped; and a malformed CSV uploaded on the Data page gets its specific errors. Screenshots
(scrolled to what each step shows) go to artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make browser-setup)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(workspace: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port over ``workspace``, with the repository's .streamlit/config.toml."""
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false",
         # No source-file watcher: its inotify re-scans of the repository can take most of the server's time.
         "--server.fileWatcherType", "none", "--", "--workspace", str(workspace)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ws")


@pytest.fixture(scope="module")
def server(workspace_dir: Path) -> Iterator[str]:
    """One server for this file's tests (a start costs the app's imports again): they run in file order, so the
    first sees it fresh and the last adds hostile names to its workspace; each opens its own tab, hence its own
    session."""
    with _server(workspace_dir) as url:
        yield url


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


def _shot(page: Any, name: str, scroll_to: Any | None = None, block: str = "center", idle: bool = True,
          height: int = 1000) -> None:
    """A viewport screenshot (``height`` px tall) once the script run is over (``idle``), after scrolling
    ``scroll_to`` (a locator, then checked to be on screen) to ``block`` (start, center, end) of the main area."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1400, "height": height})
    if idle:
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    if scroll_to is not None:
        scroll_to.evaluate(f"el => el.scrollIntoView({{block: '{block}'}})")
        if block == "start":  # clear the app's fixed header
            page.get_by_test_id("stMain").evaluate("el => el.scrollBy(0, -90)")
        page.wait_for_timeout(800)  # let Plotly re-render after the scroll
        expect(scroll_to).to_be_in_viewport()
    page.mouse.move(700, 5)  # no tooltip of the last button clicked over the picture
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / name))
    page.set_viewport_size({"width": 1400, "height": 1000})


@contextmanager
def _tab(url: str) -> Iterator[Any]:
    """A headless Chromium tab opened at ``url``."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.goto(url)
            yield tab
        finally:
            browser.close()


@pytest.fixture()
def page(server: str) -> Iterator[Any]:
    with _tab(server) as tab:
        yield tab


def test_a_fresh_servers_first_visit_straight_to_a_page_gets_the_apps_navigation(server: str) -> None:
    """Until a session has run app.py, Streamlit serves the pages/ folder's files alone (file-name sidebar, narrow
    layout); the pages route such a visit through app.py and back (ui.session.ensure_routed)."""
    from playwright.sync_api import expect

    with _tab(f"{server}/design_lab") as tab:
        expect(tab.get_by_role("heading", name="Design lab")).to_be_visible(timeout=60_000)
        nav = tab.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="Inverse design")).to_be_visible(timeout=30_000)  # app.py's titles
        expect(nav.get_by_role("link", name="app", exact=True)).to_have_count(0)  # not the file names
        assert tab.url.endswith("/design_lab")
        _shot(tab, "0_cold_start_design_lab.png")


def test_home_to_inverse_design_to_validate_to_design_lab(page: Any) -> None:
    """Issue 34 item 4: the example target runs the new flow (designs with P(meet), checked by the simulator);
    Validate re-simulates them; the Design lab shows the same design's nominal and simulated metrics; a longer run
    shows its rounds and the model's proposals live and is stopped (a stop, not a failure)."""
    from playwright.sync_api import expect

    expect(page.get_by_text("The workflow")).to_be_visible(timeout=60_000)
    _shot(page, "1_home.png")
    page.get_by_role("button", name="Design a quadcopter for this target").click()
    expect(page.get_by_role("heading", name="Inverse design")).to_be_visible(timeout=30_000)
    # A liveness bound, not a speed test (the time to designs is a benchmark figure, not a test assertion).
    expect(page.get_by_role("button", name="Validate these designs →")).to_be_visible(timeout=300_000)
    mean = page.get_by_test_id("stMetric").filter(has_text="Mean P(meet)")
    expect(mean).to_be_visible()
    assert re.search(r"\d+\.\d%", mean.get_by_test_id("stMetricValue").inner_text())
    expect(page.get_by_text(re.compile(r"Route: .*because"))).to_be_visible()
    _shot(page, "2_inverse_design_example_done.png", page.get_by_role("heading", name="Design runs"), "start",
          height=1500)
    _shot(page, "2b_inverse_design_designs.png", page.get_by_role("heading", name="Designs, best first"), "start",
          height=1500)
    expect(page.get_by_text(re.compile(r"Pareto front \(\d+ designs?\)"))).to_be_attached(timeout=30_000)
    _shot(page, "2d_inverse_design_trade_offs.png", page.get_by_role("tab", name="Trade-offs"), "start", height=1400)
    page.get_by_role("tab", name="Side by side").click()
    expect(page.get_by_text("Design 2").first).to_be_visible(timeout=30_000)
    _shot(page, "2c_inverse_design_side_by_side.png", page.get_by_role("tab", name="Side by side"), "start",
          height=1400)

    page.get_by_role("button", name="Validate these designs →").click()
    page.get_by_role("button", name="Re-simulate and check").click()
    expect(page.get_by_text("Designs meeting every band", exact=True)).to_be_visible(timeout=300_000)
    page.wait_for_timeout(1500)
    _shot(page, "4_validate.png", height=1400)
    assert "%" in page.get_by_test_id("stMetricValue").first.inner_text()
    _shot(page, "5_validate_metrics_and_best_designs.png", page.get_by_role("heading", name="Best designs"), "start",
          height=1200)
    page.get_by_role("button", name="Open in Design lab →").click()
    expect(page.get_by_role("heading", name="Design lab")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("simulated with manufacturing noise and wind on the Validate page")).to_be_visible(
        timeout=30_000)
    page.wait_for_timeout(1500)
    _shot(page, "6_design_lab.png")
    page.get_by_role("button", name="Fly the step response").click()
    expect(page.get_by_text("Step response to a 5 m/s sideways speed command")).to_be_visible(timeout=60_000)
    _shot(page, "7_design_lab_flight_replay.png", page.get_by_role("heading", name="Flight replay (6-DOF)"), "start")

    # A long run of the model's proposals, to watch it live and stop it.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Inverse design").click()
    main = page.get_by_test_id("stMainBlockContainer")
    page.get_by_test_id("stExpander").locator("summary").filter(has_text="Advanced options").click()
    page.get_by_label("Number of designs").fill("50000")
    page.get_by_label("Number of designs").press("Enter")
    route = page.get_by_test_id("stSelectbox").filter(has_text="Route").get_by_role("combobox")
    route.click()
    route.fill("sequential")
    route.press("Enter")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    page.get_by_role("button", name="Find designs").click()
    # The live view of this run (not the finished example's, whose route reason mentions the model's proposals too).
    proposals = page.get_by_text(re.compile(r"The model's proposals: [\d,]+ chains, step [\d,]+ of"))
    expect(proposals).to_be_visible(timeout=180_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Designs found")).to_be_visible(timeout=60_000)
    _shot(page, "3_inverse_design_live.png", proposals, "end", idle=False, height=1400)
    expect(main.get_by_role("button", name="Stop")).to_be_attached()  # still running: a live screenshot
    main.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("stopped by the user; what was computed so far is kept")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("failed")).to_have_count(0)


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a socket of this machine listens on at ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_a_running_simulation_survives_a_reload_and_is_stopped_from_the_reloaded_page(page: Any) -> None:
    """Run history: the page reopens the run it showed, follows it live and stops it."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Data").click()
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=30_000)
    page.get_by_label("Designs", exact=True).fill("300000")
    page.get_by_label("Designs", exact=True).press("Enter")
    page.get_by_label("Designs per batch").fill("500")
    page.get_by_label("Designs per batch").press("Enter")
    page.get_by_role("button", name="Simulate").click()
    expect(page.get_by_text(re.compile(r"simulated: [\d,]+ of 300,000"))).to_be_visible(timeout=120_000)
    page.reload()
    expect(page.get_by_text(re.compile(r"simulated: [\d,]+ of 300,000"))).to_be_visible(timeout=120_000)
    _shot(page, "11_data_simulation_after_reload.png", idle=False)
    # The page's Stop, not the header's (Streamlit shows one there while a script run is slow to finish).
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
    expect(page.get_by_text(re.compile(r"simulated designs are kept"))).to_be_visible(timeout=120_000)


def test_design_lab_what_if_sweeps_and_the_trust_check(page: Any) -> None:
    """The Design lab's three sweeps draw their figures; Train's expected-coverage check runs on the shipped model."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Design lab").click()
    heading = page.get_by_role("heading", name="What if?")
    expect(heading).to_be_visible(timeout=60_000)
    _shot(page, "12_design_lab_sweep_1d.png", heading, "start", height=1400)
    for name, text, shot in (("Two parameters", "over Arm length (mm) and", "13_design_lab_sweep_2d.png"),
                             ("Sensitivity", "Local sensitivity", "14_design_lab_sensitivity.png")):
        page.get_by_role("tab", name=name).click()
        expect(page.get_by_text(text).first).to_be_visible(timeout=60_000)
        _shot(page, shot, heading, "start", height=1400)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Train").click()
    page.get_by_role("button", name="Check it on held-out simulations").click()
    expect(page.get_by_text("Expected coverage of Default DNRE (shipped)")).to_be_visible(timeout=300_000)
    _shot(page, "15_train_coverage.png", page.get_by_role("heading", name="Can I trust this model?"), "start",
          height=1400)


def _malformed_csv(path: Path) -> Path:
    """Three designs whose "mass" column is called "weight_kg" (so it is missing until mapped) and with one
    non-numeric cell ("fast" for a hover time)."""
    import quadcopter

    theta = np.array([quadcopter.DEFAULTS] * 3)
    x = quadcopter.simulate(theta, noise=False)
    metrics = ["weight_kg" if m == "mass" else m for m in quadcopter.METRIC_NAMES]
    rows = [[*map(str, t), *map(str, m)] for t, m in zip(theta.tolist(), x.tolist(), strict=True)]
    rows[1][len(theta[0]) + list(quadcopter.METRIC_NAMES).index("Max_Hover_Time_(s)")] = "fast"
    path.write_text("\n".join(",".join(r) for r in [[*quadcopter.PARAMETER_NAMES, *metrics], *rows]) + "\n")
    return path


def test_malformed_csv_upload_shows_the_specific_errors(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Data").click()
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Import a CSV").click()
    page.locator("input[type=file]").set_input_files(str(_malformed_csv(tmp_path / "malformed.csv")))
    missing = page.get_by_text("Missing column(s): Mass (kg). Map them to columns of the file")
    expect(missing).to_be_visible(timeout=30_000)
    _shot(page, "8_data_csv_missing_column.png", missing)
    mass = page.get_by_test_id("stSelectbox").filter(has_text="Mass (kg)").get_by_role("combobox")
    mass.click()
    mass.fill("weight_kg")
    mass.press("Enter")
    expect(page.get_by_text("1 row(s) have non-numeric or missing cells")).to_be_visible(timeout=30_000)
    expect(missing).to_have_count(0)
    _shot(page, "9_data_csv_non_numeric_cell.png", page.get_by_text("What the check found").first, "start")


HOSTILE = "![b](http://host/beacon.png) **bold**"


def _hostile_workspace(folder: Path) -> None:
    """A data set, a model and a run all named with Markdown that would fetch an image from another host."""
    import shutil

    import quadcopter
    from ui.models import DEFAULT_MODEL_PATH
    from ui.workspace import Workspace

    workspace = Workspace(folder)
    theta = np.random.default_rng(0).uniform(quadcopter.LOWER, quadcopter.UPPER, size=(200, 19))
    dataset = workspace.add_dataset(HOSTILE, theta, quadcopter.simulate(theta, seed=0),
                                    list(quadcopter.PARAMETER_NAMES), list(quadcopter.METRIC_NAMES), source="simulator")
    shutil.copy(DEFAULT_MODEL_PATH, workspace.model_path("m1"))
    workspace.add_model("m1", HOSTILE, "DNRE", dataset.id, {"num_layers": 4, "hidden_features": 128},
                        {"epochs": 2, "train_losses": [1.0, 0.5], "val_losses": [1.1, 0.6]})
    run = workspace.create_run("training", HOSTILE, "test-session", {})
    workspace.update_run(run.id, status="done", message="finished", result={"model_id": "m1"})


def test_the_server_listens_on_this_machine_only_and_no_request_leaves_it(server: str, workspace_dir: Path) -> None:
    """Issue 36 items 3 and 4, issue 37 defect 10: the server binds to 127.0.0.1 by default; names typed by users
    (here a data set, a model and a run named with a Markdown image) make no browser fetch anything; no icon font
    or favicon comes from an outside host; no Deploy button; no WebGL context warnings. The file's last test: the
    shared server's workspace gets the hostile names (the server reads its workspace afresh on every page run)."""
    from urllib.parse import urlsplit

    from playwright.sync_api import expect

    _hostile_workspace(workspace_dir)
    with _tab(server) as tab:
        port = int(urlsplit(server).port or 0)
        assert _listening_addresses(port) == {"127.0.0.1"}
        requests: list[str] = []
        console: list[str] = []
        tab.on("request", lambda request: requests.append(request.url))
        tab.on("console", lambda message: console.append(message.text))
        tab.reload()
        expect(tab.get_by_text("The workflow")).to_be_visible(timeout=60_000)
        expect(tab.get_by_role("button", name="Deploy")).to_have_count(0)
        for link, heading in (("Train", "Train"), ("Data", "Data"), ("Design lab", "Design lab"),
                              ("Benchmarks", "Benchmarks"), ("Home", "dnre-quad: quadcopter design by inference")):
            tab.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
            expect(tab.get_by_role("heading", name=heading).first).to_be_visible(timeout=60_000)
            expect(tab.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
            if link == "Train":
                expect(tab.get_by_text(HOSTILE).first).to_be_visible()  # shown as typed
                expect(tab.get_by_label("Model name")).to_have_value(re.compile(r"\S"), timeout=60_000)  # drawn
                _shot(tab, "10_train_hostile_names.png")
            if link == "Design lab":
                for name in ("Two parameters", "Sensitivity", "One parameter"):
                    tab.get_by_role("tab", name=name).click()
                    tab.wait_for_timeout(1000)
        outside = sorted({urlsplit(u).hostname for u in requests} - {"127.0.0.1", None})
        assert not outside, ("requests left this machine: "
                             f"{[u for u in requests if urlsplit(u).hostname in outside][:5]}")
        assert not [m for m in console if "Too many active WebGL contexts" in m]
