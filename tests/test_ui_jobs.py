"""The background job runner: progress, cancellation, one job at a time per session, failures, two sessions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ui.jobs import FINAL_STATUSES, JobContext, JobRunner, RunnerRegistry
from ui.workspace import Workspace


def _counting_job(steps: int, gate: threading.Event | None = None):
    def fn(ctx: JobContext) -> dict:
        done = 0
        for i in range(steps):
            if gate is not None:
                gate.wait(5)
            if ctx.cancelled:
                break
            done = i + 1
            ctx.report(progress=done / steps, message=f"step {done}", history=list(range(done)))
            time.sleep(0.005)
        return {"steps": done}

    return fn


@pytest.fixture()
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def test_job_reports_progress_and_result_and_run_is_recorded(workspace: Workspace) -> None:
    runner = JobRunner(workspace, "session-1")
    job_id = runner.submit("training", "count", _counting_job(5), {"steps": 5})
    snap = runner.wait(job_id, timeout=10)
    assert snap.status == "done" and snap.progress == 1.0 and snap.result == {"steps": 5}
    assert snap.data["history"] == [0, 1, 2, 3, 4]
    run = workspace.run(job_id)
    assert run.status == "done" and run.result == {"steps": 5} and run.params == {"steps": 5}
    assert run.session_id == "session-1"
    runner.shutdown()


def test_one_job_at_a_time_the_rest_queue_in_order(workspace: Workspace) -> None:
    runner = JobRunner(workspace, "s")
    gate = threading.Event()
    first = runner.submit("sampling", "first", _counting_job(3, gate))
    second = runner.submit("sampling", "second", _counting_job(3))
    deadline = time.time() + 5
    while runner.snapshot(first).status != "running" and time.time() < deadline:
        time.sleep(0.01)
    assert runner.snapshot(first).status == "running"
    assert runner.snapshot(second).status == "queued"
    assert workspace.run(second).status == "queued"
    gate.set()
    assert runner.wait(second, timeout=10).status == "done"
    first_snap, second_snap = runner.snapshot(first), runner.snapshot(second)
    assert first_snap.finished_at is not None and second_snap.started_at is not None
    assert first_snap.finished_at <= second_snap.started_at
    runner.shutdown()


def test_cancel_running_keeps_partial_result_and_cancel_queued_never_starts(workspace: Workspace) -> None:
    runner = JobRunner(workspace, "s")
    started = threading.Event()

    def slow(ctx: JobContext) -> dict:
        n = 0
        started.set()
        while not ctx.cancelled:
            n += 1
            ctx.report(message=f"{n}")
            time.sleep(0.01)
        return {"drawn": n}

    running = runner.submit("sampling", "slow", slow)
    queued = runner.submit("sampling", "never", _counting_job(3))
    assert started.wait(5)
    runner.cancel(queued)
    assert runner.snapshot(queued).status == "cancelled" and runner.snapshot(queued).started_at is None
    runner.cancel(running)
    snap = runner.wait(running, timeout=5)
    assert snap.status == "cancelled" and snap.result is not None and snap.result["drawn"] >= 1
    assert workspace.run(running).status == "cancelled" and workspace.run(running).result == snap.result
    assert workspace.run(queued).status == "cancelled"
    runner.shutdown()


def test_a_failing_job_is_reported_not_raised_and_the_next_job_still_runs(workspace: Workspace) -> None:
    runner = JobRunner(workspace, "s")

    def boom(ctx: JobContext) -> dict:
        raise ValueError("the target has 6 metrics, the model expects 7")

    bad = runner.submit("sampling", "bad", boom)
    good = runner.submit("sampling", "good", _counting_job(2))
    snap = runner.wait(bad, timeout=5)
    assert snap.status == "failed" and "expects 7" in snap.message and snap.error.startswith("ValueError")
    assert runner.wait(good, timeout=5).status == "done"
    assert workspace.run(bad).status == "failed"
    runner.shutdown()


def test_worker_uses_one_torch_thread(workspace: Workspace) -> None:
    runner = JobRunner(workspace, "s")

    def threads(ctx: JobContext) -> dict:
        import torch

        return {"threads": torch.get_num_threads()}

    assert runner.wait(runner.submit("training", "t", threads), timeout=10).result == {"threads": 1}
    runner.shutdown()


def test_two_sessions_run_side_by_side_and_see_only_their_own_jobs(workspace: Workspace) -> None:
    registry = RunnerRegistry(workspace)
    a, b = registry.runner("session-a"), registry.runner("session-b")
    assert registry.runner("session-a") is a  # the same runner across reruns of one session
    gate_a = threading.Event()
    job_a = a.submit("training", "a", _counting_job(2, gate_a))
    job_b = b.submit("training", "b", _counting_job(2))
    # b finishes while a is still blocked: sessions do not queue behind each other.
    assert b.wait(job_b, timeout=10).status == "done"
    assert a.snapshot(job_a).status == "running"
    gate_a.set()
    assert a.wait(job_a, timeout=10).status == "done"
    assert [s.id for s in a.jobs()] == [job_a] and [s.id for s in b.jobs()] == [job_b]
    assert a.latest("training").id == job_a and a.latest("sampling") is None
    with pytest.raises(KeyError):
        a.snapshot(job_b)
    registry.shutdown()


def test_a_job_is_found_from_any_session_and_stopped_there(workspace: Workspace) -> None:
    """Run history: a reloaded page is a new session; it finds the job's runner through the registry."""
    registry = RunnerRegistry(workspace)
    gate = threading.Event()
    job = registry.runner("before-reload").submit("simulation", "long", _counting_job(1000, gate))
    owner = registry.owner(job)
    assert owner is registry.runner("before-reload") and registry.owner("no-such-job") is None
    assert registry.runner("after-reload").latest("simulation") is None  # not this session's job...
    owner.cancel(job)  # ...but stoppable from it through its owner
    gate.set()
    assert owner.wait(job, timeout=10).status == "cancelled"
    assert workspace.run(job).status == "cancelled"
    registry.shutdown()


def test_the_runs_record_is_final_before_the_job_says_it_finished(tmp_path: Path) -> None:
    """A page reruns when it sees a job end and reads the run's status from the workspace: it listed a finished
    design run as still running when the record was written after the job's snapshot."""
    workspace = Workspace(tmp_path / "ws")
    runner = JobRunner(workspace, "session")
    seen: list[bool] = []
    update = workspace.update_run

    def spy(run_id: str, status: str | None = None, **fields: Any) -> None:
        if status in FINAL_STATUSES:
            seen.append(runner.snapshot(run_id).finished)
        update(run_id, status=status, **fields)

    workspace.update_run = spy  # type: ignore[method-assign]
    runner.wait(runner.submit("x", "quick", lambda ctx: {"ok": 1}), timeout=10)
    runner.shutdown()
    assert seen == [False]


def test_a_job_that_raises_because_it_was_stopped_is_stopped_not_failed(tmp_path: Path) -> None:
    """Issue 37 defect 2: a stop during warm-up made the sampler raise, and the run was listed as failed."""
    runner = JobRunner(Workspace(tmp_path / "ws"), "session")
    started = threading.Event()

    def stopped_early(ctx: JobContext) -> dict:
        started.set()
        while not ctx.cancelled:
            time.sleep(0.01)
        raise RuntimeError("nothing kept before the stop")

    job = runner.submit("x", "early stop", stopped_early)
    assert started.wait(10)
    runner.cancel(job)
    snap = runner.wait(job, timeout=10)
    runner.shutdown()
    assert snap.status == "cancelled" and snap.error is None and snap.message == "stopped by the user"
