"""dnre_core.inverse_design: the band posterior against exact answers, the closed loop, P(meet), failures, seeds.

The known answer: the 3-D linear-Gaussian problem (benchmarks/problems.py) with a box band on two metrics; exact
draws of p(θ | x ∈ B) are prior draws whose simulation met B.
"""

import copy
import itertools

import numpy as np
import pytest
import torch

import dnre_core
import quadcopter
from dnre_core import InputError, Target, inverse_design
from dnre_core.constraints import DesignConstraint, constrained_prior_sample
from dnre_core.design import HITS_PER_CHAIN, MAX_DRAWS_PER_CHAIN, BandCheck, draws_per_chain, first_hit_per_chain
from dnre_core.estimators import NREEstimator
from quadcopter.inverse import EXACT_METRICS, simulator

NAMES = ["x0", "x1", "x2"]
BAND = Target({"x0": (0.5, 1.0), "x1": (None, -0.2)})  # prior mass about 5 %


@pytest.fixture(scope="module")
def problem(linear_gaussian):
    def simulate(theta: np.ndarray, seed: int) -> np.ndarray:
        return linear_gaussian.simulate(torch.as_tensor(theta, dtype=torch.float32), seed).double().numpy()

    theta, x = linear_gaussian.sample_joint(400_000, seed=11)
    exact = theta.numpy()[BAND.meets(x.numpy(), NAMES)].astype(np.float64)
    return linear_gaussian, simulate, exact


class ExactLikelihood(NREEstimator):
    """The problem's exact log-likelihood as an estimator's potential, so the band posterior's sampler is tested
    apart from any training error."""

    def __init__(self, problem, prior):
        super().__init__(3, 3, torch.zeros(3), torch.ones(3), torch.zeros(3), torch.ones(3), hidden_features=2,
                         num_layers=1, metadata={"metric_names": NAMES, "prior": {"type": "BoxUniform",
                         "low": prior.low.tolist(), "high": prior.high.tolist()}})
        self.problem = problem

    def logit(self, theta, x, mask=None):
        theta, x = torch.broadcast_tensors(theta, x)
        return -0.5 * ((x - theta @ self.problem.matrix.T) / self.problem.noise).square().sum(-1)

    log_potential = logit

    def log_ratio(self, theta, theta_prime, x, mask=None):
        return self.logit(theta, x) - self.logit(theta_prime, x)


def test_amortized_band_posterior_of_the_exact_likelihood_matches_the_exact_answer(problem):
    lg, _, exact = problem
    estimator = ExactLikelihood(lg, lg.prior)
    _, x = lg.sample_joint(20_000, seed=3)
    result = inverse_design(estimator, BAND, None, num_designs=1000, seed=0, reference_x=x.numpy())
    assert result.route == "amortized" and result.simulations_used == 0 and np.isnan(result.p_meet).all()
    assert dnre_core.c2st(result.theta, exact[:1000]) <= 0.56  # sampling error alone: 0.5 up to the test's noise


@pytest.mark.slow
def test_closed_loop_with_a_trained_dnre_matches_the_exact_answer(problem, trained):
    _, simulate, exact = problem
    estimator = copy.deepcopy(trained("DNRE").estimator)  # the session's model, with this problem's metric names
    estimator.metadata["metric_names"] = NAMES
    result = inverse_design(estimator, BAND, simulate, num_designs=1000, seed=0, route="sequential")
    fresh = BAND.meets(simulate(result.theta, seed=123), NAMES).mean()
    exact_fresh = BAND.meets(simulate(exact[:1000], seed=124), NAMES).mean()
    assert fresh >= 0.95 * exact_fresh
    assert dnre_core.c2st(result.theta, exact[:1000]) <= 0.6
    # P(meet) from 10 replicates estimates the fresh hit rate: mean within 4 binomial standard errors
    assert abs(result.hit_rate - fresh) <= 4 * np.sqrt(fresh * (1 - fresh) / 1000) + 0.01


