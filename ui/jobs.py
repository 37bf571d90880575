"""Background jobs: heavy work (simulation, training, sampling, validation) off the Streamlit script thread.

Each browser session owns one :class:`JobRunner`: a single worker thread that runs that session's jobs one at
a time, in submission order (the rest wait, ``queued``). A job is a function ``fn(ctx) -> dict`` that reports
progress and live data with ``ctx.report(...)`` and checks ``ctx.cancelled`` to stop early; the page polls
:meth:`JobRunner.snapshot` from an ``st.fragment(run_every=...)``. Every job is mirrored by a run in the
workspace (queued → running → done / failed / cancelled), so its state outlives page reruns and restarts.
The runners live in a :class:`RunnerRegistry` kept in ``st.cache_resource``, keyed by session id.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ui.workspace import Workspace

log = logging.getLogger(__name__)

FINAL_STATUSES = ("done", "failed", "cancelled", "interrupted")


class JobCancelled(Exception):
    """Raised by :meth:`JobContext.check_cancelled` to unwind a job that has nothing to keep."""


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state, safe to read from the script thread."""

    id: str
    kind: str
    name: str
    status: str
    progress: float
    message: str
    data: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    submitted_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass
class _Job:
    snapshot: JobSnapshot
    fn: Callable[[JobContext], dict[str, Any]]
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done_event: threading.Event = field(default_factory=threading.Event)
    finishing: bool = False  # a final status is being recorded (see JobRunner._finish)


class JobContext:
    """What a running job sees: its run id, the workspace, cancellation, and a way to report progress."""

    def __init__(self, runner: JobRunner, job: _Job):
        self._runner = runner
        self._job = job
        self.run_id = job.snapshot.id
        self.workspace = runner.workspace

    @property
    def cancelled(self) -> bool:
        return self._job.cancel_event.is_set()

    def check_cancelled(self) -> None:
        if self.cancelled:
            raise JobCancelled()

    def report(self, progress: float | None = None, message: str | None = None, **data: Any) -> None:
        """Publish progress (0–1), a status line and live data (merged into the previous data)."""
        self._runner._update(self._job, progress=progress, message=message, data=data)


