"""Inverse design: state target bands, find designs that meet them (checked with the simulator, each with P(meet)),
follow the run live, compare designs and their trade-offs, export them."""

import numpy as np
import pandas as pd
import streamlit as st

import dnre_core
import quadcopter
from dnre_core.design import ROUTES
from ui import plots, plots_design, plots_quad, session
from ui.coverage import NEAR_POOL, CoverageConfig, coverage_job
from ui.design_job import load_designs
from ui.design_tables import (
    compare_frame,
    designs_frame,
    p_meet_category,
    parameter_summary,
    parcoords_axes,
)
from ui.domain import HIGHER_IS_BETTER
from ui.export import csv_bytes
from ui.inverse import (
    DEFAULT_OPTIONS,
    KIND,
    DesignOptions,
    example_rows,
    labels,
    simulator_spec,
    standing_label,
    start_design,
)
from ui.jobs import JobSnapshot
from ui.models import scan_models
from ui.report import design_report
from ui.targets import MODES, MetricForm, to_target
from ui.text import md
from ui.widgets import follow, open_in_design_lab, run_picker, show_coverage

session.ensure_routed(__file__)

st.title("Inverse design")
st.caption("State the performance you want as bands on the metrics. The model proposes designs, the simulator checks "
           "them, and every design comes with P(meet): the fraction of fresh simulations of it that meet every band.")

workspace, runner = session.workspace(), session.runner()
models, problems = scan_models(workspace)
for problem in problems:
    st.warning(md(problem))
if not models:
    st.error("No model is available: the shipped default model is missing and the workspace has none. Train one on the "
             "**Train** page, or run `make default-model`.")
    st.stop()

by_id = {m.id: m for m in models}
model_names = {m.id: m.name for m in models}
session.remember("design_model", by_id)
model = by_id[st.selectbox("Model", list(by_id), format_func=lambda i: by_id[i].label, key="design_model")]
names = labels([*model.parameter_names, *model.metric_names])
try:
    spec = simulator_spec(model)
except dnre_core.InputError as exc:
    st.error(f"The simulator named by this model's data set cannot be used: {md(exc)}")
    st.stop()
if spec is None:
    st.warning("**No simulator: designs are the model's answer, not checked.** This model's data set names no "
               "simulator, so its designs come from the model alone (conditioned on the data set's simulations inside "
               "the bands) and carry no P(meet). Name the simulator when importing a data set to check its designs.",
               icon=":material/warning:")
else:
    names.update(labels([*model.parameter_names, *model.metric_names], spec.units))
    st.caption(f"Simulator: {md(spec.name)}. Every design is simulated; its P(meet) comes from fresh simulations "
               "with manufacturing noise and wind.")

st.subheader("Target")
example = {row.name: row for row in example_rows(model)}
header = st.columns([3, 2, 2, 2, 3])
for col, text in zip(header, ["metric", "target", "value", "tolerance ±", "range seen in training"], strict=True):
    col.markdown(f"**{text}**")
rows = []
for i, name in enumerate(model.metric_names):
    cols = st.columns([3, 2, 2, 2, 3])
    cols[0].markdown(md(names[name]))
    low, high = model.x_min[i], model.x_max[i]
    default = example[name]
    middle = default.value if default.mode != "free" else (low + high) / 2 if np.isfinite(low + high) else 0.0
    tenth = (high - low) / 10 if np.isfinite(high - low) and high > low else 1.0
    key = f"design_{model.id}_{name}"
    for suffix, allowed in (("mode", MODES), ("value", None), ("tol", None)):
        session.remember(f"{key}_{suffix}", allowed)
    mode = cols[1].selectbox("target", MODES, index=MODES.index(default.mode), key=f"{key}_mode",
                             label_visibility="collapsed")
    value = cols[2].number_input("value", value=float(middle), key=f"{key}_value", disabled=mode == "free",
                                 label_visibility="collapsed", format="%.4g")
    tolerance = cols[3].number_input("tolerance", value=float(tenth), min_value=0.0, key=f"{key}_tol",
                                     disabled=mode != "value", label_visibility="collapsed", format="%.4g")
    cols[4].caption(f"{low:.4g} to {high:.4g}")
    rows.append(MetricForm(name, mode, value, tolerance))

standing = False
if spec is not None and spec.default_constraints:
    session.remember("design_standing")
    standing_text, standing_help = standing_label(spec, names)
    standing = st.checkbox(standing_text, value=True, key="design_standing", help=standing_help)

