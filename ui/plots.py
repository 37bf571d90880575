"""Plotly figure builders for data and inference: corner, traces, loss curves, histograms, pair plot, validation.

Every builder takes display labels (with units) beside the arrays and returns a figure with a title, labelled
axes and a legend. Builders subsample large inputs (with a fixed seed) so that live redraws stay fast.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

MAX_POINTS = 3000
POSTERIOR_COLOUR = "#1f77b4"
PRIOR_COLOUR = "#b0b0b0"
TARGET_COLOUR = "#2ca02c"
CHAIN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                 "#17becf")


def _subsample(rows: np.ndarray, limit: int = MAX_POINTS, seed: int = 0) -> np.ndarray:
    if rows.shape[0] <= limit:
        return rows
    index = np.random.default_rng(seed).choice(rows.shape[0], size=limit, replace=False)
    return rows[np.sort(index)]


def _wrap(label: str, width: int = 20) -> str:
    """An axis title broken into lines of at most ``width`` characters (Plotly's <br>), so that titles of
    neighbouring panels do not run into each other."""
    return "<br>".join(textwrap.wrap(label, width)) or label


def _layout(fig: go.Figure, title: str, height: int | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1.0},
        margin={"l": 60, "r": 20, "t": 80, "b": 60},
        **({"height": height} if height else {}),
    )
    return fig


def corner_plot(samples: np.ndarray, labels: Sequence[str], title: str = "Posterior over design parameters",
                reference: np.ndarray | None = None) -> go.Figure:
    """Marginal histograms on the diagonal, pairwise scatter below it; ``reference`` (e.g. prior) in grey."""
    samples = np.asarray(samples, dtype=float)
    d = samples.shape[1]
    if len(labels) != d:
        raise ValueError(f"corner_plot: {d} columns but {len(labels)} labels.")
    fig = make_subplots(rows=d, cols=d, horizontal_spacing=0.03, vertical_spacing=0.03)
    shown = _subsample(samples)
    ref = None if reference is None else _subsample(np.asarray(reference, dtype=float), seed=1)
    # Traces and axis settings are collected and applied in one call each: per-panel calls re-validate the whole
    # figure, and this builder runs in the live page's fragment several times a second.
    traces: list[go.BaseTraceType] = []
    rows: list[int] = []
    cols: list[int] = []
    axes: dict[str, dict] = {}
    for i in range(d):
        for j in range(i + 1):
            first = i == 0 and j == 0
            if i == j:
                if ref is not None:
                    traces.append(go.Histogram(x=ref[:, i], name="prior", marker_color=PRIOR_COLOUR, opacity=0.6,
                                               histnorm="probability density", showlegend=first, legendgroup="prior"))
                    rows.append(i + 1)
                    cols.append(j + 1)
                traces.append(go.Histogram(x=shown[:, i], name="posterior", marker_color=POSTERIOR_COLOUR, opacity=0.75,
                                           histnorm="probability density", showlegend=first, legendgroup="posterior"))
            else:
                traces.append(go.Scattergl(x=shown[:, j], y=shown[:, i], mode="markers",
                                           marker={"size": 3, "color": POSTERIOR_COLOUR, "opacity": 0.35},
                                           name="posterior", showlegend=False, legendgroup="posterior"))
            rows.append(i + 1)
            cols.append(j + 1)
            x_axis, y_axis = _axis_names(i * d + j + 1)
            if i == d - 1:
                axes[x_axis] = {"title": {"text": _wrap(labels[j]), "font": {"size": 12}}}
            if j == 0 and i > 0:
                axes[y_axis] = {"title": {"text": _wrap(labels[i]), "font": {"size": 12}}}
            if i == j and i == 0:
                axes[y_axis] = {"title": {"text": "density", "font": {"size": 12}}}
            elif i == j:  # the other marginals' density ticks would sit on the scatter panels' x ticks
                axes[y_axis] = {"showticklabels": False}
    fig.add_traces(traces, rows=rows, cols=cols)
    fig.update_layout(barmode="overlay", **axes)
    return _layout(fig, f"{title} ({samples.shape[0]:,} draws)", height=max(420, 190 * d))


def _axis_names(panel: int) -> tuple[str, str]:
    """Layout keys of the x and y axes of subplot number ``panel`` (1-based, row-major, as make_subplots counts)."""
    suffix = "" if panel == 1 else str(panel)
    return f"xaxis{suffix}", f"yaxis{suffix}"


def trace_plot(chains: np.ndarray, labels: Sequence[str], title: str = "Chain traces",
               max_chains: int = 8) -> go.Figure:
    """Draws against step for up to ``max_chains`` chains, one panel per parameter; ``chains`` is (C, T, D)."""
    chains = np.asarray(chains, dtype=float)
    c, t, d = chains.shape
    if len(labels) != d:
        raise ValueError(f"trace_plot: {d} parameters but {len(labels)} labels.")
    fig = make_subplots(rows=d, cols=1, shared_xaxes=True, vertical_spacing=0.04)
    steps = np.arange(t)
    shown_chains = range(min(c, max_chains))
    traces = [
        go.Scattergl(x=steps, y=chains[k, :, i], mode="lines",
                     line={"width": 1, "color": CHAIN_COLOURS[k % len(CHAIN_COLOURS)]}, name=f"chain {k + 1}",
                     legendgroup=f"chain {k + 1}", showlegend=i == 0)
        for k in shown_chains
        for i in range(d)
    ]
    fig.add_traces(traces, rows=[i + 1 for _ in shown_chains for i in range(d)], cols=1)
    axes = {_axis_names(i + 1)[1]: {"title": {"text": _wrap(labels[i]), "font": {"size": 12}}} for i in range(d)}
    axes[_axis_names(d)[0]] = {"title": {"text": "draw (after warm-up, thinned)"}}
    fig.update_layout(**axes)
    shown = f"{min(c, max_chains)} of {c} chains" if c > max_chains else f"{c} chains"
    fig = _layout(fig, f"{title} ({shown}, {t} draws each)", height=max(320, 170 * d))
    # The chains' legend wraps into rows in a narrow column: title at the very top, legend rows below it.
    fig.update_layout(margin={"t": 150}, title={"yref": "container", "y": 0.99, "yanchor": "top"})
    return fig


def loss_curves(histories: Mapping[str, tuple[Sequence[float], Sequence[float]]],
                title: str = "Training and validation loss") -> go.Figure:
    """One solid (training) and one dashed (validation) line per model: ``{name: (train_losses, val_losses)}``."""
    fig = go.Figure()
    for k, (name, (train, val)) in enumerate(histories.items()):
        colour = CHAIN_COLOURS[k % len(CHAIN_COLOURS)]
        epochs = np.arange(1, len(train) + 1)
        fig.add_trace(go.Scatter(x=epochs, y=list(train), mode="lines", name=f"{name}: training",
                                 line={"color": colour}))
        fig.add_trace(go.Scatter(x=np.arange(1, len(val) + 1), y=list(val), mode="lines", name=f"{name}: validation",
                                 line={"color": colour, "dash": "dash"}))
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss (binary cross-entropy, nats)")
    fig = _layout(fig, title, height=420 + 22 * len(histories))
    # Model names are long: the legend goes under the plot, where its rows cannot run into the title.
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0},
                      margin={"t": 60, "b": 90 + 22 * len(histories)})
    return fig


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return (n + cols - 1) // cols, cols


def histograms(values: np.ndarray, labels: Sequence[str], title: str = "Distributions", cols: int = 3,
               name: str = "data set") -> go.Figure:
    """One histogram per column of ``values`` (N, K)."""
    values = np.asarray(values, dtype=float)
    rows, ncols = _grid(values.shape[1], cols)
    fig = make_subplots(rows=rows, cols=ncols, horizontal_spacing=0.08, vertical_spacing=0.14)
    for k, label in enumerate(labels):
        r, c = k // ncols + 1, k % ncols + 1
        fig.add_trace(go.Histogram(x=values[:, k], name=name, marker_color=POSTERIOR_COLOUR, showlegend=k == 0,
                                   legendgroup=name), r, c)
        fig.update_xaxes(title_text=label, row=r, col=c)
        fig.update_yaxes(title_text="rows", row=r, col=c)
    return _layout(fig, f"{title} ({values.shape[0]:,} rows)", height=max(320, 260 * rows))


def pair_plot(values: np.ndarray, labels: Sequence[str], title: str = "Pair plot", colour_by: np.ndarray | None = None,
              colour_label: str = "") -> go.Figure:
    """A scatter matrix of the columns of ``values`` (N, K), optionally coloured by one more column."""
    values = _subsample(np.asarray(values, dtype=float))
    marker: dict = {"size": 3, "opacity": 0.5, "color": POSTERIOR_COLOUR}
    if colour_by is not None:
        colours = _subsample(np.asarray(colour_by, dtype=float).reshape(-1, 1))[:, 0]
        marker.update(color=colours, colorscale="Viridis", showscale=True, colorbar={"title": {"text": colour_label}})
    fig = go.Figure(
        go.Splom(
            dimensions=[{"label": label, "values": values[:, k]} for k, label in enumerate(labels)],
            marker=marker,
            name="rows",
            showlegend=True,
            diagonal_visible=False,
        )
    )
    size = max(420, 170 * len(labels))
    return _layout(fig, f"{title} ({values.shape[0]:,} rows shown)", height=size)


def achieved_vs_target(
    posterior_x: np.ndarray,
    prior_x: np.ndarray | None,
    labels: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    title: str = "Achieved metrics of re-simulated designs against the target",
    cols: int = 4,
) -> go.Figure:
    """Per metric: histogram of the proposed designs' achieved values (and the prior's), the target band shaded.

    ``low``/``high`` are the accepted band per metric (±inf for one-sided or free metrics).
    """
    posterior_x = np.asarray(posterior_x, dtype=float)
    rows, ncols = _grid(posterior_x.shape[1], cols)
    fig = make_subplots(rows=rows, cols=ncols, horizontal_spacing=0.07, vertical_spacing=0.18)
    for k, label in enumerate(labels):
        r, c = k // ncols + 1, k % ncols + 1
        if prior_x is not None:
            fig.add_trace(go.Histogram(x=np.asarray(prior_x)[:, k], name="prior designs", marker_color=PRIOR_COLOUR,
                                       opacity=0.6, histnorm="probability density", legendgroup="prior",
                                       showlegend=k == 0), r, c)
        fig.add_trace(go.Histogram(x=posterior_x[:, k], name="proposed designs", marker_color=POSTERIOR_COLOUR,
                                   opacity=0.75, histnorm="probability density", legendgroup="posterior",
                                   showlegend=k == 0), r, c)
        lo, hi = float(low[k]), float(high[k])
        if np.isfinite(lo) or np.isfinite(hi):
            data = posterior_x[:, k] if prior_x is None else np.concatenate([posterior_x[:, k],
                                                                             np.asarray(prior_x)[:, k]])
            finite = data[np.isfinite(data)]
            span_lo = lo if np.isfinite(lo) else float(finite.min()) if finite.size else hi - 1.0
            span_hi = hi if np.isfinite(hi) else float(finite.max()) if finite.size else lo + 1.0
            fig.add_vrect(x0=span_lo, x1=span_hi, fillcolor=TARGET_COLOUR, opacity=0.15, line_width=0, row=r, col=c)
        fig.update_xaxes(title_text=label, row=r, col=c)
        fig.update_yaxes(title_text="density", row=r, col=c)
    # A legend entry for the shaded band.
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                             marker={"size": 12, "color": TARGET_COLOUR, "opacity": 0.3, "symbol": "square"},
                             name="target band"), 1, 1)
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, height=max(340, 280 * rows))
