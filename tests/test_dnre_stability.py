"""Stability of the default DNRE over seeds on two_moons (issue 6), in the set-up of ``bench/dnre_ablation.py``.

Per seed: 10,000 simulations (``task.sample_joint``), the default ``DNRE(prior)`` (potential head, four partners
per simulation, constant learning rate) trained with the default weight averaging (EMA of the weights, decay 0.99 per step) for
200 epochs (early stopping off, best validation weights), the default posterior
sampled with 1,000 MH chains × 1 draw after 500 warm-up steps, C2ST against 1,000 sbibm reference samples for
observation 1. Everything is seeded, so the numbers reproduce the ablation's ``dnre_partners_4_ema`` rows
(bench/results/ablation.md) on this machine. One seed's training took 164 s on an idle core of a machine running
at 60 GFLOP/s (2026-11-28; 88 on a good day), the five about 14 minutes; ``make test`` runs it beside the rest of the
suite.
"""

from __future__ import annotations

import statistics

import pytest

from dnre_core import DNRE, c2st
from dnre_core.benchmarks import sbibm_available
from dnre_core.consistency import consistency_report

SEEDS = (0, 1, 2, 3, 4)
EPOCHS = 200
NUM_SIMULATIONS = 10_000
NUM_SAMPLES = 1000
# Measured with these settings (bench/results/ablation.jsonl, dnre_partners_4_ema): C2ST 0.479, 0.494, 0.514, 0.511,
# 0.518 (mean 0.503, sd 0.017). With one partner (dnre_potential_ema, the default of issue 6): mean 0.500, sd 0.022,
# worst 0.528; without weight averaging (dnre_potential): mean 0.573, sd 0.039; the paper's pairwise head on the same
# data: 0.750–0.831 per seed, mean 0.797.
WORST_MEASURED_C2ST = 0.518

# The suite's 900-s timeout is a hang detector; the five trainings took 875 s in CI and over 900 s here on a shared
# 2-core machine measured 2.3 times slower than usual (a single-thread matmul at 51 rather than 88 GFLOP/s). Fewer
# epochs do not meet the issue's target: at 100, C2ST 0.533, 0.568, 0.689, 0.514, 0.567 (sd 0.07).
pytestmark = [pytest.mark.slow, pytest.mark.stability, pytest.mark.timeout(1800),
              pytest.mark.skipif(not sbibm_available(), reason="sbibm is not installed: run `make bench-setup`")]


@pytest.fixture(scope="module")
def default_dnre_runs() -> list[tuple[float, dict]]:
    """(C2ST, consistency report on reference-posterior triples) of the default DNRE, one per seed."""
    from dnre_core.benchmarks import get_task

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
    """The issue's acceptance: C2ST mean ≤ 0.60 and sd ≤ 0.03 over 5 seeds."""
    scores = [score for score, _ in default_dnre_runs]
    assert statistics.mean(scores) <= 0.60 and statistics.stdev(scores) <= 0.03, scores


def test_default_dnre_does_not_regress(default_dnre_runs):
    """Guards what was measured: the mean within the target, every seed at most 0.05 above the worst measured seed.

    0.05 covers a C2ST's own noise on 2 × 1,000 points (binomial sd of an accuracy near 0.5 on 2,000 predictions
    ≈ 0.011, so 4.5 sd) plus floating-point differences between machines. A return to the paper's pairwise head
    (every seed ≥ 0.75) fails both bounds, and the last iterate's weights without averaging fail the second on their
    worst seed (four partners: 0.593, ``dnre_partners_4``; one partner: 0.635).
    """
    scores = [score for score, _ in default_dnre_runs]
    assert statistics.mean(scores) <= 0.60, scores
    assert max(scores) <= WORST_MEASURED_C2ST + 0.05, scores


def test_default_dnre_is_consistent_by_construction(default_dnre_runs):
    """The potential head's antisymmetry and path-consistency errors are float32 round-off (the paper's: 0.7–1.1)."""
    for _, report in default_dnre_runs:
        assert report["median_abs_log_ratio"] > 0.1, report  # the ratios themselves are not trivial...
        assert report["antisymmetry_error"] < 1e-4 and report["consistency_error"] < 1e-4, report  # ...their errors are
