"""The design suite's command line: a chosen set of methods goes into a results file of its own."""

import argparse
import json

import pytest

from benchmarks import design_suite


def test_methods_are_checked_and_kept_in_the_suites_order():
    assert design_suite._methods("default, sequential") == ["sequential", "default"]
    with pytest.raises(argparse.ArgumentTypeError, match=r"unknown method.*bogus"):
        design_suite._methods("default,bogus")


def test_a_run_of_some_methods_is_refused_on_the_full_suites_file(tmp_path, capsys):
    results = tmp_path / "design.jsonl"
    full = {"targets": 24, "prior_predictive": 4_000_000, "num_designs": design_suite.NUM_DESIGNS}
    results.write_text(json.dumps({"method": "default", "settings": full}) + "\n")
    code = design_suite.main(["--results", str(results), "--report", str(tmp_path / "design.md"),
                              "--methods", "default", "--no-robust"])
    assert code == 2 and "other settings" in capsys.readouterr().out


def _record(method: str, prior_mass: float) -> dict:
    return {"method": method, "prior_mass": prior_mass, "target": {"mass": [None, 4.5]}, "exact_hit": 0.5,
            "hit_ratio": 1.0, "c2st": 0.55, "designs": design_suite.NUM_DESIGNS, "simulations": 10_000,
            "rejection_simulations_per_design": 300.0, "seconds": 10.0, "route": "sequential",
            "simulations_with_p_meet": 20_000, "commit": "abc1234", "machine": "test"}


@pytest.mark.parametrize("methods", [["default"], ["sequential", "default"]])
def test_the_report_states_the_sequential_routes_gain_only_where_it_was_measured(tmp_path, methods):
    settings = {"targets": 1, "prior_predictive": 1000, "num_designs": design_suite.NUM_DESIGNS, "methods": methods,
                "robust": False}
    path = tmp_path / "design.md"
    design_suite.report([_record(m, 0.001) for m in methods], settings, path)
    text = path.read_text()
    assert "nan" not in text
    assert ("the sequential route alone: median 30×" in text) == ("sequential" in methods)
