"""Inverse design: designs θ whose simulated metrics meet target bands, with the evidence to trust them.

The question "which designs deliver these bands B?" has an exact answer, the band posterior
p(θ | x ∈ B) ∝ p(θ) P(x ∈ B | θ): prior designs kept when a simulation met B. ``inverse_design`` returns designs
for it and, with a simulator, closes the loop:

1. **Round 0** simulates prior designs (restricted to the bands on exact metrics, :mod:`dnre_core.constraints`);
   their hit rate estimates the target's prior mass, and those that met B are exact answers.
2. **Rejection** keeps drawing prior designs and keeps those whose simulation meets B: exact, at 1 / P(B)
   simulations per design.
3. **Sequential** (with a ratio estimator): the estimator's amortized band posterior (:mod:`dnre_core.band_posterior`,
   one chain per simulated metrics x_j inside B) proposes designs; each is simulated once and kept when it meets B
   (where proposals rarely meet B a chain gives several draws, and only its first that meets B is kept:
   ``HITS_PER_CHAIN``); the metrics of kept designs join the x_j for the next round. Kept designs are distributed
   as q(θ) P(x ∈ B | θ), q the model's band posterior as its chains reach it after a short warm-up
   (``SEQUENTIAL_WARMUP_STEPS``): where the model is right they lean to the designs that meet B most reliably, so
   they meet it at least as often as exact answers, and the cost per design is 1 / (q's hit rate).
4. ``route="auto"`` measures both: after round 0 it runs one sequential round and takes the route whose measured
   seconds per kept design are lower (a wide target or a fast simulator favours rejection) among those expected to
   find the designs within the budget, and says why. Rejection's projection is revisited after each of its rounds
   with every prior simulation so far: once it no longer fits the budget, the run switches to the model's
   proposals (a lucky round 0 can overstate a rare target's prior mass). As the choice rests on measured speed, a
   seed reproduces the designs for a given route: pass ``route=`` (the result's ``route``) to reproduce a run on
   another machine.
5. **P(meet)**: each design is simulated ``replicates`` more times with fresh noise; its P(meet) is the fraction
   meeting B, and designs rank by it and by margin, never by one noisy draw. ``robust=p`` returns designs with
   P(meet) ≥ p: chosen by an empirical-Bayes screen of repeated simulations (:mod:`dnre_core.robust`), which
   corrects for the luck of designs selected on noisy counts, and reported on a fresh set.

Without a simulator (``route="amortized"``) the designs are the model's band posterior alone, conditioned on
``reference_x`` (simulations of prior designs, such as the model's training data), and carry no P(meet).
Simulations run through :func:`dnre_core.simulation.simulate_parameters` (local pool or Ray) and are all counted and
kept; a simulator that raises or returns NaN rows is counted and reported, never a crash.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import beta
from torch.distributions import Distribution

from .band_posterior import MIN_INSIDE, band_reference, sample_band_posterior
from .constraints import DesignConstraint, ExactMetric, constrained_prior_sample
from .diagnostics import ChainDiagnostics
from .estimators import RatioEstimator
from .priors import prior_dimension, prior_from_config
from .robust import Screen, share_reaching
from .simulation import Simulator, simulate_parameters
from .targets import Target
from .validation import InputError

ROUTES = ("auto", "sequential", "rejection", "amortized")
DEFAULT_REPLICATES = 10
ROUND_SIZE = 1000  # designs simulated in round 0, and chains in the first sequential round
# MH warm-up steps of a sequential round's chains, against the amortized route's 300: the simulator keeps only the
# proposals that meet B, and the design suite (BENCHMARKS.md) finds the kept designs as close to the exact band
# posterior after 100 steps from resampled prior starts, at a third of the sampling.
SEQUENTIAL_WARMUP_STEPS = 100
# Draws per chain of a sequential round. Where the proposals rarely meet B, a round's cost is mostly each chain's start
# and warm-up, so a chain gives k draws, k = ⌊HITS_PER_CHAIN / h⌋ within [1, MAX_DRAWS_PER_CHAIN] for the last round's
# hit rate h (one draw per chain in the first round and wherever h > HITS_PER_CHAIN / 2). Only the first draw of a
# chain that meets B is kept: a chain's draws are correlated and share its conditioning x_j, so siblings would cluster
# the designs. A chain then yields a design with probability 1 − (1 − P_j)^k instead of k·P_j, P_j its draws' chance
# to meet B: with k·h ≤ HITS_PER_CHAIN the chains are reweighted by about (k − 1)·P_j / 2, a few percent on average.
HITS_PER_CHAIN = 0.1
MAX_DRAWS_PER_CHAIN = 8


class Stop(Exception):
    """Ends the search with what it has found: the budget is spent ("budget") or the caller asked ("stopped")."""


@dataclass
class DesignProgress:
    """What a running design has done so far, for a live display.

    ``stage``: "round 0", "rejection", "sequential", "P(meet)"; ``hit_rate``: the fraction of the latest round's
    simulations that met every band; ``found``: designs kept so far; ``simulations``: all made so far; ``rounds``:
    the records of :attr:`DesignResult.rounds`; ``chains``: the amortized sampler's diagnostics while it runs.
    """

    stage: str
    simulations: int
    found: int = 0
    hit_rate: float = math.nan
    rounds: list[dict[str, Any]] = field(default_factory=list)
    chains: ChainDiagnostics | None = None
    message: str = ""


DesignCallback = Callable[[DesignProgress], Any]


@dataclass
class DesignResult:
    """Designs for a target and the evidence behind them.

    Attributes:
        theta: (n, D) designs.
        x: (n, L) metrics of one fresh simulation of each design (NaN without a simulator).
        meets: (n,) whether that simulation met every band.
        p_meet: (n,) fraction of ``p_meet_simulations`` fresh simulations that met every band (NaN without).
        p_meet_simulations: (n,) simulations behind each P(meet) (a failed one counts as not meeting).
        margin: (n,) signed distance of the median fresh simulation to the edges of the bands on metrics that are
            not exact, in units of each metric's spread (positive inside; see :meth:`BandCheck.margin`).
        route: "sequential", "rejection" or "amortized"; ``route_reason`` says why, in words.
        rounds: per round: round, route, simulations, hits (simulations meeting B), kept (designs kept from them),
            hit_rate (hits / simulations), draws_per_chain (of the model's proposals; None for prior designs),
            seconds.
        simulations_used: every simulation the call made; ``search_simulations`` those before P(meet).
        diagnostics: the last amortized sampler run's chain diagnostics (None when it did not run).
        theta_simulated, x_simulated: every simulation made (θ, x), for reuse as training data.
        failed_simulations: simulations that returned NaN or raised; ``errors`` the messages of raised ones.
        warnings: plain-language warnings about the answer.
    """

    theta: np.ndarray
    x: np.ndarray
    meets: np.ndarray
    p_meet: np.ndarray
    p_meet_simulations: np.ndarray
    margin: np.ndarray
    target: Target
    parameter_names: list[str]
    metric_names: list[str]
    route: str
    route_reason: str
    rounds: list[dict[str, Any]]
    simulations_used: int
    search_simulations: int
    seconds: float
    diagnostics: ChainDiagnostics | None
    theta_simulated: np.ndarray
    x_simulated: np.ndarray
    failed_simulations: int
    errors: list[str]
    warnings: list[str]
    units: dict[str, str] = field(default_factory=dict)
    robust: float | None = None
    stopped: str = "done"

    @property
    def hit_rate(self) -> float:
        """Mean P(meet): the fraction of fresh simulations of the designs that met every band (NaN without)."""
        return float(np.mean(self.p_meet)) if len(self.p_meet) and np.isfinite(self.p_meet).all() else math.nan

    def ranking(self) -> np.ndarray:
        """Design indices, best first: by P(meet), then by margin (never by one noisy draw)."""
        return np.lexsort((-np.nan_to_num(self.margin, nan=-np.inf), -np.nan_to_num(self.p_meet, nan=-1.0)))

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per design: parameters, fresh simulated metrics (``sim: name``), meets,
        P(meet), its simulation count and margin; a unit in brackets after a name where one is known."""
        import pandas as pd

        def label(name: str) -> str:
            unit = self.units.get(name)
            return f"{name} [{unit}]" if unit else name

        frame = pd.DataFrame(self.theta, columns=[label(n) for n in self.parameter_names])
        for k, name in enumerate(self.metric_names):
            frame[f"sim: {label(name)}"] = self.x[:, k]
        frame["meets"] = self.meets
        frame["P(meet)"] = self.p_meet
        frame["P(meet) simulations"] = self.p_meet_simulations
        frame["margin"] = self.margin
        return frame

    def summary(self) -> dict[str, Any]:
        """JSON-able summary (no arrays)."""
        return {
            "route": self.route, "route_reason": self.route_reason, "num_designs": len(self.theta),
            "hit_rate": self.hit_rate, "simulations_used": self.simulations_used,
            "search_simulations": self.search_simulations, "seconds": self.seconds, "rounds": self.rounds,
            "failed_simulations": self.failed_simulations, "errors": self.errors[:20], "warnings": self.warnings,
            "target": self.target.to_dict(), "robust": self.robust, "stopped": self.stopped,
        }


@dataclass(frozen=True)
class BandCheck:
    """The target read against the simulator's metrics, in units of each metric's spread ``scale`` (L,)."""

    target: Target
    metric_names: list[str]
    scale: np.ndarray
    exact: tuple[str, ...] = ()  # metrics whose bands restrict the designs directly (:mod:`.constraints`)

    def distance(self, x: np.ndarray) -> np.ndarray:
        """(N,) ≥ 0, 0 exactly for rows of x (N, L) meeting every band, inf for NaN rows."""
        return self.target.violation(x, self.metric_names, self.scale)

    def meets(self, x: np.ndarray) -> np.ndarray:
        return self.distance(x) == 0

    def margin(self, x: np.ndarray) -> np.ndarray:
        """(N,) signed distance to the edges of the bands on metrics that are not exact (positive inside): a band on
        an exact metric holds by construction, so its edge says nothing about how reliably a design meets the target
        under noise ("no interferences", met exactly at its edge, would make every margin 0)."""
        noisy = Target({name: band for name, band in self.target.bands.items() if name not in self.exact})
        return (noisy if noisy.stated else self.target).margin(x, self.metric_names, self.scale)


class SimulationLedger:
    """Runs, counts and keeps every simulation of a design call, against a budget.

    :meth:`simulate` returns x (n, L) with NaN rows for failures, and raises :class:`Stop` when the budget would be
    exceeded or ``should_stop()`` says so.
    """

    def __init__(self, simulator: Simulator, x_dim: int, rng: np.random.Generator, max_simulations: int,
                 num_workers: int, backend: str, batch_size: int, should_stop: Callable[[], bool]):
        self.simulator, self.x_dim, self.rng = simulator, x_dim, rng
        self.max_simulations = max_simulations
        self.num_workers, self.backend, self.batch_size = num_workers, backend, batch_size
        self.should_stop = should_stop
        self.theta: list[np.ndarray] = []
        self.x: list[np.ndarray] = []
        self.errors: list[str] = []
        self.used = 0
        self.reserve = 0  # simulations held back for the final P(meet) replicates
        self.seconds = 0.0

    @property
    def room(self) -> int:
        return self.max_simulations - self.used - self.reserve

    def simulate(self, theta: np.ndarray) -> np.ndarray:
        if self.should_stop():
            raise Stop("stopped")
        if len(theta) > self.room:
            raise Stop("budget")

        def check(done: int, total: int) -> None:
            if self.should_stop():
                raise Stop("stopped")

        tick = time.perf_counter()
        x, errors = simulate_parameters(self.simulator, theta, self.x_dim, seed=int(self.rng.integers(2**31)),
                                        batch_size=self.batch_size, num_workers=self.num_workers,
                                        backend=self.backend, progress=check)
        self.seconds += time.perf_counter() - tick
        self.used += len(theta)
        self.errors.extend(errors)
        self.theta.append(np.asarray(theta, dtype=np.float64))
        self.x.append(x)
        return x

    @property
    def failed(self) -> int:
        return int(sum((~np.isfinite(x).all(axis=1)).sum() for x in self.x))

    def everything(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        if not self.theta:
            return np.empty((0, dim)), np.empty((0, self.x_dim))
        return np.concatenate(self.theta), np.concatenate(self.x)


@dataclass
class Search:
    """Everything one design call shares between its stages."""

    estimator: RatioEstimator | None
    prior: Distribution
    bands: BandCheck
    constraint: DesignConstraint | None
    ledger: SimulationLedger
    rng: np.random.Generator
    sampler: str
    report: Callable[[DesignProgress], None]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    found: int = 0
    reference_x: list[np.ndarray] = field(default_factory=list)
    starts: list[np.ndarray] = field(default_factory=list)
    diagnostics: ChainDiagnostics | None = None
    moved: bool = False
    screened: tuple[np.ndarray, np.ndarray] | None = None  # robust candidates' (hits, trials), simulated again

    def record(self, route: str, simulations: int, kept: int, seconds: float, hits: int | None = None,
               draws_per_chain: int | None = None) -> None:
        """Add a round: ``hits`` of its ``simulations`` met B (default ``kept``), of which ``kept`` were kept;
        ``draws_per_chain`` of the model's proposals (None for prior designs)."""
        hits = kept if hits is None else hits
        self.found += kept
        self.rounds.append({"round": len(self.rounds), "route": route, "simulations": simulations, "hits": hits,
                            "kept": kept, "hit_rate": hits / max(simulations, 1), "draws_per_chain": draws_per_chain,
                            "seconds": seconds})
        self.report(DesignProgress(route if self.rounds[-1]["round"] else "round 0", self.ledger.used, self.found,
                                   hits / max(simulations, 1), list(self.rounds)))

    def prior_round(self, num: int, route: str) -> tuple[np.ndarray, np.ndarray]:
        """Simulate ``num`` prior designs (within the exact-metric bands); returns those that met B and their x."""
        tick = time.perf_counter()
        num = min(num, self.ledger.room)
        if num <= 0:
            raise Stop("budget")
        theta = constrained_prior_sample(self.prior, self.constraint, num, self.rng)
        x = self.ledger.simulate(theta)
        self.reference_x.append(x)
        ok = self.bands.meets(x)
        self.starts.append(theta)
        self.record(route, num, int(ok.sum()), time.perf_counter() - tick)
        return theta[ok], x[ok]

    def sequential_round(self, num: int) -> tuple[np.ndarray, np.ndarray]:
        """Propose about ``num`` designs from the model's band posterior (``draws_per_chain`` of them from each
        chain), simulate them, return those kept: the first of each chain's draws that met B."""
        tick = time.perf_counter()
        num = min(num, self.ledger.room)
        if num <= 0:
            raise Stop("budget")
        rates = [r["hit_rate"] for r in self.rounds if r["route"] == "sequential"]
        draws = min(draws_per_chain(rates[-1] if rates else None), num)
        chains = num // draws
        estimator = self.estimator
        free = self.constraint.names if self.constraint is not None else []
        reference = band_reference(self.bands.target, self.bands.metric_names, np.concatenate(self.reference_x),
                                   chains, estimator.masked, self.rng, self.bands.scale, free)
        self.moved = self.moved or reference.inside < MIN_INSIDE
        initial = None
        if self.constraint is not None:  # chains must start inside the exact-metric bands
            pool = np.concatenate(self.starts)
            initial = pool[self.rng.choice(len(pool), chains)]

        def on_chains(step: int, chains: Any, diagnostics: ChainDiagnostics) -> bool:
            self.report(DesignProgress("sequential", self.ledger.used, self.found, chains=diagnostics,
                                       rounds=list(self.rounds), message=f"model proposals: step {step} of "
                                       f"{diagnostics.total_steps}"))
            return not self.ledger.should_stop()

        samples, self.diagnostics = sample_band_posterior(
            estimator, self.prior, reference, sampler=self.sampler, seed=int(self.rng.integers(2**31)),
            callback=on_chains, feasible=None if self.constraint is None else self.constraint.feasible,
            initial=initial, warmup_steps=SEQUENTIAL_WARMUP_STEPS, draws_per_chain=draws)
        if self.ledger.should_stop():
            raise Stop("stopped")
        theta = samples.double().numpy()
        x = self.ledger.simulate(theta)
        hits = self.bands.meets(x)
        ok = first_hit_per_chain(hits, chains)
        self.reference_x.append(x[ok])
        self.starts.append(theta[ok])
        self.record("sequential", len(theta), int(ok.sum()), time.perf_counter() - tick, hits=int(hits.sum()),
                    draws_per_chain=draws)
        return theta[ok], x[ok]


def draws_per_chain(hit_rate: float | None) -> int:
    """Draws per chain for a sequential round after one whose proposals met B at ``hit_rate`` (None: no such
    round yet): ⌊HITS_PER_CHAIN / hit_rate⌋ within [1, MAX_DRAWS_PER_CHAIN]."""
    if hit_rate is None:
        return 1
    if hit_rate <= 0:
        return MAX_DRAWS_PER_CHAIN
    return int(min(max(math.floor(HITS_PER_CHAIN / hit_rate), 1), MAX_DRAWS_PER_CHAIN))


def first_hit_per_chain(hits: np.ndarray, num_chains: int) -> np.ndarray:
    """(k·C,) booleans → the same with only each chain's first True left; draws are ordered draw by draw across the
    C chains (all chains' first draw, then their second...), as :func:`sample_band_posterior` returns them."""
    grid = hits.reshape(-1, num_chains)
    return (grid & (np.cumsum(grid, axis=0) == 1)).reshape(-1)


def inverse_design(estimator: RatioEstimator | None, target: Target | Mapping[str, Any] | str,
                   simulator: Simulator | None = None, num_designs: int = 1000, seed: int | None = None,
                   callback: DesignCallback | None = None, *, prior: Distribution | None = None,
                   metric_names: Sequence[str] | None = None, parameter_names: Sequence[str] | None = None,
                   exact_metrics: Mapping[str, ExactMetric] | None = None, route: str = "auto",
                   robust: float | None = None, replicates: int = DEFAULT_REPLICATES,
                   max_simulations: int = 1_000_000, reference_x: np.ndarray | None = None, sampler: str = "mh",
                   num_workers: int = 1, backend: str = "local", batch_size: int = 1000) -> DesignResult:
    """Designs whose simulated metrics meet ``target`` (see the module docstring).

    Args:
        estimator: a trained ratio estimator (its metadata gives the prior, the metric and parameter names, and
            ``units``), or None with a simulator (then ``prior`` and ``metric_names`` are required).
        target: a :class:`Target`, a ``{metric: (low, high)}`` mapping, or text such as ``"mass<=4.5"``.
        simulator: ``simulator(theta (n, D) ndarray, seed=int) -> x (n, L)``; None: amortized designs only.
        num_designs: how many designs to return.
        seed: makes the whole call reproducible (None: fresh randomness).
        callback: ``callback(DesignProgress)`` after every round and sampler update; returning False stops the
            run, which keeps what it has found.
        exact_metrics: {metric name: f(θ (n, D)) → (n,)} for metrics that are exact, cheap functions of the
            design; bands on them restrict the designs proposed (:mod:`dnre_core.constraints`).
        route: "auto" (measured choice), "sequential" (needs an estimator), "rejection", or "amortized".
        robust: return designs with P(meet) ≥ robust instead (needs a simulator and ``replicates`` ≥ 1).
        replicates: fresh simulations per design behind P(meet) (0: none).
        max_simulations: budget for the whole call, P(meet) included.
        reference_x: simulated prior-predictive metrics (M, L) to condition the model on: required without a
            simulator; with one they are added to round 0's.
        sampler: "mh" or "hmc" for the model's band posterior.
        num_workers, backend, batch_size: how simulations run (see :func:`dnre_core.simulate_for_sbi`).
    """
    started = time.perf_counter()
    _check_options(estimator, simulator, route, num_designs, replicates, robust, max_simulations)
    prior, metric_names, parameter_names = _problem(estimator, prior, metric_names, parameter_names)
    target = Target.coerce(target)
    target.check_names(metric_names)
    unknown = sorted(set(exact_metrics or {}) - set(metric_names))
    if unknown:
        raise InputError(f"exact_metrics names unknown metric(s) {unknown}; the metrics are {metric_names}.")
    constraint = DesignConstraint.from_target(target, exact_metrics)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    stop_requested = False

    def report(progress: DesignProgress) -> None:
        nonlocal stop_requested
        if callback is not None and callback(progress) is False:
            stop_requested = True

    common = {"target": target, "parameter_names": parameter_names, "metric_names": metric_names,
              "units": dict((estimator.metadata.get("units") or {}) if estimator is not None else {})}
    if simulator is None or route == "amortized":
        return _amortized(estimator, prior, target, constraint, reference_x, num_designs, rng, sampler, report,
                          lambda: stop_requested, started, common)
    ledger = SimulationLedger(simulator, len(metric_names), rng, int(max_simulations), int(num_workers), backend,
                              int(batch_size), lambda: stop_requested)
    tick = time.perf_counter()
    theta0 = constrained_prior_sample(prior, constraint, ROUND_SIZE, rng)
    try:
        x0 = ledger.simulate(theta0)
    except Stop as reason:
        raise InputError(f"The first {ROUND_SIZE} simulations do not fit ({reason}); raise max_simulations.") from None
    bands = BandCheck(target, metric_names, metric_scale(x0, estimator), tuple(constraint.names if constraint else ()))
    search = Search(estimator, prior, bands, constraint, ledger, rng, sampler, report)
    search.reference_x = [x0] + ([np.asarray(reference_x, dtype=np.float64)] if reference_x is not None else [])
    search.starts = [theta0]
    ok0 = search.bands.meets(x0)
    search.record("round 0", len(theta0), int(ok0.sum()), time.perf_counter() - tick)
    found = [(theta0[ok0], x0[ok0])]
    passed: list[np.ndarray] = []  # robust designs
    stopped = "done"
    plan = Plan(route, f"asked for: the {route} route", reserve=int(replicates) * num_designs)
    try:
        if route == "auto":
            plan.route, plan.reason, first = _choose_route(search, int(ok0.sum()), len(theta0), num_designs,
                                                           plan.reserve)
            plan.may_switch = plan.route == "rejection" and search.estimator is not None
            found += first
        batches = _batches(search, plan, num_designs)
        if robust is None:
            _collect(found, batches, num_designs)
        else:
            _robust(search, found, batches, float(robust), int(replicates), num_designs, passed)
    except Stop as why:
        stopped = str(why)
        if plan.route == "auto":  # stopped while measuring the routes: what round 0 found is all there is
            plan.route, plan.reason = "rejection", "stopped while measuring the routes: the prior designs of round 0"
    chosen, reason = plan.route, plan.reason
    kept = passed if robust is not None else [t for t, _ in found]
    theta = np.concatenate(kept)[:num_designs] if kept else np.empty((0, prior_dimension(prior)))
    if not len(theta) and robust is not None and search.screened is not None and len(search.screened[0]):
        raise InputError(f"No design with P(meet) ≥ {robust:g} was found within {ledger.used:,} simulations. "
                         + _robust_outlook(search, float(robust)))
    if not len(theta):
        raise InputError("No simulated design met the target" + (" before the run was stopped" if stopped == "stopped"
                         else f" within {ledger.used:,} simulations") + ": it may be unreachable. Check the bands "
                         "against the metrics' ranges, widen them, or raise max_simulations.")
    warnings = _search_warnings(search, stopped, len(theta), num_designs, robust)
    search_simulations = ledger.used
    evidence = _p_meet(search, theta, int(replicates))
    theta_all, x_all = ledger.everything(prior_dimension(prior))
    return DesignResult(
        theta=theta, x=evidence["x"], meets=evidence["meets"], p_meet=evidence["p_meet"],
        p_meet_simulations=evidence["count"], margin=evidence["margin"], route=chosen, route_reason=reason,
        rounds=search.rounds, simulations_used=ledger.used, search_simulations=search_simulations,
        seconds=time.perf_counter() - started, diagnostics=search.diagnostics, theta_simulated=theta_all,
        x_simulated=x_all, failed_simulations=ledger.failed, errors=ledger.errors, warnings=warnings, robust=robust,
        stopped=stopped, **common)


def _check_options(estimator: RatioEstimator | None, simulator: Simulator | None, route: str, num_designs: int,
                   replicates: int, robust: float | None, max_simulations: int) -> None:
    if route not in ROUTES:
        raise InputError(f"Unknown route {route!r}; choose one of {ROUTES}.")
    if int(num_designs) != num_designs or num_designs < 1:
        raise InputError(f"num_designs must be a positive integer; got {num_designs!r}.")
    if int(replicates) != replicates or replicates < 0:
        raise InputError(f"replicates must be 0 or a positive integer; got {replicates!r}.")
    if int(max_simulations) != max_simulations or max_simulations < 1:
        raise InputError(f"max_simulations must be a positive integer; got {max_simulations!r}.")
    if robust is not None and not (isinstance(robust, (int, float)) and 0.0 < float(robust) <= 1.0):
        raise InputError(f"robust must be a probability in (0, 1]; got {robust!r}.")
    if robust is not None and (simulator is None or replicates < 1):
        raise InputError("Robust designs need a simulator and replicates ≥ 1 to estimate P(meet).")
    if simulator is None and route in ("sequential", "rejection"):
        raise InputError(f"The {route} route needs a simulator; without one only the amortized route is possible.")
    if estimator is None and route in ("sequential", "amortized"):
        raise InputError(f"The {route} route needs a trained estimator.")
    if estimator is None and simulator is None:
        raise InputError("Give a trained estimator, a simulator, or both.")


def _choose_route(search: Search, hits: int, simulations: int, num_designs: int, reserve: int
                  ) -> tuple[str, str, list[tuple[np.ndarray, np.ndarray]]]:
    """Rejection or sequential, by measured seconds per kept design, among the routes expected to find
    ``num_designs`` within the budget (less ``reserve`` simulations kept for P(meet)); returns the route, why, and
    what the measuring round kept (sequential designs are kept only if that route is taken)."""
    rate = hits / simulations
    seconds_per_simulation = search.rounds[0]["seconds"] / simulations  # drawing (within exact bands) + simulating
    if hits >= num_designs:
        return "rejection", f"round 0 found all {num_designs} designs among {simulations:,} prior designs", []
    if search.estimator is None:
        return "rejection", "no model: rejection from the prior", []
    rejection_seconds = seconds_per_simulation / rate if hits else math.inf
    tick = time.perf_counter()
    theta, x = search.sequential_round(min(ROUND_SIZE, max(100, 2 * (num_designs - hits))))
    seconds = time.perf_counter() - tick
    proposed = search.rounds[-1]["simulations"]
    sequential_seconds = seconds / len(theta) if len(theta) else math.inf
    prior_text = f"{rate:.2%} of {simulations:,} prior designs" if hits else f"none of {simulations:,} prior designs"
    model_text = f"{len(theta) / proposed:.1%} of {proposed:,} model proposals"
    # the simulations each route is expected to need for the designs still missing, against what the budget has left
    room = search.ledger.room - reserve
    rejection_needs = _rejection_needs(hits, simulations, num_designs - hits)
    sequential_needs = (num_designs - hits - len(theta)) * proposed / len(theta) if len(theta) else math.inf
    if rejection_needs > room and sequential_needs <= room:
        return "sequential", (f"{prior_text} met the target and {model_text}: rejection from the prior could need "
                              f"about {rejection_needs:,.0f} more simulations, more than the {room:,} the budget "
                              f"has left (P(meet) set aside); the model's proposals need about "
                              f"{sequential_needs:,.0f}"), [(theta, x)]
    if rejection_seconds <= sequential_seconds:
        search.found -= len(theta)  # the measuring round's designs are not exact answers: rejection starts without them
        return "rejection", (f"{prior_text} met the target and {model_text}: rejection from the prior "
                             f"({_per(rejection_seconds)} per design, exact) is cheaper than the model's proposals "
                             f"({_per(sequential_seconds)})"), []
    return "sequential", (f"{prior_text} met the target and {model_text}: the model's proposals "
                          f"({_per(sequential_seconds)} per design) are cheaper than rejection from the prior "
                          f"({_per(rejection_seconds)})"), [(theta, x)]


def _per(seconds: float) -> str:
    return "no design found" if not math.isfinite(seconds) else f"{seconds * 1000:.3g} ms"


def _rejection_needs(hits: int, simulations: int, missing: int) -> float:
    """Prior simulations that rejection is expected to need for ``missing`` more designs, from the low end of the
    90 % interval (Clopper-Pearson) of its hit rate ``hits / simulations``: a few lucky hits can overstate the rate
    several times."""
    low_rate = float(beta.ppf(0.05, hits, simulations - hits + 1)) if hits else 0.0
    return missing / low_rate if low_rate > 0 else math.inf


@dataclass
class Plan:
    """The route a design call takes and why; ``may_switch`` when auto chose rejection and the model's proposals
    remain as the fallback; ``reserve`` simulations are kept for P(meet)."""

    route: str
    reason: str
    reserve: int = 0
    may_switch: bool = False


def _reconsider(search: Search, plan: Plan, num_designs: int) -> None:
    """Switch an auto-chosen rejection to the model's proposals once every prior simulation so far says rejection
    will not find the missing designs within the budget, and the measuring round says the proposals will."""
    prior = [r for r in search.rounds if r["route"] in ("round 0", "rejection")]
    proposals = [r for r in search.rounds if r["route"] == "sequential"]
    hits, simulations = sum(r["kept"] for r in prior), sum(r["simulations"] for r in prior)
    proposed, kept = sum(r["simulations"] for r in proposals), sum(r["kept"] for r in proposals)
    # what the budget leaves after the P(meet) set, which a robust search already holds back in the ledger
    ledger = search.ledger
    missing = num_designs - search.found
    room = ledger.max_simulations - ledger.used - max(plan.reserve, ledger.reserve)
    if len(prior) < 2 or not kept or missing <= 0:
        return
    rejection_needs = _rejection_needs(hits, simulations, missing)
    sequential_needs = missing * proposed / kept
    if rejection_needs > room >= sequential_needs:
        plan.route, plan.may_switch = "sequential", False
        plan.reason += (f"; then {hits / simulations:.2%} of {simulations:,} prior designs had met it, so rejection "
                        f"could need about {rejection_needs:,.0f} more simulations, more than the {room:,} left: "
                        f"switched to the model's proposals (about {sequential_needs:,.0f})")


def _batches(search: Search, plan: Plan, num_designs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless batches of kept designs (θ, x) from ``plan.route``; each round is sized from the last hit rate."""
    while True:
        if plan.may_switch:
            _reconsider(search, plan, num_designs)
        route = plan.route
        sources = ("round 0", "rejection") if route == "rejection" else ("sequential",)
        rates = [r["kept"] / max(r["simulations"], 1) for r in search.rounds if r["route"] in sources]
        rate = max(rates[-1] if rates else 0.1, 0.01)
        if route == "rejection":
            yield search.prior_round(int(min(max(1.2 * num_designs / rate, 1000), 50_000)), "rejection")
        else:
            yield search.sequential_round(int(min(max(1.2 * num_designs / rate, 200), 5000)))


def _collect(found: list[tuple[np.ndarray, np.ndarray]], batches: Iterator[tuple[np.ndarray, np.ndarray]],
             num_designs: int) -> None:
    """Append new batches of kept designs to ``found`` until it holds ``num_designs`` (a Stop keeps what it has)."""
    while sum(len(t) for t, _ in found) < num_designs:
        found.append(next(batches))


def _robust(search: Search, found: list[tuple[np.ndarray, np.ndarray]],
            batches: Iterator[tuple[np.ndarray, np.ndarray]], level: float, replicates: int,
            num_designs: int, passed: list[np.ndarray]) -> None:
    """Append designs with P(meet) ≥ ``level`` to ``passed`` until it holds ``num_designs``.

    Candidates (designs that met B once) get ``replicates`` fresh simulations at a time, up to four times; an
    empirical-Bayes screen (:mod:`dnre_core.robust`) keeps a design once it has two sets and its posterior mean
    P(meet) is ≥ ``level``, and drops it once reaching the level is unlikely. The caller reports P(meet) from a
    further fresh set; the budget keeps room for that set."""
    screen = Screen(level, 2 * replicates, 4 * replicates)
    search.ledger.reserve = replicates * num_designs
    theta = np.concatenate([t for t, _ in found]) if found else np.empty((0, prior_dimension(search.prior)))
    hits, trials = np.zeros(len(theta)), np.zeros(len(theta))
    open_ = np.ones(len(theta), dtype=bool)
    kept = 0
    try:
        while kept < num_designs:
            if not open_.any():
                new = next(batches)[0]
                theta = np.concatenate([theta, new])
                hits = np.concatenate([hits, np.zeros(len(new))])
                trials = np.concatenate([trials, np.zeros(len(new))])
                open_ = np.concatenate([open_, np.ones(len(new), dtype=bool)])
                continue
            index = np.flatnonzero(open_)
            hits[index] += np.rint(_replicate(search, theta[index], replicates)["p_meet"] * replicates)
            trials[index] += replicates
            keep, drop = screen.decide(hits, trials)
            newly = keep & open_
            open_ &= ~(keep | drop)
            if newly.any():
                passed.append(theta[newly][: num_designs - kept])
                kept += len(passed[-1])
                search.report(DesignProgress("P(meet)", search.ledger.used, kept, rounds=list(search.rounds),
                                             message=f"{int(newly.sum())} more designs with P(meet) ≥ {level:g}"))
    finally:  # what the screen saw, for the outlook when too few designs reach the level
        search.screened = hits[trials > 0], trials[trials > 0]


def _replicate(search: Search, theta: np.ndarray, replicates: int) -> dict[str, Any]:
    """Simulate each row of θ (n, D) ``replicates`` times → x of the first replicate (n, L), meets (n,),
    p_meet (n,), count (n,) and the margin (n,) of the median replicate."""
    n = len(theta)
    x = search.ledger.simulate(np.repeat(theta, replicates, axis=0)).reshape(n, replicates, -1)
    hits = search.bands.meets(x.reshape(n * replicates, -1)).reshape(n, replicates)
    with np.errstate(all="ignore"):
        median_x = np.nanmedian(x, axis=1)
    return {"x": x[:, 0], "meets": hits[:, 0], "p_meet": hits.mean(axis=1), "count": np.full(n, replicates),
            "margin": search.bands.margin(median_x)}


def _no_evidence(n: int, x_dim: int) -> dict[str, Any]:
    return {"x": np.full((n, x_dim), np.nan), "meets": np.zeros(n, dtype=bool), "p_meet": np.full(n, np.nan),
            "count": np.zeros(n, dtype=int), "margin": np.full(n, np.nan)}


def _p_meet(search: Search, theta: np.ndarray, replicates: int) -> dict[str, Any]:
    """P(meet) of designs θ (n, D) from ``replicates`` fresh simulations each (NaN when 0 or the budget is spent)."""
    search.ledger.reserve = 0
    if replicates < 1:
        return _no_evidence(len(theta), search.ledger.x_dim)
    search.report(DesignProgress("P(meet)", search.ledger.used, len(theta), rounds=list(search.rounds),
                                 message=f"simulating each design {replicates} times"))
    try:
        return _replicate(search, theta, replicates)
    except Stop:
        return _no_evidence(len(theta), search.ledger.x_dim)


def _robust_outlook(search: Search, level: float) -> str:
    """How common designs with P(meet) ≥ ``level`` are among the candidates the screen simulated again: the mass of
    the empirical-Bayes fit of their counts at or above the level, so a user knows whether a larger budget or a
    lower level (or wider bands) is the remedy."""
    if search.screened is None or not len(search.screened[0]):
        return "No candidate design was simulated again, so how common robust designs are is not known."
    share = share_reaching(*search.screened, level)
    advice = ("such designs are rare for this target: lower the level or widen the bands" if share < 0.01
              else "a larger budget (max_simulations) finds more")
    return (f"Of the {len(search.screened[0]):,} candidates that met the bands and were simulated again, an "
            f"estimated {share:.1%} reach P(meet) ≥ {level:g} (fitted to their counts): {advice}.")


def _search_warnings(search: Search, stopped: str, found: int, num_designs: int, robust: float | None) -> list[str]:
    warnings = []
    if stopped != "done":
        why = "the budget of simulations was spent" if stopped == "budget" else "the run was stopped"
        warnings.append(f"The search ended early ({why}) with {found} of the {num_designs} designs asked for.")
    elif found < num_designs and robust is not None:
        warnings.append(f"Only {found} design(s) with P(meet) ≥ {robust:g} were found.")
    if found < num_designs and robust is not None:
        warnings.append(_robust_outlook(search, robust))
    if search.moved:
        warnings.append("Few simulated metrics lay inside the bands at first: the model was conditioned on the "
                        "nearest ones, moved into the bands, and only designs whose simulation met them were kept.")
    return warnings


def metric_scale(x: np.ndarray, estimator: RatioEstimator | None = None) -> np.ndarray:
    """Per-metric spread (L,) that makes distances to the bands comparable across metrics: the interquartile range
    of the simulated metrics x (N, L) / 1.349 (a standard deviation for normal data), falling back to their
    standard deviation, the estimator's, and 1 where those are 0."""
    with np.errstate(all="ignore"):
        finite = x[np.isfinite(x).all(axis=1)]
        if len(finite) >= 4:
            q25, q75 = np.percentile(finite, [25, 75], axis=0)
            scale = np.where(q75 > q25, (q75 - q25) / 1.349, finite.std(axis=0))
        else:
            scale = np.zeros(x.shape[1])
    if estimator is not None:
        scale = np.where(scale > 0, scale, estimator.x_norm.std.detach().cpu().numpy())
    return np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)


def _problem(estimator: RatioEstimator | None, prior: Distribution | None, metric_names: Sequence[str] | None,
             parameter_names: Sequence[str] | None) -> tuple[Distribution, list[str], list[str]]:
    meta = estimator.metadata if estimator is not None else {}
    prior = prior if prior is not None else prior_from_config(meta.get("prior"))
    if prior is None:
        raise InputError("No prior: pass prior= (the estimator's metadata does not describe one).")
    metric_names = list(metric_names or meta.get("metric_names") or [])
    if not metric_names:
        raise InputError("No metric names: pass metric_names= (the estimator's metadata has none), so that the "
                         "target's bands can be matched to the simulator's outputs.")
    if estimator is not None and len(metric_names) != estimator.x_dim:
        raise InputError(f"{len(metric_names)} metric names for an estimator of {estimator.x_dim} metrics.")
    dim = prior_dimension(prior)
    parameter_names = list(parameter_names or meta.get("parameter_names") or [f"theta_{i}" for i in range(dim)])
    if len(parameter_names) != dim:
        raise InputError(f"{len(parameter_names)} parameter names for a prior of {dim} parameters.")
    return prior, metric_names, parameter_names


def _amortized(estimator: RatioEstimator, prior: Distribution, target: Target, constraint: DesignConstraint | None,
               reference_x: np.ndarray | None, num_designs: int, rng: np.random.Generator, sampler: str,
               report: Callable[[DesignProgress], None], should_stop: Callable[[], bool], started: float,
               common: dict[str, Any]) -> DesignResult:
    """Designs from the model's band posterior alone (no simulator); a stop keeps the chains' draws so far."""
    metric_names = common["metric_names"]
    if reference_x is None:
        raise InputError("Without a simulator, designs come from the model alone and need reference_x: metrics "
                         "(M, L) of simulated prior designs, such as the model's training data.")
    reference_x = np.asarray(reference_x, dtype=np.float64)
    if reference_x.ndim != 2 or reference_x.shape[1] != len(metric_names):
        raise InputError(f"reference_x must be (M, {len(metric_names)}); got {reference_x.shape}.")
    scale = metric_scale(reference_x, estimator)
    free = constraint.names if constraint is not None else []
    reference = band_reference(target, metric_names, reference_x, num_designs, estimator.masked, rng, scale, free)
    initial = constrained_prior_sample(prior, constraint, num_designs, rng) if constraint is not None else None

    def on_chains(step: int, chains: Any, diagnostics: ChainDiagnostics) -> bool:
        report(DesignProgress("amortized", 0, chains=diagnostics,
                              message=f"model proposals: step {step} of {diagnostics.total_steps}"))
        return not should_stop()

    samples, diagnostics = sample_band_posterior(
        estimator, prior, reference, sampler=sampler, seed=int(rng.integers(2**31)), callback=on_chains,
        feasible=None if constraint is None else constraint.feasible, initial=initial)
    theta = samples.double().numpy()
    if not len(theta):
        raise InputError("The run was stopped before the model's chains kept any design (during their warm-up).")
    warnings = ["No simulator: these designs are the model's answer alone and have not been simulated; validate "
                "them with the simulator before trusting them."]
    if reference.inside < MIN_INSIDE:
        warnings.append(f"Only {reference.inside} reference simulations lay inside the bands; the model conditioned "
                        "on the nearest ones, moved into the bands, so the designs approximate the band posterior.")
    warnings.extend(diagnostics.warnings())
    evidence = _no_evidence(len(theta), len(metric_names))
    return DesignResult(
        theta=theta, x=evidence["x"], meets=evidence["meets"], p_meet=evidence["p_meet"],
        p_meet_simulations=evidence["count"], margin=evidence["margin"], route="amortized",
        route_reason="no simulator: the model's band posterior, conditioned on reference simulations", rounds=[],
        simulations_used=0, search_simulations=0, seconds=time.perf_counter() - started, diagnostics=diagnostics,
        theta_simulated=np.empty((0, theta.shape[1])), x_simulated=np.empty((0, len(metric_names))),
        failed_simulations=0, errors=[], warnings=warnings, stopped="stopped" if should_stop() else "done", **common)
