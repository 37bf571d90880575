"""Samplers on exact log densities (no network): moments of a correlated Gaussian, box support, seeds."""

import math

import numpy as np
import pytest
import torch

from dnre_core import NRE, BoxUniform
from dnre_core.posterior import run_sampler
from dnre_core.potentials import DensityPotential
from dnre_core.priors import PriorOnDevice, in_support, prior_log_prob, prior_on_device, sample_prior
from dnre_core.samplers import DEFAULT_SCALE_SPREAD, SamplingPlan

DIM = 5


def correlated_gaussian() -> torch.distributions.MultivariateNormal:
    a = torch.randn(DIM, DIM, generator=torch.Generator().manual_seed(0))
    covariance = a @ a.T / DIM + 0.1 * torch.eye(DIM)
    return torch.distributions.MultivariateNormal(torch.linspace(-1, 1, DIM), covariance)


@pytest.mark.parametrize(("sampler", "options", "draws"),
                         [("mh", {"scale_spread": 0.0}, 3000), ("mh", {}, 8000), ("hmc", {}, 300)])
def test_reproduces_mean_and_covariance_of_correlated_gaussian(sampler, options, draws):
    target = correlated_gaussian()
    prior = BoxUniform(-20 * torch.ones(DIM), 20 * torch.ones(DIM))  # the box holds all of the mass
    # 40 chains × ``draws``: split-R̂ < 1.01 needs a per-chain ESS of ~50 or more (R̂² ≈ 1 + 1/ESS_chain). MH's
    # default spread proposal scale gives about a third of the ESS per draw on this unimodal target, so it runs longer;
    # HMC's draws are nearly independent (a bulk ESS above one per draw here), so 300 per chain are plenty.
    samples, diagnostics = run_sampler(DensityPotential(target.log_prob, prior), prior, sampler,
                                       SamplingPlan(40 * draws, num_chains=40, warmup_steps=500, thin=1),
                                       torch.Generator().manual_seed(1), **options)
    sd = target.covariance_matrix.diagonal().sqrt()
    ess = torch.as_tensor(diagnostics.ess_bulk, dtype=torch.float32)
    assert (ess > 500).all(), ess
    # Monte Carlo error of a mean is sd/sqrt(ESS); allow 5 of them.
    assert ((samples.mean(0) - target.mean).abs() < 5 * sd / ess.sqrt()).all()
    # Covariance entries: relative Monte Carlo error ~ sqrt(2/ESS) on the scale sd_i·sd_j; allow 5 of them.
    scale = torch.outer(sd, sd) * 5 * math.sqrt(2 / float(ess.min()))
    assert ((torch.cov(samples.T) - target.covariance_matrix).abs() < scale).all()
    assert diagnostics.max_rhat < 1.01


@pytest.mark.parametrize("sampler", ["mh", "hmc"])
def test_respects_box_prior(sampler):
    """A standard normal cut by the box [0, 3] × [-1, 1]: no sample leaves it and the marginal mean matches."""
    prior = BoxUniform(torch.tensor([0.0, -1.0]), torch.tensor([3.0, 1.0]))
    normal = torch.distributions.Normal(0.0, 1.0)
    samples, diagnostics = run_sampler(DensityPotential(lambda t: normal.log_prob(t).sum(-1), prior), prior, sampler,
                                       SamplingPlan(20_000, num_chains=200, warmup_steps=300, thin=1),
                                       torch.Generator().manual_seed(2))
    assert (samples[:, 0] >= 0).all() and (samples[:, 0] <= 3).all()
    assert (samples[:, 1].abs() <= 1).all()
    # Mean of a standard normal truncated to [0, 3]: (φ(0) − φ(3)) / (Φ(3) − Φ(0)).
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    expected = (phi(0) - phi(3)) / (normal.cdf(torch.tensor(3.0)) - 0.5)
    sd = math.sqrt(1 - 2 / math.pi)  # half-normal sd, close to the truncated one
    assert abs(float(samples[:, 0].mean()) - float(expected)) < 5 * sd / math.sqrt(diagnostics.ess_bulk[0])