def test_auto_measures_both_routes_and_says_which_it_took(problem):
    """Round 0, one measuring round of model proposals, then the cheaper route by measured seconds per design; its
    designs meet the band afresh as often as exact answers (300 each: 3 binomial standard errors allowed)."""
    lg, simulate, exact = problem
    result = inverse_design(ExactLikelihood(lg, lg.prior), BAND, simulate, num_designs=300, seed=0)
    assert result.route in ("rejection", "sequential") and "per design" in result.route_reason
    assert [r["route"] for r in result.rounds[:2]] == ["round 0", "sequential"] and len(result.theta) == 300
    fresh = BAND.meets(simulate(result.theta, seed=123), NAMES).mean()
    exact_fresh = BAND.meets(simulate(exact[:300], seed=124), NAMES).mean()
    assert fresh >= 0.95 * exact_fresh - 3 * np.sqrt(exact_fresh * (1 - exact_fresh) / 300)


def test_the_same_seed_gives_the_same_designs_and_evidence(problem, trained):
    lg, simulate, _ = problem
    estimator = ExactLikelihood(lg, lg.prior)
    runs = [inverse_design(estimator, BAND, simulate, num_designs=200, seed=5, route="sequential") for _ in range(2)]
    assert np.array_equal(runs[0].theta, runs[1].theta)
    assert np.array_equal(runs[0].p_meet, runs[1].p_meet)
    other = inverse_design(estimator, BAND, simulate, num_designs=200, seed=6, route="sequential")
    assert not np.array_equal(runs[0].theta, other.theta)


def test_auto_leaves_rejection_when_it_would_not_fit_in_the_budget(problem):
    """A 5 % band and 300 designs: rejection needs about 5,000 more simulations after round 0, but a budget of 7,000
    with 3,000 set aside for P(meet) leaves about 2,500 after the measuring round: auto takes the model's proposals
    and finds every design."""
    lg, simulate, _ = problem
    result = inverse_design(ExactLikelihood(lg, lg.prior), BAND, simulate, num_designs=300, seed=0,
                            max_simulations=7000)
    assert result.route == "sequential" and "budget" in result.route_reason
    assert len(result.theta) == 300 and np.isfinite(result.p_meet).all() and result.simulations_used <= 7000


def test_auto_leaves_rejection_once_later_prior_designs_show_round_0_was_lucky(problem):
    """The simulator's first call (round 0) puts a third of its designs inside the 5 % band, so auto takes
    rejection; the honest simulations after it show rejection cannot find the rest within 9,000 simulations, and the
    run switches to the model's proposals and returns every design (rejection alone would end the budget short)."""
    lg, simulate, _ = problem
    calls = []

    def lucky_first_call(theta: np.ndarray, seed: int) -> np.ndarray:
        x = simulate(theta, seed)
        if not calls:
            lucky = np.random.default_rng(seed).random(len(x)) < 0.3
            x[lucky, :2] = [0.75, -0.5]
        calls.append(len(theta))
        return x

    result = inverse_design(ExactLikelihood(lg, lg.prior), BAND, lucky_first_call, num_designs=1000, seed=0,
                            max_simulations=9000, replicates=0)
    assert [r["route"] for r in result.rounds][:3] == ["round 0", "sequential", "rejection"]
    assert result.route == "sequential" and "switched to the model's proposals" in result.route_reason
    assert len(result.theta) == 1000 and not result.warnings and result.simulations_used <= 9000


def test_rejection_route_gives_exact_designs_that_all_met_the_band_once(problem):
    lg, simulate, _ = problem
    result = inverse_design(None, BAND, simulate, num_designs=300, seed=0, prior=lg.prior, metric_names=NAMES,
                            replicates=4)
    assert result.route == "rejection" and len(result.theta) == 300
    assert result.p_meet_simulations.tolist() == [4] * 300
    kept = np.concatenate(result.x_simulated[None])  # every simulation is kept, P(meet) replicates included
    assert len(result.theta_simulated) == result.simulations_used == len(kept)
    # the search's simulations: each design met the band when it was found
    search_x = result.x_simulated[: result.search_simulations]
    assert BAND.meets(search_x, NAMES).sum() >= 300


