"""bench/mh_spread.py: the summary table, from a study's records and the full run's cells of the same model."""

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mh_spread", ROOT / "bench" / "mh_spread.py")
mh_spread = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mh_spread)


def _full_run_cell(task: str, sampler: str, obs: int, c2st: float, log_prob_true: float) -> dict[str, Any]:
    return {"task": task, "method": "dnre", "seed": 0, "kind": "cell", "status": "ok", "sampler": sampler,
            "observation": obs, "c2st": c2st, "log_prob_true": log_prob_true, "train_seconds": 100.0}


def _study_record(task: str, log_prob_true: float, plain: list[float], spread: list[float],
                  ess_ratio: float) -> dict[str, Any]:
    cells = {key: [{"observation": obs, "c2st": c, "min_ess_per_second": 100.0 * (ess_ratio if key == "2" else 1.0)}
                   for obs, c in enumerate(values, start=1)] for key, values in (("0", plain), ("2", spread))}
    return {"task": task, "seed": 0, "log_prob_true": log_prob_true, "cells": cells}


@pytest.fixture()
def full_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = [_full_run_cell("two_moons", "mh", 1, 0.60, 1.5), _full_run_cell("two_moons", "mh", 2, 0.70, 9.0),
             _full_run_cell("two_moons", "hmc", 1, 0.55, 1.5), _full_run_cell("two_moons", "hmc", 2, 0.61, 9.0),
             _full_run_cell("slcp", "mh", 1, 0.80, 2.0), _full_run_cell("slcp", "hmc", 1, 0.79, 2.0),
             _full_run_cell("slcp", "mh", 2, 0.80, 3.0), _full_run_cell("slcp", "hmc", 2, 0.81, 3.0)]
    path = tmp_path / "full.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cells))
    monkeypatch.setattr(mh_spread, "FULL_RUN", path)


def test_the_summary_pairs_the_spread_with_the_default_and_with_the_full_runs_hmc(full_run) -> None:
    text = mh_spread.summary_markdown([_study_record("two_moons", 1.5, [0.60, 0.70], [0.56, 0.62], 0.5)])
    # spread − MH: −0.04 and −0.08, mean −0.06, se 0.02; HMC − MH: −0.05, −0.09; HMC − spread: −0.01, −0.01.
    assert "| two_moons | yes | 0.650 | 0.650 | 0.590 | -0.060 ± 0.020 | 0.580 | -0.070 ± 0.020 | -0.010 ± 0.000 | 0.50 |" \
        in text


def test_a_model_that_differs_from_the_full_runs_gets_no_hmc_comparison(full_run) -> None:
    text = mh_spread.summary_markdown([_study_record("slcp", 2.5, [0.81, 0.79], [0.80, 0.80], 1.0)])
    assert "| slcp | no | 0.800 | 0.800 | 0.800 | +0.000 ± 0.010 | – | – | – | 1.00 |" in text


def test_the_full_runs_mh_column_keeps_its_cells_without_the_spread_after_the_default_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full run's MH cells measured again with the spread (its default since) come later in its file; the MH
    (full run) column stays the earlier cells', the kind this study compares the spread with."""
    spread = {"sampler_options": {"scale_spread": 2.0}}
    cells = [_full_run_cell("two_moons", "mh", 1, 0.60, 1.5), _full_run_cell("two_moons", "hmc", 1, 0.55, 1.5),
             _full_run_cell("two_moons", "mh", 1, 0.52, 1.5) | spread]
    path = tmp_path / "full.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cells))
    monkeypatch.setattr(mh_spread, "FULL_RUN", path)
    text = mh_spread.summary_markdown([_study_record("two_moons", 1.5, [0.60], [0.52], 0.5)])
    assert "| two_moons | yes | 0.600 | 0.600 | 0.520 |" in text
