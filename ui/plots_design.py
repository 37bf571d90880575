"""Plotly figure of a design run's progress: per round, the hit rate of its simulations and the simulations spent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.plots import POSTERIOR_COLOUR, PRIOR_COLOUR, _layout

ROUTE_NAMES = {"round 0": "prior designs", "rejection": "prior designs", "sequential": "model proposals"}


def rounds_plot(rounds: Sequence[Mapping[str, Any]], title: str = "Rounds of the design run") -> go.Figure:
    """Two panels over the rounds, sharing their axis: above, the simulations spent so far; below, bars of each
    round's hit rate (the fraction of its simulations meeting every band, labelled), coloured by where its designs
    came from (prior designs or the model's proposals). Apart, no label can sit under the other series' markers."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12, row_heights=[0.4, 0.6])
    numbers = [int(r["round"]) for r in rounds]
    spent = np.cumsum([int(r["simulations"]) for r in rounds]).tolist()
    fig.add_trace(go.Scatter(x=numbers, y=spent, mode="lines+markers", line={"color": "#ff7f0e"},
                             name="simulations spent so far"), row=1, col=1)
    percent = [100 * float(r["hit_rate"]) for r in rounds]
    sources = [ROUTE_NAMES.get(str(r["route"]), str(r["route"])) for r in rounds]
    for source, colour in (("prior designs", PRIOR_COLOUR), ("model proposals", POSTERIOR_COLOUR)):
        picked = [i for i, s in enumerate(sources) if s == source]
        if picked:
            fig.add_trace(go.Bar(x=[numbers[i] for i in picked], y=[percent[i] for i in picked],
                                 marker_color=colour, name=f"hit rate, {source}",
                                 text=[f"{percent[i]:.1f} %" for i in picked],
                                 textposition="outside", cliponaxis=False), row=2, col=1)
    highest = max(percent, default=0.0)
    fig.update_xaxes(title_text="round", tickmode="array", tickvals=numbers, row=2, col=1)
    fig.update_yaxes(title_text="simulations", rangemode="tozero", row=1, col=1)
    # headroom for the labels above the highest bar
    fig.update_yaxes(title_text="hit rate (%)", range=[0, 1.25 * highest if highest > 0 else 1], row=2, col=1)
    fig = _layout(fig, title, height=440)
    # Three legend entries wrap in a half-width column: below the plot, clear of the title.
    return fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
                             margin={"t": 50, "b": 110})
