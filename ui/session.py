"""Streamlit glue: the process-wide workspace and job registry (``st.cache_resource``) and this session's runner."""

from __future__ import annotations

import sys

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui.jobs import JobRunner, RunnerRegistry
from ui.workspace import Workspace, resolve_dir


@st.cache_resource(show_spinner=False)
def _workspace(root: str) -> Workspace:
    return Workspace(root)  # opening it marks runs left behind by a dead server as interrupted


@st.cache_resource(show_spinner=False)
def _registry(root: str) -> RunnerRegistry:
    return RunnerRegistry(_workspace(root))


def workspace() -> Workspace:
    """The workspace named by ``--workspace`` (after ``--`` in ``streamlit run``), ``$DNRE_WORKSPACE`` or ./workspace."""
    return _workspace(str(resolve_dir(sys.argv[1:])))


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def runner() -> JobRunner:
    """This browser session's job runner (the same object across reruns, so jobs survive them)."""
    return _registry(str(resolve_dir(sys.argv[1:]))).runner(session_id())
