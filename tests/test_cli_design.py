"""``dnre design``: designs for target bands from the shipped model and the built-in simulator, and one-line errors."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from dnre_core.cli import main

MODEL = str(Path(__file__).resolve().parents[1] / "models" / "default_dnre.pt")
TARGET = "mass<=4.5,Max_Hover_Time_(s)>=20"


def read_designs(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open() as f:
        rows = list(csv.reader(f))
    return rows[0], np.array(rows[1:], dtype=float)


def test_design_with_the_builtin_simulator_writes_ranked_designs_and_a_summary(tmp_path, capsys):
    out = tmp_path / "designs.csv"
    code = main(["design", "--model", MODEL, "--target", TARGET, "--simulator", "quadcopter", "--num-designs", "50",
                 "--replicates", "4", "--out", str(out), "--no-progress"])
    assert code == 0
    header, values = read_designs(out)
    assert header[0] == "Arm_2159_Length [mm]" and "sim: mass [kg]" in header
    assert header[-4:] == ["meets", "P(meet)", "P(meet) simulations", "margin"]
    assert values.shape == (50, 19 + 7 + 4)
    p_meet = values[:, header.index("P(meet)")]
    assert (np.diff(p_meet) <= 0).all()  # best first
    assert (values[:, header.index("P(meet) simulations")] == 4).all()
    # the default constraint (no interferences) joined the target: every design is buildable
    assert (values[:, header.index("sim: Interferences [count]")] == 0).all()
    summary = json.loads(out.with_suffix(".summary.json").read_text())
    assert summary["target"]["Interferences"] == [None, 0.0] and summary["simulator"] == "quadcopter"
    assert summary["route"] in ("rejection", "sequential") and summary["simulations_used"] >= 50 * 4
    assert "Wrote 50 designs" in capsys.readouterr().out


def test_naming_a_default_constrained_metric_overrides_the_default(tmp_path):
    out = tmp_path / "designs.csv"
    assert main(["design", "--model", MODEL, "--target", TARGET + ",Interferences=free", "--simulator",
                 "quadcopter", "--num-designs", "50", "--replicates", "1", "--out", str(out), "--no-progress"]) == 0
    header, values = read_designs(out)
    assert (values[:, header.index("sim: Interferences [count]")] > 0).any()


def test_design_without_a_simulator_conditions_on_reference_data(tmp_path):
    reference = tmp_path / "reference.npz"
    rng = np.random.default_rng(0)
    import quadcopter

    theta = np.asarray(quadcopter.prior().sample((3000,)), dtype=float)
    np.savez(reference, x=quadcopter.simulate(theta, seed=int(rng.integers(100))))
    out = tmp_path / "designs.csv"
    assert main(["design", "--model", MODEL, "--target", TARGET, "--reference-data", str(reference),
                 "--num-designs", "40", "--out", str(out), "--no-progress"]) == 0
    header, values = read_designs(out)
    assert values.shape[0] == 40 and np.isnan(values[:, header.index("P(meet)")]).all()
    assert json.loads(out.with_suffix(".summary.json").read_text())["route"] == "amortized"


@pytest.mark.parametrize(("arguments", "words"), [
    (["--target", "mass<=abc", "--simulator", "quadcopter"], "not a number"),
    (["--target", "weight<=4", "--simulator", "quadcopter"], "unknown metric"),
    (["--target", TARGET, "--simulator", "no_such_module"], "cannot be imported"),
    (["--target", TARGET, "--simulator", "quadcopter:nothing"], "no function"),
    (["--target", TARGET], "--reference-data"),
    (["--target", TARGET, "--simulator", "quadcopter", "--robust", "1.5"], "robust"),
    (["--target", TARGET, "--simulator", "quadcopter", "--num-designs", "0"], "positive integer"),
])
def test_bad_design_requests_are_one_line_errors_with_exit_code_2(tmp_path, capsys, arguments, words):
    try:
        code = main(["design", "--model", MODEL, *arguments, "--out", str(tmp_path / "d.csv"), "--no-progress"])
    except SystemExit as usage_error:  # argparse's own checks exit from the parser
        code = usage_error.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("dnre: error:") and words in err[-1]
    assert not (tmp_path / "d.csv").exists()
