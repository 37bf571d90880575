"""Design lab: edit one design, see it in 3-D, its seven metrics (nominal simulation), its power curve, what-if
sweeps around it and a 6-DOF flight replay."""

import pandas as pd
import streamlit as st

import quadcopter
from quadcopter.interference import interfering_pairs
from ui import plots_quad, plots_sweeps, session, sweeps
from ui.domain import (
    DEFAULTS,
    LOWER,
    METRIC_NAMES,
    PARAMETER_GROUPS,
    PARAMETER_NAMES,
    UPPER,
    metric_labels,
    parameter_labels,
)
from ui.widgets import DESIGN_METRICS_KEY

session.ensure_routed(__file__)

st.title("Design lab")
st.caption("Change a design and see its layout, its metrics (nominal design, no manufacturing noise) and the physics "
           "behind them.")

labels = dict(zip(PARAMETER_NAMES, parameter_labels(), strict=True))
values = {}
for tab, names in zip(st.tabs(list(PARAMETER_GROUPS)), PARAMETER_GROUPS.values(), strict=True):
    with tab:
        cols = st.columns(4)
        for k, name in enumerate(names):
            i = PARAMETER_NAMES.index(name)
            session.remember(f"lab_{name}")  # the design survives a reload; the Validate page may have set it
            st.session_state.setdefault(f"lab_{name}", float(DEFAULTS[i]))
            values[name] = cols[k % 4].number_input(
                labels[name], min_value=float(LOWER[i]), max_value=float(UPPER[i]), step=1.0, key=f"lab_{name}",
                help=f"{LOWER[i]:g} to {UPPER[i]:g} mm",
            )

theta = [[values[n] for n in PARAMETER_NAMES]]
detail = quadcopter.simulate_detailed(theta, noise=False)
metrics = detail.metrics[0]
opened = st.session_state.get(DESIGN_METRICS_KEY)
if opened is not None and opened["design"] != values:
    opened = None  # the design opened from another page was changed here: its simulation is another design's
left, right = st.columns([3, 2])
left.plotly_chart(plots_quad.design_view(quadcopter.geometry(theta[0]), title="Layout of this design"))
with right:
    st.markdown("**Metrics (nominal simulation)**")
    table = pd.DataFrame({"metric": metric_labels(), "this design": metrics.round(3)})
    if opened is not None:
        column = f"simulated ({opened['where']})"
        table[column] = [round(opened["values"][m], 3) for m in METRIC_NAMES]
        st.caption(f"*{column}*: the same design simulated with manufacturing noise and wind on the {opened['where']} "
                   "page; *this design* is its nominal simulation (no noise), as the tables there show it.")
    # A static table: its text wraps, so no column is cut off in this narrow column (a dataframe's would be).
    st.table(table.set_index("metric").style.format("{:.4g}"))
    if detail.failure[0]:
        st.error(f"This design cannot fly: {detail.failure[0]}.")
    clashes = interfering_pairs(theta[0])
    if clashes:
        with st.expander(f"What interferes ({sum(n for _, n in clashes)} pairs)", expanded=len(clashes) <= 6):
            st.dataframe(pd.DataFrame(clashes, columns=["parts", "pairs"]), hide_index=True,
                         column_config={"parts": st.column_config.TextColumn(width="large")})
sweep = detail.sweep
st.plotly_chart(plots_quad.power_curve(sweep.speeds, sweep.power[0], sweep.feasible[0],
                                       title="Electrical power against forward speed (trim sweep)"))


@st.cache_data(show_spinner=False, max_entries=16)
def _sweep_1d(design: tuple[float, ...], parameter: int) -> sweeps.Sweep1D:
    return sweeps.sweep_1d(list(design), parameter)


@st.cache_data(show_spinner="Simulating the grid…", max_entries=8)
def _sweep_2d(design: tuple[float, ...], parameters: tuple[int, int], num: int) -> sweeps.Sweep2D:
    return sweeps.sweep_2d(list(design), parameters, num)


@st.cache_data(show_spinner=False, max_entries=16)
def _sensitivity(design: tuple[float, ...], fraction: float, of: str) -> sweeps.Sensitivity:
    return sweeps.sensitivity(list(design), fraction, of)


