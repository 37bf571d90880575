"""bench/dnre_partners.py and the trainer's per-batch loss it scores with: K = 4 against K = 1 on the same batches."""

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import torch

from dnre_core import DNRE, BoxUniform

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("dnre_partners", ROOT / "bench" / "dnre_partners.py")
dnre_partners = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dnre_partners)


class _Recorder:
    """A stand-in for an antisymmetric DNRE estimator, g(θ, x) = scale · Σθ, that records the rows it is asked about."""

    exactly_antisymmetric = True

    def __init__(self, scale: float):
        self.scale, self.seen = scale, []

    def log_potential(self, theta: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        self.seen.append(theta.clone())
        return self.scale * theta.sum(-1)


def test_batch_losses_are_the_validation_loss_batch_by_batch_with_the_same_pairs_for_any_estimator() -> None:
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


def _record(task: str, seed: int, k: int, losses: list[float], sizes: list[int], seconds: float) -> dict[str, Any]:
    return {"task": task, "seed": seed, "num_partners": k, "batch_losses": losses, "batch_sizes": sizes,
            "train_seconds": seconds}


def test_the_summary_sets_k4_against_k1_per_seed_in_percent_and_standard_errors() -> None:
    records = [
        _record("two_moons", 0, 1, [0.10, 0.20, 0.30], [128, 128, 64], 100.0),
        _record("two_moons", 0, 4, [0.09, 0.17, 0.28], [128, 128, 64], 250.0),
        _record("two_moons", 1, 1, [0.10, 0.10, 0.10], [128, 128, 64], 100.0),
        _record("two_moons", 1, 4, [0.11, 0.10, 0.12], [128, 128, 64], 150.0),
        _record("slcp", 0, 1, [0.5, 0.5], [128, 100], 10.0),  # no K = 4 partner: not in the table
    ]
    diff, se = dnre_partners.batch_paired_difference(records[1], records[0])
    # differences −0.01, −0.03, −0.02 weighted 2:2:1: mean −0.02; s.e. of a weighted mean over the three batches
    assert diff == pytest.approx(-0.02)
    assert se == pytest.approx(((0.4**2 * 0.01**2 + 0.4**2 * 0.01**2 + 0) * 3 / 2) ** 0.5)
    text = dnre_partners.summary_markdown(records)
    # seed 0: −0.02 of the K = 1 loss 0.18 is −11 %, s.e. 0.0069; seed 1: differences +0.01, 0, +0.02, mean +0.008
    # of 0.10 is +8 %, s.e. 0.0050; K = 1's mean loss over seeds 0.14; time ratios 2.5 and 1.5
    assert "| two_moons | 0.14000 | 0, 1 | -11 % / -2.9; +8 % / +1.6 | 1 of 2 | 2.0× |" in text
    assert "slcp |" not in text
    assert "majority of seeds on 0 of the 1 tasks measured" in text and "not all tasks measured yet" in text


def test_records_scored_on_different_batches_are_refused() -> None:
    one = _record("sir", 0, 1, [0.1, 0.2], [128, 100], 1.0)
    with pytest.raises(ValueError, match="different batches"):
        dnre_partners.batch_paired_difference(_record("sir", 0, 4, [0.1, 0.2], [128, 99], 1.0), one)
