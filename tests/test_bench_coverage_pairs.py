"""bench/coverage_pairs.py: sets the full run's 50-pair coverage of each DNRE run beside 200 pairs of the same model."""

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("coverage_pairs", ROOT / "bench" / "coverage_pairs.py")
coverage_pairs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coverage_pairs)


def _record(kind: str, task: str, seed: int, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "status": "ok", "task": task, "method": "dnre", "sampler": "mh", "seed": seed,
            "budget": 10_000, "observation": 1 if kind == "cell" else None} | extra


def _coverage(task: str, seed: int, at_half: float, pairs: int, **extra: Any) -> dict[str, Any]:
    return _record("coverage", task, seed, levels=[0.0, 0.5, 1.0], coverage=[0.0, at_half, 1.0], pairs=pairs) | extra


def test_rows_pair_runs_by_task_and_seed_with_gap_shortfall_and_verdict() -> None:
    full = [_coverage("two_moons", 0, 0.7, 50), _coverage("two_moons", 1, 0.4, 50), _coverage("slcp", 0, 0.5, 50),
            _coverage("slcp", 0, 0.1, 50, method="nre"), _record("cell", "two_moons", 0, log_prob_true=1.0),
            _record("cell", "two_moons", 1, log_prob_true=1.0)]
    large = [_coverage("two_moons", 0, 0.45, 200), _coverage("two_moons", 1, 0.4, 200),
             _coverage("slcp", 0, 0.48, 200), _coverage("gaussian_linear", 0, 0.2, 200),
             _coverage("slcp", 1, 0.9, 200, status="failed"), _record("cell", "two_moons", 0, log_prob_true=1.0),
             _record("cell", "two_moons", 1, log_prob_true=2.0)]
    text = coverage_pairs.summary_markdown(full, large)
    assert "identical in 1 of 2 runs" in text  # seed 1's check cell came from another model
    # two_moons at 50 pairs: gaps +0.067 and −0.033; seed 1 falls 0.1 short at 0.5, 1.4 binomial s.e. at 50 pairs.
    # At 200 pairs: gaps −0.017 and −0.033; 0.1 short is 2.8 s.e. there. Pooled: 0.425 at 0.5 over 400 pairs, 3.0 s.e.
    assert "| two_moons | 0, 1 | +0.017 ± 0.050 / 1.4 | -0.025 ± 0.008 / 2.8 | 3.0 | no |" in text
    # slcp: one seed (its failed seed-1 record and NRE's record do not count); 0.02 short at 200 pairs is 0.6 s.e.
    assert "| slcp | 0 | +0.000 / 0.0 | -0.007 / 0.6 | 0.6 | no, within chance |" in text
    assert "gaussian_linear |" not in text  # no full-run record to set beside it
    assert "conservative on average on 0 of the 2 tasks measured here, and over-confident beyond chance" in text
    assert "above 2) on 1." in text


NEW = {"num_partners": 4}
SPREAD = {"sampler_options": {"scale_spread": 2.0}}  # MH's default since; a record without the field had none


@pytest.mark.parametrize(("full_extra", "large_extra"), [
    ({}, {"method_options": {"num_partners": 1}}),  # DNRE's default changed
    (SPREAD, {}),  # MH's default changed
])
def test_a_run_remeasured_under_new_method_or_sampler_options_is_left_out_and_named(
    full_extra: dict[str, Any], large_extra: dict[str, Any]
) -> None:
    full = [_coverage("two_moons", 0, 0.5, 50, method_options=NEW, **full_extra),
            _coverage("slcp", 0, 0.5, 50, method_options=NEW),
            _record("cell", "two_moons", 0, log_prob_true=1.0, method_options=NEW, **full_extra)]
    large = [_coverage("two_moons", 0, 0.5, 200, **({"method_options": NEW} | large_extra)),
             _coverage("slcp", 0, 0.5, 200, method_options=NEW),
             _record("cell", "two_moons", 0, log_prob_true=2.0, **({"method_options": NEW} | large_extra))]
    text = coverage_pairs.summary_markdown(full, large)
    assert "| two_moons |" not in text and "| slcp | 0 |" in text
    assert "identical in 0 of 0 runs" in text  # two_moons' check cell is another model's, so it is not checked
    assert ("Left out: 1 runs (two_moons) whose run in the full run was made with other method or sampler options"
            in text)
    assert "- dnre: num_partners=4" in text
    assert "Sampler options, as the records state them:" in text and "- mh: scale_spread=0.0" in text


def test_the_summary_flags_runs_compared_under_different_mh_options() -> None:
    """Each pair has one option set, but pairs may differ (a task not yet remeasured): the summary says which."""
    full = [_coverage(task, 0, 0.5, 50, **extra) for task, extra in (("slcp", SPREAD), ("sir", {}))]
    large = [_coverage(task, 0, 0.5, 200, **extra) for task, extra in (("slcp", SPREAD), ("sir", {}))]
    text = coverage_pairs.summary_markdown(full, large)
    assert "| slcp | 0 |" in text and "| sir | 0 |" in text
    assert "- mh: **mixed** — scale_spread=2.0 (1 runs: slcp); scale_spread=0.0 (1 runs: sir)" in text
