"""Bookkeeping shared by the samplers: the sampling plan, kept draws, acceptance counts, live callbacks, automatic
thinning, final diagnostics."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..diagnostics import ChainDiagnostics, arviz_summary
from ..validation import InputError, check_positive_int

SampleCallback = Callable[[int, Tensor, ChainDiagnostics], Any]

#: With automatic thinning, the bulk ESS that every parameter's kept draws must reach, as a fraction of their number.
AUTO_ESS_FRACTION = 0.5
#: With automatic thinning, the largest thinning tried; a target still missed there is reported, not chased further.
AUTO_MAX_THIN = 64


@dataclass(frozen=True)
class SamplingPlan:
    """What a sampling run keeps: ``num_samples`` draws from ``num_chains`` chains after ``warmup_steps`` steps each.

    Each chain keeps ⌈num_samples / num_chains⌉ draws, one every ``thin`` steps. ``thin=None`` (automatic) keeps
    every step's state first, then, while the kept draws' minimum bulk ESS is below
    :data:`AUTO_ESS_FRACTION` of their number, draws them afresh (the chains go on from where they are) with a
    larger thinning, estimated from that ESS (the integrated autocorrelation time grows the ESS in proportion to the
    thinning), up to :data:`AUTO_MAX_THIN`; the diagnostics then carry the target, and say when it was missed.
    Chains that keep fewer than 4 draws each (too few for ESS) are not thinned. ``callback(step, chains_so_far,
    diagnostics_so_far)`` runs every ``callback_every`` steps; returning ``False`` stops the run, keeping what was
    drawn.
    """

    num_samples: int
    num_chains: int = 100
    warmup_steps: int = 200
    thin: int | None = None
    callback: SampleCallback | None = None
    callback_every: int = 25

    def __post_init__(self) -> None:
        check_positive_int(self.num_samples, "the number of samples")
        check_positive_int(self.num_chains, "num_chains")
        if isinstance(self.warmup_steps, bool) or not isinstance(self.warmup_steps, int) or self.warmup_steps < 0:
            raise InputError(f"warmup_steps must be an integer, 0 or more; got {self.warmup_steps!r}.")
        if self.thin is not None:
            check_positive_int(self.thin, "thin (None: automatic)")
        check_positive_int(self.callback_every, "callback_every")

    @property
    def num_draws(self) -> int:
        """Draws kept per chain."""
        return math.ceil(self.num_samples / self.num_chains)

    @property
    def automatic(self) -> bool:
        """Whether the thinning is chosen from the measured ESS (see the class docstring)."""
        return self.thin is None and self.num_draws >= 4


class ChainRecorder:
    """Collects draws (C, T, D) after warm-up as ``plan`` says and calls its callback.

    ``to_output`` maps the sampler's state to the recorded parameters (e.g. unbounded z back to θ). The samplers
    iterate over :meth:`steps`, which ends at ``total_steps``; automatic thinning may move that end further.
    """

    def __init__(self, plan: SamplingPlan, dim: int, sampler: str, parameter_names: list[str] | None = None,
                 to_output: Callable[[Tensor], Tensor] | None = None):
        self.plan, self.sampler = plan, sampler
        self.warmup_steps, self.thin = plan.warmup_steps, plan.thin or 1
        self.num_draws = plan.num_draws
        self.total_steps = self.warmup_steps + self.num_draws * self.thin
        self.draws = torch.empty(plan.num_chains, self.num_draws, dim)
        self.kept = 0
        self.round_start = self.warmup_steps  # the first step of the current set of kept draws
        self.accepted = torch.zeros(plan.num_chains)
        self.attempted = 0
        self.step_size = torch.zeros(plan.num_chains)
        self.parameter_names = parameter_names
        self.to_output = to_output
        self.start = time.perf_counter()
        self.stopped_early = False
        self.step = 0

    def steps(self) -> Iterator[int]:
        """Step indices 0, 1, ... up to ``total_steps`` (read afresh after each step)."""
        step = 0
        while step < self.total_steps:
            yield step
            step += 1

    def record(self, step: int, theta: Tensor, accepted: Tensor, step_size: Tensor) -> bool:
        """Record the state after ``step`` (0-based); returns False when the run must stop."""
        self.step = step + 1
        self.step_size = step_size.detach().cpu()
        if step == self.round_start:  # acceptance is reported over the kept draws' steps only
            self.accepted.zero_()
            self.attempted = 0
        self.accepted += accepted.detach().cpu().float()
        self.attempted += 1
        if step >= self.round_start and (step - self.round_start + 1) % self.thin == 0:
            state = theta if self.to_output is None else self.to_output(theta)
            self.draws[:, self.kept] = state.detach().cpu()
            self.kept += 1
            if self.kept == self.num_draws and self.plan.automatic:
                self._thin_more_if_needed()
        callback = self.plan.callback
        due = self.step % self.plan.callback_every == 0 or self.step == self.total_steps
        if (callback is not None and due
                and callback(self.step, self.draws[:, :self.kept], self.diagnostics()) is False):
            self.stopped_early = True
            return False
        return True

    def _thin_more_if_needed(self) -> None:
        """After a full set of draws: if their ESS misses the target, start a new set with a larger thinning."""
        ess = float(np.min(arviz_summary(self.draws.numpy())[1]))
        target = AUTO_ESS_FRACTION * self.draws.shape[0] * self.num_draws
        if not ess < target or self.thin >= AUTO_MAX_THIN:
            return
        # ESS grows about in proportion to the thinning; aim a quarter past the target, at least doubling.
        wanted = math.ceil(self.thin * 1.25 * target / max(ess, 1.0))
        self.thin = min(AUTO_MAX_THIN, max(2 * self.thin, wanted))
        self.round_start = self.step
        self.kept = 0
        self.total_steps = self.round_start + self.num_draws * self.thin

    def diagnostics(self) -> ChainDiagnostics:
        return ChainDiagnostics.from_chains(
            self.draws[:, :self.kept], self.accepted / max(self.attempted, 1), self.step_size,
            sampler=self.sampler, step=self.step, total_steps=self.total_steps, warmup_steps=self.warmup_steps,
            seconds=time.perf_counter() - self.start, stopped_early=self.stopped_early,
            parameter_names=self.parameter_names, thin=self.thin,
            ess_target=AUTO_ESS_FRACTION if self.plan.automatic else None)
