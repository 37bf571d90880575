"""Benchmarks: the project's benchmark report, and a small sampler benchmark to run on this machine."""

from pathlib import Path

import pandas as pd
import streamlit as st

from ui import session
from ui.bench_job import throughput_job
from ui.inverse import example_target
from ui.models import scan_models
from ui.report_view import ImageBlock, report_blocks
from ui.widgets import job_status

session.ensure_routed(__file__)

REPORT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"

if REPORT.exists():  # the report opens with its own "# Benchmarks" title
    for block in report_blocks(REPORT.read_text(encoding="utf-8"), REPORT.parent):
        if isinstance(block, ImageBlock):
            st.image(str(block.path), caption=block.caption)
        else:
            st.markdown(block.markdown)
else:
    st.title("Benchmarks")
    st.info("No benchmark report yet: `make bench` writes BENCHMARKS.md (the sbibm tasks, DNRE against NRE and BNRE).")

st.subheader("Run a small benchmark here")
st.caption("MH and HMC on a model for the example target: chain-steps per second and effective draws per second on "
           "this machine.")
workspace, runner = session.workspace(), session.runner()
models, _ = scan_models(workspace)
if not models:
    st.error("No model to benchmark: the default model is missing and the workspace has none.")
    st.stop()
model = st.selectbox("Model", models, format_func=lambda m: m.label, key="bench_model")
c1, c2 = st.columns(2)
chains = c1.number_input("Chains", 10, 5000, 200, key="bench_chains")
steps = c2.number_input("Steps", 20, 5000, 100, key="bench_steps")
if st.button("Run the benchmark", type="primary"):
    runner.submit("benchmark", f"sampler throughput of {model.name}",
                  throughput_job(str(model.path), example_target(model), int(chains), int(steps)))


@st.fragment(run_every=1.0)
def live() -> None:
    snap = runner.latest("benchmark")
    if snap is not None:
        job_status(runner, snap)
        if snap.finished:
            st.rerun()


snap = runner.latest("benchmark")
if snap is not None and not snap.finished:
    live()
elif snap is not None:
    job_status(runner, snap)
    if snap.result:
        st.dataframe(pd.DataFrame(snap.result["rows"]), hide_index=True)
