"""HMC gradients: the direct ∇θ d(θ, θ', x) against the older ∇r / r through r = exp(d).

Both are the same quantity analytically (∇ exp(d) / exp(d) = ∇d); they differ only in floating point. Where d is
moderate they agree to float32 rounding; where exp(d) underflows to 0 the ratio form is 0/0 = NaN while the direct
form is untouched (a constant shift of d does not change its gradient).
"""

import math

import pytest
import torch

from dnre_core import BoxUniform, DNREEstimator, NREEstimator, RatioPosterior
from dnre_core.potentials import RatioPotential

DIM, X_DIM = 3, 2
PRIOR = BoxUniform(-2 * torch.ones(DIM), 2 * torch.ones(DIM))


def make_estimator(cls: type, shift: float = 0.0, **options) -> torch.nn.Module:
    """A freshly initialised estimator (seed 0); ``shift`` is added to the output bias.

    For DNRE's pairwise head (the default here: the shift tests need a network whose output d is shifted,
    d → d + shift; a potential head's shift cancels in g(θ) − g(θ')).
    """
    if cls is DNREEstimator:
        options.setdefault("head", "pairwise")
    torch.manual_seed(0)
    estimator = cls(theta_dim=DIM, x_dim=X_DIM, theta_mean=torch.zeros(DIM), theta_std=torch.ones(DIM),
                    x_mean=torch.zeros(X_DIM), x_std=torch.ones(X_DIM), hidden_features=32, num_layers=3, **options)
    with torch.no_grad():
        estimator.net[-1].bias += shift
    return estimator.eval()


def points(num: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    theta = 3.6 * torch.rand(num, DIM, generator=generator) - 1.8
    anchor = 3.6 * torch.rand(num, DIM, generator=generator) - 1.8
    return theta, anchor


X_O = torch.tensor([0.3, -0.4])


@pytest.mark.parametrize(("cls", "options"), [(DNREEstimator, {"head": "pairwise"}),
                                               (DNREEstimator, {"head": "potential"}), (NREEstimator, {})])
def test_direct_and_ratio_gradients_agree_where_the_ratio_is_well_scaled(cls, options):
    estimator = make_estimator(cls, **options)
    theta, anchor = points(200, seed=1)
    with torch.no_grad():
        d = estimator.log_ratio(theta, anchor, X_O)
    assert d.abs().max() < 5  # exp(d) is far from under/overflow
    direct = RatioPotential(estimator, PRIOR, X_O, gradient="direct").grad_log_target(theta, anchor)
    ratio = RatioPotential(estimator, PRIOR, X_O, gradient="ratio").grad_log_target(theta, anchor)
    # Float32: exp, its gradient and the division each round at ~6e-8 relative; 1e-5 leaves a wide margin.
    assert torch.allclose(direct, ratio, rtol=1e-5, atol=1e-5 * float(direct.abs().max()))
    assert direct.abs().max() > 1e-3  # a non-trivial gradient is being compared


@pytest.mark.parametrize("shift", [-1000.0, 1000.0])
def test_ratio_gradient_breaks_when_exp_d_under_or_overflows_and_direct_stays_finite(shift):
    # The raw one-pass ratio d(θ, θ', x) (ratio="direct"): the antisymmetrised default cancels a constant shift.
    theta, anchor = points(200, seed=2)
    reference = RatioPotential(make_estimator(DNREEstimator), PRIOR, X_O, ratio="direct").grad_log_target(theta, anchor)
    shifted = make_estimator(DNREEstimator, shift)
    with torch.no_grad():
        d = shifted.log_ratio(theta, anchor, X_O)
    assert (d.abs() > 900).all()  # exp(±900) is 0 or inf in float32 (and float64)
    ratio = RatioPotential(shifted, PRIOR, X_O, gradient="ratio", ratio="direct").grad_log_target(theta, anchor)
    direct = RatioPotential(shifted, PRIOR, X_O, gradient="direct", ratio="direct").grad_log_target(theta, anchor)
    assert not torch.isfinite(ratio).any()  # 0/0 or inf/inf: NaN everywhere
    assert torch.isfinite(direct).all()
    # The shift is a constant: the direct gradient is the unshifted one (same weights, same arithmetic).
    assert torch.allclose(direct, reference, rtol=1e-6, atol=1e-7)


def test_hmc_runs_with_the_ratio_gradient():
    estimator = make_estimator(DNREEstimator)
    runs = {}
    for gradient in ("direct", "ratio"):
        posterior = RatioPosterior(estimator, PRIOR, sampler="hmc", gradient=gradient, num_leapfrog_steps=5)
        samples = posterior.sample((200,), x=X_O, num_chains=20, warmup_steps=30, seed=0)
        assert samples.shape == (200, DIM) and torch.isfinite(samples).all()
        assert ((samples >= -2) & (samples <= 2)).all()
        runs[gradient] = float(posterior.diagnostics.acceptance.mean())
    # Well-scaled ratio: both gradients are the same, so both samplers move.
    assert runs["ratio"] > 0.3 and math.isclose(runs["ratio"], runs["direct"], abs_tol=0.2)


def test_hmc_with_the_ratio_gradient_does_not_crash_when_exp_d_underflows():
    """NaN gradients make every trajectory non-finite: rejected (the chains stay put) rather than an exception."""
    posterior = RatioPosterior(make_estimator(DNREEstimator, -1000.0), PRIOR, sampler="hmc", gradient="ratio",
                               ratio="direct", num_leapfrog_steps=5)
    samples = posterior.sample((40,), x=X_O, num_chains=20, warmup_steps=10, seed=0)
    assert torch.isfinite(samples).all()
    assert float(posterior.diagnostics.acceptance.max()) == 0.0


@pytest.mark.parametrize(("cls", "options"), [(DNREEstimator, {"head": "potential"}), (NREEstimator, {})])
def test_a_difference_of_potentials_gets_its_direct_gradient_from_theta_alone(cls, options):
    """For d = g(θ, x) − g(θ', x) the direct gradient is ∇θ g(θ, x): it equals autograd through the pair's
    log-ratio and the prior, and does not depend on the anchor θ' (which the fast path never evaluates)."""
    estimator = make_estimator(cls, **options)
    assert estimator.exactly_antisymmetric
    theta, anchor = points(200, seed=3)
    potential = RatioPotential(estimator, PRIOR, X_O, gradient="direct")
    through_the_pair = theta.clone().requires_grad_(True)
    log_target = estimator.log_ratio(through_the_pair, anchor, X_O) + PRIOR.log_prob(through_the_pair)
    (expected,) = torch.autograd.grad(log_target.sum(), through_the_pair)
    assert torch.allclose(potential.grad_log_target(theta, anchor), expected, rtol=1e-6, atol=1e-7)
    assert expected.abs().max() > 1e-3
    other_anchor, _ = points(200, seed=4)
    assert torch.equal(potential.grad_log_target(theta, anchor), potential.grad_log_target(theta, other_anchor))
