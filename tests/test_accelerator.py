"""The GPU paths of dnre_core: training, sampling, densities and model files on a CUDA device agree with the CPU.

Skipped where no CUDA device is present (CI has none). ``DNRE_TEST_DEVICE=cpu`` runs the same checks with the CPU
standing in for the device, which checks the tests themselves but none of the GPU code paths.
"""

import os

import pytest
import torch

import dnre_core
from dnre_core.consistency import consistency_report

DEVICE = os.environ.get("DNRE_TEST_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(
    DEVICE == "cuda" and not torch.cuda.is_available(),
    reason="no CUDA device here: these tests check the GPU paths (set DNRE_TEST_DEVICE=cpu to dry-run them)",
)
THETA_TRUE = torch.tensor([[0.5, -0.3, 0.8]])
# float32 networks of 5 × 128 units: CPU and GPU kernels sum in different orders, so outputs of O(1–10) differ by
# round-off of a few ulps per layer, far below 1e-4.
ATOL = 1e-4


@pytest.fixture(scope="module")
def small_data(linear_gaussian):
    return linear_gaussian.sample_joint(4000, seed=3)


@pytest.fixture(scope="module")
def cpu_trainers(linear_gaussian, small_data):
    """DNRE, NRE and BNRE trained briefly on the CPU (the outputs, not the fit, are compared)."""
    theta, x = small_data
    trainers = {}
    for kind in ("DNRE", "NRE", "BNRE"):
        trainers[kind] = getattr(dnre_core, kind)(linear_gaussian.prior).append_simulations(theta, x)
        trainers[kind].train(max_epochs=3, seed=0)
    return trainers


def copied_to_device(estimator: dnre_core.RatioEstimator, tmp_path) -> dnre_core.RatioEstimator:
    """``estimator`` saved to a model file and loaded onto the device."""
    estimator.save(tmp_path / "model.pt")
    return dnre_core.load_estimator(tmp_path / "model.pt", device=DEVICE)


@pytest.mark.parametrize("kind", ["DNRE", "NRE", "BNRE"])
def test_a_cpu_trained_estimator_gives_the_same_log_ratios_on_the_device(cpu_trainers, linear_gaussian, tmp_path, kind):
    estimator = cpu_trainers[kind].estimator
    moved = copied_to_device(estimator, tmp_path)
    assert moved.device.type == DEVICE
    theta, x = linear_gaussian.sample_joint(500, seed=11)
    theta_prime = linear_gaussian.sample_prior(500, seed=12)
    with torch.no_grad():
        expected = estimator.log_ratio(theta, theta_prime, x)
        got = moved.log_ratio(theta.to(DEVICE), theta_prime.to(DEVICE), x.to(DEVICE))
    assert got.device.type == DEVICE
    torch.testing.assert_close(got.cpu(), expected, atol=ATOL, rtol=ATOL)


def test_a_device_posterior_leaves_the_trainers_estimator_on_the_cpu(cpu_trainers, linear_gaussian):
    """Building a posterior on the device must not move the trainer's estimator (an earlier CPU posterior shares it)."""
    trainer = cpu_trainers["DNRE"]
    x_o = linear_gaussian.simulate(THETA_TRUE, seed=99)[0]
    cpu_posterior = trainer.build_posterior()
    device_posterior = trainer.build_posterior(device=DEVICE)
    assert trainer.estimator.device.type == "cpu"
    assert device_posterior.estimator.device.type == DEVICE
    assert cpu_posterior.sample((50,), x=x_o, num_chains=50, warmup_steps=10, seed=0).shape == (50, 3)


@pytest.mark.parametrize("sampler", ["mh", "hmc"])
def test_sampling_on_the_device_is_seeded_and_draws_what_the_cpu_draws(cpu_trainers, linear_gaussian, sampler):
    """The same seed gives the same samples on the device; they follow the distribution the CPU's chains follow.

    Chain paths themselves need not match the CPU's: random numbers are drawn on the CPU in both cases, but a
    round-off difference can flip an accept decision of near-zero margin, and the covariance and step-size
    adaptation shared by all chains carries that flip into every chain (seen for HMC on an H100). The C2ST of
    1,000 against 1,000 draws of one distribution has a null sd of about 0.011, so 0.6 is a gross error only.
    """
    trainer = cpu_trainers["DNRE"]
    x_o = linear_gaussian.simulate(THETA_TRUE, seed=99)[0]
    options = {"x": x_o, "num_chains": 1000, "warmup_steps": 100, "seed": 5}
    on_cpu = trainer.build_posterior(sampler=sampler).sample((1000,), **options)
    posterior = trainer.build_posterior(sampler=sampler, device=DEVICE)
    on_dev = posterior.sample((1000,), **options)
    assert on_dev.device.type == "cpu"  # samples and chains are returned on the CPU, whatever the device
    assert posterior.diagnostics.chains.shape == (1000, 1, 3)
    assert torch.equal(on_dev, posterior.sample((1000,), **options))
    assert dnre_core.c2st(on_dev, on_cpu) <= 0.6


def test_initial_states_given_on_the_cpu_are_used_on_the_device(cpu_trainers, linear_gaussian):
    x_o = linear_gaussian.simulate(THETA_TRUE, seed=99)[0]
    initial = THETA_TRUE.repeat(20, 1)
    posterior = cpu_trainers["DNRE"].build_posterior(device=DEVICE)
    samples = posterior.sample((20,), x=x_o, num_chains=20, warmup_steps=0, initial=initial, seed=0)
    assert samples.shape == (20, 3)
    assert (samples - THETA_TRUE).abs().max() < 1.0  # one step from the given start, not from the prior


