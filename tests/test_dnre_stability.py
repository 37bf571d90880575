"""Stability of the default DNRE over seeds on two_moons, in the set-up of the ablation study
(``python -m benchmarks study ablation``).

Per seed: 10,000 simulations (``task.sample_joint``), the default ``DNRE(prior)`` trained with the default weight
averaging for 200 epochs (early stopping off, best validation weights), the default posterior sampled with 1,000 MH
chains × 1 draw after 500 warm-up steps, C2ST against 1,000 sbibm reference samples for observation 1. Everything is
seeded, so the trainings reproduce the ablation's ``dnre_partners_4_ema`` rows on the same machine; the C2ST values
agree within their noise (MH's float rounding, which can turn single accept decisions, changed after those rows).

Seeds: the issue's acceptance (C2ST mean ≤ 0.60, sd ≤ 0.03 over five seeds) is measured by the ablation
(``benchmarks/results/ablation.jsonl``, seeds 0–4). The trainings are the suite's longest work, so this guard
re-runs two of those seeds, chosen because every measured way of losing the stability fails this guard's bounds on
one of them (the ablation's records): the paper's pairwise head on all five; the optimiser's last iterate without
weight averaging (``dnre_partners_4``, ``dnre_potential``) on seed 1; half the training (the ``two_moons @ 100``
column) on seed 2. ``make test`` runs this file first, on a worker of its own while the other takes the rest.
"""

from __future__ import annotations

import statistics

import pytest

from benchmarks.sbibm_source import sbibm_available
from dnre_core import DNRE, c2st
from dnre_core.consistency import consistency_report

SEEDS = (1, 2)  # of the ablation's 0-4: see the module docstring
EPOCHS = 200
NUM_SIMULATIONS = 10_000
NUM_SAMPLES = 1000
# The worst seed of the ablation's dnre_partners_4_ema rows (benchmarks/results/ablation.jsonl), these settings.
WORST_MEASURED_C2ST = 0.518

# The suite's timeout is a hang detector; these trainings get a longer one.
pytestmark = [pytest.mark.slow, pytest.mark.stability, pytest.mark.timeout(1800),
              pytest.mark.skipif(not sbibm_available(), reason="sbibm is not installed: run `make bench-setup`")]


@pytest.fixture(scope="module")
def default_dnre_runs() -> list[tuple[float, dict]]:
    """(C2ST, consistency report on reference-posterior triples) of the default DNRE, one per seed."""
    from benchmarks.registry import get_task

    task = get_task("two_moons")
    x_o, reference = task.observation(1), task.reference_samples(1)
    runs = []
    for seed in SEEDS:
        trainer = DNRE(task.prior).append_simulations(*task.sample_joint(NUM_SIMULATIONS, seed))
        estimator = trainer.train(max_epochs=EPOCHS, stop_after_epochs=EPOCHS, seed=seed)
        samples = trainer.build_posterior().sample((NUM_SAMPLES,), x=x_o, num_chains=NUM_SAMPLES, warmup_steps=500,
                                                   seed=seed)
        report = consistency_report(estimator, reference[NUM_SAMPLES:], x_o, seed=seed)
        runs.append((c2st(samples, reference[:NUM_SAMPLES]), report))
    return runs


def test_default_dnre_meets_the_issue_6_stability_target(default_dnre_runs):
    """The issue's acceptance bounds, C2ST mean ≤ 0.60 and sd ≤ 0.03, on the guard's two seeds."""
    scores = [score for score, _ in default_dnre_runs]
    assert statistics.mean(scores) <= 0.60 and statistics.stdev(scores) <= 0.03, scores


def test_default_dnre_does_not_regress(default_dnre_runs):
    """Guards what was measured: the mean within the target, every seed at most 0.05 above the worst measured seed.

    0.05 covers a C2ST's own noise on 2 × 1,000 points (binomial sd of an accuracy near 0.5 on 2,000 predictions
    ≈ 0.011, so 4.5 sd) plus floating-point differences between machines. In the ablation's records, a return to the
    paper's pairwise head fails both bounds; the last iterate's weights without averaging (``dnre_partners_4`` and
    ``dnre_potential`` on seed 1) and half the training (seed 2) fail the second.
    """
    scores = [score for score, _ in default_dnre_runs]
    assert statistics.mean(scores) <= 0.60, scores
    assert max(scores) <= WORST_MEASURED_C2ST + 0.05, scores


def test_default_dnre_is_consistent_by_construction(default_dnre_runs):
    """The potential head's antisymmetry and path-consistency errors are float32 round-off (the paper's: 0.7–1.1)."""
    for _, report in default_dnre_runs:
        assert report["median_abs_log_ratio"] > 0.1, report  # the ratios themselves are not trivial...
        assert report["antisymmetry_error"] < 1e-4 and report["consistency_error"] < 1e-4, report  # ...their errors are
