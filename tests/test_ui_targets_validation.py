"""Targets (bands, conditioning point, checks against the model's range) and closed-loop validation maths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ui.targets import MetricTarget, Target, TargetError, check_target, meets
from ui.validation import evaluate, importance_weights

NAMES = ["hover", "mass", "speed"]
X_MIN, X_MAX = [0.0, 1.0, 0.0], [40.0, 6.0, 50.0]


def _target(*metrics: MetricTarget) -> Target:
    return Target(tuple(metrics))


def test_bands_and_conditioning_point() -> None:
    t = _target(MetricTarget("hover", "at least", 20.0), MetricTarget("mass", "value", 4.0, 0.5),
                MetricTarget("speed", "free"))
    low, high = t.bands()
    np.testing.assert_array_equal(low, [20.0, 3.5, -math.inf])
    np.testing.assert_array_equal(high, [math.inf, 4.5, math.inf])
    point = t.conditioning_point(X_MIN, X_MAX)
    assert point[0] == 30.0 and point[1] == 4.0 and np.isnan(point[2])  # hover: centre of [20, 40]
    at_most = _target(MetricTarget("hover", "free"), MetricTarget("mass", "at most", 3.0),
                      MetricTarget("speed", "free"))
    assert at_most.conditioning_point(X_MIN, X_MAX)[1] == 2.0  # centre of [1, 3]
    assert Target.from_dict(t.as_dict()) == t


def test_meets_every_band() -> None:
    low, high = np.array([20.0, 3.5, -np.inf]), np.array([np.inf, 4.5, np.inf])
    x = np.array([[25.0, 4.0, 10.0], [19.0, 4.0, 10.0], [25.0, 4.6, 10.0], [25.0, 4.0, np.nan], [np.nan, 4.0, 1.0]])
    np.testing.assert_array_equal(meets(x, low, high), [True, False, False, True, False])


def test_bad_metric_targets_are_rejected_with_the_reason() -> None:
    with pytest.raises(TargetError, match="tolerance must be a finite number ≥ 0"):
        MetricTarget("mass", "value", 4.0, -1.0)
    with pytest.raises(TargetError, match="unknown target mode"):
        MetricTarget("mass", "roughly", 4.0)


def test_target_outside_the_training_range_is_a_specific_error() -> None:
    t = _target(MetricTarget("hover", "value", 90.0, 1.0), MetricTarget("mass", "free"), MetricTarget("speed", "free"))
    with pytest.raises(TargetError,
                       match=r"hover: the target 90 ± 1 lies outside the range the model was trained on \(0 to 40\)"):
        check_target(t, NAMES, X_MIN, X_MAX, masked=True)
    one_sided = _target(MetricTarget("hover", "at least", 10.0), MetricTarget("mass", "at most", 0.5),
                        MetricTarget("speed", "free"))
    with pytest.raises(TargetError, match=r"mass: the target at most 0\.5"):
        check_target(one_sided, NAMES, X_MIN, X_MAX, masked=True)
    check_target(_target(MetricTarget("hover", "at least", 10.0), MetricTarget("mass", "free"),
                         MetricTarget("speed", "free")), NAMES, X_MIN, X_MAX, masked=True)


def test_free_metrics_need_a_masked_model_and_something_must_be_stated() -> None:
    t = _target(MetricTarget("hover", "value", 20.0, 1.0), MetricTarget("mass", "free"),
                MetricTarget("speed", "value", 10.0, 1.0))
    with pytest.raises(TargetError, match=r"without metric masking.*Mass is left free"):
        check_target(t, NAMES, X_MIN, X_MAX, masked=False, labels=["Hover", "Mass", "Speed"])
    everything_free = _target(*(MetricTarget(n, "free") for n in NAMES))
    with pytest.raises(TargetError, match="Every metric is free"):
        check_target(everything_free, NAMES, X_MIN, X_MAX, masked=True)
    with pytest.raises(TargetError, match="not the model's"):
        check_target(t, ["a", "b", "c"], X_MIN, X_MAX, masked=True)


def test_importance_weights_recover_a_known_conditional() -> None:
    # Prior θ ~ U(0, 1), proposal q = Beta(2, 2); band: θ < 0.3 (x = θ). Weighted mean must match E[θ | θ < 0.3] = 0.15.
    rng = np.random.default_rng(0)
    theta = rng.beta(2, 2, size=200_000)
    log_q = np.log(6 * theta * (1 - theta))
    w = importance_weights(theta < 0.3, np.zeros_like(theta), log_q)
    assert abs(float((w * theta).sum()) - 0.15) < 0.003
    assert importance_weights(np.zeros(3, dtype=bool), np.zeros(3), np.zeros(3)).sum() == 0


def test_evaluate_fractions_ranking_and_ess() -> None:
    t = _target(MetricTarget("hover", "value", 20.0, 2.0), MetricTarget("mass", "at most", 4.0),
                MetricTarget("speed", "free"))
    x = np.array([[21.0, 3.0, 5.0], [20.0, 3.9, 1.0], [30.0, 3.0, 1.0], [19.0, 5.0, 1.0]])
    prior_x = np.array([[10.0, 3.0, 1.0], [20.5, 3.0, 1.0]])
    result = evaluate(np.zeros((4, 2)), x, prior_x, t, scale=np.ones(3), log_prior=np.zeros(4),
                      log_proposal=np.zeros(4))
    assert result.fraction == 0.5 and result.prior_fraction == 0.5
    assert result.ranking().tolist() == [1, 0, 3, 2]
    assert result.effective_sample_size == pytest.approx(2.0)
    assert evaluate(np.zeros((4, 2)), x, prior_x, t, scale=np.ones(3)).weights is None


def test_one_sided_bounds_rank_designs_with_more_margin_first() -> None:
    t = _target(MetricTarget("hover", "at least", 20.0), MetricTarget("mass", "at most", 4.0),
                MetricTarget("speed", "free"))
    x = np.array([[25.0, 3.9, 1.0], [40.0, 3.0, 1.0], [19.0, 2.0, 1.0], [30.0, 3.5, 1.0]])
    result = evaluate(np.zeros((4, 2)), x, x, t, scale=np.array([10.0, 1.0, 1.0]))
    assert result.meets.tolist() == [True, True, False, True]
    assert result.score.tolist() == pytest.approx([-0.6, -3.0, -1.9, -1.5])
    assert result.ranking().tolist() == [1, 3, 0, 2]  # most margin first; the design missing a band last