def two_scale_mixture(theta: torch.Tensor) -> torch.Tensor:
    """Log density (N,) of ½ N(0, I) + ½ N(0, 0.01 I) in 2-D: gaussian_mixture's posterior shape, centred at 0."""
    broad = torch.distributions.Normal(0.0, 1.0).log_prob(theta).sum(-1)
    narrow = torch.distributions.Normal(0.0, 0.1).log_prob(theta).sum(-1)
    return torch.logaddexp(broad, narrow) + math.log(0.5)


def test_scale_spread_lets_mh_cross_between_a_broad_and_a_narrow_component():
    """1,000 chains, 200 warm-up steps, the last draw of each (the benchmark's protocol): the share within 0.3 of the
    centre is ½(1 − e^(−0.045)) + ½(1 − e^(−4.5)) = 0.516. Spread over two decades, MH's share lies within four
    binomial standard errors (4 · 0.016) of it; with one scale per chain the narrow component is under-weighted."""
    prior = BoxUniform(-10 * torch.ones(2), 10 * torch.ones(2))
    exact = 0.5 * (1 - math.exp(-0.3**2 / 2)) + 0.5 * (1 - math.exp(-(0.3 / 0.1) ** 2 / 2))
    tolerance = 4 * math.sqrt(exact * (1 - exact) / 1000)
    shares = {}
    for spread in (0.0, 2.0):
        _, diagnostics = run_sampler(DensityPotential(two_scale_mixture, prior), prior, "mh",
                                     SamplingPlan(10_000, 1000, 200, 1), torch.Generator().manual_seed(1),
                                     scale_spread=spread)
        shares[spread] = float((diagnostics.chains[:, -1].norm(dim=1) < 0.3).double().mean())
    assert abs(shares[2.0] - exact) < tolerance, shares
    assert shares[0.0] < exact - tolerance, shares


def test_scale_spread_of_two_decades_is_the_default_and_a_negative_one_is_refused():
    prior = BoxUniform(-20 * torch.ones(DIM), 20 * torch.ones(DIM))
    potential = DensityPotential(correlated_gaussian().log_prob, prior)
    default, explicit, single = (
        run_sampler(potential, prior, "mh", SamplingPlan(500, 50, 50, 1), torch.Generator().manual_seed(7),
                    **options)[0]
        for options in ({}, {"scale_spread": DEFAULT_SCALE_SPREAD}, {"scale_spread": 0.0}))
    assert DEFAULT_SCALE_SPREAD == 2.0 and torch.equal(default, explicit) and not torch.equal(default, single)
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="scale_spread must be a finite number of decades"):
            run_sampler(potential, prior, "mh", SamplingPlan(100, 10, 10, 1), torch.Generator().manual_seed(7),
                        scale_spread=bad)


def test_proposals_outside_the_box_are_never_evaluated():
    prior = BoxUniform(torch.zeros(2), torch.ones(2))
    seen: list[torch.Tensor] = []

    def log_prob(theta):
        seen.append(theta.detach().clone())
        return -((theta - 0.9) ** 2).sum(-1) / 0.02

    for sampler in ("mh", "hmc"):
        seen.clear()
        run_sampler(DensityPotential(log_prob, prior), prior, sampler, SamplingPlan(200, 20, 50, 1),
                    torch.Generator().manual_seed(3))
        # initial candidates come from the prior; everything the sampler evaluated lies inside the box
        evaluated = torch.cat(seen)
        assert ((evaluated >= 0) & (evaluated <= 1)).all()


def test_same_seed_same_draws_and_callback_can_stop():
    target = correlated_gaussian()
    prior = BoxUniform(-20 * torch.ones(DIM), 20 * torch.ones(DIM))
    potential = DensityPotential(target.log_prob, prior)
    runs = [run_sampler(potential, prior, "mh", SamplingPlan(500, 50, 50, 1), torch.Generator().manual_seed(7))[0]
            for _ in range(2)]
    assert torch.equal(runs[0], runs[1])
    calls = []
    stop_at_40 = SamplingPlan(5000, 50, 20, 1, callback=lambda step, chains, diag: calls.append(step) or step < 40,
                              callback_every=10)
    samples, diagnostics = run_sampler(potential, prior, "hmc", stop_at_40, torch.Generator().manual_seed(7))
    assert calls == [10, 20, 30, 40]
    assert diagnostics.stopped_early and diagnostics.num_draws == 20
    assert samples.shape == (20 * 50, DIM)


