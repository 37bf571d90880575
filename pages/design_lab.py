"""Design lab: edit one design, see it in 3-D, its seven metrics (nominal simulation) and its power curve."""

import pandas as pd
import streamlit as st

import quadcopter
from ui import plots_quad, session
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
            st.session_state.setdefault(f"lab_{name}", float(DEFAULTS[i]))  # the Validate page may have set it
            values[name] = cols[k % 4].number_input(
                labels[name], min_value=float(LOWER[i]), max_value=float(UPPER[i]), step=1.0, key=f"lab_{name}",
                help=f"{LOWER[i]:g} to {UPPER[i]:g} mm",
            )

theta = [[values[n] for n in PARAMETER_NAMES]]
detail = quadcopter.simulate_detailed(theta, noise=False)
metrics = detail.metrics[0]
left, right = st.columns([3, 2])
left.plotly_chart(plots_quad.design_view(quadcopter.geometry(theta[0]), title="Layout of this design"))
with right:
    st.markdown("**Metrics (nominal simulation)**")
    table = pd.DataFrame({"metric": metric_labels(), "this design": metrics.round(3)})
    previous = st.session_state.get("design_metrics")
    if previous is not None:
        table["in Validate"] = [round(previous[m], 3) for m in METRIC_NAMES]
        st.caption("*in Validate*: the same design re-simulated with manufacturing noise and wind on the Validate "
                   "page.")
    st.dataframe(table, hide_index=True)
    if detail.failure[0]:
        st.error(f"This design cannot fly: {detail.failure[0]}.")
sweep = detail.sweep
st.plotly_chart(plots_quad.power_curve(sweep.speeds, sweep.power[0], sweep.feasible[0],
                                       title="Electrical power against forward speed (trim sweep)"))

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