@pytest.mark.parametrize("kind", ["DNRE", "NRE"])
def test_log_prob_on_the_device_matches_the_cpu(cpu_trainers, linear_gaussian, kind):
    trainer = cpu_trainers[kind]
    x_o = linear_gaussian.simulate(THETA_TRUE, seed=99)[0]
    theta = linear_gaussian.sample_prior(300, seed=4)
    expected = trainer.build_posterior().log_prob(theta, x=x_o, num_reference=500)
    got = trainer.build_posterior(device=DEVICE).log_prob(theta, x=x_o, num_reference=500)
    torch.testing.assert_close(got.cpu(), expected, atol=ATOL, rtol=ATOL)


def test_consistency_report_on_the_device_matches_the_cpu(cpu_trainers, linear_gaussian, small_data, tmp_path):
    theta, x = small_data
    estimator = cpu_trainers["DNRE"].estimator
    moved = copied_to_device(estimator, tmp_path)
    expected = consistency_report(estimator, theta, x, num_triples=500, seed=0)
    got = consistency_report(moved, theta, x, num_triples=500, seed=0)
    numbers = [key for key, value in expected.items() if isinstance(value, float)]
    assert numbers
    for key in numbers:
        assert abs(got[key] - expected[key]) <= ATOL * max(1.0, abs(expected[key])), key


@pytest.fixture(scope="module")
def lognormal_trainer():
    """A DNRE under a validating LogNormal prior whose parameters live on the CPU (as sbibm's sir prior does)."""
    base = torch.distributions.LogNormal(torch.zeros(2), 0.5 * torch.ones(2), validate_args=True)
    prior = torch.distributions.Independent(base, 1, validate_args=True)
    theta = dnre_core.priors.sample_prior(prior, 2000, torch.Generator().manual_seed(4))
    x = theta.log() + 0.3 * torch.randn(2000, 2, generator=torch.Generator().manual_seed(5))
    trainer = dnre_core.DNRE(prior).append_simulations(theta, x)
    trainer.train(max_epochs=3, seed=0)
    return trainer


@pytest.mark.parametrize("sampler", ["mh", "hmc"])
def test_a_prior_with_cpu_parameters_samples_on_the_device(lognormal_trainer, sampler):
    """torch distributions have no ``.to``: the posterior evaluates such a prior on its own device (proposals below
    zero are rejected there, not raised on) and the chains run on the device, drawing what the CPU's draw."""
    x_o = torch.tensor([0.2, -0.1])
    options = {"x": x_o, "num_chains": 1000, "warmup_steps": 100, "seed": 5}
    on_cpu = lognormal_trainer.build_posterior(sampler=sampler).sample((1000,), **options)
    on_dev = lognormal_trainer.build_posterior(sampler=sampler, device=DEVICE).sample((1000,), **options)
    assert (on_dev > 0).all()
    assert dnre_core.c2st(on_dev, on_cpu) <= 0.6  # a gross-error bound, as for the box prior above


def test_log_prob_under_a_prior_with_cpu_parameters_matches_the_cpu(lognormal_trainer):
    x_o = torch.tensor([0.2, -0.1])
    theta = torch.tensor([[1.0, 0.8], [0.5, 2.0], [-0.5, 1.0]])  # the last row lies outside the support
    expected = lognormal_trainer.build_posterior().log_prob(theta, x=x_o, num_reference=500)
    got = lognormal_trainer.build_posterior(device=DEVICE).log_prob(theta, x=x_o, num_reference=500)
    assert torch.isneginf(got[2]) and torch.isneginf(expected[2])
    torch.testing.assert_close(got[:2].cpu(), expected[:2], atol=ATOL, rtol=ATOL)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["DNRE", "NRE", "BNRE"])
def test_training_on_the_device_learns_the_exact_posterior(linear_gaussian, tmp_path, kind):
    """Train on the device (the same protocol as tests/test_linear_gaussian.py), sample there, save, reload on the
    CPU."""
    theta, x = linear_gaussian.sample_joint(20_000, seed=0)
    trainer = getattr(dnre_core, kind)(linear_gaussian.prior, device=DEVICE).append_simulations(theta, x)
    trainer.train(max_epochs=60, seed=0)
    assert trainer.estimator.device.type == DEVICE
    assert trainer.summary.best_val_loss < trainer.summary.val_losses[0]
    x_o = linear_gaussian.simulate(THETA_TRUE, seed=99)[0]
    reference = linear_gaussian.exact_samples(x_o, 1000, seed=0)
    posterior = trainer.build_posterior(sampler="hmc", device=DEVICE)
    samples = posterior.sample((1000,), x=x_o, num_chains=1000, warmup_steps=300, seed=0)
    assert dnre_core.c2st(samples, reference) <= 0.60
    trainer.estimator.save(tmp_path / "model.pt")
    reloaded = dnre_core.load_estimator(tmp_path / "model.pt")
    assert reloaded.device.type == "cpu"
    with torch.no_grad():
        torch.testing.assert_close(reloaded.log_ratio(theta[:200], theta[200:400], x[:200]),
                                   trainer.estimator.log_ratio(*(t.to(DEVICE) for t in (theta[:200], theta[200:400],
                                                                                        x[:200]))).cpu(),
                                   atol=ATOL, rtol=ATOL)
