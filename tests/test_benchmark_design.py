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