st.subheader("What if?")
st.caption("Sweeps around this design with the nominal simulator: every other parameter keeps its value above.")
design = tuple(theta[0])
one_tab, two_tab, local_tab = st.tabs(["One parameter", "Two parameters", "Sensitivity"])
with one_tab:
    session.remember("sweep_param", PARAMETER_NAMES)
    swept = st.selectbox("Parameter to sweep over its range", PARAMETER_NAMES, format_func=labels.get,
                         key="sweep_param")
    result = _sweep_1d(design, PARAMETER_NAMES.index(swept))
    st.plotly_chart(plots_sweeps.sweep_1d_plot(result, labels[swept], metric_labels()))
with two_tab:
    c1, c2, c3, c4 = st.columns([3, 3, 3, 2])
    for key, allowed in (("sweep_x", PARAMETER_NAMES), ("sweep_y", PARAMETER_NAMES), ("sweep_metric", METRIC_NAMES),
                         ("sweep_grid", (30, 50, 100))):
        session.remember(key, allowed)
    x_name = c1.selectbox("Across (x)", PARAMETER_NAMES, format_func=labels.get, key="sweep_x")
    y_name = c2.selectbox("Up (y)", PARAMETER_NAMES, index=3, format_func=labels.get, key="sweep_y")
    metric_label = dict(zip(METRIC_NAMES, metric_labels(), strict=True))
    metric = c3.selectbox("Metric", METRIC_NAMES, index=METRIC_NAMES.index("Max_Hover_Time_(s)"),
                          format_func=metric_label.get, key="sweep_metric")
    grid = c4.selectbox("Grid", (30, 50, 100), index=1, format_func=lambda n: f"{n} × {n} designs", key="sweep_grid")
    if x_name == y_name:
        st.info("Choose two different parameters.")
    else:
        result_2d = _sweep_2d(design, (PARAMETER_NAMES.index(x_name), PARAMETER_NAMES.index(y_name)), grid)
        st.plotly_chart(plots_sweeps.sweep_2d_plot(result_2d, METRIC_NAMES.index(metric), metric_label[metric],
                                                   labels[x_name], labels[y_name]))
with local_tab:
    c1, c2 = st.columns(2)
    session.remember("sens_pct")
    session.remember("sens_of", sweeps.STEP_OF)
    pct = c1.number_input("Step (%)", 1.0, 50.0, 10.0, step=1.0, key="sens_pct")
    of = c2.radio("of the parameter's", sweeps.STEP_OF, horizontal=True, key="sens_of",
                  help="value: ± a fraction of the parameter's current value (offsets at 0 do not move); range: ± a "
                       "fraction of its bounds' width.")
    local = _sensitivity(design, pct / 100, of)
    st.plotly_chart(plots_sweeps.sensitivity_plot(local, parameter_labels(), metric_labels(), f"{pct:g} % of its {of}"))

st.subheader("Flight replay (6-DOF)")
st.caption(
    "The design flies from hover; at t = 0.5 s its controller is commanded a sideways speed step. Gusts are a seeded "
    "random wind. A time-domain check of the controller and the thrust margin, beside the steady-state metrics above."
)
c1, c2, c3 = st.columns(3)
speed = c1.number_input("Speed step (m/s)", 0.5, 30.0, 5.0, step=0.5, key="replay_speed")
gust = c2.number_input("Gusts, standard deviation (m/s)", 0.0, 10.0, 0.0, step=0.5, key="replay_gust")
gust_seed = c3.number_input("Gust seed", 0, 2**31 - 1, 0, key="replay_seed")
settings = (tuple(theta[0]), speed, gust, gust_seed)
if st.button("Fly the step response", icon=":material/flight_takeoff:"):
    log = quadcopter.fly(theta, velocity_ref=speed, duration=6.0, dt=0.01, gust=gust, seed=int(gust_seed))
    st.session_state["replay"] = (settings, log)
replay = st.session_state.get("replay")
if replay is None:
    st.info("Press **Fly the step response** to replay this design in the 6-DOF simulator (about two seconds).")
elif replay[0] != settings:
    st.info("The design or the replay settings changed since the last flight: press **Fly the step response** again.")
else:
    title = f"Step response to a {speed:g} m/s sideways speed command" + (f", gusts {gust:g} m/s" if gust else "")
    st.plotly_chart(plots_quad.step_response(replay[1], speed, title=title))
