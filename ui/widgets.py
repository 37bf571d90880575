"""Small Streamlit building blocks shared by the pages (no physics, no inference): a job's status line with its
stop button, following a run live, picking a run to reopen, the workspace's runs as a table, a coverage check's
result, and opening a design in the Design lab."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from ui import plots, session
from ui.coverage import verdict
from ui.jobs import JobRunner, JobSnapshot
from ui.text import md
from ui.workspace import Run

# Material icons, not emoji: headless browsers without an emoji font draw emoji as empty boxes.
STATUS_ICONS = {
    "queued": ":material/hourglass_empty:", "running": ":material/play_circle:", "done": ":material/check_circle:",
    "failed": ":material/error:", "cancelled": ":material/stop_circle:", "interrupted": ":material/warning:",
}
# How often a page showing a running job redraws it (a fragment's run_every).
LIVE_REFRESH_S = 0.75


def job_status(runner: JobRunner | None, snap: JobSnapshot, stop_label: str = "Stop") -> None:
    """Progress bar, status line and, while ``runner`` (the runner holding the job; None for a job this server
    process does not run) can stop it, a stop button for one job."""
    icon, name = STATUS_ICONS[snap.status], md(snap.name)
    if snap.status in ("queued", "running"):
        st.progress(snap.progress, text=f"{icon} {name}: {md(snap.message)}")
        if runner is not None and st.button(stop_label, key=f"stop-{snap.id}",
                                            help="Stop this job; what was computed so far is kept where possible."):
            runner.cancel(snap.id)
            st.rerun()
    elif snap.status == "failed":
        st.error(f"{name} failed: {md(snap.error)}", icon=icon)
    elif snap.status in ("cancelled", "interrupted"):
        st.warning(f"{name}: {md(snap.message)}", icon=icon)
    else:
        st.success(f"{name}: {md(snap.message)}", icon=icon)


def follow(run_id: str, show: Callable[[JobSnapshot], None] | None = None) -> JobSnapshot:
    """Show run ``run_id``: its status (with Stop while it runs) and then ``show(snapshot)``. A running job is
    redrawn every LIVE_REFRESH_S by a fragment until it ends, then the whole page reruns once to show the result;
    this works for a job started by any browser session of this server (a reloaded page, another tab)."""

    def draw() -> JobSnapshot:
        snap = session.run_snapshot(run_id)
        job_status(session.job_owner(run_id), snap)
        if show is not None:
            show(snap)
        return snap

    snap = session.run_snapshot(run_id)
    if snap.finished:
        return draw()

    @st.fragment(run_every=LIVE_REFRESH_S)
    def live() -> None:
        if draw().finished:
            st.rerun()  # leave live mode: the page shows the finished run as a whole

    live()
    return snap


def _run_label(run: Run) -> str:
    """A run in a picker: its name and when it started. Not its status: the browser keeps showing an option's first
    label while its key stays the same, so a run shown as running would read so after it ended; the status line
    below the picker follows the run live instead."""
    started = dt.datetime.fromtimestamp(run.created_at).strftime("%Y-%m-%d %H:%M:%S")
    return f"{run.name} · started {started}"


def run_picker(kind: str, key: str, label: str = "Run") -> str | None:
    """A select box of the workspace's runs of ``kind`` (newest first), remembered across reloads; a page that
    starts a run selects it by setting ``st.session_state[key]`` to its id before this is drawn. Returns the id
    chosen, or None when there is no run of this kind yet."""
    runs = {run.id: run for run in session.workspace().runs(kind)}
    if not runs:
        return None
    session.remember(key, runs)
    return st.selectbox(label, list(runs), format_func=lambda i: _run_label(runs[i]), key=key,
                        help="Every run is kept in the workspace: reopen one after a reload, from another tab or "
                             "after a restart; a running one is followed live and can be stopped.")


def suggested_text(key: str, suggestion: str) -> None:
    """Before a text input with ``key``: make it follow ``suggestion`` (which depends on other choices) until the
    user types something of their own, so that a name built from the first data set shown does not stick."""
    previous = st.session_state.get(f"_suggested_{key}")
    if st.session_state.get(key) in (None, "", previous):
        st.session_state[key] = suggestion
    st.session_state[f"_suggested_{key}"] = suggestion


def runs_table(runs: list[Run]) -> pd.DataFrame:
    """The workspace's runs as a display table, newest first."""
    return pd.DataFrame(
        [
            {
                "status": r.status,
                "kind": r.kind,
                "name": r.name,
                "started": dt.datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                "message": r.message,
                "id": r.id,
            }
            for r in runs
        ],
        columns=["status", "kind", "name", "started", "message", "id"],
    )


# The Design lab shows a design opened from another page with these metrics beside its own nominal ones.
DESIGN_METRICS_KEY = "design_metrics"


def open_in_design_lab(parameters: Mapping[str, float], simulated: Mapping[str, float] | None, where: str) -> None:
    """Put a design into the Design lab's inputs (``lab_<parameter>``) and go there; ``simulated`` metrics (one
    simulation with noise and wind, on the page ``where``) are shown beside the lab's nominal ones while the design
    is unchanged."""
    for name, value in parameters.items():
        st.session_state[f"lab_{name}"] = float(value)
    if simulated is None:
        st.session_state.pop(DESIGN_METRICS_KEY, None)
    else:
        st.session_state[DESIGN_METRICS_KEY] = {"where": where, "values": {k: float(v) for k, v in simulated.items()},
                                                "design": {k: float(v) for k, v in parameters.items()}}
    st.switch_page("pages/design_lab.py")


def show_coverage(snap: JobSnapshot, title: str) -> None:
    """A finished "Can I trust this model?" check (:mod:`ui.coverage`): its curve and its reading in words."""
    if snap.status == "done" and snap.result:
        st.plotly_chart(plots.coverage_curve(snap.result["levels"], snap.result["coverage"], snap.result["pairs"],
                                             title=title))
        level, message = verdict(snap.result)
        getattr(st, level)(message)
