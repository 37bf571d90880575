"""The benchmark runner's plumbing: resumable results, one configuration per results file, recorded failures,
report and command line.

The estimator is replaced by a stub that samples the prior (training a network is not what these tests check), and
the C2ST by a cross-validated quadratic discriminant's accuracy, far quicker than the MLP classifier of
``dnre_core.c2st`` (tested in test_metrics)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor

from benchmarks import methods, model_cache, report, runner, sbibm_cli
from benchmarks.methods import (
    PEER_METHODS,
    PEER_SAMPLER,
    Draws,
    SamplingSettings,
    TrainingSettings,
    last_draws,
)
from benchmarks.report import headline_section
from benchmarks.results import read_records
from benchmarks.runner import BenchmarkSettings, run_benchmark
from benchmarks.sbibm_cli import main, parse_range
from benchmarks.sbibm_source import sbibm_available
from dnre_core import DNRE
from dnre_core.config import DEFAULTS
from dnre_core.samplers import DEFAULT_SCALE_SPREAD

needs_sbibm = pytest.mark.skipif(not sbibm_available(), reason="sbibm is not installed: run `make bench-setup`")
needs_sbi = pytest.mark.skipif(
    importlib.util.find_spec("sbi") is None, reason="sbi is not installed: run `make bench-setup`"
)
SMALL = BenchmarkSettings(num_posterior_samples=300, num_reference_samples=300, coverage_pairs=20, coverage_samples=50)


class PriorStub:
    """Stands in for a trained method: draws from the prior, density = prior density. Counts trainings."""

    trainings = 0
    samplings = 0
    settings: tuple[Any, ...] = ()
    temperature: float | None = 1.0  # what "calibration" found
    shift = 0.0  # added to the log density: a model that differs from an earlier one

    def __init__(self, method: str, task: Any, theta: Tensor, x: Tensor, seed: int, *settings: Any):
        type(self).trainings += 1
        type(self).settings = settings  # (SamplingSettings, TrainingSettings) of the last training
        self.prior, self.train_seconds = task.prior, 0.0

    def sample(self, x: Tensor, sampler: str, num_samples: int, seed: int) -> Draws:
        type(self).samplings += 1
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return Draws(self.prior.sample((num_samples,)), 0.01, float(num_samples), 1.0)

    def log_prob(self, theta: Tensor, x: Tensor, num_reference: int = 1000) -> Tensor:
        return self.prior.log_prob(theta) + 0.01 * theta.sum(dim=1) + self.shift  # a non-constant ranking


class BrokenStub(PriorStub):
    def __init__(self, *args: Any):
        raise RuntimeError("cannot train here")


def quick_c2st(a: Tensor, b: Tensor) -> float:
    """Mean 5-fold accuracy of a quadratic discriminant telling a from b: 0.5 alike, towards 1 apart."""
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
    from sklearn.model_selection import KFold, cross_val_score

    data, labels = torch.cat([a, b]).numpy(), [0] * len(a) + [1] * len(b)
    folds = KFold(n_splits=5, shuffle=True, random_state=1)
    return float(cross_val_score(QuadraticDiscriminantAnalysis(), data, labels, cv=folds).mean())


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    PriorStub.trainings = PriorStub.samplings = 0
    PriorStub.temperature, PriorStub.shift = 1.0, 0.0
    monkeypatch.setattr(model_cache, "fit_method", PriorStub)
    monkeypatch.setattr(runner, "c2st", quick_c2st)


def _run(path: Path, **overrides: Any) -> list[dict[str, Any]]:
    options = {
        "tasks": ["two_moons"],
        "methods": ["dnre"],
        "samplers": ["mh", "hmc"],
        "budget": 100,
        "observations": [1, 2],
        "seeds": [0],
        "results_path": path,
        "progress": False,
        "settings": SMALL,
    }
    return run_benchmark(**(options | overrides))


@needs_sbibm
def test_a_rerun_skips_done_cells_and_trains_once_per_group(tmp_path: Path, stubbed: None) -> None:
    path = tmp_path / "results.jsonl"
    records = _run(path)
    assert PriorStub.trainings == 1  # one training for 2 samplers × 2 observations + 2 coverage records
    cells = [r for r in records if r["kind"] == "cell"]
    assert len(cells) == 4 and all(r["status"] == "ok" for r in cells)
    assert all(0.5 < r["c2st"] < 1.0 and r["c2st_samples"] == [300, 300] for r in cells)  # prior ≠ posterior
    coverage = [r for r in records if r["kind"] == "coverage"]
    assert len(coverage) == 2 and all(r["pairs"] == 20 and len(r["coverage"]) == 21 for r in coverage)
    assert len(_run(path)) == 6 and PriorStub.trainings == 1  # nothing left to do
    assert len(_run(path, observations=[1, 2, 3])) == 8 and PriorStub.trainings == 2  # only observation 3 is new


@needs_sbibm
def test_deferred_coverage_is_owed_and_made_by_the_next_run(tmp_path: Path, stubbed: None) -> None:
    path = tmp_path / "results.jsonl"
    cells_only = _run(path, defer_coverage=True)
    assert sorted(r["kind"] for r in cells_only) == ["cell"] * 4 and PriorStub.trainings == 1
    assert len(_run(path, defer_coverage=True)) == 4 and PriorStub.trainings == 1  # nothing owed but coverage
    completed = _run(path)  # same settings: the file resumes, and only the two coverage records are made
    assert sorted(r["kind"] for r in completed) == ["cell"] * 4 + ["coverage"] * 2 and PriorStub.trainings == 2
    assert [r for r in completed if r["kind"] == "cell"] == cells_only


@needs_sbibm
def test_a_failed_training_is_recorded_not_raised(
    tmp_path: Path, stubbed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_cache, "fit_method", BrokenStub)
    records = _run(tmp_path / "results.jsonl")
    assert len(records) == 6 and all(r["status"] == "failed" and "cannot train here" in r["error"] for r in records)
    monkeypatch.setattr(model_cache, "fit_method", PriorStub)
    PriorStub.trainings = 0
    assert _run(tmp_path / "results.jsonl") == records and PriorStub.trainings == 0  # failures count as done
    retried = _run(tmp_path / "results.jsonl", retry_failed=True)  # after a fix: run them again
    assert PriorStub.trainings == 1 and len(retried) == 6 and all(r["status"] == "ok" for r in retried)
    assert len(read_records(tmp_path / "results.jsonl")) == 12  # the file keeps the failures as history


def _cli_args(tmp_path: Path) -> list[str]:
    """``python -m benchmarks sbibm`` arguments of a one-cell run (two_moons, DNRE with MH, observation 1) writing
    under tmp_path."""
    return [
        "--tasks", "two_moons", "--methods", "dnre", "--samplers", "mh", "--budget", "100", "--observations", "1",
        "--seeds", "0", "--results", str(tmp_path / "r.jsonl"), "--report", str(tmp_path / "sbibm.md"),
        "--figures", str(tmp_path / "figures"), "--posterior-samples", "300", "--reference-samples", "300",
        "--coverage-pairs", "20", "--no-progress",
    ]


@needs_sbibm
def test_a_failed_cell_is_reported_by_its_reason_in_one_line_not_a_traceback(
    tmp_path: Path, stubbed: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(model_cache, "fit_method", BrokenStub)
    assert main(_cli_args(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "two_moons/dnre/mh obs 1 seed 0: failed: RuntimeError: cannot train here" in err
    assert "Traceback" not in err
    assert "Traceback" in read_records(tmp_path / "r.jsonl")[0]["error"]  # the results file keeps the whole of it
    failed = "- two_moons / dnre / mh / obs 1 / seed 0: RuntimeError: cannot train here"
    assert failed in (tmp_path / "sbibm.md").read_text()


@needs_sbibm
def test_main_writes_report_and_figures_and_gates_on_c2st(tmp_path: Path, stubbed: None) -> None:
    args = _cli_args(tmp_path)
    assert main(args) == 0
    report = (tmp_path / "sbibm.md").read_text()
    assert "| two_moons | **" in report and "| cells | 1 |" in report and "300 posterior samples against 300" in report
    for name in ("c2st.png", "coverage.png"):
        assert (tmp_path / "figures" / name).read_bytes()[:4] == b"\x89PNG"
    assert main([*args, "--max-c2st", "0.5"]) == 1  # prior draws fail a strict gate
    (tmp_path / "intro.md").write_text("# A written introduction\n\nWhat this run is.\n")
    assert main([*args, "--preamble", str(tmp_path / "intro.md")]) == 0  # nothing to run: the report is rewritten
    report = (tmp_path / "sbibm.md").read_text()
    assert report.startswith("# A written introduction\n\nWhat this run is.\n\nCommand: `python -m benchmarks sbibm")
    assert report.index("<!-- headline -->") < report.index("### C2ST")  # the headline follows the introduction
    assert "## sbibm tasks" not in report and "| two_moons | **" in report
    assert main([*args, "--preamble", str(tmp_path / "missing.md")]) == 2
    (tmp_path / "sbibm.md").unlink()
    assert main([*args, "--report-only", "--observations", "1-10"]) == 0  # runs nothing, reports what is recorded
    report = (tmp_path / "sbibm.md").read_text()
    assert "| two_moons | **" in report and "--report-only" not in report  # the command that makes the results
    assert PriorStub.trainings == 1
    assert main([*args, "--results", str(tmp_path / "none.jsonl"), "--report-only"]) == 2
    assert len(read_records(tmp_path / "r.jsonl")) == 2


@needs_sbibm
def test_the_training_budget_is_an_option_recorded_in_each_record_and_the_report(
    tmp_path: Path, stubbed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The smoke run trains with a shorter patience than the full run: the training gets it, the records and the
    report state it, and resuming the file with another patience is refused rather than mixed."""
    args = _cli_args(tmp_path)
    assert main([*args, "--patience", "20", "--max-epochs", "300"]) == 0
    assert PriorStub.settings[1] == TrainingSettings(stop_after_epochs=20, max_epochs=300)
    assert {r["settings"]["training"]["stop_after_epochs"] for r in read_records(tmp_path / "r.jsonl")} == {20}
    report = (tmp_path / "sbibm.md").read_text()
    assert "until 20 epochs bring no better held-out loss (at most 300)" in report
    assert main([*args, "--observations", "2"]) == 2 and "stop_after_epochs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--patience", "0"])