def failing_simulator(theta: np.ndarray, seed: int) -> np.ndarray:
    """Raises on one batch in three, returns NaN rows for a tenth of designs otherwise."""
    rng = np.random.default_rng(seed)
    if rng.random() < 1 / 3:
        raise RuntimeError("solver diverged")
    x = np.column_stack([theta[:, 0] + 0.1 * rng.standard_normal(len(theta)), theta[:, 1]])
    x[rng.random(len(theta)) < 0.1] = np.nan
    return x


def test_a_simulator_that_raises_or_returns_nan_is_counted_and_reported_never_a_crash():
    prior = dnre_core.BoxUniform([-1.0, -1.0], [1.0, 1.0])
    result = inverse_design(None, {"a": (0.0, 0.5)}, failing_simulator, num_designs=100, seed=0, prior=prior,
                            metric_names=["a", "b"], batch_size=200, replicates=3)
    assert len(result.theta) == 100
    assert result.failed_simulations > 0
    assert result.errors and all("RuntimeError: solver diverged" in e for e in result.errors)
    assert (result.theta[:, 0] > -0.5).all()  # met the band once: within 5 noise sd of it


def test_the_budget_ends_the_search_with_a_warning_and_what_it_found():
    prior = dnre_core.BoxUniform([-1.0, -1.0], [1.0, 1.0])

    def sim(theta, seed):
        return theta + 0.01 * np.random.default_rng(seed).standard_normal(theta.shape)

    result = inverse_design(None, {"a": (0.0, 0.02)}, sim, num_designs=1000, seed=0, prior=prior,
                            metric_names=["a", "b"], max_simulations=3000, replicates=0)
    assert 0 < len(result.theta) < 1000 and result.stopped == "budget"
    assert any("budget" in w for w in result.warnings)
    assert result.simulations_used <= 3000


def test_a_callback_that_returns_false_stops_the_search():
    prior = dnre_core.BoxUniform([-1.0, -1.0], [1.0, 1.0])
    seen = []

    def stop_after_round_one(progress):
        seen.append(progress.stage)
        return len(seen) < 2

    result = inverse_design(None, {"a": (0.0, 0.01)}, lambda t, seed: t.copy(), num_designs=5000, seed=0,
                            prior=prior, metric_names=["a", "b"], callback=stop_after_round_one, replicates=0)
    assert result.stopped == "stopped" and len(result.theta) < 5000


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"target": {"weight": (None, 3)}}, "unknown metric"),
    ({"target": {"x0": (2, 1)}}, "exceeds"),
    ({"target": "x0<=abc"}, "not a number"),
    ({"target": {"x0": (None, None)}}, "free"),
    ({"num_designs": 0}, "num_designs"),
    ({"route": "magic"}, "Unknown route"),
    ({"robust": 1.5}, "robust"),
    ({"replicates": -1}, "replicates"),
])
def test_bad_requests_are_input_errors(problem, kwargs, words):
    lg, simulate, _ = problem
    request = {"target": BAND, "num_designs": 10, **kwargs}
    with pytest.raises(InputError, match=words):
        inverse_design(ExactLikelihood(lg, lg.prior), request.pop("target"), simulate, **request)


def test_a_stop_during_the_amortized_route_ends_its_chains(problem):
    lg, _, _ = problem
    _, x = lg.sample_joint(5000, seed=3)
    steps = []

    def stop_at_once(progress):
        steps.append(progress.chains.step)
        return False

    with pytest.raises(InputError, match="stopped before"):
        inverse_design(ExactLikelihood(lg, lg.prior), BAND, None, num_designs=50, seed=0, reference_x=x.numpy(),
                       callback=stop_at_once)
    assert len(steps) == 1  # the chains stopped at the first callback, in warm-up


