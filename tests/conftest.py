"""Test configuration: one torch thread (two threads under contention on a 2-core box are far slower)."""

import pytest
import torch

import dnre_core
from benchmarks.problems import LinearGaussian

torch.set_num_threads(1)

TRAINED: dict = {}


@pytest.fixture(scope="session")
def linear_gaussian() -> LinearGaussian:
    return LinearGaussian(dim=3)


@pytest.fixture(scope="session")
def trained(linear_gaussian):
    """Train each estimator kind once per session on 10,000 linear-Gaussian simulations (seed 0).

    30 epochs by default, enough for the accuracy these tests ask (the trainings are a large part of the suite); a
    masked estimator, which learns every subset of the metrics at once, gets ``max_epochs=60`` in tests/test_masking.py.
    """

    def get(kind: str, max_epochs: int = 30, **options):
        key = (kind, max_epochs, tuple(sorted(options.items())))
        if key not in TRAINED:
            theta, x = linear_gaussian.sample_joint(10_000, seed=0)
            trainer = getattr(dnre_core, kind)(linear_gaussian.prior, **options).append_simulations(theta, x)
            trainer.train(max_epochs=max_epochs, seed=0)
            TRAINED[key] = trainer
        return TRAINED[key]

    return get
