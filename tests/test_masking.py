"""Metric masking: one DNRE trained with mask_probability = 0.3 conditions on any subset of the metrics.

With metric j left free (NaN in x_o), the exact posterior conditions on the other metrics only; the linear-Gaussian
problem gives exact samples of it (rejection from the prior on the observed rows of A).
"""

import pytest
import torch

import dnre_core

THETA_TRUE = torch.tensor([[0.5, -0.3, 0.8]])


@pytest.mark.slow
@pytest.mark.parametrize("free", [None, 1], ids=["all-observed", "metric-1-free"])
def test_masked_dnre_matches_the_exact_subset_posterior(trained, linear_gaussian, free):
    trainer = trained("DNRE", max_epochs=60, mask_probability=0.3)
    assert trainer.estimator.masked
    x_o = linear_gaussian.simulate(THETA_TRUE, seed=99)[0]
    observed = torch.ones(3, dtype=torch.bool)
    if free is not None:
        observed[free] = False
    reference = linear_gaussian.exact_samples(x_o, 1000, seed=0, observed=observed)
    target = torch.where(observed, x_o, torch.full_like(x_o, float("nan")))
    posterior = trainer.build_posterior(sampler="mh")
    # One kept draw per chain after warm-up: 1,000 independent chains, and the bound, as in test_linear_gaussian.
    samples = posterior.sample((1000,), x=target, num_chains=1000, warmup_steps=300, seed=0)
    assert dnre_core.c2st(samples, reference) <= 0.60


@pytest.mark.slow
def test_freeing_a_metric_widens_the_posterior(linear_gaussian):
    """The test above has power: without metric 1 the exact posterior is much wider along θ_1."""
    x_o = linear_gaussian.simulate(THETA_TRUE, seed=99)[0]
    full = linear_gaussian.exact_samples(x_o, 1000, seed=0)
    partial = linear_gaussian.exact_samples(x_o, 1000, seed=0, observed=torch.tensor([True, False, True]))
    assert partial[:, 1].std() > 1.5 * full[:, 1].std()
