"""Small Streamlit building blocks shared by the pages (no physics, no inference)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui.jobs import JobRunner, JobSnapshot
from ui.workspace import Run

# Material icons, not emoji: headless browsers without an emoji font draw emoji as empty boxes.
STATUS_ICONS = {
    "queued": ":material/hourglass_empty:", "running": ":material/play_circle:", "done": ":material/check_circle:",
    "failed": ":material/error:", "cancelled": ":material/stop_circle:", "interrupted": ":material/warning:",
}


def job_status(runner: JobRunner, snap: JobSnapshot, stop_label: str = "Stop") -> None:
    """Progress bar, status line and a stop button for one job (call from inside a fragment)."""
    icon = STATUS_ICONS[snap.status]
    if snap.status in ("queued", "running"):
        st.progress(snap.progress, text=f"{icon} {snap.name}: {snap.message}")
        if st.button(stop_label, key=f"stop-{snap.id}",
                     help="Stop this job; what was computed so far is kept where possible."):
            runner.cancel(snap.id)
            st.rerun()
    elif snap.status == "failed":
        st.error(f"{snap.name} failed: {snap.error}", icon=icon)
    elif snap.status == "cancelled":
        st.warning(f"{snap.name}: {snap.message}", icon=icon)
    else:
        st.success(f"{snap.name}: {snap.message}", icon=icon)


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
