"""Simulating a training set in parallel: ``simulate_for_sbi`` (local processes or a Ray cluster), seeded per batch.

The simulations are cut into batches of ``batch_size``; batch ``b`` draws its parameters and its simulator
noise from seeds derived from ``(seed, b)`` only, so the data set depends on ``seed``, ``num_simulations`` and
``batch_size`` and not on the number of workers, the backend, or the order in which batches finish.
A ``resume_path`` file keeps finished batches: an interrupted run started again with the same arguments
recomputes only the missing ones.
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.distributions import Distribution

from dnre_core.io import atomic_write_bytes
from dnre_core.priors import sample_prior
from dnre_core.validation import InputError

Simulator = Callable[..., Any]


def _batch_seeds(seed: int, num_batches: int) -> list[tuple[int, int]]:
    """(prior seed, simulator seed) for each batch, from ``seed`` alone."""
    children = np.random.SeedSequence(seed).spawn(num_batches)
    return [tuple(int(v) for v in ch.generate_state(2, dtype=np.uint32)) for ch in children]


def _takes_seed(simulator: Simulator) -> bool:
    try:
        return "seed" in inspect.signature(simulator).parameters
    except (TypeError, ValueError):
        return False


def run_batch(simulator: Simulator, theta: np.ndarray, seed: int) -> np.ndarray:
    """Simulate one batch ``theta`` (B, D) → (B, X) float32, seeding the simulator (``seed=`` keyword when it has
    one, otherwise NumPy's and torch's global generators)."""
    torch.set_num_threads(1)
    if _takes_seed(simulator):
        out = simulator(theta, seed=seed)
    else:
        np.random.seed(seed)
        torch.manual_seed(seed)
        out = simulator(theta)
    x = np.asarray(out.detach().cpu().numpy() if isinstance(out, Tensor) else out, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] != theta.shape[0]:
        raise ValueError(f"The simulator returned {x.shape[0]} rows for a batch of {theta.shape[0]} parameter sets.")
    return x


def _load_resume(path: str, meta: dict[str, Any]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The finished batches kept in ``path`` ({} when there is none). A file that cannot be read (cut short, damaged,
    not a resume file) is set aside as ``<path>.damaged`` with a warning naming both files, and the run starts
    afresh; a readable file written for other settings is an :class:`InputError`."""
    if not os.path.exists(path):
        return {}
    try:
        saved = torch.load(path, weights_only=True)
        batches = {int(b): (t.numpy(), x.numpy()) for b, (t, x) in saved["batches"].items()}
        saved_meta = saved["meta"]
    except Exception as e:  # any failure to read it means the same thing: its batches cannot be used
        damaged = f"{path}.damaged"
        os.replace(path, damaged)
        reason = (str(e).splitlines() or [""])[0][:120]
        warnings.warn(f"The resume file {path} cannot be read ({type(e).__name__}: {reason}); it was set aside as "
                      f"{damaged} and the simulation starts afresh.", stacklevel=3)
        return {}
    if saved_meta != meta:
        raise InputError(f"Resume file {path} was written for different settings ({saved_meta}); "
                         f"these are {meta}. Delete it or give another resume_path.")
    return batches


def _save_resume(path: str, meta: dict[str, Any], done: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
    payload = {"meta": meta, "batches": {b: (torch.from_numpy(t), torch.from_numpy(x)) for b, (t, x) in done.items()}}
    atomic_write_bytes(path, lambda f: torch.save(payload, f))


def simulate_for_sbi(simulator: Simulator, prior: Distribution, num_simulations: int, num_workers: int = 1,
                     backend: str = "local", seed: int = 0, batch_size: int = 1000,
                     progress: Callable[[int, int], Any] | None = None,
                     resume_path: str | os.PathLike[str] | None = None) -> tuple[Tensor, Tensor]:
    """Draw ``num_simulations`` parameter sets from ``prior`` and simulate them; returns ``(theta, x)`` as float32
    tensors of shapes (num_simulations, D) and (num_simulations, X).

    ``simulator(theta: np.ndarray (B, D), seed=int) -> (B, X)`` (array or tensor); one without a ``seed`` keyword is
    run with NumPy's and torch's global generators seeded instead. It must be picklable (a module-level function)
    for ``num_workers > 1`` and for Ray. ``backend="local"`` uses a process pool of ``num_workers`` (in-process for
    1); ``backend="ray"`` submits each batch as a Ray task to the cluster ``ray.init`` connected to (a local one is
    started when none is), at most ``num_workers`` in flight. ``progress(done, total)`` is called after each batch;
    an exception it raises stops the run at once (queued batches are dropped, finished ones stay in ``resume_path``),
    which is how a caller cancels.
    """
    _check_run_options(num_simulations, batch_size, num_workers, backend)
    num_simulations, batch_size, num_workers = int(num_simulations), int(batch_size), int(num_workers)
    sizes = [min(batch_size, num_simulations - s) for s in range(0, num_simulations, batch_size)]
    seeds = _batch_seeds(int(seed), len(sizes))
    thetas = [sample_prior(prior, size, torch.Generator().manual_seed(ps)).numpy().astype(np.float64)
              for size, (ps, _) in zip(sizes, seeds, strict=True)]
    meta = {"seed": int(seed), "num_simulations": num_simulations, "batch_size": batch_size,
            "dim": int(thetas[0].shape[1])}
    path = os.fspath(resume_path) if resume_path is not None else None
    done = _load_resume(path, meta) if path else {}
    todo = [b for b in range(len(sizes)) if b not in done]

    def finished(b: int, x: np.ndarray) -> None:
        done[b] = (thetas[b].astype(np.float32), x)
        if path:
            _save_resume(path, meta, done)
        if progress is not None:
            progress(sum(sizes[i] for i in done), num_simulations)

    _run_batches(run_batch, simulator, thetas, [s for _, s in seeds], todo, num_workers, backend, finished)
    theta = np.concatenate([done[b][0] for b in range(len(sizes))])
    x = np.concatenate([done[b][1] for b in range(len(sizes))])
    return torch.from_numpy(theta), torch.from_numpy(x)


def run_batch_or_error(simulator: Simulator, theta: np.ndarray, seed: int) -> np.ndarray | str:
    """:func:`run_batch`, with an exception raised by the simulator returned as its one-line message instead."""
    try:
        return run_batch(simulator, theta, seed)
    except Exception as error:  # any failure of a user's simulator is reported, not raised
        return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]}"