def test_bad_arguments_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_range("1-3,7") == [1, 2, 3, 7]
    assert main(["--tasks", "three_moons", "--results", str(tmp_path / "r.jsonl")]) == 2
    assert "three_moons" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--observations", "one"])


def test_each_posterior_sample_is_the_last_draw_of_its_own_chain() -> None:
    chains = torch.randn(50, 6, 2, generator=torch.Generator().manual_seed(0))
    draws = last_draws(chains, seconds=2.0)
    assert torch.equal(draws.samples, chains[:, -1])
    assert draws.min_ess > 0 and math.isfinite(draws.max_rhat)
    assert math.isnan(last_draws(chains[:, :3], seconds=2.0).min_ess)  # too few draws per chain for ESS


@needs_sbibm
@needs_sbi
def test_sbi_peers_train_and_sample_with_their_default_mcmc(tmp_path: Path) -> None:
    """One peer runs its cells (the three share the code path: sbi's trainer class by name, sbi's default MCMC); the
    others' classes exist in the installed sbi."""
    import sbi.inference

    assert all(callable(getattr(sbi.inference, name, None)) for name in PEER_METHODS.values())
    peer = "sbi-nre-a"
    tiny = BenchmarkSettings(
        num_posterior_samples=20,
        num_reference_samples=20,
        coverage_pairs=3,
        coverage_samples=10,
        coverage_reference=10,
        sampling=SamplingSettings(warmup_steps=20, draws_per_chain=4),
    )
    records = _run(tmp_path / "r.jsonl", methods=[peer], budget=300, observations=[1], settings=tiny)
    assert all(r["status"] == "ok" for r in records), [r["error"] for r in records]
    # One sampler per peer (sbi's), whatever samplers were asked for: a cell and a coverage record.
    assert sorted((r["method"], r["sampler"], r["kind"]) for r in records) == [
        (peer, PEER_SAMPLER, "cell"), (peer, PEER_SAMPLER, "coverage")]
    cells = [r for r in records if r["kind"] == "cell"]
    # A C2ST accuracy on 20 + 20 points can fall below 0.5 by chance (its sd there is about 0.08): [0, 1] is the range.
    assert all(0.0 <= r["c2st"] <= 1.0 and math.isfinite(r["log_prob_true"]) for r in cells), cells
    assert all(r["c2st_samples"] == [20, 20] and r["train_seconds"] > 0 for r in cells)


