"""benchmarks.studies: the follow-up studies' driver resumes, orders and summarises; and the library behaviour two
studies rely on (the trainer's per-batch loss, an estimator's output scaled back by its temperature)."""

import argparse
from pathlib import Path

import pytest
import torch

from benchmarks.methods import OurMethod, SamplingSettings, TrainingSettings
from benchmarks.problems import LinearGaussian
from benchmarks.results import read_records
from benchmarks.studies import Study, each_task, run_study, task_of
from dnre_core import DNRE, BoxUniform


def _probe(task: str) -> list[dict]:
    return [{"task": task, "letters": len(task)}]


def _summary(records: list[dict]) -> list[str]:
    return [f"{r['task']} {r['letters']}" for r in sorted(records, key=lambda r: r["task"])]


STUDY = Study(name="letters", title="Letters", summary=_summary, units=each_task, probe=_probe, unit_of=task_of,
              cost=lambda unit: len(unit[0]))


def _run(results: Path, tasks: list[str], jobs: int = 2, report_only: bool = False) -> None:
    run_study(STUDY, argparse.Namespace(tasks=tasks, seeds=[0], jobs=jobs, report_only=report_only), results)


def test_a_study_records_each_unit_once_and_resumes_with_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    results = tmp_path / "study.jsonl"
    _run(results, ["slcp", "two_moons"])
    out = capsys.readouterr().out
    assert "letters: 2 unit(s) owed" in out and "('slcp',) recorded" in out and "('two_moons',) recorded" in out
    _run(results, ["slcp", "two_moons", "sir"], jobs=1)
    assert "letters: 1 unit(s) owed" in capsys.readouterr().out
    records = read_records(results)
    assert sorted(r["task"] for r in records) == ["sir", "slcp", "two_moons"]
    assert all(r["commit"] and r["machine"] for r in records)  # each record states what made it
    summary = (tmp_path / "study.md").read_text()
    assert summary.startswith("## Letters\n\nCommand: `python -m benchmarks study letters`. Commit: ")
    assert summary.endswith("\n\nsir 3\nslcp 4\ntwo_moons 9\n")


def test_units_run_longest_first(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _run(tmp_path / "study.jsonl", ["sir", "two_moons", "slcp"], jobs=1)  # one job: the order of submission
    out = capsys.readouterr().out
    assert out.index("('two_moons',)") < out.index("('slcp',)") < out.index("('sir',)")


def test_report_only_runs_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    results = tmp_path / "study.jsonl"
    _run(results, ["slcp"], report_only=True)
    assert read_records(results) == [] and "owed" not in capsys.readouterr().out
    assert "not recorded in these records" in (tmp_path / "study.md").read_text()


class _Recorder:
    """A stand-in for an antisymmetric DNRE estimator, g(θ, x) = scale · Σθ, that records the rows it is asked about."""

    exactly_antisymmetric = True

    def __init__(self, scale: float):
        self.scale, self.seen = scale, []

    def log_potential(self, theta: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        self.seen.append(theta.clone())
        return self.scale * theta.sum(-1)


def test_batch_losses_are_the_validation_loss_batch_by_batch_with_the_same_pairs_for_any_estimator() -> None:
    """The dnre_partners study scores two estimators on the same batches and partners with ``batch_losses``."""
    prior = BoxUniform(-torch.ones(2), torch.ones(2))
    theta = prior.sample((21,))
    x = theta.clone()
    trainer = DNRE(prior, num_partners=1)
    first, second = _Recorder(1.0), _Recorder(5.0)
    losses = trainer.batch_losses(first, theta, x, batch_size=10, seed=3, num_pairings=2)
    assert [size for _, size in losses] == [10, 10] * 2  # the last batch of one row has no partner: left out
    total = sum(loss * size for loss, size in losses) / sum(size for _, size in losses)
    assert total == trainer._validation_loss(first, theta, x, 10, 3, num_pairings=2)
    other = trainer.batch_losses(second, theta, x, batch_size=10, seed=3, num_pairings=2)
    assert other != losses  # another estimator scores otherwise ...
    # ... on the same rows and partners: the two passes over ``first`` (batch_losses, then _validation_loss) and the
    # pass over ``second`` each asked for g at the same 4 batches of rows and partners.
    assert len(first.seen) == 8 and len(second.seen) == 4
    assert all(torch.equal(a, b) for a, b in zip(first.seen[:4], first.seen[4:], strict=True))
    assert all(torch.equal(a, b) for a, b in zip(first.seen[:4], second.seen, strict=True))


class _Task:
    def __init__(self, prior):
        self.prior = prior


def test_the_uncalibrated_copy_restores_the_output_and_leaves_the_fitted_method_alone() -> None:
    """The temperature study measures 'before' as the calibrated estimator with its output multiplied back by T."""
    problem = LinearGaussian(dim=2)
    theta, x = problem.sample_joint(300, seed=0)
    fitted = OurMethod("dnre", _Task(problem.prior), theta, x, 0, SamplingSettings(),
                       TrainingSettings(batch_size=64, stop_after_epochs=5, max_epochs=5))
    before = fitted.with_output_scaled(1.7)
    theta_q, x_q = problem.sample_joint(20, seed=1)
    with torch.no_grad():
        calibrated = fitted.trainer.estimator.log_potential(theta_q, x_q)
        restored = before.trainer.estimator.log_potential(theta_q, x_q)
    torch.testing.assert_close(restored, 1.7 * calibrated)
    assert before.trainer is not fitted.trainer and before.posterior("mh") is not fitted.posterior("mh")


def test_benchmark_sampling_keeps_every_step_under_the_library_s_automatic_thinning() -> None:
    """The protocol is each chain's last draw after warm-up + draws_per_chain steps: the benchmark passes thin=1, so
    the library's default (thin=None, thinning chosen from the measured ESS) neither applies nor lengthens chains."""
    problem = LinearGaussian(dim=2)
    theta, x = problem.sample_joint(300, seed=0)
    settings = SamplingSettings(warmup_steps=20, draws_per_chain=10)
    fitted = OurMethod("dnre", _Task(problem.prior), theta, x, 0, settings,
                       TrainingSettings(batch_size=64, stop_after_epochs=5, max_epochs=5))
    draws = fitted.sample(x[0], "mh", 30, seed=0)
    diagnostics = fitted.posterior("mh").diagnostics
    assert draws.samples.shape == (30, 2)
    assert diagnostics.thin == 1 and diagnostics.ess_target is None
    assert diagnostics.step == diagnostics.total_steps == 20 + 10
