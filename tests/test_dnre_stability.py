"""A regression guard of the default DNRE on two_moons, on one seed of the ablation study's stability measurement
(``python -m benchmarks study ablation``).

10,000 simulations (``task.sample_joint``), the default ``DNRE(prior)`` trained with the default weight
averaging for 200 epochs (early stopping off, best validation weights), the default posterior sampled with 1,000 MH
chains × 1 draw after 500 warm-up steps, C2ST against 1,000 sbibm reference samples for observation 1. Everything is
seeded, so the training reproduces the ablation's ``dnre_partners_4_ema`` row of seed 2 on the same machine; the C2ST
values agree within their noise (MH's float rounding, which can turn single accept decisions, changed after those rows).

Seed: the issue's acceptance (C2ST mean ≤ 0.60, sd ≤ 0.03 over five seeds) is measured by the ablation
(``benchmarks/results/ablation.jsonl``, seeds 0–4). A 200-epoch training is the suite's longest work, so this guard
re-runs one of those seeds, 2, chosen from the ablation's records as the seed on which training that learns less
fails this guard's bound (the ``two_moons @ 100`` column: half the training), as the paper's pairwise head does on
every seed. The other measured way of losing the stability, the optimiser's last iterate instead of the weight
average (``dnre_partners_4``, ``dnre_potential``), fails on seed 1 but not on seed 2; it is checked deterministically
by ``tests/test_weight_averaging.py`` instead of by a second training. ``make test`` runs this file first.
"""

from __future__ import annotations

import pytest

from benchmarks.sbibm_source import sbibm_available
from dnre_core import DNRE, c2st
from dnre_core.consistency import consistency_report

SEED = 2  # of the ablation's 0-4: see the module docstring
EPOCHS = 200
NUM_SIMULATIONS = 10_000
NUM_SAMPLES = 1000
# The worst seed of the ablation's dnre_partners_4_ema rows (benchmarks/results/ablation.jsonl), these settings.
WORST_MEASURED_C2ST = 0.518

# The suite's timeout is a hang detector; this training gets a longer one.
pytestmark = [pytest.mark.slow, pytest.mark.stability, pytest.mark.timeout(1800),
              pytest.mark.skipif(not sbibm_available(), reason="sbibm is not installed: run `make bench-setup`")]


@pytest.fixture(scope="module")
def default_dnre_run() -> tuple[float, dict]:
    """(C2ST, consistency report on reference-posterior triples) of the default DNRE on the guard's seed."""
    from benchmarks.registry import get_task

    task = get_task("two_moons")
    x_o, reference = task.observation(1), task.reference_samples(1)
    trainer = DNRE(task.prior).append_simulations(*task.sample_joint(NUM_SIMULATIONS, SEED))
    estimator = trainer.train(max_epochs=EPOCHS, stop_after_epochs=EPOCHS, seed=SEED)
    samples = trainer.build_posterior().sample((NUM_SAMPLES,), x=x_o, num_chains=NUM_SAMPLES, warmup_steps=500,
                                               seed=SEED)
    report = consistency_report(estimator, reference[NUM_SAMPLES:], x_o, seed=SEED)
    return c2st(samples, reference[:NUM_SAMPLES]), report


def test_default_dnre_does_not_regress(default_dnre_run):
    """Guards what was measured: C2ST at most 0.05 above the worst seed the ablation measured for the default.

    0.05 covers a C2ST's own noise on 2 × 1,000 points (binomial sd of an accuracy near 0.5 on 2,000 predictions
    ≈ 0.011, so 4.5 sd) plus floating-point differences between machines. In the ablation's records on this seed,
    a return to the paper's pairwise head and half the training both exceed it.
    """
    score, _ = default_dnre_run
    assert score <= WORST_MEASURED_C2ST + 0.05, score


def test_default_dnre_is_consistent_by_construction(default_dnre_run):
    """The potential head's antisymmetry and path-consistency errors are float32 round-off (the paper's: 0.7–1.1)."""
    _, report = default_dnre_run
    assert report["median_abs_log_ratio"] > 0.1, report  # the ratios themselves are not trivial...
    assert report["antisymmetry_error"] < 1e-4 and report["consistency_error"] < 1e-4, report  # ...their errors are
