"""Run benchmark cells (task, method, sampler, observation, seed) at a simulation budget, resumably.

Per (task, method, seed) the method is trained once on ``budget`` simulations and reused for every sampler and
observation (the estimators are amortised). Per cell: C2ST of ``num_posterior_samples`` posterior draws against the
first ``num_reference_samples`` of sbibm's 10,000 reference samples (sbibm's protocol: 10,000 against 10,000), log
posterior density at the true parameter, training and sampling wall time, min bulk ESS per second. Per (task,
method, sampler, seed): expected coverage on ``coverage_pairs`` held-out (θ, x) pairs (none with 0: a C2ST-only
run; deferred with ``defer_coverage``, so that a later run adds them to the cells). sbi's peers are measured with
their one sampler (:data:`~benchmarks.methods.PEER_SAMPLER`) whatever samplers are requested. Every result is
appended to the results file as soon as it exists; a rerun skips what is there. A failure (training, sampling, a
metric) is recorded in place of its results, not raised.

A results file holds one configuration: its records state the settings, method options and sampler options that
made them, and a run whose configuration differs (a changed library default, other settings) is refused: it goes
into a new file. A group trained again to add records beside kept ones (more observations, deferred coverage) must
be the model behind them: its log density at the true parameter of a kept cell's observation is compared with the
stored one, and where it differs the kept records in the requested samplers and observations are measured again
too, so that every record of a (task, method, seed) comes from one model.
"""

from __future__ import annotations

import json
import math
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import Tensor
from tqdm.auto import tqdm

from benchmarks.methods import (
    METHODS,
    SAMPLERS,
    FittedMethod,
    SamplingSettings,
    TrainingSettings,
    method_options,
    sampler_options,
    samplers_for,
)
from benchmarks.model_cache import fit_or_load
from benchmarks.output import RESULTS, provenance
from benchmarks.registry import TASK_NAMES, get_task
from benchmarks.results import append_record, latest_records, read_records, record_key
from benchmarks.tasks import NUM_OBSERVATIONS, BenchmarkTask
from dnre_core import c2st, expected_coverage

# Purposes of derived seeds, so that training data, held-out pairs and MCMC runs use independent streams.
_TRAIN, _HELD_OUT, _SAMPLE, _COVERAGE_SAMPLE = range(4)


@dataclass(frozen=True)
class BenchmarkSettings:
    """How each cell is measured (defaults: sbibm's C2ST protocol and the issue's 200 coverage pairs)."""

    num_posterior_samples: int = 10_000
    num_reference_samples: int = 10_000
    coverage_pairs: int = 200
    coverage_samples: int = 100
    coverage_reference: int = 100
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)


@dataclass(frozen=True)
class _Group:
    """One training run and the cells and coverage records it still owes."""

    task: str
    method: str
    seed: int
    budget: int
    cells: tuple[tuple[str, int], ...]
    coverage_samplers: tuple[str, ...]
    method_options: dict[str, Any]
    kept: tuple[tuple[str, str, int | None], ...] = ()  # (kind, sampler, observation) of requested records that stay
    model_check: tuple[int, float] | None = None  # (observation, stored log density at its true parameter)

    @property
    def size(self) -> int:
        return len(self.cells) + len(self.coverage_samplers)

    def key(self, kind: str, sampler: str, observation: int | None) -> tuple[Any, ...]:
        """The :func:`~benchmarks.results.record_key` of one of this group's records."""
        return (kind, self.task, self.method, sampler, observation, self.seed, self.budget)