class JobRunner:
    """One browser session's jobs: a FIFO queue served by one worker thread (one heavy job at a time)."""

    def __init__(self, workspace: Workspace, session_id: str, torch_threads: int = 1):
        self.workspace = workspace
        self.session_id = session_id
        self._torch_threads = torch_threads
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._worker: threading.Thread | None = None

    # ---- public API -----------------------------------------------------------------------------------------
    def submit(self, kind: str, name: str, fn: Callable[[JobContext], dict[str, Any]],
               params: dict[str, Any] | None = None) -> str:
        """Queue a job; returns its id (also the id of its run in the workspace)."""
        run = self.workspace.create_run(kind, name, self.session_id, params)
        job = _Job(JobSnapshot(run.id, kind, name, "queued", 0.0,
                               "waiting for the previous job to finish", {}, None, None, time.time(), None, None), fn)
        with self._lock:
            self._jobs[run.id] = job
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._serve, name=f"jobs-{self.session_id[:8]}", daemon=True)
                self._worker.start()
        self._queue.put(job)
        return run.id

    def cancel(self, job_id: str) -> None:
        """Stop a job: a queued one never starts; a running one is asked to stop (and keeps what it has)."""
        job = self._get(job_id)
        job.cancel_event.set()
        self._finish(job, "cancelled", "cancelled before it started", None, None, only_if="queued")

    def snapshot(self, job_id: str) -> JobSnapshot:
        job = self._get(job_id)
        with self._lock:
            return job.snapshot

    def jobs(self) -> list[JobSnapshot]:
        """All jobs of this session, newest first."""
        with self._lock:
            return sorted((job.snapshot for job in self._jobs.values()), key=lambda s: s.submitted_at, reverse=True)

    def holds(self, job_id: str) -> bool:
        """Whether this runner has (or had) the job ``job_id``."""
        with self._lock:
            return job_id in self._jobs

    def latest(self, kind: str) -> JobSnapshot | None:
        """The newest job of this kind in this session, if any."""
        return next((snap for snap in self.jobs() if snap.kind == kind), None)

    def wait(self, job_id: str, timeout: float | None = None) -> JobSnapshot:
        """Block until the job finishes (for scripts and tests; pages poll instead)."""
        if not self._get(job_id).done_event.wait(timeout):
            raise TimeoutError(f"Job {job_id} did not finish within {timeout} s.")
        return self.snapshot(job_id)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel everything and stop the worker thread."""
        for snap in self.jobs():
            if not snap.finished:
                self.cancel(snap.id)
        self._queue.put(None)
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    # ---- internals ------------------------------------------------------------------------------------------
    def _get(self, job_id: str) -> _Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"No job {job_id!r} in this session.")
        return job

    def _update(self, job: _Job, progress: float | None, message: str | None, data: dict[str, Any]) -> None:
        with self._lock:
            snap = job.snapshot
            new_data = {**snap.data, **data} if data else snap.data
            job.snapshot = replace(
                snap,
                progress=snap.progress if progress is None else float(min(max(progress, 0.0), 1.0)),
                message=snap.message if message is None else message,
                data=new_data,
            )

    def _finish(
        self, job: _Job, status: str, message: str, result: dict[str, Any] | None, error: str | None,
        only_if: str | None = None
    ) -> None:
        """Move a job to a final status (once; ``only_if`` restricts it to jobs in that status). The workspace's
        record is written before the snapshot says finished, so that a page rerun when it sees the job end reads
        the final status from the record too (a run picker listed a finished run as still running)."""
        with self._lock:
            if job.finishing or job.snapshot.finished or (only_if is not None and job.snapshot.status != only_if):
                return
            job.finishing = True
        self.workspace.update_run(job.snapshot.id, status=status, message=message, result=result or {})
        with self._lock:
            job.snapshot = replace(job.snapshot, status=status, message=message, result=result, error=error,
                                   finished_at=time.time())
        job.done_event.set()

    def _serve(self) -> None:
        import torch

        torch.set_num_threads(self._torch_threads)
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                if job.snapshot.status != "queued" or job.finishing:  # cancelled while queued
                    continue
                # The record first, under the lock (a cancel cannot slip in between): a page rerun when it sees
                # the job start reads "running" from the record too.
                self.workspace.update_run(job.snapshot.id, status="running", message="running")
                job.snapshot = replace(job.snapshot, status="running", message="running", started_at=time.time())
            self._run(job)

    def _run(self, job: _Job) -> None:
        try:
            result = job.fn(JobContext(self, job))
        except JobCancelled:
            self._finish(job, "cancelled", "stopped by the user", None, None)
        except Exception as exc:  # a job's failure is shown in the page, never raised into it
            if job.cancel_event.is_set():  # what a stop interrupted is no failure: a stop is a stop
                log.info("job %s (%s) ended by a stop: %s", job.snapshot.id, job.snapshot.name, exc)
                self._finish(job, "cancelled", "stopped by the user", None, None)
                return
            log.exception("job %s (%s) failed", job.snapshot.id, job.snapshot.name)
            self._finish(job, "failed", f"failed: {exc}", None, f"{type(exc).__name__}: {exc}")
        else:
            if job.cancel_event.is_set():
                self._finish(job, "cancelled", "stopped by the user; what was computed so far is kept", result, None)
            else:
                self._finish(job, "done", "finished", result, None)


class RunnerRegistry:
    """The runners of all browser sessions of one server process (kept in ``st.cache_resource``)."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._lock = threading.Lock()
        self._runners: dict[str, JobRunner] = {}

    def runner(self, session_id: str) -> JobRunner:
        with self._lock:
            if session_id not in self._runners:
                self._runners[session_id] = JobRunner(self.workspace, session_id)
            return self._runners[session_id]

    def owner(self, job_id: str) -> JobRunner | None:
        """The runner, of any browser session of this process, that holds job ``job_id`` (None if none does): how a
        page reloaded in a new session, or opened in another tab, follows and stops a job started elsewhere."""
        with self._lock:
            runners = list(self._runners.values())
        return next((runner for runner in runners if runner.holds(job_id)), None)

    def shutdown(self) -> None:
        with self._lock:
            runners = list(self._runners.values())
        for runner in runners:
            runner.shutdown()