def test_amortized_without_reference_metrics_says_what_to_give(problem):
    lg, _, _ = problem
    with pytest.raises(InputError, match="reference_x"):
        inverse_design(ExactLikelihood(lg, lg.prior), BAND, None, num_designs=10)


def test_robust_designs_are_screened_and_reported_on_fresh_simulations(problem):
    """x0's band is 0.5 wide under noise sd 0.3, so no design meets it more than 60 % of the time: robust=0.5 asks
    for the designs near its centre, which exact band-posterior draws are only in part."""
    lg, simulate, exact = problem
    result = inverse_design(ExactLikelihood(lg, lg.prior), BAND, simulate, num_designs=100, seed=0, robust=0.5,
                            replicates=10)
    assert len(result.theta) == 100
    # the reported P(meet) comes from a fresh set; a third set agrees within binomial error (1,000 simulations)
    again = BAND.meets(simulate(np.repeat(result.theta, 10, axis=0), seed=77), NAMES).mean()
    exact_again = BAND.meets(simulate(np.repeat(exact[:100], 10, axis=0), seed=78), NAMES).mean()
    assert again >= 0.45 and again > exact_again + 0.1
    assert abs(result.hit_rate - again) <= 4 * np.sqrt(again * (1 - again) / 1000) + 0.01


def test_constrained_prior_sample_stays_inside_an_exact_metric_band_and_spreads_over_it():
    target = Target({"Interferences": (None, 0)})
    constraint = DesignConstraint.from_target(target, EXACT_METRICS)
    theta = constrained_prior_sample(quadcopter.prior(), constraint, 500, np.random.default_rng(0))
    assert (quadcopter.simulate(theta, seed=0)[:, 0] == 0).all()
    assert len(np.unique(theta, axis=0)) == 500


@pytest.mark.slow
def test_refinement_raises_the_hit_rate_on_the_quadcopter():
    """The walk-through target with no interferences, about 3 in 10^6 prior designs: round 0 finds a few, and the
    model's proposals, conditioned on what was simulated, meet it more often round after round."""
    estimator = dnre_core.load_estimator("models/default_dnre.pt")
    target = Target.parse("mass<=5,Max_Flight_Distance_(m)>=400,Max_Lateral_Speed_(m/s)=20+-4,Interferences<=0")
    result = inverse_design(estimator, target, simulator, num_designs=300, seed=0, exact_metrics=EXACT_METRICS,
                            replicates=4)
    rates = [r["hit_rate"] for r in result.rounds if r["route"] == "sequential"]
    assert result.route == "sequential" and len(rates) >= 2
    assert rates[-1] > rates[0]
    assert (result.x[:, 0] == 0).all()  # every design is buildable
    assert result.hit_rate > 0.2
    # margins measure the learned bands: the interference band (met exactly, at its edge) would make them all 0
    assert np.isfinite(result.margin).all() and (result.margin > 0).mean() > 0.1


def test_the_margin_leaves_out_bands_on_exact_metrics() -> None:
    """"No interferences" is met exactly at its band's edge by every design: counted in the margin, it made every
    margin 0 and the ranking by margin meaningless."""
    target = Target({"Interferences": (None, 0.0), "mass": (None, 4.0)})
    x = np.array([[0.0, 3.0], [0.0, 3.5], [0.0, 4.5]])
    plain = BandCheck(target, ["Interferences", "mass"], np.ones(2))
    assert plain.margin(x).tolist() == [0.0, 0.0, -0.5]
    exact = BandCheck(target, ["Interferences", "mass"], np.ones(2), ("Interferences",))
    assert exact.margin(x).tolist() == [1.0, 0.5, -0.5]
    only_exact = BandCheck(Target({"Interferences": (None, 0.0)}), ["Interferences", "mass"], np.ones(2),
                           ("Interferences",))
    assert only_exact.margin(x).tolist() == [0.0, 0.0, 0.0]  # nothing else stated: the exact band's own margin


