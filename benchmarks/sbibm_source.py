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


# Rows of a multivariate Student-t batch whose samples are transformed at once: slcp_distractors' 20-component,
# 92-dimensional mixture broadcasts its (20, 92, 92) float64 scale factors to every row (1.35 MB a row).
STUDENT_T_ROWS = 256


@contextmanager
def student_t_sampled_in_row_chunks(rows: int = STUDENT_T_ROWS) -> Iterator[None]:
    """Bound the memory of pyro's ``MultivariateStudentT.rsample`` while sbibm's simulators run.

    pyro multiplies all standard draws by the scale factors in one broadcast product, which materialises the
    factors for every row: 13.5 GB for slcp_distractors' 10,000 simulations. Here the draws are made exactly as
    pyro makes them (same calls, same order, so the same random numbers) and the product runs over ``rows`` rows
    at a time; each row's product is the same arithmetic, so the samples are bit-for-bit pyro's.
    """
    student_t = importlib.import_module("pyro.distributions").MultivariateStudentT
    original = student_t.rsample

    def rsample(self: Any, sample_shape: torch.Size | tuple[int, ...] = ()) -> torch.Tensor:
        shape = self._extended_shape(sample_shape)
        standard = torch.empty(shape, dtype=self.df.dtype, device=self.df.device).normal_()
        chi2 = self._chi2.rsample(sample_shape)
        scaled = (standard * torch.rsqrt(chi2 / self.df).unsqueeze(-1)).unsqueeze(-1)
        if scaled.dim() <= self.scale_tril.dim():  # no leading sample rows to split
            return self.loc + self.scale_tril.matmul(scaled).squeeze(-1)
        return torch.cat([self.loc + self.scale_tril.matmul(part).squeeze(-1) for part in scaled.split(rows)])

    student_t.rsample = rsample
    try:
        yield
    finally:
        student_t.rsample = original
