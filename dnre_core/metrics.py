"""Benchmark and calibration metrics: classifier two-sample test (C2ST) and expected coverage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPClassifier

from .validation import InputError


def c2st(a: Any, b: Any, seed: int = 1, n_folds: int = 5, z_score: bool = True) -> float:
    """Classifier two-sample test accuracy between samples a (N, D) and b (M, D), sbibm's protocol.

    An MLP classifier (two hidden layers of 10·D ReLU units, adam, max_iter 10,000) is cross-validated in
    ``n_folds`` shuffled folds on a ∪ b, both z-scored with a's mean and sd; returns the mean accuracy:
    0.5 when the samples are indistinguishable, 1.0 when disjoint.
    """
    a_np = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=np.float64)
    b_np = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, dtype=np.float64)
    if a_np.ndim != 2 or b_np.ndim != 2 or a_np.shape[1] != b_np.shape[1]:
        raise InputError(f"c2st needs two 2-D sample arrays with the same width; got {a_np.shape} and {b_np.shape}.")
    if not (np.isfinite(a_np).all() and np.isfinite(b_np).all()):
        raise InputError("c2st: the samples contain NaN or inf.")
    if z_score:
        mean, std = a_np.mean(0), a_np.std(0)
        std = np.where(std > 0, std, 1.0)
        a_np, b_np = (a_np - mean) / std, (b_np - mean) / std
    dim = a_np.shape[1]
    classifier = MLPClassifier(activation="relu", hidden_layer_sizes=(10 * dim, 10 * dim), max_iter=10000,
                               solver="adam", random_state=seed)
    data = np.concatenate([a_np, b_np])
    target = np.concatenate([np.zeros(len(a_np)), np.ones(len(b_np))])
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(classifier, data, target, cv=folds, scoring="accuracy")))


def credibility_of_truth(log_prob_true: Any, log_prob_samples: Any) -> np.ndarray:
    """Smallest highest-density credibility level containing the true θ, per pair.

    Args:
        log_prob_true: (N,) posterior log density at each true parameter.
        log_prob_samples: (N, S) the same density at S posterior samples for each pair.
    Returns:
        (N,) fraction of samples with a higher density than the truth (0 = at the mode, 1 = outside).
    """
    true = np.asarray(log_prob_true, dtype=np.float64).reshape(-1, 1)
    samples = np.asarray(log_prob_samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] != true.shape[0]:
        raise InputError(f"log_prob_samples must be (N, S) with N = {true.shape[0]}; got {samples.shape}.")
    return (samples > true).mean(axis=1)


def expected_coverage(log_prob_true: Any, log_prob_samples: Any,
                      levels: Sequence[float] | np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Expected coverage of highest-posterior-density regions (Hermans et al., 2022).

    For each nominal credibility level α, the fraction of (θ, x) pairs whose true θ lies inside the α-HPD
    region of p(θ | x), estimated from posterior samples. Args as :func:`credibility_of_truth`.
    Returns ``(levels (K,), coverage (K,))``; a calibrated posterior gives coverage ≈ levels, a conservative
    one coverage ≥ levels.
    """
    levels_np = np.linspace(0.0, 1.0, 21) if levels is None else np.asarray(levels, dtype=np.float64)
    credibility = credibility_of_truth(log_prob_true, log_prob_samples)
    coverage = (credibility[None, :] < levels_np[:, None]).mean(axis=1)
    return levels_np, coverage
