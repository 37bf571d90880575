"""How far a trained ratio estimator is from a true log-likelihood ratio: antisymmetry and consistency.

A true log-ratio d(a, b, x) = log p(x|a) − log p(x|b) is a difference of one potential, so it is

* antisymmetric: d(a, b, x) + d(b, a, x) = 0, and d(a, a, x) = 0;
* consistent (transitive): d(a, b, x) + d(b, c, x) − d(a, c, x) = 0.

An NRE-type estimator (d = f(a, x) − f(b, x)) satisfies both by construction; a DNRE, one network
d(θ, θ', x), does not, and its violations are errors that no amount of sampling removes; a badly trained one
can have violations as large as the ratios themselves. :func:`consistency_report` gives the numbers for users to
know when to distrust an estimator.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .estimators import RatioEstimator
from .validation import InputError


def _median_abs(values: Tensor) -> float:
    return float(values.abs().median())


def draw_triples(theta: Tensor, x: Tensor, num_triples: int, generator: torch.Generator) -> tuple[Tensor, ...]:
    """Triples (a, b, c) of rows of θ (N, D) with x: a and x from the same random row, b and c from two others.

    With held-out pairs (θ_i, x_i), a is a draw from p(θ | x) and b, c are draws from the marginal of θ (the
    prior), the pairs the estimator was trained on; with x (L,) a single observation and θ posterior samples,
    all three are posterior draws. Rows are distinct within a triple (two different shifts of one random order).

    Returns a, b, c (T, D) and x (T, L), T = min(num_triples, N).
    """
    num = theta.shape[0]
    if num < 3:
        raise InputError(f"At least 3 parameter rows are needed to form triples; got {num}.")
    order = torch.randperm(num, generator=generator)[:min(num_triples, num)]
    shifts = torch.randperm(num - 1, generator=generator)[:2] + 1
    a, b, c = (theta[(order + shift) % num] for shift in (0, int(shifts[0]), int(shifts[1])))
    x_rows = x.expand(num, -1)[order] if x.ndim == 1 else x[order]
    return a, b, c, x_rows


@torch.no_grad()
def consistency_report(estimator: RatioEstimator, theta: Tensor, x: Tensor, seed: int,
                       num_triples: int = 1000) -> dict[str, Any]:
    """Antisymmetry and consistency errors of ``estimator``'s log-ratio on triples of ``theta`` (JSON-able).

    Args:
        estimator: a trained DNRE/NRE/BNRE estimator.
        theta: parameters (N, D), N ≥ 3: held-out simulation parameters, or points of interest such as
            posterior samples.
        x: data (N, L) paired row by row with ``theta`` (held-out simulations), or one observation (L,) used for
            every triple. NaN entries are masked metrics for a masked estimator.
        seed: seeds the choice of triples (see :func:`draw_triples`).
        num_triples: at most this many triples (one per row of ``theta``).

    Returns:
        ``antisymmetry_error``: median |d(a,b,x) + d(b,a,x)|;
        ``consistency_error``: median |d(a,b,x) + d(b,c,x) − d(a,c,x)| of the raw output d;
        ``antisymmetrised_consistency_error``: the same for ½(d(a,b,x) − d(b,a,x)), the form posteriors sample
        by default (its antisymmetry error is zero by construction);
        ``median_abs_log_ratio``: median |d(a,b,x)|, the scale the errors compare with;
        ``relative_antisymmetry_error``, ``relative_consistency_error``: the two errors over that scale (None when it
        is 0);
        ``self_ratio_mean``: mean d(a,a,x), the bias of the ratio of a point to itself (0 for a true log-ratio);
        ``self_ratio_median_abs``: median |d(a,a,x)|; ``num_triples``; ``seed``; ``kind`` (estimator kind).
    """
    if theta.ndim != 2 or theta.shape[1] != estimator.theta_dim:
        raise InputError(f"theta must have shape (N, {estimator.theta_dim}); got {tuple(theta.shape)}.")
    if x.shape[-1] != estimator.x_dim or x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[0] != theta.shape[0]):
        raise InputError(f"x must have shape ({estimator.x_dim},) or ({theta.shape[0]}, {estimator.x_dim}); "
                         f"got {tuple(x.shape)}.")
    device = estimator.device
    generator = torch.Generator().manual_seed(int(seed))
    a, b, c, x_rows = (t.to(device) for t in draw_triples(theta.float(), x.float(), num_triples, generator))
    first = torch.cat([a, b, b, c, a, c, a])
    second = torch.cat([b, a, c, b, c, a, a])
    d_ab, d_ba, d_bc, d_cb, d_ac, d_ca, d_aa = estimator.log_ratio(first, second, x_rows.repeat(7, 1)).chunk(7)
    anti_ab, anti_bc, anti_ac = 0.5 * (d_ab - d_ba), 0.5 * (d_bc - d_cb), 0.5 * (d_ac - d_ca)
    scale = _median_abs(d_ab)
    antisymmetry = _median_abs(d_ab + d_ba)
    consistency = _median_abs(d_ab + d_bc - d_ac)
    return {
        "antisymmetry_error": antisymmetry,
        "consistency_error": consistency,
        "antisymmetrised_consistency_error": _median_abs(anti_ab + anti_bc - anti_ac),
        "median_abs_log_ratio": scale,
        "relative_antisymmetry_error": antisymmetry / scale if scale > 0 else None,
        "relative_consistency_error": consistency / scale if scale > 0 else None,
        "self_ratio_mean": float(d_aa.mean()),
        "self_ratio_median_abs": _median_abs(d_aa),
        "num_triples": int(a.shape[0]),
        "seed": int(seed),
        "kind": estimator.kind,
    }
