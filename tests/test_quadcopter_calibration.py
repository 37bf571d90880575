"""Calibration against the professional flight-dynamics model's data set (../shared/data/sri_quadcopter)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from quadcopter.calibration import GOALS, compare_to_data

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sri_quadcopter" / "designs.csv"

# Goals not reached by the current physical model (see docs/quadcopter.md, "Calibration"): kept as strict
# expected failures so that the gap stays visible and reaching a goal turns the test red until this is updated.
NOT_YET_REACHED = {"Max_uc_at_Max_Flight_Distance"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    if not DATA.exists():
        pytest.skip(f"shared data set not found at {DATA}")
    return compare_to_data(pd.read_csv(DATA), seed=0, noise=True)


@pytest.mark.parametrize("metric", [
    pytest.param(m, marks=pytest.mark.xfail(strict=True, reason="calibration goal not reached yet"))
    if m in NOT_YET_REACHED else m for m in GOALS])
def test_spearman_goal(table, metric):
    assert table.loc[metric, "spearman"] >= GOALS[metric], table.loc[metric].to_dict()


def test_failure_rate_is_small(table):
    # the data's 4.2% outright failures look like trim-solver failures; ours fail only for physical reasons
    assert table.loc["Max_Lateral_Speed_(m/s)", "ours_zero_rate"] < 0.05


def test_mass_scale_matches(table):
    row = table.loc["mass"]
    assert abs(row["ours_q50"] - row["data_q50"]) < 0.05 * row["data_q50"]
