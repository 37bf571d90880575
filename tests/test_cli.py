"""The ``dnre`` command line: train → sample round trip, and one-line errors with exit code 2 for bad input."""

import csv
import functools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import dnre_core
from benchmarks.problems import LinearGaussian
from dnre_core.cli import main

SMALL_NET = ["--hidden-features", "16", "--num-layers", "2", "--epochs", "3", "--no-progress"]


def write_simulations_csv(path: Path, num: int = 1000, seed: int = 0) -> None:
    problem = LinearGaussian(dim=2)
    theta, x = problem.sample_joint(num, seed=seed)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["mass", "span", "speed", "range"])
        writer.writerows(torch.cat([theta, x], dim=1).tolist())


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder with sims.csv and model.pt trained from it through the CLI (2-D linear-Gaussian, tiny network)."""
    folder = tmp_path_factory.mktemp("cli")
    write_simulations_csv(folder / "sims.csv")
    code = main(["train", "--data", str(folder / "sims.csv"), "--theta-columns", "mass,span", "--prior-low", "-2,-2",
                 "--prior-high", "2,2", "--out", str(folder / "model.pt"), "--seed", "0", *SMALL_NET])
    assert code == 0
    return folder


def test_train_then_sample_writes_named_samples_and_diagnostics(workdir, capsys):
    estimator = dnre_core.load_estimator(workdir / "model.pt")
    assert estimator.metadata["parameter_names"] == ["mass", "span"]
    assert estimator.metadata["metric_names"] == ["speed", "range"]
    out, diag = workdir / "samples.csv", workdir / "diag.json"
    code = main(["sample", "--model", str(workdir / "model.pt"), "--target", "-0.5,0.3", "--num-samples", "100",
                 "--num-chains", "20", "--warmup", "20", "--sampler", "mh", "--seed", "1", "--out", str(out),
                 "--diagnostics", str(diag), "--no-progress"])
    assert code == 0
    with out.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["mass", "span"]
    samples = np.asarray(rows[1:], dtype=float)
    assert samples.shape == (100, 2) and (np.abs(samples) <= 2).all()
    report = json.loads(diag.read_text())
    assert report["sampler"] == "mh" and report["num_chains"] == 20
    assert [row["parameter"] for row in report["parameters"]] == ["mass", "span"]
    assert report["target"] == [-0.5, 0.3]
    assert "Wrote 100 samples" in capsys.readouterr().out


def test_npz_data_bounds_csv_and_free_metric_of_a_masked_model(tmp_path):
    problem = LinearGaussian(dim=2)
    theta, x = problem.sample_joint(1000, seed=3)
    np.savez(tmp_path / "sims.npz", theta=theta.numpy(), x=x.numpy())
    (tmp_path / "bounds.csv").write_text("parameter,low,high\np0,-2,2\np1,-2,2\n")
    assert main(["train", "--data", str(tmp_path / "sims.npz"), "--bounds-csv", str(tmp_path / "bounds.csv"),
                 "--method", "nre", "--mask-probability", "0.3", "--out", str(tmp_path / "m.pt"), *SMALL_NET]) == 0
    assert dnre_core.load_estimator(tmp_path / "m.pt").masked
    (tmp_path / "target.csv").write_text("1.0,\n")
    assert main(["sample", "--model", str(tmp_path / "m.pt"), "--target-csv", str(tmp_path / "target.csv"),
                 "--num-samples", "40", "--num-chains", "20", "--warmup", "10", "--sampler", "hmc",
                 "--out", str(tmp_path / "s.csv"), "--no-progress"]) == 0
    with (tmp_path / "s.csv").open() as f:
        assert next(csv.reader(f)) == ["theta_0", "theta_1"]  # .npz data carries no names
    assert json.loads((tmp_path / "s.diagnostics.json").read_text())["target"][1] is None  # the free metric


def run_bad(argv: list[str], capsys) -> str:
    """Run ``main(argv)``, assert exit code 2 and a one-line ``dnre: error:`` message; return that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dnre: error: "), err
    return err[0]


def sample_argv(workdir: Path, model: Path, target: str) -> list[str]:
    return ["sample", "--model", str(model), "--target", target, "--out", str(workdir / "bad.csv"), "--no-progress"]


def test_missing_data_file(tmp_path, capsys):
    line = run_bad(["train", "--data", str(tmp_path / "nope.csv"), "--theta-columns", "a", "--prior-low", "0",
                    "--prior-high", "1", "--out", str(tmp_path / "m.pt")], capsys)
    assert "nope.csv: no such data file" in line


