"""dnre_core.robust: the empirical-Bayes screen keeps designs whose mean P(meet) reaches the level, where screening
on raw counts keeps lucky ones.

The population: designs whose P(meet) p is drawn from a known mixture, 98 % Beta(6, 3) (mean 0.67) and 2 % Beta(30, 2)
(mean 0.94), simulated as binomial counts. Every candidate's true p is known, so the kept set's mean p is exact.
"""

import numpy as np
import pytest

from dnre_core.robust import GRID, Screen, fit_prior, posterior, share_reaching

LEVEL = 0.9


def population(seed: int, size: int = 5000) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(size) < 0.98, rng.beta(6, 3, size), rng.beta(30, 2, size)), rng


def screened(p: np.ndarray, rng: np.random.Generator, replicates: int = 10) -> tuple[np.ndarray, float]:
    """Run the screen as inverse_design does: sets of ``replicates`` until every design is kept or dropped."""
    screen = Screen(LEVEL, 2 * replicates, 4 * replicates)
    hits, trials = np.zeros(len(p)), np.zeros(len(p))
    open_, kept = np.ones(len(p), dtype=bool), np.zeros(len(p), dtype=bool)
    while open_.any():
        index = np.flatnonzero(open_)
        hits[index] += rng.binomial(replicates, p[index])
        trials[index] += replicates
        keep, drop = screen.decide(hits, trials)
        kept |= keep & open_
        open_ &= ~(keep | drop)
    return kept, float(trials.sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kept_designs_meet_the_level_on_average_where_raw_counts_fall_short(seed):
    p, rng = population(seed)
    kept, _ = screened(p, rng)
    # ~200 kept designs with p's spread ~0.04: the mean's standard error is ~0.003; 0.01 allows the fit of g
    assert kept.sum() >= 100 and p[kept].mean() >= LEVEL - 0.01
    # two raw screens of 9 hits in 10 (the naive rule) keep designs that fall well short of the level
    naive = (rng.binomial(10, p) >= 9) & (rng.binomial(10, p) >= 9)
    assert p[naive].mean() < LEVEL - 0.02


def test_the_screen_keeps_most_designs_that_truly_reach_the_level():
    p, rng = population(3)
    kept, _ = screened(p, rng)
    assert kept[p >= 0.95].mean() >= 0.5 and kept[p < 0.7].mean() < 0.01


def test_fit_prior_recovers_the_mixture_and_posterior_shrinks_lucky_counts():
    p, rng = population(4, 20_000)
    trials = np.full(len(p), 20)
    g = fit_prior(rng.binomial(20, p), trials)
    assert g.sum() == pytest.approx(1.0) and g[GRID >= 0.85].sum() == pytest.approx((p >= 0.85).mean(), abs=0.02)
    mean, above = posterior(np.array([18.0, 20.0, 5.0]), np.array([20.0, 20.0, 20.0]), g, LEVEL)
    assert mean[0] < 0.9 and mean[1] > mean[0] > mean[2] and above[2] < 0.01


@pytest.mark.parametrize("seed", [0, 1])
def test_the_share_reaching_the_level_is_the_mass_of_the_fitted_distribution_above_it(seed):
    """Two well-separated groups, p = 0.5 and p = 0.97, 40 simulations each: their counts (20 ± 3 and 39 ± 1) do
    not overlap, so the fitted mass at p ≥ 0.9 is the second group's share up to its sampling error (sd 0.004)."""
    rng = np.random.default_rng(seed)
    high = rng.random(5000) < 0.1
    trials = np.full(5000, 40.0)
    hits = rng.binomial(40, np.where(high, 0.97, 0.5)).astype(float)
    assert abs(share_reaching(hits, trials, LEVEL) - high.mean()) < 0.01
    assert share_reaching(hits[~high], trials[~high], LEVEL) < 0.005
