"""ui.pacing: paced live work takes at most 1 / (1 + gap_per_cost) of the time, however slow each piece is."""

from __future__ import annotations

from ui.pacing import PacedValue, Pacer


def _clock() -> tuple[list[float], Pacer]:
    now = [0.0]
    return now, Pacer(min_gap_s=0.5, gap_per_cost=4.0, clock=lambda: now[0])


def test_pacer_waits_the_floor_after_cheap_work_and_four_times_the_cost_after_dear_work() -> None:
    now, pacer = _clock()
    assert pacer.due()  # the first call is due
    for cost, gap in [(0.0625, 0.5), (1.0, 4.0), (0.25, 1.0)]:  # binary fractions: exact sums
        started = now[0]
        now[0] += cost
        pacer.done(started)
        now[0] += gap - 2**-10
        assert not pacer.due()
        assert pacer.due(force=True)  # e.g. the sampler's last step always publishes
        now[0] += 2**-10
        assert pacer.due()


def test_paced_value_rebuilds_for_a_new_view_at_once_and_for_new_data_only_when_due_or_forced() -> None:
    now, pacer = _clock()
    cache: PacedValue[str] = PacedValue(pacer)
    builds: list[str] = []

    def build(label: str, cost: float = 1.0) -> str:
        builds.append(label)
        now[0] += cost
        return label

    assert cache.get("a", 1, lambda: build("a1")) == "a1"  # took 1 s: the next data rebuild waits 4 s
    now[0] += 1.0
    assert cache.get("a", 2, lambda: build("a2")) == "a1"  # newer data, not due: the last figure is kept
    assert cache.get("b", 2, lambda: build("b2")) == "b2"  # another view: built at once
    assert cache.get("b", 2, lambda: build("never")) == "b2"  # same view and data: never rebuilt
    assert cache.get("b", 3, lambda: build("b3"), force=True) == "b3"  # the run ended: its last data are shown
    now[0] += 4.0
    assert cache.get("b", 4, lambda: build("b4")) == "b4"  # due again
    assert builds == ["a1", "b2", "b3", "b4"]