def simulate_parameters(simulator: Simulator, theta: np.ndarray, x_dim: int, seed: int = 0, batch_size: int = 1000,
                        num_workers: int = 1, backend: str = "local",
                        progress: Callable[[int, int], Any] | None = None) -> tuple[np.ndarray, list[str]]:
    """Simulate given parameter sets ``theta`` (N, D) → ``(x (N, x_dim) float64, errors)``, never raising for the
    simulator's own failures.

    Batches of ``batch_size`` rows are run as in :func:`simulate_for_sbi` (same backends; batch ``b``'s simulator
    seed comes from ``(seed, b)`` alone, so results do not depend on the number of workers). A batch whose simulator
    call raises, or returns the wrong number of rows or columns, gives NaN rows and one message in ``errors``;
    non-finite rows the simulator returns stay as they are. The caller counts both as failed simulations.
    ``progress(done, total)`` is called after each batch and may raise to cancel.
    """
    theta = np.asarray(theta, dtype=np.float64)
    _check_run_options(max(1, theta.shape[0]), batch_size, num_workers, backend)
    x = np.full((theta.shape[0], int(x_dim)), np.nan)
    if theta.shape[0] == 0:
        return x, []
    starts = list(range(0, theta.shape[0], int(batch_size)))
    thetas = [theta[s:s + int(batch_size)] for s in starts]
    seeds = [s for _, s in _batch_seeds(int(seed), len(starts))]
    errors: list[str] = []
    done = 0

    def finished(b: int, out: np.ndarray | str) -> None:
        nonlocal done
        if isinstance(out, str):
            errors.append(f"batch {b + 1}: {out}")
        elif out.shape[1] != x.shape[1]:
            errors.append(f"batch {b + 1}: the simulator returned {out.shape[1]} column(s); {x.shape[1]} are expected")
        else:
            x[starts[b]:starts[b] + out.shape[0]] = out
        done += thetas[b].shape[0]
        if progress is not None:
            progress(done, theta.shape[0])

    _run_batches(run_batch_or_error, simulator, thetas, seeds, list(range(len(starts))), int(num_workers), backend,
                 finished)
    return x, errors


def _check_run_options(num_simulations: int, batch_size: int, num_workers: int, backend: str) -> None:
    if int(num_simulations) != num_simulations or num_simulations < 1:
        raise InputError(f"num_simulations must be a positive integer; got {num_simulations!r}.")
    if int(batch_size) != batch_size or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer; got {batch_size!r}.")
    if int(num_workers) != num_workers or num_workers < 1:
        raise InputError(f"num_workers must be a positive integer; got {num_workers!r}.")
    if backend not in ("local", "ray"):
        raise InputError(f"backend must be 'local' or 'ray'; got {backend!r}.")


def _run_batches(task: Callable[..., Any], simulator: Simulator, thetas: list[np.ndarray], seeds: list[int],
                 todo: list[int], num_workers: int, backend: str, finished: Callable[[int, Any], None]) -> None:
    """Run ``task(simulator, thetas[b], seeds[b])`` for each batch ``b`` of ``todo`` and call ``finished(b, result)``
    as they end: in-process for one local worker, else on a process pool or Ray."""
    if backend == "ray":
        _run_ray(task, simulator, thetas, seeds, todo, num_workers, finished)
    elif num_workers == 1:
        for b in todo:
            finished(b, task(simulator, thetas[b], seeds[b]))
    else:
        with ProcessPoolExecutor(max_workers=num_workers, mp_context=get_context("spawn")) as pool:
            pending = {pool.submit(task, simulator, thetas[b], seeds[b]): b for b in todo}
            try:
                while pending:
                    ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in ready:
                        finished(pending.pop(fut), fut.result())
            except BaseException:  # a failed batch or a progress callback that raised: drop the queued batches
                pool.shutdown(wait=False, cancel_futures=True)
                raise


def _run_ray(task: Callable[..., Any], simulator: Simulator, thetas: list[np.ndarray], seeds: list[int],
             todo: list[int], num_workers: int, finished: Callable[[int, Any], None]) -> None:
    """Run batches ``todo`` as Ray tasks, at most ``num_workers`` in flight, calling ``finished`` as they end."""
    import ray

    if not ray.is_initialized():
        ray.init()
    remote = ray.remote(num_cpus=1)(task)
    sim_ref = ray.put(simulator)
    queue = list(todo)
    pending: dict[Any, int] = {}
    while queue or pending:
        while queue and len(pending) < num_workers:
            b = queue.pop(0)
            pending[remote.remote(sim_ref, thetas[b], seeds[b])] = b
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            finished(pending.pop(ref), ray.get(ref))
