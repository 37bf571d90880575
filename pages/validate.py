"""Validate: re-simulate a design run's designs afresh (new noise) and as many prior designs, and count how many
meet the target."""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

import dnre_core
from ui import plots, session
from ui.design_job import load_designs
from ui.design_tables import designs_frame
from ui.inverse import KIND, labels
from ui.jobs import JobSnapshot
from ui.text import md
from ui.validation import ValidationConfig, load_result, validation_job
from ui.widgets import follow, open_in_design_lab

session.ensure_routed(__file__)

st.title("Validate")
st.caption("An independent check of a design run: its designs simulated afresh, with new manufacturing noise and wind, "
           "and scored against the run's target, next to as many designs drawn from the prior.")

workspace, runner = session.workspace(), session.runner()
design_runs = {r.id: r for r in workspace.runs(KIND) if r.result.get("designs") and r.result.get("simulator")}
if not design_runs:
    st.error("Nothing to validate yet: no design run with designs checked by a simulator in the workspace. Run one on "
             "the **Inverse design** page first.")
    st.stop()

session.remember("validate_run", design_runs)
chosen = st.selectbox(
    "Designs of the design run", list(design_runs), key="validate_run",
    format_func=lambda i: f"{design_runs[i].name} [{design_runs[i].status}, {design_runs[i].result['num_designs']:,} "
                          f"designs] ({i})")
source = design_runs[chosen]
metric_names, parameter_names = source.result["metric_names"], source.result["parameter_names"]
names = labels([*parameter_names, *metric_names])
target = dnre_core.Target(source.result["target"])
st.markdown("Target: " + "; ".join(f"**{md(line)}**" for line in target.describe(names)) + ".")
c1, c2 = st.columns(2)
session.remember("validate_num")
session.remember("validate_seed")
num = c1.number_input("Designs to re-simulate (the best first)", 1, int(source.result["num_designs"]),
                      min(500, int(source.result["num_designs"])), key="validate_num")
seed = c2.number_input("Seed of the fresh simulations", 0, 2**31 - 1, 1, key="validate_seed",
                       help="Any seed gives noise independent of the design run's own simulations.")
if st.button("Re-simulate and check", type="primary"):
    config = ValidationConfig(design_run_id=chosen, num_designs=int(num), seed=int(seed))
    runner.submit("validation", f"validate {source.name}", validation_job(config), {"design_run_id": chosen})

runs = [r for r in workspace.runs("validation") if r.params.get("design_run_id") == chosen]
if not runs:
    st.info("This run's designs have not been validated yet: press **Re-simulate and check**.")
    st.stop()


def show(snap: JobSnapshot) -> None:
    if snap.status != "done" or not snap.result:
        return
    result, _ = load_result(workspace.run_dir(snap.id))
    m1, m2, m3 = st.columns(3)
    m1.metric("Designs meeting every band", f"{result.fraction:.1%}",
              help=f"{int(result.meets.sum())} of {result.meets.size}, in one fresh simulation each")
    within = snap.result.get("prior_within") or []
    m2.metric("Prior designs meeting every band", f"{result.prior_fraction:.1%}",
              help=f"{int(result.prior_meets.sum())} of {result.prior_meets.size} random designs"
                   + (f" that can be built ({md('; '.join(within))})" if within else ""))
    designs = load_designs(workspace.run_dir(chosen))
    n = len(result.theta)
    m3.metric("Mean P(meet) of these designs (design run)", f"{np.mean(designs.p_meet[:n]):.1%}",
              help="What the design run expected: a fresh simulation should meet the bands about this often.")
    if result.fraction <= result.prior_fraction:
        st.warning("The designs do no better than random designs from the prior here.")
    st.dataframe(pd.DataFrame({"band": target.describe(names),
                               "designs inside": [snap.result["bands"][b] for b in target.stated],
                               "prior designs inside": [snap.result["prior_bands"][b] for b in target.stated]}),
                 hide_index=True, column_config={c: st.column_config.NumberColumn(format="percent")
                                                 for c in ("designs inside", "prior designs inside")})
    low, high = target.arrays(metric_names)
    st.plotly_chart(plots.achieved_vs_target(result.x, result.prior_x, [names[m] for m in metric_names], low, high))

    st.subheader("Best designs")
    st.caption("Ranked by the design run's P(meet), then margin. *nominal*: the design without noise (what the Design "
               "lab shows); *fresh*: this validation's simulation; *meets*: that simulation met every band.")
    fresh = designs_frame(replace(designs.head(n), x=result.x), parameter_names, metric_names, names, "fresh")
    fresh.insert(3, "meets", np.where(result.meets, "yes", "no"))
    st.dataframe(fresh.head(20), column_config={c: st.column_config.NumberColumn(format="%.4g")
                                                for c in fresh.columns if c != "meets"})
    pick = st.selectbox("Open a design in the Design lab", list(fresh.index[:20]), format_func=lambda r: f"design {r}",
                        key="validate_pick")
    if source.result.get("built_in") and st.button("Open in Design lab →"):
        open_in_design_lab(dict(zip(parameter_names, result.theta[pick - 1], strict=True)),
                           dict(zip(metric_names, result.x[pick - 1], strict=True)), "Validate")


follow(runs[0].id, show)