target = None
try:
    target = to_target(rows, spec.resolution if spec else None, names)
except dnre_core.InputError as exc:
    st.error(md(exc))
if target is not None:
    checked = target
    if spec is not None and standing:
        checked = target.with_defaults({k: v for k, v in spec.default_constraints.items() if k in model.metric_names})
    st.markdown("Target: " + "; ".join(f"**{md(line)}**" for line in checked.describe(names)) + ".")
    for warning in dnre_core.target_warnings(checked, model.metric_names, (model.x_min, model.x_max),
                                             spec.resolution if spec else None, names,
                                             exact=list(spec.exact_metrics) if spec else []):
        st.warning(md(warning))

with st.expander("Advanced options", expanded=False):
    for key in ("design_num", "design_robust_on", "design_robust", "design_replicates", "design_budget", "design_seed"):
        session.remember(key)
    session.remember("design_route", ROUTES)
    c1, c2, c3 = st.columns(3)
    num = c1.number_input("Number of designs", 1, 100_000, DEFAULT_OPTIONS.num_designs, key="design_num")
    replicates = c2.number_input("Simulations per design for P(meet)", 1, 1000, DEFAULT_OPTIONS.replicates,
                                 key="design_replicates", disabled=spec is None)
    budget = c3.number_input("Budget (simulations, P(meet) included)", 2000, 10_000_000,
                             DEFAULT_OPTIONS.max_simulations, step=10_000, key="design_budget", disabled=spec is None)
    c4, c5, c6 = st.columns(3)
    robust_on = c4.checkbox("Robust designs only", key="design_robust_on", disabled=spec is None,
                            help="Keep only designs that meet every band at least this often in fresh simulations, "
                                 "instead of designs drawn from p(design | metrics in the bands).")
    robust = c4.slider("Robust: P(meet) at least", 0.5, 1.0, 0.9, 0.05, key="design_robust",
                       disabled=spec is None or not robust_on)
    route = c5.selectbox("Route", ROUTES, key="design_route", disabled=spec is None,
                         help="auto: the cheaper of rejection from the prior and the model's proposals, measured on "
                              "this target; the run says which it took and why.")
    seed = c6.number_input("Seed", 0, 2**31 - 1, DEFAULT_OPTIONS.seed, key="design_seed")

if st.button("Find designs", type="primary", disabled=target is None) and target is not None:
    options = DesignOptions(num_designs=int(num), robust=float(robust) if robust_on and spec else None,
                            replicates=int(replicates), max_simulations=int(budget), route=route, seed=int(seed))
    try:
        st.session_state["design_run"] = start_design(runner, model, target, standing, options)
    except dnre_core.InputError as exc:
        st.error(f"Cannot run this target: {md(exc)}")

with st.expander("Can I trust this model near this target?", expanded=False):
    st.caption("Expected coverage on held-out simulations whose metrics lie nearest the bands you stated: of "
               f"{NEAR_POOL}× as many prior designs simulated afresh, those closest to the target. A model that is "
               "wrong where you are asking shows it here, even if it is calibrated on average (the Train page's "
               "check).")
    if spec is None or target is None:
        st.info("The check needs a simulator and a valid target.")
    else:
        near = target.to_dict()
        if st.button("Check it near this target", key="design_trust_button"):
            config = CoverageConfig(model_id=model.id, model_path=str(model.path), near_target=near)
            runner.submit("coverage", f"coverage of {model.name} near " + "; ".join(target.describe(names)),
                          coverage_job(config, spec.function), {"model_id": model.id, "near_target": near})
        checks = [r.id for r in workspace.runs("coverage")
                  if r.params.get("model_id") == model.id and r.params.get("near_target") == near]
        if checks:
            follow(checks[0], lambda snap: show_coverage(snap, f"Expected coverage of {model.name} near the target"))
        else:
            st.info("Not checked for this model and target yet.")

parameter_order = list(model.parameter_names)


