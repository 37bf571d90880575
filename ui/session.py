"""Streamlit glue: the process-wide workspace and job registry (``st.cache_resource``) and this session's runner."""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui.jobs import JobRunner, JobSnapshot, RunnerRegistry
from ui.pacing import PacedValue, Pacer
from ui.prefs import Prefs
from ui.workspace import ACTIVE_STATUSES, Workspace, WorkspaceCorrupt, owner_alive, resolve_dir, start_afresh


@st.cache_resource(show_spinner=False)
def _workspace(root: str) -> Workspace:
    return Workspace(root)  # opening it marks runs left behind by a dead server as interrupted


@st.cache_resource(show_spinner=False)
def _registry(root: str) -> RunnerRegistry:
    return RunnerRegistry(_workspace(root))


_FRESH_INDEX = "_dnre_quad_fresh_index"


def workspace() -> Workspace:
    """The workspace named by ``--workspace`` (after ``--`` in ``streamlit run``), ``$DNRE_WORKSPACE`` or
    ./workspace.

    A damaged index stops the page with :func:`offer_fresh_index` instead of a traceback.
    """
    try:
        opened = _workspace(str(resolve_dir(sys.argv[1:])))
    except WorkspaceCorrupt as exc:
        offer_fresh_index(exc)
        st.stop()
    backup = st.session_state.pop(_FRESH_INDEX, None)
    if backup is not None:
        st.info(f"Started afresh with an empty workspace index; the damaged one is kept as {backup}.")
    return opened


def offer_fresh_index(exc: WorkspaceCorrupt) -> None:
    """Say which index file is damaged and offer to start afresh (the damaged file is kept as a backup)."""
    st.error(str(exc))
    if st.button("Start afresh with an empty index", type="primary", key="start_afresh"):
        st.session_state[_FRESH_INDEX] = str(start_afresh(exc.db_path.parent))
        st.rerun()


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def runner() -> JobRunner:
    """This browser session's job runner (the same object across reruns, so jobs survive them)."""
    return _registry(str(resolve_dir(sys.argv[1:]))).runner(session_id())


def job_owner(run_id: str) -> JobRunner | None:
    """The runner of this server process that holds the job of run ``run_id`` (whichever browser session started
    it), or None when no runner here does (the run finished before this server started, or belongs to another)."""
    return _registry(str(resolve_dir(sys.argv[1:]))).owner(run_id)


def run_snapshot(run_id: str) -> JobSnapshot:
    """Run ``run_id`` as a job snapshot: live from the runner that holds it, else read from the workspace's record."""
    owner = job_owner(run_id)
    if owner is not None:
        return owner.snapshot(run_id)
    run = workspace().run(run_id)
    status, message = run.status, run.message
    if status in ACTIVE_STATUSES and not owner_alive(run.owner):
        status, message = "interrupted", "interrupted: the server process running it stopped"
    elif status in ACTIVE_STATUSES:
        message = f"{message} (in another server process: follow or stop it there)"
    finished = status not in ACTIVE_STATUSES
    return JobSnapshot(
        run.id, run.kind, run.name, status, 1.0 if status == "done" else 0.0, message, {}, run.result or None,
        message if status == "failed" else None, run.created_at, run.created_at, run.updated_at if finished else None,
    )


def remember(key: str, allowed: Collection[Any] | None = None) -> None:
    """Call just before creating the widget with ``key``: a widget this session has not shown yet starts from the
    value last chosen in this workspace (if it is still among ``allowed``); a widget already shown has its current
    value remembered for next time."""
    prefs = Prefs(workspace().root)
    if key in st.session_state:
        prefs.set(key, st.session_state[key])
        return
    value = prefs.get(key)
    if value is None:
        return
    values = value if isinstance(value, list) else [value]
    if allowed is None or all(v in allowed for v in values):
        st.session_state[key] = value


# A live page's figures (rebuilt by a fragment several times a second) are paced like the sampler's diagnostics: a
# rebuild for newer data waits four times as long as the last one took, so redraws leave the job, which shares the
# server's interpreter, most of the time.
LIVE_FIGURES_MIN_GAP_S = 0.75


def paced_value(key: str) -> PacedValue:
    """This session's paced value under ``key`` (see :class:`ui.pacing.PacedValue`)."""
    if key not in st.session_state:
        st.session_state[key] = PacedValue(Pacer(LIVE_FIGURES_MIN_GAP_S))
    return st.session_state[key]


# Streamlit's legacy multipage mode: until some session of a freshly started server has run app.py (whose
# st.navigation switches the server to app.py's router), a visit straight to a page URL runs that page's file alone,
# with a file-name sidebar and without app.py's wide layout. app.py marks every session it routes; a page reached
# without that mark sends the session through app.py, which routes it back to the page asked for.
_ROUTED = "_dnre_quad_routed"
_ROUTE_PARAM = "page"


def mark_routed() -> None:
    """Called by app.py on every run, before the page runs."""
    st.session_state[_ROUTED] = True


def ensure_routed(page_file: str) -> None:
    """First statement of every page: if app.py did not route this run, go through it (and come back here)."""
    if not st.session_state.get(_ROUTED):
        st.switch_page("app.py", query_params={_ROUTE_PARAM: Path(page_file).stem})


def resume_route(pages: Sequence[st.Page]) -> None:
    """Called by app.py after st.navigation: switch to the page an unrouted visit asked for, if any."""
    wanted = st.query_params.get(_ROUTE_PARAM)
    if wanted is None:
        return
    del st.query_params[_ROUTE_PARAM]
    target = next((p for p in pages if p.url_path == wanted), None)
    if target is not None:
        st.switch_page(target)