def test_diagnostics_are_computed_only_when_read(monkeypatch):
    import dnre_core.diagnostics as diagnostics_module

    calls = []
    real_summary = diagnostics_module.arviz_summary
    monkeypatch.setattr(diagnostics_module, "arviz_summary",
                        lambda chains: calls.append(chains.shape) or real_summary(chains))
    target = correlated_gaussian()
    prior = BoxUniform(-20 * torch.ones(DIM), 20 * torch.ones(DIM))
    potential = DensityPotential(target.log_prob, prior)
    kept = []
    every_5 = SamplingPlan(2000, 50, 20, 1, callback=lambda step, chains, diag: kept.append(diag) or True,
                           callback_every=5)
    _, final = run_sampler(potential, prior, "mh", every_5, torch.Generator().manual_seed(7))
    assert len(kept) == 12 and calls == []  # 60 steps, a callback every 5: progress alone costs no ArviZ call
    midway = kept[5]  # after 30 steps: 10 draws kept
    assert midway.num_draws == 10 and calls == []
    np.testing.assert_array_equal(midway.rhat, real_summary(midway.chains.numpy())[0])  # its draws, not later ones
    assert calls == [(50, 10, DIM)]
    assert np.isfinite(final.max_rhat) and calls[-1] == (50, 40, DIM) and len(calls) == 2
    final.table(), final.warnings(), final.as_dict()  # computed once, reused
    assert len(calls) == 2


def lognormal_prior() -> torch.distributions.Distribution:
    """A prior whose support is not a box and whose ``log_prob`` raises outside it (torch's argument validation)."""
    base = torch.distributions.LogNormal(torch.zeros(2), 0.5 * torch.ones(2), validate_args=True)
    return torch.distributions.Independent(base, 1, validate_args=True)


def test_priors_with_validated_support_give_minus_infinity_instead_of_raising():
    prior = lognormal_prior()
    theta = torch.tensor([[1.0, 2.0], [-0.5, 1.0], [1.0, float("nan")], [0.0, 1.0]])
    with pytest.raises(ValueError):
        prior.log_prob(theta)  # what the library must not let through
    log_prob = prior_log_prob(prior, theta)
    assert torch.isfinite(log_prob[0]) and torch.isclose(log_prob[0], prior.log_prob(theta[:1])[0])
    assert torch.isneginf(log_prob[1:]).all()
    assert in_support(prior, theta).tolist() == [True, False, False, False]


def test_prior_log_density_when_every_row_is_outside_the_support():
    """The lotka_volterra HMC coverage failure: all 100 leapfrog positions below zero at once. torch's Independent
    cannot sum an empty batch (it reshapes (0, D) to (0, -1)), so no row inside means no call to ``log_prob``."""
    prior = lognormal_prior()
    theta = torch.tensor([[-1.0, 2.0], [0.5, -0.1], [float("inf"), 1.0]])
    assert torch.isneginf(prior_log_prob(prior, theta)).all() and prior_log_prob(prior, theta).shape == (3,)
    assert not in_support(prior, theta).any()
    assert prior_log_prob(prior, torch.empty(0, 2)).shape == (0,)


@pytest.mark.parametrize("sampler", ["mh", "hmc"])
def test_samples_a_lognormal_prior_whose_proposals_cross_zero(sampler):
    """Random-walk and leapfrog proposals below zero are rejected, not raised on; log θ has the prior's mean 0."""
    prior = lognormal_prior()
    samples, diagnostics = run_sampler(DensityPotential(prior.log_prob, prior), prior, sampler,
                                       SamplingPlan(20_000, num_chains=200, warmup_steps=300, thin=1),
                                       torch.Generator().manual_seed(3))
    assert (samples > 0).all()
    ess = torch.as_tensor(diagnostics.ess_bulk, dtype=torch.float32)
    assert (samples.log().mean(0).abs() < 5 * 0.5 / ess.sqrt()).all()  # 5 Monte Carlo standard errors of the mean


