"""Pacing live work (publishing diagnostics, rebuilding live figures) so that it takes a bounded share of the time
however busy the machine: after a piece of work that took c seconds, the next waits max(min_gap_s, gap_per_cost × c).
With the default gap_per_cost of 4 the live work takes at most a fifth of the time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
GAP_PER_COST = 4.0


class Pacer:
    """Says when paced work is due: at the first call, when ``force``d, and otherwise once the gap since the last
    piece of work ended is at least ``max(min_gap_s, gap_per_cost × what that work took)``."""

    def __init__(self, min_gap_s: float, gap_per_cost: float = GAP_PER_COST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.min_gap_s, self.gap_per_cost, self.clock = min_gap_s, gap_per_cost, clock
        self.next_at = -math.inf

    def due(self, force: bool = False) -> bool:
        return force or self.clock() >= self.next_at

    def done(self, started_at: float) -> None:
        """Call after a piece of work that began at ``started_at`` (this pacer's clock)."""
        ended = self.clock()
        self.next_at = ended + max(self.min_gap_s, self.gap_per_cost * (ended - started_at))


class PacedValue(Generic[T]):
    """The value of a builder, kept between live redraws: built again at once when ``what`` it shows changes (e.g.
    the parameters picked), and for newer data (``version``) only when its pacer is due or ``force`` (the run ended)."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.what: Hashable = None
        self.version: Hashable = None
        self.value: T | None = None

    def get(self, what: Hashable, version: Hashable, build: Callable[[], T], force: bool = False) -> T:
        stale = self.value is None or what != self.what
        if stale or (version != self.version and self.pacer.due(force)):
            started = self.pacer.clock()
            self.value = build()
            self.what, self.version = what, version
            self.pacer.done(started)
        assert self.value is not None
        return self.value
