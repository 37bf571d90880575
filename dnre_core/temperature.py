"""Temperature calibration of a trained ratio estimator (Guo et al., 2017, for classifiers).

A ratio estimator is a classifier whose logit is its log-ratio. When it is over-confident, its log-ratios are too
steep and the posterior p(θ) · r(θ, x) too narrow. Dividing the output by one scalar T > 0, chosen to minimise the
method's own loss on held-out simulations, corrects the steepness without changing which θ the estimator prefers:
the posterior becomes p(θ) · r(θ, x)^(1/T), a tempered likelihood (broader for T > 1). Nothing but simulations is
used. T is folded into the output layer's weight and bias, so a calibrated estimator is an ordinary one: it saves,
loads and samples like any other, and its DNRE Monte Carlo density is the tempered one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .estimators import RatioEstimator

#: The temperatures searched. Only T ≥ 1, which broadens: sharpening an estimator on a finite validation set trades
#: conservativeness for a small gain in held-out loss, and a conservative posterior is what an SBI user can rely on
#: (Hermans et al., 2022). An estimator off by more than a factor 4 in steepness needs retraining, not this.
TEMPERATURE_RANGE = (1.0, 4.0)


def output_layer(estimator: RatioEstimator) -> torch.nn.Linear:
    """The estimator's last linear layer, whose (1,) output is the log-ratio or logit."""
    return [module for module in estimator.net.modules() if isinstance(module, torch.nn.Linear)][-1]


def scale_output(estimator: RatioEstimator, factor: float) -> None:
    """Multiply the estimator's output (log-ratio or logit) by ``factor`` in place: its output layer's weight and
    bias."""
    layer = output_layer(estimator)
    with torch.no_grad():
        layer.weight.mul_(factor)
        layer.bias.mul_(factor)


def fit_temperature(estimator: RatioEstimator, loss_of: Callable[[RatioEstimator], float],
                    tolerance: float = 1e-3) -> float:
    """Find T in :data:`TEMPERATURE_RANGE` minimising ``loss_of(estimator with its output divided by T)``, divide
    the estimator's output layer by it in place, and return T.

    A golden-section search over log T: the binary cross-entropy of logits s·d is convex in the scale s = 1/T, so
    the loss (BNRE's balancing term aside) has one minimum in log T and the search finds it to within ``tolerance``
    in log T (at the range's end when the minimum lies beyond it). A loss that is not finite at T = 1, or not lowered
    by the T found, leaves the estimator as it is and returns 1.
    """
    layer = output_layer(estimator)
    weight, bias = layer.weight.detach().clone(), layer.bias.detach().clone()

    def set_temperature(log_t: float) -> None:
        with torch.no_grad():
            layer.weight.copy_(weight * math.exp(-log_t))
            layer.bias.copy_(bias * math.exp(-log_t))

    def loss_at(log_t: float) -> float:
        set_temperature(log_t)
        return loss_of(estimator)

    best = 0.0
    if math.isfinite(loss_at(0.0)):
        ratio = (math.sqrt(5) - 1) / 2
        low, high = (math.log(t) for t in TEMPERATURE_RANGE)
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        loss_a, loss_b = loss_at(a), loss_at(b)
        while high - low > tolerance:
            if loss_a <= loss_b:
                high, b, loss_b = b, a, loss_a
                a = high - ratio * (high - low)
                loss_a = loss_at(a)
            else:
                low, a, loss_a = a, b, loss_b
                b = low + ratio * (high - low)
                loss_b = loss_at(b)
        best = 0.5 * (low + high)
        if not loss_at(best) <= loss_at(0.0):  # never worse than leaving it alone
            best = 0.0
    set_temperature(best)
    return math.exp(best)
