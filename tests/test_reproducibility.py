"""Same seed → identical weights and identical samples; a different seed → different ones."""

import pytest
import torch

import dnre_core
from benchmarks.problems import LinearGaussian

PROBLEM = LinearGaussian(dim=2)


def train(kind: str, seed: int) -> dnre_core.RatioEstimator:
    theta, x = PROBLEM.sample_joint(1000, seed=0)
    # Masking on: the mask draws must come from the seeded generator too.
    trainer = getattr(dnre_core, kind)(PROBLEM.prior, hidden_features=32, num_layers=2, mask_probability=0.2)
    return trainer.append_simulations(theta, x).train(max_epochs=3, seed=seed)


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.fixture(scope="module")
def estimators() -> dict[tuple[str, int], dnre_core.RatioEstimator]:
    return {(kind, seed): train(kind, seed) for kind in ("DNRE", "NRE") for seed in (0, 1)}


@pytest.mark.parametrize("kind", ["DNRE", "NRE"])
def test_same_seed_same_weights_different_seed_different_weights(estimators, kind):
    assert same_weights(train(kind, 0), estimators[(kind, 0)])
    assert not same_weights(estimators[(kind, 0)], estimators[(kind, 1)])


@pytest.mark.parametrize("sampler", ["mh", "hmc"])
def test_same_seed_same_samples_different_seed_different_samples(estimators, sampler):
    x_o = PROBLEM.simulate(torch.tensor([[0.5, -0.5]]), seed=9)[0]
    posterior = dnre_core.RatioPosterior(estimators[("DNRE", 0)], sampler=sampler)

    def draw(seed: int) -> torch.Tensor:
        return posterior.sample((200,), x=x_o, num_chains=20, warmup_steps=30, seed=seed)

    first = draw(0)
    first_chains = posterior.diagnostics.chains
    assert torch.equal(first, draw(0))
    assert torch.equal(first_chains, posterior.diagnostics.chains)
    assert not torch.equal(first, draw(1))