@needs_sbibm
def test_a_model_cache_lets_a_later_run_sample_the_very_model_without_training_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run with a model cache keeps each trained DNRE; a later run (another results file) loads it instead of
    training and measures the same numbers; a damaged cache file is trained again and replaced."""
    tiny = BenchmarkSettings(num_posterior_samples=20, num_reference_samples=20, coverage_pairs=3, coverage_samples=10,
                             coverage_reference=10, sampling=SamplingSettings(warmup_steps=20, draws_per_chain=4),
                             training=TrainingSettings(stop_after_epochs=2, max_epochs=3))
    cache = tmp_path / "models"
    run = partial(_run, samplers=["mh"], budget=300, observations=[1], settings=tiny, model_cache=cache)
    first = run(tmp_path / "first.jsonl")
    files = list(cache.rglob("*.pt"))
    assert len(files) == 1 and files[0].parent.name == "two_moons" and files[0].name.startswith("dnre-seed0-budget300-")
    assert all(r["status"] == "ok" and r["model_from_cache"] is False for r in first), first
    measured = ("kind", "c2st", "log_prob_true", "min_ess", "max_rhat", "coverage", "temperature", "train_seconds")
    with monkeypatch.context() as no_training:
        no_training.setattr(model_cache, "fit_method", lambda *args: pytest.fail("trained again despite the cache"))
        again = run(tmp_path / "again.jsonl")
    assert all(r["model_from_cache"] is True for r in again)
    assert [{k: r.get(k) for k in measured} for r in again] == [{k: r.get(k) for k in measured} for r in first]
    files[0].write_bytes(b"not a model")
    assert all(r["model_from_cache"] is False for r in run(tmp_path / "damaged.jsonl"))
    assert all(r["model_from_cache"] is True for r in run(tmp_path / "replaced.jsonl"))


def test_the_command_line_passes_its_model_cache_to_the_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(sbibm_cli, "run_benchmark", lambda *args, **kwargs: seen.append(kwargs["model_cache"]) or [])
    for extra, expected in (([], None), (["--model-cache", str(tmp_path / "models")], tmp_path / "models")):
        main(["--results", str(tmp_path / "r.jsonl"), "--report", str(tmp_path / "r.md"),
              "--figures", str(tmp_path / "figures"), *extra])
        assert seen[-1] == expected


def test_a_cached_model_is_filed_under_everything_that_defines_it(tmp_path: Path) -> None:
    theta, x = torch.zeros(4, 2), torch.ones(4, 3)
    digest = model_cache.data_digest(theta, x)
    base = dict(cache_dir=tmp_path, task="two_moons", method="dnre", seed=0, budget=4, method_options={"k": 1},
                training=TrainingSettings(), digest=digest)
    path = model_cache.model_path(**base)
    assert path == model_cache.model_path(**base) and path.parent == tmp_path / "two_moons"
    others = [{"seed": 1}, {"budget": 5}, {"method": "nre"}, {"method_options": {"k": 4}},
              {"training": TrainingSettings(stop_after_epochs=20)},
              {"digest": model_cache.data_digest(theta, x + 1e-6)}, {"digest": model_cache.data_digest(theta.T, x)}]
    assert len({model_cache.model_path(**(base | other)) for other in others} | {path}) == len(others) + 1


@needs_sbibm
def test_zero_coverage_pairs_is_a_c2st_only_run_and_its_report_is_written(tmp_path: Path, stubbed: None) -> None:
    c2st_only = BenchmarkSettings(num_posterior_samples=300, num_reference_samples=300, coverage_pairs=0)
    records = _run(tmp_path / "r.jsonl", settings=c2st_only)
    assert sorted((r["kind"], r["sampler"], r["observation"]) for r in records) == [
        ("cell", s, o) for s in ("hmc", "mh") for o in (1, 2)
    ]
    args = ["--tasks", "two_moons", "--methods", "dnre", "--samplers", "mh,hmc", "--budget", "100",
            "--observations", "1-2", "--seeds", "0", "--posterior-samples", "300", "--reference-samples", "300",
            "--coverage-pairs", "0", "--results", str(tmp_path / "r.jsonl"), "--report", str(tmp_path / "r.md"),
            "--figures", str(tmp_path / "figures"), "--no-progress"]
    assert main(args) == 0 and PriorStub.trainings == 1  # nothing left to run; the report is written
    assert "| two_moons | " in (tmp_path / "r.md").read_text()
    with pytest.raises(ValueError, match="coverage_pairs must be 0"):
        _run(tmp_path / "other.jsonl", settings=BenchmarkSettings(coverage_pairs=-1))


@needs_sbibm
def test_a_results_file_from_other_settings_is_not_resumed(tmp_path: Path, stubbed: None) -> None:
    """Records carry the settings that produced them; resuming with other settings is refused, nothing is written."""
    path = tmp_path / "results.jsonl"
    records = _run(path, observations=[1])
    assert all(r["settings"] == runner.settings_record(SMALL) for r in records)
    assert records[0]["settings"]["training"]["weight_averaging"] == SMALL.training.weight_averaging
    before = path.read_text()
    other = BenchmarkSettings(num_posterior_samples=300, num_reference_samples=300, coverage_pairs=10)
    with pytest.raises(ValueError, match=r"coverage_pairs.*write this run to a new --results file"):
        _run(path, observations=[1, 2], settings=other)
    legacy = tmp_path / "legacy.jsonl"  # written before records carried their settings
    legacy.write_text(before.replace('"settings":', '"old_settings":'))
    with pytest.raises(ValueError, match="not recorded"):
        _run(legacy, observations=[1, 2])
    assert path.read_text() == before and PriorStub.trainings == 1


@needs_sbibm
def test_records_state_their_configuration_and_a_changed_method_default_needs_a_new_file(
    tmp_path: Path, stubbed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record says which estimator made it; after a method's default changes, the old file is refused (nothing is
    written to it) and a new file takes the run."""
    path = tmp_path / "results.jsonl"
    records = _run(path, observations=[1])
    assert all(r["method_options"]["num_partners"] == DEFAULTS.dnre_partners for r in records)
    assert all(r["method_options"]["head"] == "potential" and r["commit"] and r["machine"] for r in records)
    before = path.read_text()
    other = DEFAULTS.dnre_partners + 1
    monkeypatch.setitem(methods.OUR_METHODS, "dnre", partial(DNRE, num_partners=other))
    with pytest.raises(ValueError, match=r"other dnre options.*write this run to a new --results file"):
        _run(path, observations=[1, 2])
    assert path.read_text() == before and PriorStub.trainings == 1
    fresh = _run(tmp_path / "new.jsonl", observations=[1])
    assert len(fresh) == 4 and all(r["method_options"]["num_partners"] == other for r in fresh)


