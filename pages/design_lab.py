"""Design lab: edit one design, see it in 3-D, its seven metrics (nominal simulation) and its power curve."""

import pandas as pd
import streamlit as st

import quadcopter
from ui import plots_quad
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

st.title("Design lab")
st.caption("Change a design and see its layout, its metrics (nominal design, no manufacturing noise) and the physics behind them.")

labels = dict(zip(PARAMETER_NAMES, parameter_labels(), strict=True))
values = {}
for tab, names in zip(st.tabs(list(PARAMETER_GROUPS)), PARAMETER_GROUPS.values(), strict=True):
    with tab:
        cols = st.columns(4)
        for k, name in enumerate(names):
            i = PARAMETER_NAMES.index(name)
            st.session_state.setdefault(f"lab_{name}", float(DEFAULTS[i]))  # the Validate page may have set it
            values[name] = cols[k % 4].number_input(
                labels[name], min_value=float(LOWER[i]), max_value=float(UPPER[i]), step=1.0, key=f"lab_{name}", help=f"{LOWER[i]:g} to {UPPER[i]:g} mm",
            )

theta = [[values[n] for n in PARAMETER_NAMES]]
detail = quadcopter.simulate_detailed(theta, noise=False)
metrics = detail.metrics[0]
left, right = st.columns([3, 2])
left.plotly_chart(plots_quad.design_view(quadcopter.geometry(theta[0]), title="Layout of this design"))
with right:
    st.markdown("**Metrics (nominal simulation)**")
    table = pd.DataFrame({"metric": metric_labels(), "this design": metrics})
    previous = st.session_state.get("design_metrics")
    if previous is not None:
        table["re-simulated in Validate (with noise)"] = [previous[m] for m in METRIC_NAMES]
    st.dataframe(table, hide_index=True)
    if detail.failure[0]:
        st.error(f"This design cannot fly: {detail.failure[0]}.")
sweep = detail.sweep
st.plotly_chart(plots_quad.power_curve(sweep.speeds, sweep.power[0], sweep.feasible[0], title="Electrical power against forward speed (trim sweep)"))
