"""Benchmarks: the project's benchmark report (headline first, a table of contents, details folded away), and a
small sampler benchmark to run on this machine."""

from pathlib import Path

import pandas as pd
import streamlit as st

from ui import session
from ui.bench_job import throughput_job
from ui.inverse import example_rows
from ui.jobs import JobSnapshot
from ui.models import scan_models
from ui.report_view import ImageBlock, report_blocks, round_numbers, split_report
from ui.targets import to_target
from ui.widgets import follow, run_picker

session.ensure_routed(__file__)

REPORT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
# The report's first section, each benchmark's headline result (`python -m benchmarks assemble` writes it); the
# other sections point to it by its anchor.
HEADLINE_SECTION = "Headline results"


def show_markdown(text: str) -> None:
    """Report text and its figures (``st.markdown`` cannot show local images), numbers in tables rounded."""
    for block in report_blocks(round_numbers(text), REPORT.parent):
        if isinstance(block, ImageBlock):
            st.image(str(block.path), caption=block.caption)
        else:
            st.markdown(block.markdown)


st.title("Benchmarks")
if not REPORT.exists():
    st.info("No benchmark report yet: `make bench` writes BENCHMARKS.md (the sbibm tasks, DNRE against NRE and BNRE).")
else:
    report = split_report(REPORT.read_text(encoding="utf-8"), HEADLINE_SECTION)
    if report.headline is not None:
        st.subheader(report.headline.title, anchor=report.headline.anchor)
        show_markdown(report.headline.body)
    st.subheader("Contents", anchor="contents")
    st.markdown("\n".join(f"- [{section.title}](#{section.anchor})" for section in report.sections))
    with st.expander("How these were measured"):
        show_markdown(report.intro)
    for section in report.sections:
        st.subheader(section.title, anchor=section.anchor)
        with st.expander("Details, tables and figures"):
            show_markdown(section.body)

st.subheader("Run a small benchmark here", anchor="run-here")
st.caption("MH and HMC on a model for the example target: chain-steps per second and effective draws per second on "
           "this machine.")
workspace, runner = session.workspace(), session.runner()
models, _ = scan_models(workspace)
if not models:
    st.error("No model to benchmark: the default model is missing and the workspace has none.")
    st.stop()
by_id = {m.id: m for m in models}
session.remember("bench_model", by_id)
model = by_id[st.selectbox("Model", list(by_id), format_func=lambda i: by_id[i].label, key="bench_model")]
c1, c2 = st.columns(2)
chains = c1.number_input("Chains", 10, 5000, 200, key="bench_chains")
steps = c2.number_input("Steps", 20, 5000, 100, key="bench_steps")
if st.button("Run the benchmark", type="primary"):
    st.session_state["bench_run"] = runner.submit(
        "benchmark", f"sampler throughput of {model.name}",
        throughput_job(str(model.path), to_target(example_rows(model)), int(chains), int(steps)))


def show_throughput(snap: JobSnapshot) -> None:
    if snap.status == "done" and snap.result:
        st.dataframe(pd.DataFrame(snap.result["rows"]), hide_index=True,
                     column_config={"seconds": st.column_config.NumberColumn(format="%.2f"),
                                    "chain-steps per second": st.column_config.NumberColumn(format="%.0f"),
                                    "min bulk ESS per second": st.column_config.NumberColumn(format="%.1f"),
                                    "acceptance": st.column_config.NumberColumn(format="%.2f")})


run_id = run_picker("benchmark", "bench_run", "Benchmark runs")
if run_id is not None:
    follow(run_id, show_throughput)
