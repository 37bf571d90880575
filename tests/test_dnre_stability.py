"""Stability of the default DNRE over seeds on two_moons (issue 6), in the set-up of ``bench/dnre_ablation.py``.

Per seed: 10,000 simulations, the default ``DNRE(prior)`` trained for 200 epochs (early stopping off, best
validation weights), the default posterior (antisymmetrised MH ratio) sampled with 1,000 chains × 1 draw after
500 warm-up steps, C2ST against 1,000 sbibm reference samples for observation 1. Everything is seeded, so the
numbers reproduce the ablation's ``dnre_antisym_sampling`` rows (bench/results/ablation.md) on this machine.
About 4 minutes on an idle core (3 × 50 s of training, 3 × 20 s of C2ST).
"""

from __future__ import annotations

import statistics

import pytest
import torch

from dnre_core import DNRE, c2st
from dnre_core.benchmarks import sbibm_available
from dnre_core.consistency import consistency_report
from dnre_core.priors import sample_prior

SEEDS = (0, 1, 2)
EPOCHS = 200
# Measured with these settings (bench/results/ablation.jsonl, dnre_antisym_sampling): C2ST 0.789, 0.796, 0.689;
# median |d(a,b,x) + d(b,a,x)| on reference-posterior triples 1.94, 0.44, 1.07.
WORST_MEASURED_C2ST = 0.796
WORST_MEASURED_ANTISYMMETRY = 1.94
NUM_SIMULATIONS = 10_000
NUM_SAMPLES = 1000

pytestmark = [pytest.mark.slow, pytest.mark.stability,
              pytest.mark.skipif(not sbibm_available(), reason="sbibm is not installed: run `make bench-setup`")]


@pytest.fixture(scope="module")
def default_dnre_runs() -> list[tuple[float, dict]]:
    """(C2ST, consistency report on reference-posterior triples) of the default DNRE, one per seed."""
    from dnre_core.benchmarks import get_task

    task = get_task("two_moons")
    x_o, reference = task.observation(1), task.reference_samples(1)
    runs = []
    for seed in SEEDS:
        theta = sample_prior(task.prior, NUM_SIMULATIONS, torch.Generator().manual_seed(seed))
        trainer = DNRE(task.prior).append_simulations(theta, task.simulate(theta, seed=seed))
        estimator = trainer.train(max_epochs=EPOCHS, stop_after_epochs=EPOCHS, seed=seed)
        samples = trainer.build_posterior().sample((NUM_SAMPLES,), x=x_o, num_chains=NUM_SAMPLES, warmup_steps=500,
                                                   seed=seed)
        report = consistency_report(estimator, reference[NUM_SAMPLES:], x_o, seed=seed)
        runs.append((c2st(samples, reference[:NUM_SAMPLES]), report))
    return runs


@pytest.mark.xfail(strict=True, reason="issue 6 acceptance not reached: the default DNRE measured C2ST 0.69-0.80 "
                                       "per seed at this budget (bench/results/ablation.md), NRE 0.55")
def test_default_dnre_meets_the_issue_6_stability_target(default_dnre_runs):
    scores = [score for score, _ in default_dnre_runs]
    assert statistics.mean(scores) <= 0.60 and statistics.stdev(scores) <= 0.03, scores


def test_default_dnre_does_not_regress(default_dnre_runs):
    """Guards what was measured: every seed at most 0.05 above the worst measured seed.

    0.05 covers a C2ST's own noise on 2 × 1,000 points (binomial sd of an accuracy near 0.8 on 2,000
    predictions ≈ 0.009, so 5 sd) plus floating-point differences between machines; the diagnostics must
    stay below twice the measured antisymmetry error.
    """
    for score, report in default_dnre_runs:
        assert score <= WORST_MEASURED_C2ST + 0.05, f"C2ST {score:.3f} per seed: {default_dnre_runs}"
        assert report["antisymmetry_error"] <= 2 * WORST_MEASURED_ANTISYMMETRY, report