def test_ratio_posterior_under_a_lognormal_prior_samples_and_scores_outside_the_support():
    """The sbibm sir / lotka_volterra failure: an NRE posterior under a LogNormal prior, proposals below zero."""
    prior = lognormal_prior()
    trainer = NRE(prior).append_simulations(sample_prior(prior, 200, torch.Generator().manual_seed(4)),
                                            torch.randn(200, 3, generator=torch.Generator().manual_seed(5)))
    trainer.train(seed=0, max_epochs=2)
    posterior = trainer.build_posterior(sampler="mh")
    x_o = torch.zeros(3)
    samples = posterior.sample((400,), x=x_o, num_chains=100, warmup_steps=50, seed=0)
    assert (samples > 0).all()
    log_prob = posterior.log_prob(torch.tensor([[1.0, 1.0], [-1.0, 1.0]]), x=x_o)
    assert torch.isfinite(log_prob[0]) and torch.isneginf(log_prob[1])


def test_a_prior_is_prepared_for_the_posteriors_device():
    """Box priors are rebuilt on the device, priors already there are kept, others are wrapped (the wrapper keeps the
    prior's values, support and seeded draws; tests/test_accelerator.py checks it across devices)."""
    cpu = torch.device("cpu")
    box = torch.distributions.Independent(torch.distributions.Uniform(torch.zeros(2), torch.ones(2)), 1)
    assert isinstance(prior_on_device(box, cpu), BoxUniform)
    prior = lognormal_prior()
    assert prior_on_device(prior, cpu) is prior
    wrapped = PriorOnDevice(prior, cpu)
    assert wrapped.event_shape == prior.event_shape and wrapped.home == cpu
    theta = torch.tensor([[1.0, 2.0], [-0.5, 1.0]])
    assert torch.equal(prior_log_prob(wrapped, theta), prior_log_prob(prior, theta))
    assert in_support(wrapped, theta).tolist() == [True, False]
    draws = [sample_prior(p, 5, torch.Generator().manual_seed(1)) for p in (prior, wrapped)]
    assert torch.equal(*draws)


def test_few_effective_draws_among_many_are_flagged_by_label() -> None:
    """Issue 37 defect 5: MH reached bulk ESS ~150 of 10,000 draws with no low-ESS warning (150 > the absolute
    threshold of 100); and warnings named raw parameter names where tables say "Arm length (mm)"."""
    import numpy as np
    import torch

    from dnre_core import ChainDiagnostics

    rng = np.random.default_rng(0)
    steps = rng.normal(size=(100, 100, 2)) * [0.05, 1.0]  # 100 chains × 100 draws: a sticky and a mixing parameter
    walk = np.cumsum(steps, axis=1)
    chains = np.stack([walk[..., 0], steps[..., 1]], axis=-1)
    diagnostics = ChainDiagnostics(torch.as_tensor(chains), np.full(100, 0.3), np.ones(100), "mh", 100, 100, 0, 1.0,
                                   parameter_names=["Arm_2159_Length", "mass"])
    ess = diagnostics.ess_bulk
    assert 100 < ess[0] < 500 < 5000 < ess[1]  # the sticky one: above the absolute threshold, far below 5 % of 10,000
    (message,) = [w for w in diagnostics.warnings(labels=["Arm length (mm)", "Mass (kg)"]) if "bulk ESS" in w]
    assert "bulk ESS < 500 of 10,000 draws) for Arm length (mm):" in message and "Mass" not in message
    assert "Arm_2159_Length" in " ".join(diagnostics.warnings())  # names when no labels are given


def test_automatic_thinning_reaches_its_ess_target_where_every_step_kept_does_not():
    """issue 36: 100 chains × 20 draws, every step kept, gave MH draws whose bulk ESS was a tenth of their number.
    The default (thin=None) thins until the bulk ESS of every parameter is at least half the number of draws."""
    from dnre_core.samplers.recorder import AUTO_ESS_FRACTION

    target = correlated_gaussian()
    prior = BoxUniform(-20 * torch.ones(DIM), 20 * torch.ones(DIM))
    potential = DensityPotential(target.log_prob, prior)
    runs = {thin: run_sampler(potential, prior, "mh", SamplingPlan(2000, thin=thin), torch.Generator().manual_seed(5))
            for thin in (1, None)}
    every_step, automatic = runs[1][1], runs[None][1]
    assert every_step.min_ess_bulk < AUTO_ESS_FRACTION * 2000 and every_step.ess_shortfall() is None  # no target
    assert automatic.thin > 1 and automatic.ess_target == AUTO_ESS_FRACTION
    assert automatic.min_ess_bulk >= AUTO_ESS_FRACTION * 2000 and automatic.ess_shortfall() is None
    assert automatic.num_draws == 20 and runs[None][0].shape == (2000, DIM)
    # The kept draws are the last round's: 20 draws, one every `thin` steps, ending at the run's last step.
    assert automatic.step == automatic.total_steps >= 200 + 20 * automatic.thin
    sd = target.covariance_matrix.diagonal().sqrt()
    ess = torch.as_tensor(automatic.ess_bulk, dtype=torch.float32)
    assert ((runs[None][0].mean(0) - target.mean).abs() < 5 * sd / ess.sqrt()).all()  # 5 Monte Carlo errors


