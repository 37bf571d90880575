"""Validate: re-simulate proposed designs (and prior designs for contrast) and count how many meet the target."""

import numpy as np
import pandas as pd
import streamlit as st

from ui import plots, session
from ui.domain import METRIC_NAMES, PARAMETER_NAMES, metric_labels
from ui.inverse import describe_target
from ui.simulation import ValidationConfig, load_result, validation_job
from ui.targets import Target
from ui.widgets import job_status

session.ensure_routed(__file__)

st.title("Validate")
st.caption("Re-simulate the proposed designs with the simulator and check them against the target, next to as many "
           "designs drawn from the prior.")

workspace, runner = session.workspace(), session.runner()
sampling_runs = [r for r in workspace.runs("sampling") if r.result.get("samples")]
if not sampling_runs:
    st.error("Nothing to validate yet: no inverse-design run with designs in the workspace. Run one on the **Inverse "
             "design** page first.")
    st.stop()

ids = [r.id for r in sampling_runs]
preferred = st.session_state.get("validate_run")
chosen = st.selectbox(
    "Designs from the inverse-design run", ids, index=ids.index(preferred) if preferred in ids else 0,
    format_func=lambda i: next(f"{r.name} [{r.status}, {r.result['num_samples']:,} designs] ({r.id})"
                               for r in sampling_runs if r.id == i),
)
source = next(r for r in sampling_runs if r.id == chosen)
target = Target.from_dict(source.result["config"]["target"])
st.markdown("Target: " + ("; ".join(describe_target(target)) or "every metric free"))
c1, c2 = st.columns(2)
num = c1.number_input("Designs to re-simulate", 1, int(source.result["num_samples"]),
                      min(500, int(source.result["num_samples"])), key="validate_num")
seed = c2.number_input("Seed", 0, 2**31 - 1, 0, key="validate_seed")
if st.button("Re-simulate and check", type="primary"):
    config = ValidationConfig(sampling_run_id=chosen, num_designs=int(num), seed=int(seed))
    runner.submit("validation", f"validate {chosen}", validation_job(config), {"sampling_run_id": chosen})


@st.fragment(run_every=0.75)
def live() -> None:
    snap = runner.latest("validation")
    if snap is not None:
        job_status(runner, snap)
        if snap.finished:
            st.rerun()


snap = runner.latest("validation")
if snap is not None and not snap.finished:
    live()
elif snap is not None:
    job_status(runner, snap)

done = [r for r in workspace.runs("validation") if r.status == "done" and r.result.get("sampling_run_id") == chosen]
if not done:
    st.info("This run's designs have not been validated yet: press **Re-simulate and check**.")
    st.stop()
result, prior_theta = load_result(workspace.run_dir(done[0].id))
labels = metric_labels()
m1, m2, m3 = st.columns(3)
m1.metric("Proposed designs meeting every target", f"{result.fraction:.1%}",
          help=f"{int(result.meets.sum())} of {result.meets.size}")
m2.metric("Prior designs meeting every target", f"{result.prior_fraction:.1%}",
          help=f"{int(result.prior_meets.sum())} of {result.prior_meets.size}")
m3.metric("Effective sample size of the accepted designs", f"{result.effective_sample_size:.0f}",
          help="Kish ESS of the importance weights towards p(θ | metrics in the target band)")
if result.fraction <= result.prior_fraction:
    st.warning("The proposed designs do no better than random designs from the prior: the model is not informative for "
               "this target (train it longer or on more data).")
low, high = target.bands()
st.plotly_chart(plots.achieved_vs_target(result.x, result.prior_x, labels, low, high))

st.subheader("Best designs")
order = result.ranking()[:20]
table = pd.DataFrame(result.x[order], columns=labels)
table.insert(0, "meets target", np.where(result.meets[order], "yes", "no"))
table.insert(0, "design", order)
st.dataframe(table, hide_index=True)
pick = st.selectbox("Open a design in the Design lab", order, format_func=lambda i: f"design {i}", key="validate_pick")
if st.button("Open in Design lab →"):
    for name, value in zip(PARAMETER_NAMES, result.theta[pick].tolist(), strict=True):
        st.session_state[f"lab_{name}"] = value
    st.session_state["design_metrics"] = dict(zip(METRIC_NAMES, result.x[pick].tolist(), strict=True))
    st.switch_page("pages/design_lab.py")