def test_non_numeric_cell_names_row_and_column(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("a,m\n0.5,1.0\n0.2,abc\n")
    line = run_bad(["train", "--data", str(tmp_path / "d.csv"), "--theta-columns", "a", "--prior-low", "0",
                    "--prior-high", "1", "--out", str(tmp_path / "m.pt")], capsys)
    assert "data row 2, column 'm': 'abc' is not a number" in line


def test_bounds_are_required(workdir, capsys):
    line = run_bad(["train", "--data", str(workdir / "sims.csv"), "--theta-columns", "mass,span",
                    "--out", str(workdir / "x.pt")], capsys)
    assert "prior's bounds are required" in line


def test_nan_target_for_a_model_trained_without_masking(workdir, capsys):
    line = run_bad(sample_argv(workdir, workdir / "model.pt", "0.5,nan"), capsys)
    assert "NaN at position(s) [1]" in line and "without metric masking" in line


def test_target_of_the_wrong_length(workdir, capsys):
    line = run_bad(sample_argv(workdir, workdir / "model.pt", "0.5,0.1,0.2"), capsys)
    assert "3 value(s) but the model expects 2" in line


def test_foreign_model_file(workdir, capsys):
    torch.save({"weights": torch.ones(3)}, workdir / "foreign.pt")
    line = run_bad(sample_argv(workdir, workdir / "foreign.pt", "0.5,0.1"), capsys)
    assert "not a dnre-quad model" in line


def test_data_file_given_as_model(workdir, capsys):
    line = run_bad(sample_argv(workdir, workdir / "sims.csv", "0.5,0.1"), capsys)
    assert f"{workdir / 'sims.csv'}: " in line and "estimator.save" in line


def test_python_dash_m_reports_without_traceback(workdir):
    """The real entry point: exit status 2 and one line on stderr, no traceback."""
    result = subprocess.run([sys.executable, "-m", "dnre_core", *sample_argv(workdir, workdir / "missing.pt", "1,2")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip() == f"dnre: error: {workdir / 'missing.pt'}: no such model file."


def test_help_explains_data_and_prior(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--bounds-csv" in out and "never guessed from the data" in out


def test_weight_averaging_is_passed_to_training_and_checked(workdir, capsys):
    base = ["train", "--data", str(workdir / "sims.csv"), "--theta-columns", "mass,span", "--prior-low", "-2,-2",
            "--prior-high", "2,2", "--seed", "0", *SMALL_NET]
    line = run_bad([*base, "--out", str(workdir / "bad.pt"), "--weight-averaging", "1.5"], capsys)
    assert "weight_averaging" in line and "[0, 1)" in line
    assert not (workdir / "bad.pt").exists()
    for decay, name in ((0.0, "last.pt"), (0.9, "averaged.pt")):
        assert main([*base, "--out", str(workdir / name), "--weight-averaging", str(decay)]) == 0
    last, averaged = (dnre_core.load_estimator(workdir / name) for name in ("last.pt", "averaged.pt"))
    assert not torch.equal(last.net[0].weight, averaged.net[0].weight)  # same data and seed, different weights


def test_scale_spread_reaches_mh_and_is_refused_elsewhere(workdir, capsys, monkeypatch):
    real = dnre_core.posterior.SAMPLER_FUNCTIONS["mh"]
    seen = []

    @functools.wraps(real)  # the posterior checks options against the sampler's signature
    def recording(*args, **kwargs):
        seen.append(kwargs.get("scale_spread"))
        return real(*args, **kwargs)

    monkeypatch.setitem(dnre_core.posterior.SAMPLER_FUNCTIONS, "mh", recording)
    out = workdir / "spread.csv"
    assert main([*sample_argv(workdir, workdir / "model.pt", "-0.5,0.3")[:-3], "--out", str(out), "--num-samples",
                 "40", "--num-chains", "20", "--warmup", "20", "--scale-spread", "1.5", "--no-progress"]) == 0
    assert seen == [1.5] and out.exists()
    for flag, passed in (([], None), (["--scale-spread", "0"], 0.0)):  # absent: the library's default; 0: off
        seen.clear()
        assert main([*sample_argv(workdir, workdir / "model.pt", "-0.5,0.3")[:-3], "--out", str(out), "--num-samples",
                     "40", "--num-chains", "20", "--warmup", "20", *flag, "--no-progress"]) == 0
        assert seen == [passed]
    line = run_bad([*sample_argv(workdir, workdir / "model.pt", "-0.5,0.3"), "--sampler", "hmc",
                    "--scale-spread", "1"], capsys)
    assert "--scale-spread applies to the MH sampler only" in line
    with pytest.raises(SystemExit) as exit_info:  # argparse's usage line and error, exit code 2
        main([*sample_argv(workdir, workdir / "model.pt", "-0.5,0.3"), "--scale-spread", "-1"])
    assert exit_info.value.code == 2
    assert "argument --scale-spread: must be a finite number, 0 or more; got -1" in capsys.readouterr().err


def train_argv(workdir: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "--data", str(workdir / "sims.csv"), "--theta-columns", "mass,span", "--prior-low", "-2,-2",
            "--prior-high", "2,2", "--out", str(out), "--seed", "0", *SMALL_NET, *extra]


@pytest.mark.parametrize(("argv", "fragment"), [
    (["train", "--data", "d.csv"], "the following arguments are required: --out (see: dnre train --help)"),
    (["sample", "--model", "m.pt", "--out", "s.csv", "--num-samples", "ten"],
     "argument --num-samples: invalid positive_int value: 'ten' (see: dnre sample --help)"),
    (["simulate"], "invalid choice: 'simulate'"),
    (["train", "--data", "d.csv", "--out", "m.pt", "--frobnicate"], "unrecognized arguments: --frobnicate"),
])
def test_usage_errors_are_one_line(argv, fragment, capsys):
    """argparse printed its usage and then the error, several lines where the README promises one."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dnre: error: ") and fragment in err[0], err


@pytest.mark.parametrize("rate", ["0", "-1e-3", "nan", "inf"])
def test_a_learning_rate_that_trains_nothing_is_refused(workdir, rate, capsys):
    out = workdir / "lr.pt"
    with pytest.raises(SystemExit) as info:
        main(train_argv(workdir, out, f"--learning-rate={rate}"))
    assert info.value.code == 2
    assert "argument --learning-rate: must be a finite number greater than 0" in capsys.readouterr().err
    assert not out.exists()


def test_an_output_that_cannot_be_written_is_refused_before_training(workdir, capsys, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("training started before --out was checked")

    monkeypatch.setattr(dnre_core.cli, "make_trainer", no_training)
    line = run_bad(train_argv(workdir, workdir), capsys)
    assert f"--out {workdir} is a folder; give a file name" in line
    line = run_bad(train_argv(workdir, workdir / "sims.csv" / "model.pt"), capsys)
    assert f"{workdir / 'sims.csv'} is a file, not a folder" in line
    line = run_bad([*sample_argv(workdir, workdir / "model.pt", "0.1,0.2")[:-3], "--out", str(workdir)], capsys)
    assert "is a folder" in line


class InterruptingBar:
    """A progress bar whose third epoch update raises KeyboardInterrupt, as Ctrl-C during training would."""

    def __init__(self, *args, **kwargs):
        self.updates = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def set_postfix(self, **values):
        pass

    def update(self, count):
        self.updates += count
        if self.updates == 3:
            raise KeyboardInterrupt


def test_ctrl_c_during_training_saves_the_best_weights_so_far(workdir, capsys, monkeypatch):
    monkeypatch.setattr(dnre_core.cli, "progress_bar", InterruptingBar)
    out = workdir / "interrupted.pt"
    assert main(train_argv(workdir, out, "--epochs", "50")) == 130
    err = capsys.readouterr().err
    assert "dnre: interrupted after 3 epoch(s); saved the best weights so far" in err and str(out) in err
    estimator = dnre_core.load_estimator(out)
    assert estimator.metadata["training"]["stopped_by"] == "interrupted"
    assert estimator.metadata["training"]["epochs"] == 3


def test_column_names_cannot_inject_spreadsheet_formulas(tmp_path):
    problem = LinearGaussian(dim=2)
    theta, x = problem.sample_joint(1000, seed=0)
    names = ["=HYPERLINK(\"http://x\")", "@SUM(1+1)", "+mass", "-span"]
    with (tmp_path / "sims.csv").open("w", newline="") as f:
        csv.writer(f).writerows([names, *torch.cat([theta, x], dim=1).tolist()])
    assert main(["train", "--data", str(tmp_path / "sims.csv"), f"--theta-columns={names[0]},{names[1]}",
                 "--prior-low", "-2,-2", "--prior-high", "2,2", "--out", str(tmp_path / "m.pt"), *SMALL_NET]) == 0
    assert main(["sample", "--model", str(tmp_path / "m.pt"), "--target", "0.1,0.2", "--num-samples", "20",
                 "--num-chains", "10", "--warmup", "10", "--out", str(tmp_path / "s.csv"), "--no-progress"]) == 0
    with (tmp_path / "s.csv").open() as f:
        header = next(csv.reader(f))
    assert header == ["'=HYPERLINK(\"http://x\")", "'@SUM(1+1)"]