def test_automatic_thinning_says_when_it_misses_its_target(monkeypatch):
    import dnre_core.samplers.recorder as recorder

    monkeypatch.setattr(recorder, "AUTO_MAX_THIN", 1)  # no room to thin: the target is missed
    prior = BoxUniform(-20 * torch.ones(DIM), 20 * torch.ones(DIM))
    potential = DensityPotential(correlated_gaussian().log_prob, prior)
    _, diagnostics = run_sampler(potential, prior, "mh", SamplingPlan(2000), torch.Generator().manual_seed(5))
    shortfall = diagnostics.ess_shortfall()
    assert shortfall is not None and "short of 50% of them" in shortfall and shortfall in diagnostics.warnings()
    trainer = NRE(prior, hidden_features=8, num_layers=1).append_simulations(
        sample_prior(prior, 200, torch.Generator().manual_seed(4)), torch.randn(200, 2))
    posterior = trainer.build_posterior(estimator=trainer.train(max_epochs=1, seed=0))
    with pytest.warns(UserWarning, match="Automatic thinning stopped at 1 steps per draw"):
        posterior.sample((400,), x=torch.zeros(2), num_chains=20, warmup_steps=20, seed=0)


class RatiosOnly(DensityPotential):
    """The same density seen through ratios alone, as a pairwise-head DNRE is: MH cannot keep log π per chain."""

    def log_target(self, theta):
        return None


def test_mh_keeping_each_chains_log_target_draws_what_ratios_draw():
    """The kept log π(θ) changes the cost of a step, not its outcome: same seed, the same chains. log π(θ*) − log π(θ)
    and the log-ratio differ by float32 rounding, which the scale adaptation carries along (about 1e-4 after 200
    steps); one accept/reject decision turned by it would move a chain by a whole step (≈ 0.5)."""
    target = correlated_gaussian()
    prior = BoxUniform(-20 * torch.ones(DIM), 20 * torch.ones(DIM))
    plan = SamplingPlan(2000, 100, 200, 1)
    runs = [run_sampler(cls(target.log_prob, prior), prior, "mh", plan, torch.Generator().manual_seed(5), None,
                        None, True)[0] for cls in (DensityPotential, RatiosOnly)]
    assert (runs[0] - runs[1]).abs().max() < 0.01


def test_mh_evaluates_a_potential_head_once_per_chain_and_step():
    """DNRE's potential head (d = g(θ) − g(θ')) and NRE give log π itself: a step passes the proposals alone through
    the network, not the proposals and the current states (the difference of two runs' rows is what steps cost)."""
    from dnre_core import DNRE

    prior = BoxUniform(torch.zeros(2), torch.ones(2))
    theta = sample_prior(prior, 300, torch.Generator().manual_seed(1))
    trainer = DNRE(prior, hidden_features=8, num_layers=2).append_simulations(theta, theta + 0.1)
    estimator = trainer.train(max_epochs=1, seed=0)
    assert estimator.exactly_antisymmetric
    rows: list[int] = []
    estimator.net.register_forward_hook(lambda module, inputs, output: rows.append(inputs[0].shape[0]))
    posterior = trainer.build_posterior(sampler="mh")
    num_chains, cost = 50, {}
    for warmup in (40, 140):
        rows.clear()
        posterior.sample((num_chains,), x=torch.tensor([0.5, 0.5]), num_chains=num_chains, warmup_steps=warmup,
                         seed=0)
        cost[warmup] = sum(rows)
    assert cost[140] - cost[40] == 100 * num_chains  # every proposal of 50 chains lies inside the unbounded z space
