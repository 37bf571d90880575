"""dnre_core.c2st, sbibm's classifier two-sample test, on samples whose answer is known."""

from __future__ import annotations

import pytest
import torch

from dnre_core import c2st


def test_c2st_is_near_one_half_for_one_distribution_and_near_one_for_disjoint_ones() -> None:
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 2, generator=generator), torch.randn(500, 2, generator=generator)
    # 1,000 held-out predictions in all: a chance accuracy's sd is 0.016, so 0.56 is almost 4 sd above one half.
    assert 0.44 <= c2st(a, b) <= 0.56
    assert c2st(a, b + 10.0) >= 0.99
    assert c2st(a, b, seed=3) == c2st(a, b, seed=3)  # seeded


def test_c2st_refuses_mismatched_or_non_finite_samples() -> None:
    with pytest.raises(ValueError, match="same width"):
        c2st(torch.zeros(10, 2), torch.zeros(10, 3))
    with pytest.raises(ValueError, match="NaN or inf"):
        c2st(torch.zeros(10, 2), torch.full((10, 2), float("nan")))
