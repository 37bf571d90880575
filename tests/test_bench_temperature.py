"""bench/temperature.py: the model before calibration is the calibrated one multiplied back by T, and the summary."""

import importlib.util
from pathlib import Path
from typing import Any

import torch
from problems import LinearGaussian

from dnre_core.benchmarks.methods import OurMethod, SamplingSettings, TrainingSettings

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("temperature_study", ROOT / "bench" / "temperature.py")
study = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(study)


class _Task:
    def __init__(self, prior):
        self.prior = prior


def test_the_uncalibrated_copy_restores_the_output_and_leaves_the_fitted_method_alone() -> None:
    problem = LinearGaussian(dim=2)
    theta, x = problem.sample_joint(300, seed=0)
    fitted = OurMethod("dnre", _Task(problem.prior), theta, x, 0, SamplingSettings(),
                       TrainingSettings(batch_size=64, stop_after_epochs=5, max_epochs=5))
    before = fitted.with_output_scaled(1.7)  # what the study measures as 'before'
    theta_q, x_q = problem.sample_joint(20, seed=1)
    with torch.no_grad():
        calibrated = fitted.trainer.estimator.log_potential(theta_q, x_q)
        restored = before.trainer.estimator.log_potential(theta_q, x_q)
    torch.testing.assert_close(restored, 1.7 * calibrated)
    assert before.trainer is not fitted.trainer and before.posterior("mh") is not fitted.posterior("mh")


def _coverage(shift: float) -> dict[str, Any]:
    levels = [i / 20 for i in range(21)]
    return {"levels": levels, "coverage": [min(1.0, max(0.0, level + shift)) for level in levels], "pairs": 100}


def test_the_summary_gives_a_row_per_task_in_the_registry_order() -> None:
    records = [
        {"task": "slcp_distractors", "temperature": 1.63, "before": {"coverage": _coverage(-0.1), "c2st": [0.8, 0.9]},
         "after": {"coverage": _coverage(0.05), "c2st": [0.82, 0.9]}},
        {"task": "two_moons", "temperature": 1.0, "before": {"coverage": _coverage(0.0), "c2st": [0.5]},
         "after": {"coverage": _coverage(0.0), "c2st": [0.5]}},
    ]
    text = study.summary_markdown(records)
    rows = [line for line in text.splitlines() if line.startswith("| slcp") or line.startswith("| two")]
    # Coverage clipped to [0, 1]: mean gaps (−0.05 − 19 · 0.1) / 21 = −0.093 and 20 · 0.05 / 21 = +0.048; the worst
    # shortfall is 0.1 at level 0.95: 0.1 / sqrt(0.95 · 0.05 / 100) = 4.6 standard errors.
    assert rows[0] == "| slcp_distractors | 1.63 | -0.093 / 4.6 | +0.048 / 0.0 | 0.850 | 0.860 |"
    assert rows[1] == "| two_moons | 1.00 | +0.000 / 0.0 | +0.000 / 0.0 | 0.500 | 0.500 |"
