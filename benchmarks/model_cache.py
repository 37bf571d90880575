"""Trained benchmark models kept on disk, so that a later run samples the very model an earlier one trained.

A changed sampler default, a follow-up study on the full run's models (10,000-sample C2ST, coverage on 200 pairs) or
a resumed run needs the model behind the earlier records, not one trained again: training again costs most of a
run, and floating-point results differ between runs of the same seeded code here often enough (early stopping
amplifies them) that the model trained again is not always the same one.

A model is filed under everything that defines it: task, method, seed, budget, the method's options (its trainer's
hyperparameters), the training settings and a digest of the simulations it is trained on. A file that does not load
(damaged, foreign) is trained again and replaced. Files are written atomically and loaded without unpickling code
(:func:`dnre_core.io.load_estimator`). Only dnre_core's own methods are kept; sbi's peers train afresh. Training code
that changes without changing any of these (a bug fix in the training loop) calls for an empty cache directory.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from torch import Tensor

from benchmarks.methods import (
    OUR_METHODS,
    FittedMethod,
    OurMethod,
    SamplingSettings,
    TrainingSettings,
    fit_method,
    method_options,
)
from benchmarks.tasks import BenchmarkTask
from dnre_core.io import ModelFileError


def data_digest(theta: Tensor, x: Tensor) -> str:
    """A SHA-256 digest of simulations θ (N, D), x (N, L): their shapes, dtypes and bytes."""
    digest = hashlib.sha256()
    for tensor in (theta, x):
        digest.update(f"{tuple(tensor.shape)} {tensor.dtype};".encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def model_path(
    cache_dir: Path,
    task: str,
    method: str,
    seed: int,
    budget: int,
    method_options: dict[str, Any],
    training: TrainingSettings,
    digest: str,
) -> Path:
    """Where the model of (task, method, seed, budget) with these options, training settings and data is kept."""
    identity = json.dumps({"task": task, "method": method, "seed": seed, "budget": budget,
                           "method_options": method_options, "training": asdict(training), "data": digest},
                          sort_keys=True)
    key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return cache_dir / task / f"{method}-seed{seed}-budget{budget}-{key}.pt"


def fit_or_load(
    method: str,
    task: BenchmarkTask,
    theta: Tensor,
    x: Tensor,
    seed: int,
    sampling: SamplingSettings,
    training: TrainingSettings,
    cache_dir: Path | None,
) -> tuple[FittedMethod, bool]:
    """``method`` fitted to θ (N, D), x (N, L) of ``task``: loaded from ``cache_dir`` where it was kept there, else
    trained (and kept, for dnre_core's methods). Returns the fitted method and whether it came from the cache."""
    if cache_dir is None or method not in OUR_METHODS:
        return fit_method(method, task, theta, x, seed, sampling, training), False
    path = model_path(cache_dir, task.name, method, seed, len(theta), method_options(method, task), training,
                      data_digest(theta, x))
    if path.exists():
        try:
            return OurMethod.load(path, method, task, sampling), True
        except ModelFileError:
            pass  # damaged or foreign: train again and replace it
    fitted = fit_method(method, task, theta, x, seed, sampling, training)
    path.parent.mkdir(parents=True, exist_ok=True)
    fitted.save(path)
    return fitted, False
