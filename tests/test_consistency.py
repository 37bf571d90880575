"""Consistency diagnostics: exact values on estimators whose violations are known by construction."""

from __future__ import annotations

import json

import pytest
import torch
from torch import Tensor, nn

from dnre_core import DNREEstimator, InputError, NREEstimator
from dnre_core.consistency import consistency_report, draw_triples

DIM, X_DIM = 2, 3


class OffsetPotentialDifference(nn.Module):
    """d(θ, θ', x) = u(θ, x) − u(θ', x) + c on the input [θ, θ', x] (B, 2D + L) → (B, 1).

    With u linear, d(a,b) + d(b,a) = 2c, d(a,b) + d(b,c) − d(a,c) = c and d(a,a) = c exactly; the
    antisymmetrised ½(d(a,b) − d(b,a)) = u(a) − u(b) is consistent.
    """

    def __init__(self, offset: float):
        super().__init__()
        self.offset = offset
        self.weights = torch.tensor([1.5, -0.7])

    def forward(self, inputs: Tensor) -> Tensor:
        theta, theta_prime, x = inputs[:, :DIM], inputs[:, DIM:2 * DIM], inputs[:, 2 * DIM:]
        potential = (theta - theta_prime) @ self.weights + x.sum(-1) * (theta - theta_prime).sum(-1)
        return (potential + self.offset).unsqueeze(-1)


def identity_scaling() -> dict[str, Tensor]:
    return {"theta_mean": torch.zeros(DIM), "theta_std": torch.ones(DIM), "x_mean": torch.zeros(X_DIM),
            "x_std": torch.ones(X_DIM)}


def toy_dnre(offset: float) -> DNREEstimator:
    estimator = DNREEstimator(DIM, X_DIM, hidden_features=8, num_layers=1, head="pairwise", **identity_scaling())
    estimator.net = OffsetPotentialDifference(offset)
    return estimator.eval()


def held_out(num: int = 500, seed: int = 0) -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(num, DIM, generator=generator), torch.randn(num, X_DIM, generator=generator)


@pytest.mark.parametrize("offset", [0.3, -0.8])
def test_offset_dnre_has_the_constructed_errors(offset):
    theta, x = held_out()
    report = consistency_report(toy_dnre(offset), theta, x, seed=0)
    tolerance = 1e-5  # float32 round-off of outputs of size ~10
    assert report["antisymmetry_error"] == pytest.approx(2 * abs(offset), abs=tolerance)
    assert report["consistency_error"] == pytest.approx(abs(offset), abs=tolerance)
    assert report["self_ratio_mean"] == pytest.approx(offset, abs=tolerance)
    assert report["self_ratio_median_abs"] == pytest.approx(abs(offset), abs=tolerance)
    assert report["antisymmetrised_consistency_error"] < tolerance
    assert report["relative_antisymmetry_error"] == pytest.approx(
        report["antisymmetry_error"] / report["median_abs_log_ratio"])
    assert report["num_triples"] == 500 and report["kind"] == "DNRE"


def test_nre_is_consistent_by_construction():
    torch.manual_seed(0)
    estimator = NREEstimator(DIM, X_DIM, hidden_features=16, num_layers=2, **identity_scaling()).eval()
    theta, x = held_out()
    report = consistency_report(estimator, theta, x, seed=1)
    assert report["median_abs_log_ratio"] > 1e-3  # a random network gives non-trivial ratios...
    for key in ("antisymmetry_error", "consistency_error", "self_ratio_median_abs"):
        assert report[key] < 1e-6  # ...whose violations are float32 round-off only


def test_report_is_json_and_reproducible_with_a_single_observation():
    theta, _ = held_out()
    x_o = torch.tensor([0.5, -1.0, 2.0])
    estimator = toy_dnre(0.2)
    first = consistency_report(estimator, theta, x_o, seed=3, num_triples=100)
    assert json.loads(json.dumps(first, allow_nan=False)) == first
    assert consistency_report(estimator, theta, x_o, seed=3, num_triples=100) == first
    assert first["num_triples"] == 100


def test_triples_use_distinct_rows_and_keep_x_paired_with_a():
    theta = torch.arange(10.0).unsqueeze(-1).repeat(1, DIM)
    x = torch.arange(10.0).unsqueeze(-1).repeat(1, X_DIM)
    a, b, c, x_rows = draw_triples(theta, x, 10, torch.Generator().manual_seed(0))
    assert torch.equal(a[:, 0], x_rows[:, 0])
    assert bool((a != b).all() and (b != c).all() and (a != c).all())
    assert sorted(a[:, 0].tolist()) == list(range(10))


def test_bad_shapes_are_refused():
    theta, x = held_out(num=5)
    with pytest.raises(InputError):
        consistency_report(toy_dnre(0.0), theta[:, :1], x, seed=0)
    with pytest.raises(InputError):
        consistency_report(toy_dnre(0.0), theta, x[:4], seed=0)
    with pytest.raises(InputError):
        consistency_report(toy_dnre(0.0), theta[:2], x[:2], seed=0)
