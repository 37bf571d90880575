"""simulate_for_sbi: seeded batches, worker-count independence, resume, Ray == local."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import quadcopter
from dnre_core.priors import BoxUniform
from dnre_core.simulation import simulate_for_sbi
from dnre_core.validation import InputError


def noisy_square(theta: np.ndarray, seed: int) -> np.ndarray:
    return theta**2 + np.random.default_rng(seed).normal(size=theta.shape)


def seedless(theta: np.ndarray) -> np.ndarray:
    return theta + np.random.normal(size=theta.shape)


PRIOR = BoxUniform(-torch.ones(2), torch.ones(2))


def test_same_seed_same_data_any_worker_count():
    a = simulate_for_sbi(noisy_square, PRIOR, 250, num_workers=1, seed=7, batch_size=64)
    b = simulate_for_sbi(noisy_square, PRIOR, 250, num_workers=2, seed=7, batch_size=64)
    assert a[0].shape == (250, 2) and a[1].shape == (250, 2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    c = simulate_for_sbi(noisy_square, PRIOR, 250, seed=8, batch_size=64)
    assert not torch.equal(a[0], c[0])


def test_seedless_simulator_is_seeded_through_globals():
    a = simulate_for_sbi(seedless, PRIOR, 100, seed=1, batch_size=30)
    b = simulate_for_sbi(seedless, PRIOR, 100, seed=1, batch_size=30)
    assert torch.equal(a[1], b[1])


def test_progress_and_resume(tmp_path):
    path = tmp_path / "sims.pt"
    seen = []
    full = simulate_for_sbi(noisy_square, PRIOR, 100, seed=3, batch_size=40, resume_path=path,
                            progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (100, 100) and len(seen) == 3

    calls = []

    def counting(theta: np.ndarray, seed: int) -> np.ndarray:
        calls.append(len(theta))
        return noisy_square(theta, seed)

    again = simulate_for_sbi(counting, PRIOR, 100, seed=3, batch_size=40, resume_path=path)
    assert calls == [] and torch.equal(again[1], full[1])
    with pytest.raises(ValueError, match="different settings"):
        simulate_for_sbi(noisy_square, PRIOR, 100, seed=4, batch_size=40, resume_path=path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign"])
def test_a_damaged_resume_file_is_set_aside_and_the_run_starts_afresh(tmp_path, damage):
    """Before, a damaged file blocked the simulation for good with PyTorch's error, naming no file."""
    path = tmp_path / "simulation-1.pt"
    full = simulate_for_sbi(noisy_square, PRIOR, 100, seed=3, batch_size=40, resume_path=path)
    content = path.read_bytes()
    path.write_bytes({"truncate": content[: len(content) // 2], "garbage": b"\x00" * 300,
                      "foreign": b""}[damage])
    if damage == "foreign":
        torch.save({"something": torch.ones(2)}, path)
    with pytest.warns(UserWarning, match=f"{path} cannot be read.*set aside as {path}.damaged.*starts afresh"):
        again = simulate_for_sbi(noisy_square, PRIOR, 100, seed=3, batch_size=40, resume_path=path)
    assert torch.equal(again[0], full[0]) and torch.equal(again[1], full[1])
    assert (tmp_path / "simulation-1.pt.damaged").exists()
    assert simulate_for_sbi(noisy_square, PRIOR, 100, seed=3, batch_size=40, resume_path=path)[1].equal(full[1])


def test_bad_arguments():
    for kwargs, words in (({"num_simulations": 0}, "num_simulations"), ({"backend": "dask"}, "backend"),
                          ({"batch_size": 0}, "batch_size"), ({"num_workers": 0}, "num_workers")):
        args = {"num_simulations": 10, **kwargs}
        with pytest.raises(InputError, match=words):
            simulate_for_sbi(noisy_square, PRIOR, **args)


def test_quadcopter_ray_equals_local():
    ray = pytest.importorskip("ray")
    prior = quadcopter.prior()
    local = simulate_for_sbi(quadcopter.simulate, prior, 300, num_workers=1, seed=11, batch_size=100)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)  # one worker: less start-up on a busy box
    try:
        remote = simulate_for_sbi(quadcopter.simulate, prior, 300, num_workers=2, backend="ray", seed=11,
                                  batch_size=100)
    finally:
        ray.shutdown()
    assert torch.equal(local[0], remote[0]) and torch.equal(local[1], remote[1])
    assert local[1].shape == (300, 7)
