"""Access to the installed ``sbibm`` package: its task definitions and its data files.

``sbibm`` (1.1.0) is installed without its dependencies by ``make bench-setup``; it is imported lazily so that the
rest of the library works without it. Every function here raises :class:`SbibmMissingError` with the set-up command
when it is absent.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

SETUP_HINT = "run `make bench-setup` to install the benchmark's packages (sbibm, pyro-ppl, sbi) into .venv"

# Classes pickled inside sbibm's ``slcp/files/gmm.torch`` (the distractor mixture); allow-listed for ``torch.load``.
_SLCP_GMM_GLOBALS = (
    ("pyro.distributions.torch", "MixtureSameFamily"),
    ("pyro.distributions.torch", "Categorical"),
    ("pyro.distributions.torch", "Independent"),
    ("pyro.distributions.multivariate_studentt", "MultivariateStudentT"),
    ("pyro.distributions.torch", "Chi2"),
)


class SbibmMissingError(ImportError):
    """Raised when a benchmark needs ``sbibm`` (or one of the packages its task code imports) and it is missing."""


def sbibm_available() -> bool:
    """Whether ``sbibm`` and ``pyro`` (which its task definitions import) are importable."""
    return all(importlib.util.find_spec(name) is not None for name in ("sbibm", "pyro"))


def require_sbibm() -> ModuleType:
    """Import and return ``sbibm``; raise :class:`SbibmMissingError` with the set-up command if that fails."""
    try:
        return importlib.import_module("sbibm")
    except ImportError as error:
        raise SbibmMissingError(
            f"The sbibm benchmark tasks need the package {error.name!r}, which is not installed: {SETUP_HINT}."
        ) from error


def sbibm_task(name: str) -> Any:
    """sbibm's own task object ``sbibm.get_task(name)`` (prior, simulator, observations, reference samples)."""
    return require_sbibm().get_task(name)


def sbibm_data_task(name: str, dim_parameters: int, dim_data: int) -> Any:
    """An sbibm ``Task`` that only reads the data files of task ``name`` (observations, true parameters, reference
    samples), for tasks whose sbibm module cannot be imported here (sir and lotka_volterra import Julia)."""
    sbibm = require_sbibm()
    from sbibm.tasks.task import Task

    return Task(
        dim_data=dim_data,
        dim_parameters=dim_parameters,
        name=name,
        num_observations=10,
        num_posterior_samples=10_000,
        num_simulations=[],
        path=Path(sbibm.__file__).parent / "tasks" / name,
    )


@contextmanager
def sbibm_pickles_allowed() -> Iterator[None]:
    """Allow ``torch.load`` (weights-only) to read the pyro distributions that sbibm ships pickled."""
    classes = [getattr(importlib.import_module(module), name) for module, name in _SLCP_GMM_GLOBALS]
    with torch.serialization.safe_globals(classes):
        yield