def derived_seed(*parts: int) -> int:
    """A 31-bit seed derived from integer ``parts`` (independent streams for different parts)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0] >> 1)


def run_benchmark(
    tasks: Sequence[str],
    methods: Sequence[str],
    samplers: Sequence[str],
    budget: int,
    observations: Sequence[int],
    seeds: Sequence[int],
    jobs: int = 1,
    results_path: str | Path = RESULTS / "sbibm.jsonl",
    progress: bool = True,
    settings: BenchmarkSettings | None = None,
    retry_failed: bool = False,
    defer_coverage: bool = False,
    model_cache: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Run every missing cell of tasks × methods × samplers × observations × seeds at ``budget`` simulations.

    ``jobs`` > 1 trains and evaluates that many (task, method, seed) groups in parallel processes (one torch
    thread each). A cell whose newest record failed counts as done unless ``retry_failed``. A results file whose
    records were made with other settings or method or sampler options is refused (``ValueError``).
    ``defer_coverage`` runs the cells only: the coverage records stay owed and a later run without it makes them,
    training once more. ``model_cache``: a directory where dnre_core's trained models are kept and looked up
    (:mod:`~benchmarks.model_cache`), so that later runs and studies sample the same models without training again;
    records say whether their model came from it (``model_from_cache``). Returns the newest record of every key in
    the results file (earlier runs included).
    """
    _validate(tasks, methods, samplers, budget, observations, seeds, jobs)
    settings = settings or BenchmarkSettings()
    if settings.num_posterior_samples < 10 or not 10 <= settings.num_reference_samples <= 10_000:
        raise ValueError(
            "C2ST needs at least 10 posterior samples and 10 to 10,000 reference samples; got "
            f"{settings.num_posterior_samples} and {settings.num_reference_samples}."
        )
    if settings.coverage_pairs < 0:
        raise ValueError(f"coverage_pairs must be 0 (no coverage) or more; got {settings.coverage_pairs}.")
    path = Path(results_path)
    cache_dir = None if model_cache is None else Path(model_cache)
    recorded = latest_records(read_records(path))
    options = {(task, method): method_options(method, get_task(task)) for task in tasks for method in methods}
    _check_same_configuration(recorded, settings, options, path)
    done = {record_key(r): r for r in recorded if not (retry_failed and r["status"] != "ok")}
    with_coverage = settings.coverage_pairs > 0 and not defer_coverage
    groups = [
        group
        for task in tasks
        for method in methods
        for seed in seeds
        if (group := _missing(task, method, seed, budget, samplers, observations, done, with_coverage,
                              options[(task, method)])).size
    ]
    bar = tqdm(total=sum(g.size for g in groups), desc="benchmark", unit="cell", disable=not progress)
    if jobs == 1:
        for group in groups:
            bar.set_postfix_str(f"{group.task}/{group.method}/seed {group.seed}")
            _run_group(group, settings, path, lambda: bar.update(1), cache_dir)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_run_group, group, settings, path, None, cache_dir): group for group in groups}
            for future in as_completed(futures):
                try:
                    future.result()
                except BrokenProcessPool as error:
                    unfinished = sorted(
                        f"{g.task}/{g.method}/seed {g.seed}"
                        for f, g in futures.items()
                        if not f.done() or f.exception() is not None
                    )
                    raise WorkerDiedError(
                        "A benchmark worker process stopped abruptly (the system kills a process that runs out of "
                        "memory; `dmesg` says whether it did) while these groups were unfinished: "
                        f"{', '.join(unfinished)}. The cells finished so far are kept in {path}: run the same command "
                        "again to resume it, with fewer --jobs if memory is short."
                    ) from error
                bar.update(futures[future].size)
    bar.close()
    return latest_records(read_records(path))


class WorkerDiedError(RuntimeError):
    """A worker process of a parallel benchmark run died (killed by the system, typically for lack of memory)."""


def settings_record(settings: BenchmarkSettings) -> dict[str, Any]:
    """The settings as stored in every record (JSON-able): what produced the numbers, checked on resume."""
    return json.loads(json.dumps(asdict(settings)))


def _check_same_configuration(
    records: list[dict[str, Any]],
    settings: BenchmarkSettings,
    options: dict[tuple[str, str], dict[str, Any]],
    path: Path,
) -> None:
    """Refuse to resume a results file whose records were made with other settings, or (for the requested tasks and
    methods) other method or sampler options: one file, one configuration."""
    current = settings_record(settings)
    for record in records:
        if record.get("settings") != current:
            other = record.get("settings")
            differ = sorted(k for k in current if other.get(k) != current[k]) if other else ["(not recorded)"]
            what = f"other settings ({', '.join(differ)}; recorded: {other}, now: {current})"
        elif (record["task"], record["method"]) in options and (
                record.get("method_options") != options[(record["task"], record["method"])]):
            what = (f"other {record['method']} options (recorded: {record.get('method_options')}, now: "
                    f"{options[(record['task'], record['method'])]})")
        elif record.get("sampler_options", {}) != sampler_options(record["sampler"]):
            what = (f"other {record['sampler']} sampler options (recorded: {record.get('sampler_options', {})}, now: "
                    f"{sampler_options(record['sampler'])})")
        else:
            continue
        raise ValueError(
            f"{path} holds results made with {what}. A results file holds one configuration: write this run to a "
            "new --results file, or rerun with the configuration of that file."
        )


