"""dnre_core.benchmarks.studies: the per-task follow-up studies' driver resumes, orders and summarises."""

from pathlib import Path

import pytest

from dnre_core.benchmarks.results import read_records
from dnre_core.benchmarks.studies import run_task_study


def _probe(task: str) -> dict:
    return {"task": task, "letters": len(task)}


def _summary(records: list[dict]) -> str:
    return "".join(f"{r['task']} {r['letters']}\n" for r in sorted(records, key=lambda r: r["task"]))


def _run(results: Path, *argv: str) -> None:
    run_task_study("a study", results, _probe, _summary, lambda r: f"did {r['task']}", list(argv), cost=len)


def test_a_study_records_each_task_once_and_resumes_with_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    results = tmp_path / "study.jsonl"
    _run(results, "--tasks", "slcp,two_moons", "--jobs", "2")
    out = capsys.readouterr().out
    assert "tasks owed: two_moons, slcp" in out  # longest first by cost (here: the name's length)
    assert "did slcp" in out and "did two_moons" in out
    _run(results, "--tasks", "slcp,two_moons,sir", "--jobs", "1")
    assert "tasks owed: sir\n" in capsys.readouterr().out
    assert sorted(r["task"] for r in read_records(results)) == ["sir", "slcp", "two_moons"]
    assert (tmp_path / "study.md").read_text() == "sir 3\nslcp 4\ntwo_moons 9\n"


def test_report_only_runs_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    results = tmp_path / "study.jsonl"
    _run(results, "--tasks", "slcp", "--report-only")
    assert read_records(results) == [] and (tmp_path / "study.md").read_text() == ""
    assert "tasks owed" not in capsys.readouterr().out


def test_an_unknown_task_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        _run(tmp_path / "study.jsonl", "--tasks", "no_such_task")
    assert not (tmp_path / "study.jsonl").exists()
