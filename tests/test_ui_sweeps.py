"""What-if sweeps: each is one batch of the nominal simulator and agrees with simulating its designs one by one."""

from __future__ import annotations

import numpy as np
import pytest

import quadcopter
from ui import sweeps

BASE = np.asarray(quadcopter.DEFAULTS, dtype=float)


def _nominal(design: np.ndarray) -> np.ndarray:
    return quadcopter.simulate(design[None], noise=False)[0]


def test_one_parameter_sweep_covers_its_range_and_matches_single_designs() -> None:
    result = sweeps.sweep_1d(BASE, 0, num=21)
    assert result.values[0] == quadcopter.LOWER[0] and result.values[-1] == quadcopter.UPPER[0]
    assert result.metrics.shape == (21, 7) and result.current == BASE[0]
    for k in (0, 7, 20):
        design = BASE.copy()
        design[0] = result.values[k]
        assert np.array_equal(result.metrics[k], _nominal(design))


def test_failures_are_marked() -> None:
    design = np.random.default_rng(0).uniform(quadcopter.LOWER, quadcopter.UPPER, (3000, 19))[400]  # cannot fly
    result = sweeps.sweep_1d(design, 0, num=21)
    assert result.failed.any() and (~result.failed).any()  # some arm lengths fix it
    designs = np.repeat(design[None], 21, axis=0)
    designs[:, 0] = result.values
    assert np.array_equal(result.failed, quadcopter.simulate_detailed(designs, noise=False).failure != "")
    assert np.all(result.metrics[result.failed, 2:] == 0)  # their flight metrics are 0, hence marked, not drawn


def test_two_parameter_sweep_is_laid_out_rows_along_the_second_parameter() -> None:
    result = sweeps.sweep_2d(BASE, (0, 12), num=7)
    assert result.metrics.shape == (7, 7, 7) and result.failed.shape == (7, 7)
    design = BASE.copy()
    design[0], design[12] = result.x_values[2], result.y_values[5]
    assert np.array_equal(result.metrics[5, 2], _nominal(design))
    with pytest.raises(ValueError, match="two different parameters"):
        sweeps.sweep_2d(BASE, (3, 3))


def test_sensitivity_moves_one_parameter_at_a_time_and_stops_at_the_bounds() -> None:
    result = sweeps.sensitivity(BASE, 0.1, "range")
    step = 0.1 * (quadcopter.UPPER - quadcopter.LOWER)
    assert np.allclose(result.step, step) and np.array_equal(result.base, _nominal(BASE))
    for i in (0, 3, 18):
        up = BASE.copy()
        up[i] = min(BASE[i] + step[i], quadcopter.UPPER[i])
        assert np.allclose(result.up[i], _nominal(up) - result.base)
    at_bound = BASE.copy()
    at_bound[0] = quadcopter.UPPER[0]
    assert np.all(sweeps.sensitivity(at_bound, 0.1, "range").up[0] == 0)  # cannot go past the upper bound
    by_value = sweeps.sensitivity(BASE, 0.1, "value")
    offsets = np.flatnonzero(BASE == 0)
    assert offsets.size and np.all(by_value.up[offsets] == 0)  # 10 % of 0 moves nothing, as the page says
    with pytest.raises(ValueError, match="value or range"):
        sweeps.sensitivity(BASE, 0.1, "size")