@needs_sbibm
def test_a_changed_sampler_default_needs_a_new_file(tmp_path: Path, stubbed: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """MH's records state its scale spread; HMC's state no options. After MH's default changes the file is refused."""
    path = tmp_path / "results.jsonl"
    records = _run(path, observations=[1])
    assert all(r["sampler_options"] == ({"scale_spread": DEFAULT_SCALE_SPREAD} if r["sampler"] == "mh" else {})
               for r in records)
    monkeypatch.setattr(methods, "DEFAULT_SCALE_SPREAD", 3.0)
    with pytest.raises(ValueError, match=r"other mh sampler options.*new --results file"):
        _run(path, observations=[1])
    assert PriorStub.trainings == 1


@needs_sbibm
@pytest.mark.parametrize(("shift", "measured"), [(0.0, 2), (0.5, 4)])
def test_a_group_trained_again_remeasures_its_kept_cells_only_if_the_model_differs(
    tmp_path: Path, stubbed: None, shift: float, measured: int
) -> None:
    """Adding an observation trains the group again; where the new model is not the one behind the kept cells
    (``shift``), those cells are measured again too, so that all of a group's records come from one model."""
    path = tmp_path / "results.jsonl"
    first = _run(path, observations=[1], settings=replace(SMALL, coverage_pairs=0))
    PriorStub.shift = shift
    records = _run(path, observations=[1, 2], settings=replace(SMALL, coverage_pairs=0))
    assert PriorStub.trainings == 2 and len(records) == 4 and len(read_records(path)) == 2 + measured
    kept = {r["sampler"]: r["log_prob_true"] for r in first}
    assert all(r["log_prob_true"] == kept[r["sampler"]] + shift for r in records if r["observation"] == 1)


def _cell(task: str, method: str, sampler: str, c2st: float, observation: int = 1) -> dict[str, Any]:
    return {"kind": "cell", "task": task, "method": method, "sampler": sampler, "c2st": c2st, "status": "ok",
            "observation": observation, "seed": 0}


def test_the_headline_compares_dnre_with_the_best_other_estimator_and_hmc_with_mh() -> None:
    cells = [
        _cell("a", "dnre", "mh", 0.60), _cell("a", "dnre", "mh", 0.62, 2), _cell("a", "dnre", "hmc", 0.70),
        _cell("a", "nre", "mh", 0.65), _cell("a", "bnre", "mh", 0.63), _cell("a", "bnre", "mh", 0.64, 2),
        _cell("a", "dnre-paper", "mh", 0.55),
        _cell("b", "dnre", "mh", 0.80), _cell("b", "dnre", "hmc", 0.82), _cell("b", "sbi-nre-a", "slice", 0.75),
        {"kind": "cell", "task": "b", "method": "nre", "sampler": "mh", "status": "failed", "error": "x"},
        _cell("c", "dnre", "mh", 0.70), _cell("c", "dnre", "hmc", 0.60),  # HMC better than MH by 0.1
    ]
    levels = [i / 20 for i in range(21)]
    calibrated = {"task": "a", "method": "dnre", "sampler": "mh", "levels": levels, "coverage": levels, "pairs": 50}
    overconfident = calibrated | {"task": "b", "coverage": [max(0.0, level - 0.2) for level in levels]}
    lines = headline_section(cells, [calibrated, overconfident])
    rows = {line.split(" | ")[0].strip("| "): line for line in lines if line.startswith(("| a ", "| b "))}
    # the pairwise variant is not a peer; paired differences −0.03 and −0.02: mean −0.025, s.e. 0.005; HMC against
    # MH on the one observation HMC recorded (0.70 − 0.60), not against MH's mean over both. b is behind on one pair:
    # no standard error, so it does not count as "not behind by more than two standard errors"
    assert "| 0.610 | bnre 0.635 | -0.025 ± 0.005 (n=2) | +0.100 | +0.000 / 0.0 |" in rows["a"]
    assert "| 0.800 | sbi-nre-a 0.750 | +0.050 ± nan (n=1) | +0.020 |" in rows["b"]
    assert float(rows["b"].rsplit("/", 1)[1].strip(" |")) > 2  # 0.2 below the diagonal at 50 pairs: far beyond chance
    assert "on 1 of 2 tasks" in lines[-1]
    assert "not behind it by more than two standard errors of the paired difference on 1 of 2" in lines[-1]
    assert "its HMC is within ±0.03 of its MH on 1 of 3." in lines[-1]  # b, not a (+0.1) or c (−0.1)


def _die_in_the_worker(*args: Any) -> None:
    os._exit(9)  # what the kernel's out-of-memory killer does to a worker, as the pool sees it


def test_a_worker_that_dies_is_a_clear_error_that_says_how_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.jsonl"
    monkeypatch.setattr(runner, "_run_group", _die_in_the_worker)
    monkeypatch.setattr(runner, "_missing",
                        lambda task, method, seed, budget, *rest: runner._Group(task, method, seed, budget,
                                                                                (("mh", 1),), (), {}))
    code = main(["--tasks", "two_moons,slcp", "--methods", "nre", "--samplers", "mh", "--seeds", "0", "--jobs", "2",
                 "--results", str(path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "worker process stopped abruptly" in err and "out of memory" in err and "fewer --jobs" in err
    assert "two_moons/nre/seed 0" in err and str(path) in err


def test_the_report_states_each_methods_and_samplers_options() -> None:
    dnre = {"num_partners": 4, "head": "potential"}
    cells = [_cell("a", "dnre", "mh", 0.6) | {"method_options": dnre, "sampler_options": {"scale_spread": 2.0}},
             _cell("a", "dnre", "hmc", 0.6) | {"method_options": dnre, "sampler_options": {}},
             _cell("a", "sbi-nre-a", "slice", 0.7) | {"method_options": {}}]
    assert report.options_lines(cells) == [
        "Options: dnre: num_partners=4, head=potential; sbi-nre-a: sbi's defaults. "
        "Samplers: mh: scale_spread=2.0; hmc: defaults; slice: defaults.", ""]
    assert report.options_lines([]) == []


def test_the_report_counts_the_temperatures_that_calibration_found() -> None:
    cells = [_cell("a", "dnre", "mh", 0.6) | {"temperature": 1.0},
             _cell("a", "dnre", "hmc", 0.6) | {"temperature": 1.0},
             _cell("a", "dnre", "mh", 0.6) | {"seed": 1, "temperature": 1.4663},
             _cell("b", "nre", "mh", 0.7) | {"temperature": 1.05},
             _cell("b", "dnre", "mh", 0.6), _cell("a", "sbi-nre-a", "slice", 0.7) | {"temperature": None}]
    # trained models: (a, dnre, 0), (a, dnre, 1), (b, nre, 0); the two cells of (a, dnre, 0) are one model
    assert report.temperature_lines(cells) == [
        "Temperature calibration (the estimator's output divided by T ≥ 1): T = 1 for 1 of 3 trained models; "
        "T > 1.1 on a dnre (up to 1.47).", ""]
    assert report.temperature_lines([_cell("a", "dnre", "mh", 0.6)]) == []  # nothing recorded: no sentence


def test_a_benchmark_process_runs_one_blas_thread_whatever_its_shell_sets() -> None:
    """Two jobs on two cores must be two busy threads: torch's and the BLAS pools' (the C2ST's MLP) limits are set by
    the process itself, not left to OMP_NUM_THREADS (unset here, OpenBLAS would start one thread per core)."""
    code = (
        "import json, torch; from threadpoolctl import threadpool_info;"
        "from benchmarks.runner import use_one_thread; use_one_thread();"
        "print(json.dumps([torch.get_num_threads(), [(p['user_api'], p['num_threads']) for p in threadpool_info()]]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    torch_threads, pools = json.loads(out)
    assert torch_threads == 1 and "blas" in {api for api, _ in pools}
    assert {threads for _, threads in pools} == {1}


def test_the_benchmark_trains_with_the_library_defaults_but_batch_size_patience_and_epochs() -> None:
    """Records and the model cache state four training options; every other one is the library's default. These
    are the options the sbibm results were made with (before TrainingSettings derived from DEFAULTS)."""
    assert TrainingSettings().options() == {"batch_size": 128, "stop_after_epochs": 200, "max_epochs": 1500,
                                            "weight_averaging": 0.99}
    assert TrainingSettings().config(seed=3).train_options() == {
        "max_epochs": 1500, "batch_size": 128, "learning_rate": 1e-3, "validation_fraction": 0.1,
        "stop_after_epochs": 200, "clip_max_norm": 1.0, "weight_decay": 1e-2, "lr_schedule": "constant",
        "weight_averaging": 0.99, "max_seconds": None, "seed": 3}
    shorter = TrainingSettings(stop_after_epochs=20, max_epochs=300).config(seed=0)
    assert (shorter.stop_after_epochs, shorter.max_epochs, shorter.batch_size) == (20, 300, 128)