def _validate(
    tasks: Sequence[str],
    methods: Sequence[str],
    samplers: Sequence[str],
    budget: int,
    observations: Sequence[int],
    seeds: Sequence[int],
    jobs: int,
) -> None:
    for kind, given, allowed in (
        ("task", tasks, TASK_NAMES),
        ("method", methods, METHODS),
        ("sampler", samplers, SAMPLERS),
    ):
        unknown = [name for name in given if name not in allowed]
        if unknown or not given:
            raise ValueError(f"Unknown or no {kind}(s) {unknown}; choose from {', '.join(allowed)}.")
    if not observations or any(not 1 <= o <= NUM_OBSERVATIONS for o in observations):
        raise ValueError(f"Observations must be numbers from 1 to {NUM_OBSERVATIONS}; got {list(observations)}.")
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"Seeds must be non-negative integers; got {list(seeds)}.")
    if budget < 10:
        raise ValueError(f"The simulation budget must be at least 10; got {budget}.")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1; got {jobs}.")


def _missing(
    task: str,
    method: str,
    seed: int,
    budget: int,
    samplers: Sequence[str],
    observations: Sequence[int],
    done: dict[tuple[Any, ...], dict[str, Any]],
    with_coverage: bool,
    options: dict[str, Any],
) -> _Group:
    own = samplers_for(method, samplers)
    group = _Group(task, method, seed, budget, (), (), options)
    requested = [("cell", s, o) for s in own for o in observations] + (
        [("coverage", s, None) for s in own] if with_coverage else [])
    kept = tuple(work for work in requested if group.key(*work) in done)
    cells = tuple((s, o) for kind, s, o in requested if kind == "cell" and (kind, s, o) not in kept)
    coverage = tuple(s for kind, s, _ in requested if kind == "coverage" and (kind, s, None) not in kept)
    check = next(((o, r["log_prob_true"]) for kind, s, o in kept
                  if kind == "cell" and (r := done[group.key(kind, s, o)])["status"] == "ok"
                  and r.get("log_prob_true") is not None), None)
    return replace(group, cells=cells, coverage_samplers=coverage, kept=kept, model_check=check)


def training_data(task: BenchmarkTask, budget: int, seed: int) -> tuple[Tensor, Tensor]:
    """The simulations θ (budget, D), x (budget, L) every method is trained on for ``seed``."""
    return task.sample_joint(budget, derived_seed(seed, _TRAIN))


def sampling_seed(seed: int, observation: int) -> int:
    """The seed of the posterior samples for ``observation`` in a run with ``seed``."""
    return derived_seed(seed, _SAMPLE, observation)


def use_one_thread() -> None:
    """One thread in this process for torch and for the BLAS pools of numpy, SciPy and scikit-learn (the C2ST's MLP).

    OpenBLAS otherwise starts a thread per core, so two jobs on two cores would run more busy threads than cores
    unless the shell happened to set ``OMP_NUM_THREADS=1``."""
    torch.set_num_threads(1)
    threadpool_limits(1)