def show_progress(snap: JobSnapshot) -> None:
    """Live: the rounds (hit rate, simulations), the search so far, and the model's proposal chains."""
    data = snap.data
    if "stage" in data and not snap.finished:
        m1, m2, m3 = st.columns(3)
        m1.metric("Designs found", f"{data['found']:,} of {data['num_designs']:,}")
        m2.metric("Simulations so far", f"{data['simulations']:,}")
        m3.metric("Stage", data["stage"])
    rounds = data.get("rounds") or (snap.result or {}).get("rounds")  # live, or read back from the run's record
    if rounds:
        left, right = st.columns(2)
        left.plotly_chart(plots_design.rounds_plot(rounds), key=f"rounds-{snap.id}")
        table = pd.DataFrame(rounds).assign(
            hit_rate=lambda f: 100 * f["hit_rate"],
            draws=lambda f: [f"{d:.0f}" if pd.notna(d) else "–" for d in f.get("draws_per_chain", [None] * len(f))])
        right.dataframe(table, hide_index=True,
                        column_order=["round", "route", "simulations", "hit_rate", "kept", "draws", "seconds"],
                        column_config={
                            "hit_rate": st.column_config.NumberColumn(
                                "hit %", format="%.1f", help="Share of the round's simulations meeting every band"),
                            "kept": st.column_config.NumberColumn(help="Designs kept from the round"),
                            "draws": st.column_config.TextColumn(
                                help="Draws per chain of the model's proposals (– for prior designs)"),
                            "seconds": st.column_config.NumberColumn("s", format="%.1f", help="Seconds")})
    proposals = data.get("proposals")
    if proposals and not snap.finished:
        st.markdown(f"**The model's proposals**: {proposals['chains_count']:,} chains, step {proposals['step']:,} of "
                    f"{proposals['total_steps']:,} ({'warm-up' if proposals['phase'] == 'warmup' else 'sampling'}), "
                    f"acceptance {proposals['acceptance']:.2f}, proposal scale {proposals['step_size']:.3g}.")
        if "chains" in proposals:
            shown = parameter_order[:4]
            traces = session.paced_value("design_live_traces").get(
                snap.id, proposals["step"],
                lambda: plots.trace_plot(proposals["chains"][:, :, :4], [names[n] for n in shown],
                                         title="The model's proposal chains"))
            st.plotly_chart(traces, key=f"traces-{snap.id}")
        st.caption("Each chain is conditioned on its own simulated metrics inside the bands, so the chains are not "
                   "meant to agree and R̂/ESS across them do not apply. A chain gives one draw after its warm-up, or "
                   "several where the proposals rarely meet the bands (their traces are then drawn above); every "
                   "draw is simulated, and a chain's first draw that meets the bands is kept.")


