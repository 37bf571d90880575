"""The Train page's reading of consistency diagnostics, on reports of real (untrained) estimators."""

import torch

from dnre_core import DNREEstimator, NREEstimator
from dnre_core.consistency import consistency_report
from ui.model_checks import DISTRUST_RELATIVE_ERROR, consistency_columns, consistency_verdict

DIM, X_DIM = 2, 2


def report_of(cls, **options) -> dict:
    torch.manual_seed(0)
    estimator = cls(DIM, X_DIM, theta_mean=torch.zeros(DIM), theta_std=torch.ones(DIM), x_mean=torch.zeros(X_DIM),
                    x_std=torch.ones(X_DIM), hidden_features=16, num_layers=2, **options).eval()
    generator = torch.Generator().manual_seed(1)
    return consistency_report(estimator, torch.randn(300, DIM, generator=generator),
                              torch.randn(300, X_DIM, generator=generator), seed=0)


def test_exact_estimators_are_reported_as_consistent_by_construction():
    for report in (report_of(NREEstimator), report_of(DNREEstimator, head="potential")):
        level, message = consistency_verdict(report)
        assert level == "success" and "by construction" in message


def test_a_random_pairwise_dnre_is_flagged_with_its_numbers():
    report = report_of(DNREEstimator, head="pairwise")
    assert report["relative_antisymmetry_error"] > DISTRUST_RELATIVE_ERROR  # a random pairwise net is no log-ratio
    level, message = consistency_verdict(report)
    assert level == "warning" and message.startswith("Distrust this model")
    assert f"{report['antisymmetry_error']:.3g}" in message and "potential head" in message


def test_small_errors_are_reported_without_alarm_and_missing_reports_are_explained():
    report = {"antisymmetry_error": 0.01, "consistency_error": 0.02, "median_abs_log_ratio": 1.0,
              "relative_antisymmetry_error": 0.01, "relative_consistency_error": 0.02}
    assert consistency_verdict(report)[0] == "info"
    assert consistency_verdict(None) == ("info", "No consistency diagnostics stored with this model (trained before "
                                                 "they existed).")
    assert consistency_columns(report) == {"antisymmetry error (rel.)": 0.01, "consistency error (rel.)": 0.02}
    assert consistency_columns(None) == {"antisymmetry error (rel.)": None, "consistency error (rel.)": None}
