"""Robust designs: which candidates meet the bands with probability ≥ a level, judged from a few noisy simulations.

A design's P(meet) p is seen only through k hits in n simulations. Keeping the designs with k/n ≥ level picks lucky
ones: among many designs with p ≈ 0.5 those that hit 9 times in 10 by chance outnumber the few with p ≥ 0.9, and
the kept set meets the bands far less often than the level promised. Empirical Bayes corrects for this selection
(Robbins 1956; Efron, *Large-Scale Inference*, ch. 11): the distribution g of p over all candidates is estimated
from all their counts (a nonparametric maximum-likelihood fit on a grid of p, by EM), and a design's posterior mean
E[p | k, n] under g shrinks lucky counts towards the bulk. A design is kept when that posterior mean is ≥ level, so
the kept set's mean P(meet) is ≥ level whenever g is right, whatever the stopping rule (a posterior mean is a
martingale in n). Designs that are unlikely to reach the level are dropped; the others get more simulations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy

GRID = np.linspace(0.0, 1.0, 101)  # the values of p on which g is fitted
DROP_BELOW = 0.05  # a design is dropped once P(p ≥ level | k, n) falls below this


def fit_prior(hits: np.ndarray, trials: np.ndarray, iterations: int = 2000, tolerance: float = 1e-9) -> np.ndarray:
    """The NPMLE of the distribution of p over candidates with ``hits`` (m,) of ``trials`` (m,): weights (len(GRID),)
    on GRID, by EM from the uniform (each step cannot lower the binomial likelihood). Candidates with the same
    counts share a likelihood, so EM runs over the distinct (hits, trials) pairs, weighted by how many share each."""
    pairs, count = np.unique(np.stack([hits, trials], axis=1), axis=0, return_counts=True)
    like = _likelihood(pairs[:, 0], pairs[:, 1])  # (distinct, G), each row scaled to max 1
    share = count / count.sum()
    g = np.full(len(GRID), 1.0 / len(GRID))
    for _ in range(iterations):
        joint = like * g
        new = share @ (joint / joint.sum(axis=1, keepdims=True))
        if np.abs(new - g).max() < tolerance:
            return new
        g = new
    return g


def share_reaching(hits: np.ndarray, trials: np.ndarray, level: float) -> float:
    """The estimated share of candidates whose p is ≥ ``level``: the mass of the fitted g at or above it."""
    return float(fit_prior(hits, trials)[_at_or_above(level)].sum())


def posterior(hits: np.ndarray, trials: np.ndarray, g: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Under the prior ``g`` on GRID: E[p | k, n] (m,) and P(p ≥ level | k, n) (m,) for each candidate."""
    joint = _likelihood(hits, trials) * g
    joint /= joint.sum(axis=1, keepdims=True)
    return joint @ GRID, joint[:, _at_or_above(level)].sum(axis=1)


def _at_or_above(level: float) -> np.ndarray:
    """The GRID points ≥ ``level`` (boolean (len(GRID),)), with a tolerance for levels such as 0.9 on the grid."""
    return level - 1e-12 <= GRID


def _likelihood(hits: np.ndarray, trials: np.ndarray) -> np.ndarray:
    k = np.asarray(hits, dtype=np.float64)[:, None]
    n = np.asarray(trials, dtype=np.float64)[:, None]
    log = xlogy(k, GRID) + xlogy(n - k, 1.0 - GRID)  # the binomial coefficient cancels
    return np.exp(log - log.max(axis=1, keepdims=True))


@dataclass
class Screen:
    """Decisions for candidates with ``hits`` of ``trials`` simulations: kept, dropped, or open (simulate more).

    A design is kept once it has ``min_trials`` simulations and E[p | k, n] ≥ level; dropped once
    P(p ≥ level | k, n) < ``DROP_BELOW`` or it has ``max_trials`` without being kept."""

    level: float
    min_trials: int
    max_trials: int

    def decide(self, hits: np.ndarray, trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(keep (m,), drop (m,)) boolean masks; g is fitted on all m candidates."""
        mean, above = posterior(hits, trials, fit_prior(hits, trials), self.level)
        keep = (trials >= self.min_trials) & (mean >= self.level)
        drop = ~keep & ((above < DROP_BELOW) | (trials >= self.max_trials))
        return keep, drop