def test_robust_designs_that_cannot_exist_are_an_error_that_says_they_are_rare(problem):
    """No design meets x0's band more than 60 % of the time (the test above), so none reaches P(meet) ≥ 0.9: the
    error says how common such designs are among the candidates, and that the level or the bands must change."""
    lg, simulate, _ = problem
    with pytest.raises(InputError, match=r"No design with P\(meet\) ≥ 0.9 .* estimated 0\.\d% reach .* rare"):
        inverse_design(ExactLikelihood(lg, lg.prior), BAND, simulate, num_designs=100, seed=0, robust=0.9,
                       replicates=10, max_simulations=20_000)


def test_chain_starts_scored_by_the_potential_alone_are_those_the_ratios_pick(problem):
    """For a difference of potentials the SIR starts of the band posterior's chains are scored by g(θ, x_j) alone
    (one pass per candidate): the same starts as scoring d(θ, θ_ref, x_j) against the common prior draw."""
    from dnre_core.band_posterior import PerChainRatioPotential

    lg, _, _ = problem
    estimator = ExactLikelihood(lg, lg.prior)
    _, x = lg.sample_joint(200, seed=8)
    potential = PerChainRatioPotential(estimator, lg.prior, x)
    by_potential = potential.initial_states(torch.Generator().manual_seed(2))
    estimator.exactly_antisymmetric = False  # the ratios' path
    by_ratios = potential.initial_states(torch.Generator().manual_seed(2))
    assert torch.allclose(by_potential, by_ratios)


def test_chains_give_more_draws_where_proposals_rarely_meet_the_band_and_keep_only_their_first_hit():
    """One draw per chain until a round has measured the hit rate h, then ⌊HITS_PER_CHAIN / h⌋ draws, within
    [1, MAX_DRAWS_PER_CHAIN]; of a chain's draws (ordered draw by draw across the chains) only the first hit is
    kept."""
    assert draws_per_chain(None) == 1
    assert draws_per_chain(0.5) == draws_per_chain(HITS_PER_CHAIN / 1.5) == 1
    assert draws_per_chain(HITS_PER_CHAIN / 3) == 3
    assert draws_per_chain(0.0) == draws_per_chain(1e-6) == MAX_DRAWS_PER_CHAIN
    hits = np.array([[True, False, False],  # draw 1 of chains 0, 1, 2
                     [True, True, False],  # draw 2
                     [False, True, True]])  # draw 3
    kept = first_hit_per_chain(hits.reshape(-1), 3).reshape(3, 3)
    assert kept.tolist() == [[True, False, False], [False, True, False], [False, False, True]]


def test_sequential_rounds_on_a_rare_target_take_several_draws_per_chain_and_no_two_designs_from_one_chain(problem):
    """Once the proposals' hit rate is measured below HITS_PER_CHAIN / 2, a round's chains give several draws each;
    the rounds record hits and kept designs apart, and a chain contributes at most one design."""
    lg, simulate, _ = problem
    rare = Target({"x0": (1.2, 1.3), "x1": (-1.2, -1.0)})  # prior mass about 0.08 %; proposals meet it about 1.6 %
    result = inverse_design(ExactLikelihood(lg, lg.prior), rare, simulate, num_designs=200, seed=0,
                            route="sequential", replicates=0)
    sequential = [r for r in result.rounds if r["route"] == "sequential"]
    assert sequential[0]["draws_per_chain"] == 1
    for before, after in itertools.pairwise(sequential):
        assert after["draws_per_chain"] == draws_per_chain(before["hit_rate"])
    assert any(r["draws_per_chain"] > 1 for r in sequential)
    assert all(r["kept"] <= r["hits"] and r["hit_rate"] == r["hits"] / r["simulations"] for r in result.rounds)
    assert len(np.unique(result.theta, axis=0)) == len(result.theta) == 200
    assert rare.meets(result.x_simulated, NAMES).sum() >= 200
