"""Plotly figure of a design run's progress: per round, the hit rate of its simulations and the simulations spent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.plots import POSTERIOR_COLOUR, PRIOR_COLOUR, _layout

ROUTE_NAMES = {"round 0": "prior designs", "rejection": "prior designs", "sequential": "model proposals"}


def rounds_plot(rounds: Sequence[Mapping[str, Any]], title: str = "Rounds of the design run") -> go.Figure:
    """Bars: each round's hit rate (the fraction of its simulations meeting every band), coloured by where its
    designs came from (prior designs or the model's proposals); line: simulations spent so far (right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    numbers = [int(r["round"]) for r in rounds]
    for source, colour in (("prior designs", PRIOR_COLOUR), ("model proposals", POSTERIOR_COLOUR)):
        picked = [r for r in rounds if ROUTE_NAMES.get(str(r["route"]), str(r["route"])) == source]
        if picked:
            fig.add_trace(go.Bar(x=[int(r["round"]) for r in picked], y=[100 * float(r["hit_rate"]) for r in picked],
                                 marker_color=colour, name=f"hit rate, {source}",
                                 text=[f"{100 * float(r['hit_rate']):.1f} %" for r in picked],
                                 textposition="outside", cliponaxis=False), secondary_y=False)
    spent, total = [], 0
    for r in rounds:
        total += int(r["simulations"])
        spent.append(total)
    fig.add_trace(go.Scatter(x=numbers, y=spent, mode="lines+markers", line={"color": "#ff7f0e"},
                             name="simulations spent so far"), secondary_y=True)
    fig.update_xaxes(title_text="round", tickmode="array", tickvals=numbers)
    fig.update_yaxes(title_text="hit rate (%)", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="simulations spent", rangemode="tozero", showgrid=False, secondary_y=True)
    fig = _layout(fig, title, height=400)
    # Three legend entries wrap in a half-width column: below the plot, clear of the title.
    return fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0.0},
                             margin={"t": 50, "b": 110})
