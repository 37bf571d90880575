"""Real browser end to end: streamlit run app.py → Home → Inverse design (default model) → live diagnostics →
Validate shows the fraction meeting the target. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make browser-setup)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--", "--workspace", str(tmp_path / "ws")],
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


def test_home_to_inverse_design_to_validate(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(server)
            expect(page.get_by_text("The workflow")).to_be_visible(timeout=60_000)
            page.screenshot(path=str(SHOTS / "1_home.png"), full_page=True)
            page.get_by_role("button", name="Design a quadcopter for this target").click()
            expect(page.get_by_role("heading", name="Inverse design")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Worst R̂")).to_be_visible(timeout=120_000)  # live diagnostics appeared
            page.screenshot(path=str(SHOTS / "2_inverse_design_live.png"), full_page=True)
            expect(page.get_by_role("button", name="Validate these designs →")).to_be_visible(timeout=300_000)
            page.screenshot(path=str(SHOTS / "3_inverse_design_done.png"), full_page=True)
            page.get_by_role("button", name="Validate these designs →").click()
            page.get_by_role("button", name="Re-simulate and check").click()
            expect(page.get_by_text("Proposed designs meeting every target")).to_be_visible(timeout=300_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(SHOTS / "4_validate.png"), full_page=True)
            assert "%" in page.get_by_test_id("stMetricValue").first.inner_text()
        finally:
            browser.close()