def _run_group(
    group: _Group, settings: BenchmarkSettings, path: Path, tick: Callable[[], Any] | None, cache_dir: Path | None
) -> None:
    """Train once (or load the kept model), then append every owed cell and coverage record (a failure becomes a
    failed record)."""
    use_one_thread()
    base = {"task": group.task, "method": group.method, "seed": group.seed, "budget": group.budget,
            "settings": settings_record(settings), "method_options": group.method_options, **provenance()}

    def emit(record: dict[str, Any]) -> None:
        append_record(path, record)
        if tick is not None:
            tick()

    def work_fields(kind: str, sampler: str, obs: int | None) -> dict[str, Any]:
        """What a record measured beyond its group, and the sampler options it was measured with."""
        return {"kind": kind, "sampler": sampler, "sampler_options": sampler_options(sampler), "observation": obs}

    task = get_task(group.task)
    owed = [("cell", s, o) for s, o in group.cells] + [("coverage", s, None) for s in group.coverage_samplers]
    try:
        theta, x = training_data(task, group.budget, group.seed)
        fitted, from_cache = fit_or_load(group.method, task, theta, x, group.seed, settings.sampling,
                                         settings.training, cache_dir)
    except Exception:  # a method that cannot train on a task is a result, not a crash
        error = traceback.format_exc(limit=3)
        for kind, sampler, obs in owed:
            emit(base | work_fields(kind, sampler, obs) | {"status": "failed", "error": error})
        return
    base["temperature"] = fitted.temperature
    base["model_from_cache"] = from_cache
    if group.model_check is not None and not _same_model(task, fitted, *group.model_check):
        owed += list(group.kept)  # another model than the one behind the kept records: measure them again too

    for kind, sampler, obs in owed:
        values = (_guarded(_cell, task, fitted, sampler, obs, group.seed, settings) if kind == "cell"
                  else _guarded(measure_coverage, task, fitted, sampler, group.seed, settings))
        emit(base | work_fields(kind, sampler, obs) | values)


def _log_prob_true(task: BenchmarkTask, fitted: FittedMethod, obs: int) -> float:
    """The fitted method's log posterior density at observation ``obs``'s true parameter."""
    return float(fitted.log_prob(task.true_parameters(obs)[None], task.observation(obs))[0])


def _same_model(task: BenchmarkTask, fitted: FittedMethod, obs: int, stored: float) -> bool:
    """Whether ``fitted`` gives exactly the ``stored`` log density at observation ``obs``'s true parameter (a failure
    to compute it counts as a different model)."""
    try:
        return _log_prob_true(task, fitted, obs) == stored
    except Exception:
        return False


def _guarded(measure: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    try:
        return measure(*args) | {"status": "ok", "error": None}
    except Exception:
        return {"status": "failed", "error": traceback.format_exc(limit=3)}


def _cell(
    task: BenchmarkTask, fitted: FittedMethod, sampler: str, obs: int, seed: int, settings: BenchmarkSettings
) -> dict[str, Any]:
    x_o = task.observation(obs)
    draws = fitted.sample(x_o, sampler, settings.num_posterior_samples, sampling_seed(seed, obs))
    reference = task.reference_samples(obs)[: settings.num_reference_samples]
    return {
        "c2st": c2st(draws.samples, reference),
        "c2st_samples": [len(draws.samples), len(reference)],
        "log_prob_true": _log_prob_true(task, fitted, obs),
        "train_seconds": fitted.train_seconds,
        "sample_seconds": draws.seconds,
        "min_ess": draws.min_ess,
        "min_ess_per_second": draws.min_ess / draws.seconds if draws.seconds > 0 else math.nan,
        "max_rhat": draws.max_rhat,
    }


def measure_coverage(
    task: BenchmarkTask, fitted: FittedMethod, sampler: str, seed: int, settings: BenchmarkSettings
) -> dict[str, Any]:
    theta, x = task.sample_joint(settings.coverage_pairs, derived_seed(seed, _HELD_OUT))
    keep = torch.isfinite(x).all(dim=1)
    log_prob_true, log_prob_samples = [], []
    for j in torch.nonzero(keep).flatten().tolist():
        draws = fitted.sample(x[j], sampler, settings.coverage_samples, derived_seed(seed, _COVERAGE_SAMPLE, j))
        log_prob = fitted.log_prob(torch.cat([theta[j : j + 1], draws.samples]), x[j], settings.coverage_reference)
        log_prob_true.append(float(log_prob[0]))
        log_prob_samples.append(log_prob[1:].numpy())
    levels, coverage = expected_coverage(np.array(log_prob_true), np.stack(log_prob_samples))
    return {"levels": levels.tolist(), "coverage": coverage.tolist(), "pairs": len(log_prob_true)}
