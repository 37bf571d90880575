"""The "Can I trust this model?" check: expected coverage on held-out simulations, and its reading."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dnre_core
from ui.coverage import LOW_ESS, CoverageConfig, coverage_job, verdict


class _Context:
    run_id = "test"
    cancelled = False

    def check_cancelled(self) -> None:
        pass

    def report(self, **_: object) -> None:
        pass


def _exact_model(tmp_path, scale: float) -> tuple[str, dnre_core.RatioEstimator]:
    """A model file for a 2-D box prior and an estimator whose potential head is, up to a constant, the exact
    log-likelihood of x = θ + N(0, 0.3²) times ``scale`` (1: calibrated; 3: a posterior √3 times too narrow)."""
    low, high = torch.full((2,), -2.0), torch.full((2,), 2.0)
    trainer = dnre_core.DNRE(dnre_core.BoxUniform(low, high), hidden_features=8, num_layers=1)
    theta = dnre_core.BoxUniform(low, high).sample((200,))
    trainer.append_simulations(theta, theta + 0.3 * torch.randn(200, 2))
    path = tmp_path / f"exact-{scale}.pt"
    trainer.train(max_epochs=1, seed=0).save(str(path))
    estimator = dnre_core.load_estimator(str(path))
    estimator.log_potential = lambda t, x, mask=None: -scale * ((x - t) ** 2).sum(-1) / (2 * 0.09)  # exact, by hand
    return str(path), estimator


def _simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    return theta + 0.3 * np.random.default_rng(seed).normal(size=theta.shape)


@pytest.mark.parametrize("scale, level", [(1.0, "success"), (3.0, "warning")])
def test_coverage_of_an_exact_and_an_over_confident_posterior(tmp_path, monkeypatch, scale: float, level: str) -> None:
    path, exact = _exact_model(tmp_path, scale)
    monkeypatch.setattr(dnre_core, "load_estimator", lambda _: exact)  # the hand-set potential is not in the file
    config = CoverageConfig("m", path, num_pairs=300, num_prior_draws=4000, seed=0)
    result = coverage_job(config, _simulator)(_Context())
    levels, coverage = np.asarray(result["levels"]), np.asarray(result["coverage"])
    se = np.sqrt(levels * (1 - levels) / result["pairs"])
    if scale == 1.0:  # calibrated: within 3 binomial standard errors at every level (plus the resampling's share)
        assert np.all(np.abs(coverage - levels) <= 3 * se + 0.02)
    else:
        assert np.mean(coverage - levels) < -0.1
    assert result["pairs"] == 300 and result["ess_median"] > LOW_ESS  # precise enough for the page to read it
    assert verdict(result)[0] == level


def test_coverage_near_a_target_uses_the_held_out_pairs_closest_to_its_bands(tmp_path, monkeypatch) -> None:
    """On Inverse design the check asks whether the model is right where the engineer is asking: the pairs are the
    simulated prior designs whose metrics lie nearest the bands, and an exact posterior stays calibrated there."""
    path, exact = _exact_model(tmp_path, 1.0)
    exact.metadata["metric_names"] = ["a", "b"]
    monkeypatch.setattr(dnre_core, "load_estimator", lambda _: exact)
    config = CoverageConfig("m", path, num_pairs=200, num_prior_draws=4000, seed=0, near_target={"a": [1.0, 1.5]})
    result = coverage_job(config, _simulator)(_Context())
    # x_a = θ_a + noise with θ_a uniform on [-2, 2]: about 1/8 of the 4,000 pooled pairs land in [1, 1.5]
    assert result["pairs"] == 200 and result["inside_target"] == 200
    levels, coverage = np.asarray(result["levels"]), np.asarray(result["coverage"])
    se = np.sqrt(levels * (1 - levels) / result["pairs"])
    assert np.all(np.abs(coverage - levels) <= 3 * se + 0.02)


def test_a_curve_never_below_the_diagonal_is_said_to_be_so() -> None:
    levels = np.linspace(0, 1, 21)
    above = {"levels": levels, "coverage": np.minimum(levels + 0.1, 1.0), "pairs": 100, "ess_median": 10 * LOW_ESS}
    assert verdict(above)[1].endswith("never below the diagonal.")
    dip = {**above, "coverage": np.where(np.isclose(levels, 0.5), 0.45, levels)}
    assert "never more than 1.0 standard errors below the diagonal." in verdict(dip)[1]
