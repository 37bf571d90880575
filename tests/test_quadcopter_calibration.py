"""Calibration against the professional flight-dynamics model's data set (../shared/data/sri_quadcopter)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from quadcopter.calibration import GOALS, KNOWN_DIFFERENCES, compare_to_data
from quadcopter.params import METRIC_NAMES

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sri_quadcopter" / "designs.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    if not DATA.exists():
        pytest.skip(f"shared data set not found at {DATA}")
    return compare_to_data(pd.read_csv(DATA), seed=0, noise=True)


def test_every_metric_has_a_goal_or_a_documented_known_difference():
    assert set(GOALS) | set(KNOWN_DIFFERENCES) == set(METRIC_NAMES) and not set(GOALS) & set(KNOWN_DIFFERENCES)


@pytest.mark.parametrize("metric", list(GOALS))
def test_spearman_goal(table, metric):
    assert table.loc[metric, "spearman"] >= GOALS[metric], table.loc[metric].to_dict()


def test_failure_rate_is_small(table):
    # the data's 4.2% outright failures look like trim-solver failures; ours fail only for physical reasons
    assert table.loc["Max_Lateral_Speed_(m/s)", "ours_zero_rate"] < 0.05


def test_mass_scale_matches(table):
    row = table.loc["mass"]
    assert abs(row["ours_q50"] - row["data_q50"]) < 0.05 * row["data_q50"]
