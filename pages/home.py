"""Home: what the tool does, the workflow, the state of the workspace, and a one-click inverse design."""

import streamlit as st

import dnre_core
from ui import session
from ui.inverse import example_rows, labels, start_design
from ui.models import DEFAULT_MODEL_ID, scan_models
from ui.targets import to_target
from ui.text import md
from ui.widgets import runs_table

session.ensure_routed(__file__)

st.title("dnre-quad: quadcopter design by inference")
st.markdown(
    "State the flight performance you want (hover time, mass, range, speed…) and get quadcopter designs that "
    "deliver it. A neural ratio estimator (DNRE), trained on a physics-based flight simulator, turns your target "
    "into designs that meet your bands. Every design is checked with the simulator and comes with P(meet), the "
    "fraction of fresh simulations (with manufacturing noise and wind) that meet every band, so you see how "
    "reliably it delivers before you build one."
)

st.subheader("The workflow")
cols = st.columns(4)
steps = [
    ("pages/data.py", "1. Data", "Simulate designs with the built-in simulator, or import a CSV from yours."),
    ("pages/train.py", "2. Train", "Train a DNRE (or NRE / BNRE) on a data set; watch the loss live."),
    ("pages/inverse_design.py", "3. Inverse design",
     "State target bands; get designs checked by simulation, each with P(meet)."),
    ("pages/validate.py", "4. Validate", "Re-simulate the designs afresh: how many meet the target, and the prior's?"),
]
for col, (page, label, text) in zip(cols, steps, strict=True):
    with col:
        st.page_link(page, label=label)
        st.caption(text)

workspace = session.workspace()
models, problems = scan_models(workspace)
st.subheader("Try it now")
default = next((m for m in models if m.id == DEFAULT_MODEL_ID), None)
if default is None:
    st.error("The shipped default model (models/default_dnre.pt) is missing; run `make default-model` to rebuild it.")
else:
    target = to_target(example_rows(default))
    lines = target.describe(labels(default.metric_names))
    st.markdown("Example target: " + "; ".join(f"**{md(line)}**" for line in lines) + "; no interferences.")
    if st.button("Design a quadcopter for this target", type="primary"):
        try:
            st.session_state["design_run"] = start_design(session.runner(), default, target)
        except dnre_core.InputError as exc:
            st.error(f"The example target does not suit the default model: {md(exc)}")
        else:
            st.switch_page("pages/inverse_design.py")

st.subheader("Workspace")
counts = workspace.counts()
c1, c2, c3 = st.columns(3)
c1.metric("Data sets", counts["datasets"])
c2.metric("Models", len(models), help="Every model ready to use: the shipped default model and the workspace's.")
c3.metric("Runs", counts["runs"])
for problem in problems:
    st.warning(md(problem))
if workspace.recovered:
    st.warning(f"{len(workspace.recovered)} run(s) were interrupted when the server last stopped; they are kept below, "
               "marked interrupted.", icon=":material/warning:")
runs = workspace.runs()
if runs:
    st.dataframe(runs_table(runs[:20]), hide_index=True)
elif not any(counts.values()):
    st.info("The workspace is empty: no data sets, trained models or runs yet. Start with **Try it now** or the "
            "**Data** page.")
else:
    st.info("No runs yet: start one with **Try it now**, or on the **Data**, **Train** or **Inverse design** page.")
