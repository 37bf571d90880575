"""Bookkeeping shared by the samplers: kept draws, acceptance counts, live callbacks, final diagnostics."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..diagnostics import ChainDiagnostics
from ..validation import InputError

SampleCallback = Callable[[int, Tensor, ChainDiagnostics], Any]


class ChainRecorder:
    """Collects draws (C, T, D) after warm-up every ``thin`` steps and calls ``callback`` every ``callback_every`` steps.

    ``to_output`` maps the sampler's state to the recorded parameters (e.g. unbounded z back to θ).

    ``callback(step, chains_so_far (C, t, D), diagnostics_so_far)`` returning ``False`` stops the run; what was
    drawn is kept.
    """

    def __init__(self, num_chains: int, num_draws: int, dim: int, warmup_steps: int, thin: int, sampler: str,
                 callback: SampleCallback | None = None, callback_every: int = 25,
                 parameter_names: list[str] | None = None, to_output: Callable[[Tensor], Tensor] | None = None):
        if thin < 1:
            raise InputError(f"thin must be at least 1; got {thin}.")
        self.warmup_steps, self.thin, self.sampler = warmup_steps, thin, sampler
        self.total_steps = warmup_steps + num_draws * thin
        self.draws = torch.empty(num_chains, num_draws, dim)
        self.kept = 0
        self.accepted = torch.zeros(num_chains)
        self.attempted = 0
        self.step_size = torch.zeros(num_chains)
        self.callback, self.callback_every = callback, max(1, callback_every)
        self.parameter_names = parameter_names
        self.to_output = to_output
        self.start = time.perf_counter()
        self.stopped_early = False
        self.step = 0

    def record(self, step: int, theta: Tensor, accepted: Tensor, step_size: Tensor) -> bool:
        """Record the state after ``step`` (0-based); returns False when the run must stop."""
        self.step = step + 1
        self.step_size = step_size.detach().cpu()
        if step == self.warmup_steps:  # acceptance is reported over the sampling phase only
            self.accepted.zero_()
            self.attempted = 0
        self.accepted += accepted.detach().cpu().float()
        self.attempted += 1
        if step >= self.warmup_steps and (step - self.warmup_steps + 1) % self.thin == 0:
            state = theta if self.to_output is None else self.to_output(theta)
            self.draws[:, self.kept] = state.detach().cpu()
            self.kept += 1
        due = self.step % self.callback_every == 0 or self.step == self.total_steps
        if self.callback is not None and due and self.callback(self.step, self.draws[:, :self.kept], self.diagnostics()) is False:
            self.stopped_early = True
            return False
        return True

    def diagnostics(self) -> ChainDiagnostics:
        return ChainDiagnostics.from_chains(
            self.draws[:, :self.kept], self.accepted / max(self.attempted, 1), self.step_size,
            sampler=self.sampler, step=self.step, total_steps=self.total_steps, warmup_steps=self.warmup_steps,
            seconds=time.perf_counter() - self.start, stopped_early=self.stopped_early,
            parameter_names=self.parameter_names)
