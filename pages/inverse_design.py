"""Inverse design: state a target, pick a model and a sampler, watch the chains live, export the designs."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from ui import plots, session
from ui.domain import METRIC_NAMES, PARAMETER_NAMES, metric_labels, parameter_labels
from ui.export import csv_bytes
from ui.inverse import DEFAULT_SETTINGS, SAMPLERS, example_target, start_inverse_design
from ui.jobs import JobSnapshot
from ui.models import scan_models
from ui.sampling_job import load_samples
from ui.targets import MODES, MetricTarget, Target, TargetError
from ui.widgets import job_status

session.ensure_routed(__file__)

st.title("Inverse design")
st.caption("State the performance you want; the model proposes designs that deliver it. Leave a metric free when "
           "anything will do.")

workspace, runner = session.workspace(), session.runner()
models, problems = scan_models(workspace)
for problem in problems:
    st.warning(problem)
if not models:
    st.error("No model is available: the shipped default model is missing and the workspace has none. Train one on the "
             "**Train** page, or run `make default-model`.")
    st.stop()

model = st.selectbox("Model", models, format_func=lambda m: m.label, key="inverse_model")
labels = dict(zip(METRIC_NAMES, metric_labels(), strict=True))
example = {m.name: m for m in example_target(model).metrics}

st.subheader("Target")
header = st.columns([3, 2, 2, 2, 3])
for col, text in zip(header, ["metric", "target", "value", "tolerance ±", "range the model was trained on"],
                     strict=True):
    col.markdown(f"**{text}**")
metrics = []
for i, name in enumerate(model.metric_names):
    cols = st.columns([3, 2, 2, 2, 3])
    cols[0].markdown(labels.get(name, name))
    modes = MODES if model.masked else tuple(m for m in MODES if m != "free")
    middle, tenth = (model.x_min[i] + model.x_max[i]) / 2, (model.x_max[i] - model.x_min[i]) / 10
    default = example[name] if example[name].mode in modes else MetricTarget(name, "value", middle, tenth)
    key = f"inverse_{model.id}_{name}"
    mode = cols[1].selectbox("target", modes, index=modes.index(default.mode), key=f"{key}_mode",
                             label_visibility="collapsed")
    value = cols[2].number_input("value", value=float(default.value), key=f"{key}_value", disabled=mode == "free",
                                 label_visibility="collapsed", format="%.4g")
    tolerance = cols[3].number_input("tolerance", value=float(default.tolerance), min_value=0.0, key=f"{key}_tol",
                                     disabled=mode != "value", label_visibility="collapsed", format="%.4g")
    cols[4].caption(f"{model.x_min[i]:.4g} to {model.x_max[i]:.4g}")
    metrics.append(MetricTarget(name, mode, value, tolerance))

with st.expander("Sampler", expanded=False):
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    sampler = c1.radio("Sampler", SAMPLERS, index=SAMPLERS.index(DEFAULT_SETTINGS.sampler), format_func=str.upper,
                       key="inverse_sampler",
                       help="MH: random-walk Metropolis–Hastings, its proposal scale spread over two decades so that "
                            "it crosses broad and narrow parts of a posterior; HMC: Hamiltonian Monte Carlo with the "
                            "direct log-ratio gradient.")
    chains = c2.number_input("Chains", 1, 5000, DEFAULT_SETTINGS.num_chains, key="inverse_chains")
    warmup = c3.number_input("Warm-up steps", 0, 20000, DEFAULT_SETTINGS.warmup_steps, key="inverse_warmup")
    draws = c4.number_input("Designs to draw", 1, 1_000_000, DEFAULT_SETTINGS.num_samples, key="inverse_draws")
    thin = c5.number_input("Thinning", 1, 100, DEFAULT_SETTINGS.thin, key="inverse_thin")
    seed = c6.number_input("Seed", 0, 2**31 - 1, DEFAULT_SETTINGS.seed, key="inverse_seed")

if st.button("Find designs", type="primary"):
    settings = replace(DEFAULT_SETTINGS, sampler=sampler, num_chains=int(chains), warmup_steps=int(warmup),
                       num_samples=int(draws), thin=int(thin), seed=int(seed))
    try:
        start_inverse_design(runner, model, Target(tuple(metrics)), settings)
    except TargetError as exc:
        st.error(f"Cannot run this target: {exc}")

parameter_label = dict(zip(PARAMETER_NAMES, parameter_labels(), strict=True))
shown = st.multiselect(
    "Parameters in the corner and trace plots", list(PARAMETER_NAMES), default=list(PARAMETER_NAMES[:4]),
    format_func=lambda n: parameter_label[n], key="inverse_shown", max_selections=8,
)


def show(snap: JobSnapshot) -> None:
    job_status(runner, snap)
    data = snap.data
    if "draws" not in data:
        return
    for warning in data["warnings"] if data.get("phase") == "sampling" or snap.finished else []:
        st.warning(warning)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Step", f"{data['step']} / {data['total_steps']}", help="warm-up steps, then kept steps")
    m2.metric("Acceptance (mean over chains)", f"{data['acceptance']:.2f}")
    m3.metric("Step size / proposal scale (median)", f"{data['step_size']:.3g}")
    table = pd.DataFrame(data["diagnostics"])
    m4.metric("Worst R̂", f"{table['rhat'].max():.3f}" if table["rhat"].notna().any() else "n/a")
    if len(data["draws"]) == 0:
        st.info("Warm-up: the chains are adapting their proposals. The corner and trace plots and the diagnostics "
                "table appear with the first kept draws.", icon=":material/hourglass_top:")
        return
    index = [PARAMETER_NAMES.index(n) for n in shown]
    names = [parameter_label[n] for n in shown]
    left, right = st.columns([3, 2])
    if index:
        corner, traces = session.paced_value("inverse_live_figures").get(
            (snap.id, tuple(index)), data["step"],
            lambda: (plots.corner_plot(data["draws"][:, index], names, title="Posterior, recent draws of all chains"),
                     plots.trace_plot(data["chains"][:, :, index], names)),
            force=snap.finished,
        )
        left.plotly_chart(corner)
        right.plotly_chart(traces)
    table.insert(0, "label", [parameter_label.get(n, n) for n in table["parameter"]])
    st.dataframe(
        table.round({"rhat": 3, "ess_bulk": 0, "ess_tail": 0})
        .rename(columns={"rhat": "R̂", "ess_bulk": "bulk ESS", "ess_tail": "tail ESS"})
        .drop(columns=["parameter"]),
        hide_index=True,
    )


@st.fragment(run_every=0.75)
def live() -> None:
    snap = runner.latest("sampling")
    if snap is None:
        return
    show(snap)
    if snap.finished:
        st.rerun()  # leave live mode


snap = runner.latest("sampling")
if snap is None:
    st.info("No inverse-design run in this session yet: set a target and press **Find designs**.")
elif not snap.finished:
    live()
else:
    show(snap)
    if snap.result:
        theta, _ = load_samples(workspace.run_dir(snap.id))
        designs = pd.DataFrame(theta, columns=list(PARAMETER_NAMES))
        c1, c2 = st.columns(2)
        c1.download_button("Export the designs (CSV)", csv_bytes(designs, index_label="design"),
                           file_name=f"designs_{snap.id}.csv", mime="text/csv")
        if c2.button("Validate these designs →"):
            st.session_state["validate_run"] = snap.id
            st.switch_page("pages/validate.py")
