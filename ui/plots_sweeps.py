"""Plotly figures of the Design lab's what-if sweeps (:mod:`ui.sweeps`): the seven metrics along one parameter, one
metric over two parameters as a heat map, and the local sensitivity of every metric to every parameter."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.plots import POSTERIOR_COLOUR, _layout, _wrap
from ui.plots_quad import INTERFERING
from ui.sweeps import Sensitivity, Sweep1D, Sweep2D

FAILED_COLOUR = INTERFERING
UP_COLOUR, DOWN_COLOUR = "#1f77b4", "#ff7f0e"


def sweep_1d_plot(sweep: Sweep1D, parameter_label: str, metric_labels: Sequence[str], cols: int = 4) -> go.Figure:
    """One panel per metric against the swept parameter; designs that cannot fly as red crosses, the current
    design's value as a dashed vertical line with its metrics as black diamonds."""
    n = len(metric_labels)
    rows = (n + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.09, vertical_spacing=0.2)
    at = int(np.argmin(np.abs(sweep.values - sweep.current)))
    ok = ~sweep.failed
    for k, label in enumerate(metric_labels):
        r, c = k // cols + 1, k % cols + 1
        y = sweep.metrics[:, k]
        fig.add_trace(go.Scatter(x=sweep.values, y=np.where(ok, y, np.nan), mode="lines",
                                 line={"color": POSTERIOR_COLOUR}, name="metric of the swept design",
                                 legendgroup="metric", showlegend=k == 0), r, c)
        if sweep.failed.any():
            fig.add_trace(go.Scatter(x=sweep.values[~ok], y=y[~ok], mode="markers",
                                     marker={"symbol": "x", "color": FAILED_COLOUR, "size": 6},
                                     name="cannot fly (flight metrics 0)", legendgroup="failed",
                                     showlegend=k == 0), r, c)
        fig.add_trace(go.Scatter(x=[sweep.current], y=[y[at]], mode="markers",
                                 marker={"symbol": "diamond", "color": "black", "size": 9},
                                 name="current design", legendgroup="current", showlegend=k == 0), r, c)
        fig.add_vline(x=sweep.current, line={"dash": "dash", "color": "#7f7f7f", "width": 1}, row=r, col=c)
        fig.update_yaxes(title_text=_wrap(label, 24), row=r, col=c)
        fig.update_xaxes(title_text=_wrap(parameter_label, 24), row=r, col=c)
    return _layout(fig, f"The seven metrics along {parameter_label}, the other parameters held", height=330 * rows + 80)


def sweep_2d_plot(sweep: Sweep2D, metric: int, metric_label: str, x_label: str, y_label: str) -> go.Figure:
    """Heat map of one metric over two parameters; designs that cannot fly in a red layer, the current design
    as a star."""
    z = sweep.metrics[:, :, metric]
    fig = go.Figure(go.Heatmap(x=sweep.x_values, y=sweep.y_values, z=np.where(sweep.failed, np.nan, z),
                               colorscale="Viridis", colorbar={"title": {"text": _wrap(metric_label, 16)}},
                               name=metric_label,
                               hovertemplate=f"{x_label}: %{{x:.4g}}<br>{y_label}: %{{y:.4g}}<br>"
                                             f"{metric_label}: %{{z:.4g}}<extra></extra>"))
    if sweep.failed.any():
        fig.add_trace(go.Heatmap(x=sweep.x_values, y=sweep.y_values, z=np.where(sweep.failed, 1.0, np.nan),
                                 showscale=False, colorscale=[[0, FAILED_COLOUR], [1, FAILED_COLOUR]], hoverinfo="skip",
                                 name="cannot fly"))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                                 marker={"symbol": "square", "size": 12, "color": FAILED_COLOUR}, name="cannot fly"))
    fig.add_trace(go.Scatter(x=[sweep.current[0]], y=[sweep.current[1]], mode="markers", name="current design",
                             marker={"symbol": "star", "size": 16, "color": "white",
                                     "line": {"color": "black", "width": 1.5}}))
    fig.update_xaxes(title_text=x_label)
    fig.update_yaxes(title_text=y_label)
    ny, nx = z.shape
    return _layout(fig, f"{metric_label} over {x_label} and {y_label} ({nx} × {ny} designs)", height=560)


def sensitivity_plot(result: Sensitivity, parameter_labels: Sequence[str], metric_labels: Sequence[str],
                     step_text: str, cols: int = 4) -> go.Figure:
    """Per metric, a bar per parameter: the metric's change when the parameter goes down (orange) or up (blue) by the
    step; a step that makes the design unable to fly is a red cross instead of a bar."""
    n = len(metric_labels)
    rows = (n + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, horizontal_spacing=0.03, vertical_spacing=0.12)
    names = list(parameter_labels)
    for k, label in enumerate(metric_labels):
        r, c = k // cols + 1, k % cols + 1
        for delta, failed, colour, what in ((result.down, result.failed_down, DOWN_COLOUR, f"− {step_text}"),
                                            (result.up, result.failed_up, UP_COLOUR, f"+ {step_text}")):
            fig.add_trace(go.Bar(y=names, x=np.where(failed, np.nan, delta[:, k]), orientation="h", marker_color=colour,
                                 name=f"parameter {what}", legendgroup=what, showlegend=k == 0), r, c)
            if failed.any():
                fig.add_trace(go.Scatter(y=[nm for nm, f in zip(names, failed, strict=True) if f],
                                         x=np.zeros(int(failed.sum())), mode="markers",
                                         marker={"symbol": "x", "color": FAILED_COLOUR, "size": 9},
                                         name="cannot fly after the step", legendgroup="failed", showlegend=False),
                              r, c)
        fig.update_xaxes(title_text=_wrap(f"change of {label}", 26), row=r, col=c)
    if result.failed_down.any() or result.failed_up.any():
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                                 marker={"symbol": "x", "color": FAILED_COLOUR, "size": 9},
                                 name="cannot fly after the step"))
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    height = rows * (22 * len(names) + 90) + 140
    fig = _layout(fig, f"Local sensitivity: each metric's change when one parameter moves by ± {step_text}",
                  height=height)
    # The long title above, the legend on a row of its own below it.
    fig.update_layout(title={"yref": "container", "y": 0.995, "yanchor": "top"}, margin={"t": 110})
    return fig
