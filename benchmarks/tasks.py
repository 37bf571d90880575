"""The ten sbibm benchmark tasks behind one small interface.

Each task has a ``name``, a ``prior`` (a torch ``Distribution`` over parameter vectors ``(D,)``), a seeded simulator
``simulate(theta (N, D), seed) -> x (N, L)``, and sbibm's ten observations ``observation(i) (L,)`` with their true
parameters ``true_parameters(i) (D,)`` and 10,000 reference posterior samples ``reference_samples(i) (10000, D)``,
for ``i`` in 1..10. Priors, simulators and data come from the installed sbibm package, except the simulators of
sir and lotka_volterra (see :mod:`benchmarks.ode_tasks`); :func:`benchmarks.registry.get_task`
builds them by name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cache
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.distributions import Distribution, MultivariateNormal

from benchmarks.sbibm_source import sbibm_pickles_allowed, sbibm_task, student_t_sampled_in_row_chunks
from dnre_core.priors import BoxUniform, sample_prior

NUM_OBSERVATIONS = 10


class BenchmarkTask(ABC):
    """A benchmark task: prior, seeded simulator and sbibm's observations with reference posteriors.

    Subclasses set ``name``, ``prior``, ``dim_parameters`` (D), ``dim_data`` (L) and ``_data`` (an sbibm ``Task``
    whose files hold the observations), and implement :meth:`_simulate`.
    """

    name: str
    prior: Distribution
    dim_parameters: int
    dim_data: int
    _data: Any

    def simulate(self, theta: Tensor, seed: int) -> Tensor:
        """Simulate one data set per parameter row: ``theta`` (N, D) → ``x`` (N, L), float32, reproducible in ``seed``.

        Rows whose simulation fails (an ODE solve that does not finish) are NaN, as in sbibm.
        """
        if not isinstance(theta, Tensor) or theta.ndim != 2 or theta.shape[1] != self.dim_parameters:
            shape = tuple(theta.shape) if isinstance(theta, Tensor) else type(theta).__name__
            raise ValueError(f"{self.name}: theta must be a tensor of shape (N, {self.dim_parameters}); got {shape}.")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"{self.name}: seed must be an int; got {seed!r}.")
        x = self._simulate(theta.detach().to(torch.float32), seed)
        return x.to(torch.float32).reshape(theta.shape[0], self.dim_data)

    @abstractmethod
    def _simulate(self, theta: Tensor, seed: int) -> Tensor:
        """Simulator proper: ``theta`` (N, D) float32 → ``x`` (N, L)."""

    def sample_joint(self, num: int, seed: int) -> tuple[Tensor, Tensor]:
        """``num`` pairs from the joint p(θ) p(x | θ): θ (num, D) and x (num, L), reproducible in ``seed``.

        θ and the simulator's randomness come from two independent seeds derived from ``seed``. With one seed for
        both, torch's generator hands the simulator the very numbers θ was drawn from: on gaussian_linear
        (θ ~ N(0, 0.1 I), x = θ + N(0, 0.1 I)) the "noise" was θ itself, x = 2θ, and every estimator trained on
        such data was confidently wrong.
        """
        theta_seed, noise_seed = (int(s) >> 1 for s in np.random.SeedSequence(seed).generate_state(2))
        theta = sample_prior(self.prior, num, torch.Generator().manual_seed(theta_seed))
        return theta, self.simulate(theta, seed=noise_seed)

    def observation(self, i: int) -> Tensor:
        """sbibm's observation number ``i`` (1..10), shape (L,)."""
        return _read(self._data, "observation", _check_index(self.name, i)).reshape(self.dim_data).clone()

    def true_parameters(self, i: int) -> Tensor:
        """The parameters that generated observation ``i``, shape (D,)."""
        return _read(self._data, "true_parameters", _check_index(self.name, i)).reshape(self.dim_parameters).clone()

    def reference_samples(self, i: int) -> Tensor:
        """sbibm's 10,000 reference posterior samples for observation ``i``, shape (10000, D)."""
        return _read(self._data, "reference_samples", _check_index(self.name, i)).clone()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, D={self.dim_parameters}, L={self.dim_data})"


class SbibmTask(BenchmarkTask):
    """A task whose prior and simulator are sbibm's own (all but sir and lotka_volterra)."""

    def __init__(self, name: str):
        self.name = name
        self._data = sbibm_task(name)
        self._simulator = self._data.get_simulator()
        self.dim_parameters = int(self._data.dim_parameters)
        self.dim_data = int(self._data.dim_data)
        self.prior = _torch_prior(self._data.get_prior_params())

    def _simulate(self, theta: Tensor, seed: int) -> Tensor:
        # sbibm's simulators draw from torch's global generator through pyro; fork it so the caller's is untouched.
        with torch.random.fork_rng(devices=[]), sbibm_pickles_allowed(), student_t_sampled_in_row_chunks():
            torch.manual_seed(seed)
            return self._simulator(theta)


def _torch_prior(params: dict[str, Tensor]) -> Distribution:
    """A plain torch prior from sbibm's prior parameters: a box (``low``, ``high``) or a Gaussian (``loc``,
    ``precision_matrix``)."""
    if {"low", "high"} <= params.keys():
        return BoxUniform(params["low"], params["high"])
    if "loc" in params and "precision_matrix" in params:
        return MultivariateNormal(params["loc"].float(), precision_matrix=params["precision_matrix"].float())
    raise ValueError(f"Unsupported sbibm prior parameters {sorted(params)}.")


def _check_index(name: str, i: int) -> int:
    if isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= NUM_OBSERVATIONS:
        raise ValueError(f"{name}: observation numbers run from 1 to {NUM_OBSERVATIONS}; got {i!r}.")
    return i


@cache
def _read(data: Any, kind: str, i: int) -> Tensor:
    """sbibm's file ``kind`` for observation ``i`` as float32, read once per (task data, observation)."""
    reader = {
        "observation": data.get_observation,
        "true_parameters": data.get_true_parameters,
        "reference_samples": data.get_reference_posterior_samples,
    }[kind]
    return reader(num_observation=i).to(torch.float32)