def show_results(snap: JobSnapshot) -> None:
    """A finished (or stopped) run's designs: ranked table, trade-offs, side by side, summary, export."""
    result = snap.result or {}
    if not result.get("designs"):
        if snap.status == "cancelled":
            st.info("The run was stopped before it found a design.")
        return
    designs = load_designs(workspace.run_dir(snap.id))
    metric_names, parameter_names = result["metric_names"], result["parameter_names"]
    run_names = {**labels([*parameter_names, *metric_names]), **names}
    frame = designs_frame(designs, parameter_names, metric_names, run_names)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Designs", f"{len(designs.theta):,}")
    unmeasured = "not measured" if result.get("simulator") else "not simulated"  # stopped before P(meet) / no simulator
    m2.metric("Mean P(meet)", f"{np.mean(designs.p_meet):.1%}" if designs.checked else unmeasured,
              help="The fraction of fresh simulations of the designs that met every band.")
    m3.metric("Simulations", f"{result['simulations_used']:,}")
    m4.metric("Route", result["route"])
    st.info(f"Route: **{md(result['route'])}**, because {md(result['route_reason'])}.", icon=":material/route:")
    for warning in result.get("warnings", []):
        st.warning(md(warning))
    if result.get("dataset_id"):
        st.caption(f"All {result['simulations_used']:,} simulations of this run are kept in the workspace as the data "
                   "set named after it (source: design run), so a model trained there next knows this region.")
    c1, c2, c3 = st.columns(3)
    c1.download_button("Export the designs (CSV)", csv_bytes(frame, index_label="design"),
                       file_name=f"designs_{snap.id}.csv", mime="text/csv", icon=":material/download:",
                       help="The table below, every design: parameters, nominal and simulated metrics, P(meet) and "
                            "its simulations, margin; units in the header.")
    def report() -> str:  # built when the button is pressed, not on every rerun
        model_name = model_names.get(result["config"]["model_id"], "a model no longer in the workspace")
        return design_report(workspace.run(snap.id), designs, run_names, model_name)

    c2.download_button("Report of this run (HTML)", report, file_name=f"design_run_{snap.id}.html",
                       mime="text/html", icon=":material/description:",
                       help="One self-contained file (opens offline) to attach to a design review: target, model, "
                            "route, rounds, trade-offs, the best designs and each parameter's spread.")
    if designs.checked and c3.button("Validate these designs →"):
        st.session_state["validate_run"] = snap.id
        st.switch_page("pages/validate.py")

    st.subheader("Designs, best first")
    st.caption("Ranked by P(meet), then by margin (how far the median fresh simulation lies inside the bands), never "
               "by one noisy simulation. *nominal*: the design as drawn, without noise (what the Design lab shows); "
               "*simulated*: one fresh simulation with manufacturing noise and wind.")
    st.dataframe(frame, height=400, column_config=_formats(frame))
    values = designs.metrics
    trade_tab, side_tab, summary_tab = st.tabs(["Trade-offs", "Side by side", "Parameter summary"])
    with trade_tab:
        st.plotly_chart(plots.parcoords(*parcoords_axes(designs, metric_names, run_names), p_meet_category(designs),
                                        title="Designs in parallel coordinates (metrics nominal where known)"))
        c1, c2 = st.columns(2)
        session.remember("design_pareto_x", metric_names)
        session.remember("design_pareto_y", metric_names)
        asked = dnre_core.Target(result["config"]["target"]).stated  # the bands the engineer stated, first
        order = [*asked, *(n for n in metric_names if n not in asked)]
        x_name = c1.selectbox("Trade-off across", metric_names, index=metric_names.index(order[0]),
                              format_func=run_names.get, key="design_pareto_x")
        y_name = c2.selectbox("against", metric_names, index=metric_names.index(order[min(1, len(order) - 1)]),
                              format_func=run_names.get,
                              key="design_pareto_y")
        pair = [metric_names.index(x_name), metric_names.index(y_name)]
        st.plotly_chart(plots.pareto_plot(values[:, pair], (run_names[x_name], run_names[y_name]),
                                          (x_name in HIGHER_IS_BETTER, y_name in HIGHER_IS_BETTER),
                                          designs.meets if designs.checked else None,
                                          title="Trade-off between two metrics of the designs"))
    with side_tab:
        ranks = list(frame.index)
        picks = st.multiselect("Designs to compare (2 to 4)", ranks, default=ranks[:2], max_selections=4,
                               format_func=lambda r: f"design {r}", key=f"design_compare_{snap.id}")
        if picks:
            side = compare_frame(frame, picks)
            st.dataframe(side, height=35 * (len(side) + 1) + 3,  # every row on screen, no inner scrolling
                         column_config={"_index": st.column_config.TextColumn(width=340),  # the longest label whole
                                        **{f"design {r}": st.column_config.NumberColumn(format="%.4g")
                                           for r in picks}})
            if result.get("built_in"):
                for col, rank in zip(st.columns(len(picks)), picks, strict=True):
                    col.plotly_chart(plots_quad.design_view(quadcopter.geometry(designs.theta[rank - 1]),
                                                            title=f"Design {rank}", compact=True),
                                     key=f"view-{snap.id}-{rank}")
        if picks and result.get("built_in"):
            opened = st.selectbox("Open in the Design lab", picks, format_func=lambda r: f"design {r}",
                                  key="design_open")
            if st.button("Open in Design lab →", key="design_open_button"):
                open_in_design_lab(dict(zip(parameter_names, designs.theta[opened - 1], strict=True)),
                                   dict(zip(metric_names, designs.x[opened - 1], strict=True)), "Inverse design")
    with summary_tab:
        summary = parameter_summary(designs.theta, parameter_names, run_names)
        st.dataframe(summary, hide_index=True, height=35 * (len(summary) + 1) + 3,
                     column_config={c: st.column_config.NumberColumn(format="%.1f") for c in ("5 %", "median", "95 %")})
        st.caption("Median and 5–95 % interval of each parameter over the designs, in its unit.")


def _formats(frame: pd.DataFrame) -> dict[str, object]:
    formats: dict[str, object] = {"P(meet)": st.column_config.NumberColumn(format="%.2f"),
                                  "margin": st.column_config.NumberColumn(format="%.2f")}
    for column in frame.columns:
        formats.setdefault(column, st.column_config.NumberColumn(format="%.4g"))
    return formats


def show(snap: JobSnapshot) -> None:
    show_progress(snap)
    if snap.finished:
        show_results(snap)


st.subheader("Design runs")
run_id = run_picker(KIND, "design_run", "Design runs")
if run_id is None:
    st.info("No design run yet: set a target and press **Find designs**.")
else:
    follow(run_id, show)
