"""DNRE's two heads: the potential head is a difference of one network's outputs, the pairwise head the paper's."""

import io
import json

import pytest
import torch

from dnre_core import DNRE, BoxUniform, DNREEstimator, InputError, load_estimator
from dnre_core.losses import _bce, dnre_loss, partner_shifts, roll_partner
from dnre_core.potentials import RatioPotential
from dnre_core.priors import sample_prior

DIM, X_DIM = 3, 2
PRIOR = BoxUniform(-2 * torch.ones(DIM), 2 * torch.ones(DIM))


def estimator(head: str, seed: int = 0) -> DNREEstimator:
    torch.manual_seed(seed)
    return DNREEstimator(DIM, X_DIM, theta_mean=torch.zeros(DIM), theta_std=torch.ones(DIM), x_mean=torch.zeros(X_DIM),
                         x_std=torch.ones(X_DIM), hidden_features=32, num_layers=3, head=head).eval()


def triples(num: int = 400, seed: int = 0) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    a, b, c = (torch.randn(num, DIM, generator=generator) for _ in range(3))
    return a, b, c, torch.randn(num, X_DIM, generator=generator)


def test_potential_head_is_antisymmetric_and_consistent_by_construction():
    net = estimator("potential")
    a, b, c, x = triples()
    with torch.no_grad():
        d_ab, d_ba = net.log_ratio(a, b, x), net.log_ratio(b, a, x)
        d_bc, d_ac = net.log_ratio(b, c, x), net.log_ratio(a, c, x)
        g = net.log_potential(torch.stack([a, b]), x)
    assert d_ab.abs().median() > 1e-3  # non-trivial ratios from a random network...
    assert (d_ab + d_ba).abs().max() < 1e-5  # ...that violate antisymmetry and consistency by round-off only
    assert (d_ab + d_bc - d_ac).abs().max() < 1e-5
    assert torch.allclose(d_ab, g[0] - g[1], atol=1e-5)
    assert net.exactly_antisymmetric and not estimator("pairwise").exactly_antisymmetric


def test_pairwise_head_is_not_a_difference_of_potentials():
    net = estimator("pairwise")
    a, b, _, x = triples()
    with torch.no_grad():
        assert (net.log_ratio(a, b, x) + net.log_ratio(b, a, x)).abs().median() > 1e-3
    with pytest.raises(NotImplementedError, match="not a difference of potentials"):
        net.log_potential(a, x)


def test_potential_head_loss_is_the_papers_two_order_loss():
    """One evaluation with d(θ', θ, x) = −d(θ, θ', x) gives the same number as evaluating both orders."""
    net = estimator("potential")
    theta, _, _, x = triples(64)
    mask = torch.ones_like(x, dtype=torch.bool)
    fast = dnre_loss(net, theta, x, mask, torch.Generator().manual_seed(5))
    theta_prime = roll_partner(theta, torch.Generator().manual_seed(5))
    two_orders = 0.5 * (_bce(net.log_ratio(theta, theta_prime, x),
                             1.0) + _bce(net.log_ratio(theta_prime, theta, x), 0.0))
    assert torch.allclose(fast, two_orders, atol=1e-6)


@pytest.mark.parametrize("head", ["potential", "pairwise"])
def test_several_partners_average_the_pair_loss_over_distinct_partners(head):
    net = estimator(head)
    theta, _, _, x = triples(64)
    mask = torch.ones_like(x, dtype=torch.bool)
    loss = dnre_loss(net, theta, x, mask, torch.Generator().manual_seed(7), num_partners=4)
    shifts = partner_shifts(64, 4, torch.Generator().manual_seed(7))
    assert len(set(shifts)) == 4 and all(1 <= s < 64 for s in shifts)
    per_partner = []
    for shift in shifts:
        partner = torch.roll(theta, shift, dims=0)
        per_partner.append(0.5 * (_bce(net.log_ratio(theta, partner, x),
                                       1.0) + _bce(net.log_ratio(partner, theta, x), 0.0)))
    assert torch.allclose(loss, torch.stack(per_partner).mean(), atol=1e-6)
    assert len(partner_shifts(3, 4, torch.Generator().manual_seed(0))) == 2  # at most B − 1 distinct partners


def test_potential_head_density_equals_the_pairwise_monte_carlo_formula():
    net = estimator("potential")
    x_o = torch.tensor([0.4, -0.3])
    theta = sample_prior(PRIOR, 50, torch.Generator().manual_seed(1))
    reference = sample_prior(PRIOR, 300, torch.Generator().manual_seed(2))
    potential = RatioPotential(net, PRIOR, x_o)
    with torch.no_grad():
        fast = potential.log_density(theta, reference)
        d = net.log_ratio(theta.unsqueeze(1), reference.unsqueeze(0), x_o)  # (50, 300)
        grid = PRIOR.log_prob(theta) - (torch.logsumexp(-d, dim=1) - torch.log(torch.tensor(300.0)))
    assert torch.allclose(fast, grid, atol=1e-4)


@pytest.mark.parametrize("head", ["potential", "pairwise"])
def test_head_survives_save_and_load(tmp_path, head):
    net = estimator(head)
    net.save(tmp_path / "m.pt")
    loaded = load_estimator(tmp_path / "m.pt")
    a, b, _, x = triples(20)
    assert loaded.head == head
    with torch.no_grad():
        assert torch.equal(loaded.log_ratio(a, b, x), net.log_ratio(a, b, x))


def test_files_written_before_heads_existed_load_as_pairwise(tmp_path):
    path = tmp_path / "old.pt"
    estimator("pairwise").save(path)
    payload = torch.load(path, weights_only=True)
    config = json.loads(payload["config_json"])
    del config["head"]
    payload["config_json"] = json.dumps(config)
    payload["format_version"] = 1  # such files predate the digest of format version 2
    del payload["sha256"]
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.write_bytes(buffer.getvalue())
    assert load_estimator(path).head == "pairwise"


def test_trainer_default_is_the_potential_head_and_bad_heads_are_refused():
    theta = sample_prior(PRIOR, 200, torch.Generator().manual_seed(0))
    x = theta[:, :X_DIM] + 0.1 * torch.randn(200, X_DIM, generator=torch.Generator().manual_seed(1))
    trainer = DNRE(PRIOR, hidden_features=16, num_layers=2).append_simulations(theta, x)
    assert trainer.train(max_epochs=2, seed=0).head == "potential"
    assert DNRE(PRIOR, head="pairwise", hidden_features=16, num_layers=2).append_simulations(theta, x).train(
        max_epochs=2, seed=0).head == "pairwise"
    with pytest.raises(InputError, match="head must be one of"):
        DNRE(PRIOR, head="siamese")
    for bad in (0, 2.5, True):
        with pytest.raises(InputError, match="num_partners must be a positive integer"):
            DNRE(PRIOR, num_partners=bad)
    with pytest.raises(ValueError, match="head must be one of"):
        estimator("siamese")
