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

from ui.text import plot_text

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
    """Title (shown as typed: it may hold user text such as a model's name), template, legend and margins."""
    fig.update_layout(
        title={"text": plot_text(title), "x": 0.0, "xanchor": "left"},
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
        fig.add_trace(go.Scatter(x=epochs, y=list(train), mode="lines", name=plot_text(f"{name}: training"),
                                 line={"color": colour}))
        fig.add_trace(go.Scatter(x=np.arange(1, len(val) + 1), y=list(val), mode="lines",
                                 name=plot_text(f"{name}: validation"), line={"color": colour, "dash": "dash"}))
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


def coverage_curve(levels: Sequence[float], coverage: Sequence[float], pairs: int,
                   title: str = "Expected coverage on held-out simulations") -> go.Figure:
    """Coverage against credibility level with the diagonal of a calibrated model and the band of ±2 binomial
    standard errors √(α(1 − α)/N) around it that ``pairs`` (N) held-out simulations allow."""
    levels_np, coverage_np = np.asarray(levels, dtype=float), np.asarray(coverage, dtype=float)
    band = 2 * np.sqrt(levels_np * (1 - levels_np) / max(1, pairs))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.concatenate([levels_np, levels_np[::-1]]),
                             y=np.concatenate([np.clip(levels_np + band, 0, 1), np.clip(levels_np - band, 0, 1)[::-1]]),
                             fill="toself", fillcolor="rgba(127,127,127,0.2)", line={"width": 0}, hoverinfo="skip",
                             name=f"calibrated ± 2 s.e. ({pairs} pairs)"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": "#7f7f7f"},
                             name="calibrated (coverage = level)"))
    fig.add_trace(go.Scatter(x=levels_np, y=coverage_np, mode="lines+markers", line={"color": POSTERIOR_COLOUR},
                             name="this model"))
    fig.update_xaxes(title_text="credibility level α of the highest-density region", range=[0, 1])
    fig.update_yaxes(title_text="fraction of true designs inside it", range=[0, 1])
    fig.add_annotation(x=0.25, y=0.9, text="above the diagonal: conservative", showarrow=False, font={"color": "#555"})
    fig.add_annotation(x=0.75, y=0.1, text="below: over-confident", showarrow=False, font={"color": "#555"})
    return _layout(fig, title, height=460)


def pareto_front(values: np.ndarray, maximise: tuple[bool, bool]) -> np.ndarray:
    """Indices of the non-dominated rows of ``values`` (N, 2), sorted along the first column: no other row is at
    least as good in both columns and better in one (``maximise`` per column, else minimise). O(N log N)."""
    v = np.asarray(values, dtype=float) * np.where(maximise, -1.0, 1.0)  # both minimised from here on
    finite = np.flatnonzero(np.isfinite(v).all(axis=1))
    order = finite[np.lexsort((v[finite, 1], v[finite, 0]))]  # by the first column, ties by the second
    front, best = [], np.inf
    for i in order:
        if v[i, 1] < best:  # strictly better in the second column than every row before it in the first
            front.append(i)
            best = v[i, 1]
    return np.asarray(front, dtype=int)


def pareto_plot(values: np.ndarray, labels: tuple[str, str], maximise: tuple[bool, bool],
                meets: np.ndarray | None = None, title: str = "Trade-off between two metrics") -> go.Figure:
    """Designs (N, 2) in the plane of two metrics, those meeting the target (``meets``) apart, and the Pareto front
    of the designs shown as meeting it (of all designs when ``meets`` is None) drawn as a line."""
    values = np.asarray(values, dtype=float)
    ok = np.ones(values.shape[0], dtype=bool) if meets is None else np.asarray(meets, dtype=bool)
    fig = go.Figure()
    if meets is not None and (~ok).any():
        other = _subsample(values[~ok])
        fig.add_trace(go.Scatter(x=other[:, 0], y=other[:, 1], mode="markers", name="designs not meeting the target",
                                 marker={"size": 4, "color": PRIOR_COLOUR, "opacity": 0.6}))
    good = values[ok]
    shown = _subsample(good)
    fig.add_trace(go.Scatter(x=shown[:, 0], y=shown[:, 1], mode="markers",
                             marker={"size": 5, "color": POSTERIOR_COLOUR, "opacity": 0.6},
                             name="designs meeting the target" if meets is not None else "designs"))
    front = good[pareto_front(good, maximise)]
    fig.add_trace(go.Scatter(x=front[:, 0], y=front[:, 1], mode="lines+markers",
                             line={"shape": "hv", "color": TARGET_COLOUR, "width": 2},
                             marker={"size": 8, "color": TARGET_COLOUR},
                             name=f"Pareto front ({len(front)} design{'s' if len(front) != 1 else ''})"))
    goal = ", ".join(f"{'higher' if up else 'lower'} {label} is better"
                     for label, up in zip(labels, maximise, strict=True))
    fig.update_xaxes(title_text=labels[0])
    fig.update_yaxes(title_text=labels[1])
    return _layout(fig, f"{title} ({goal})", height=480)


def parcoords(values: np.ndarray, labels: Sequence[str], category: Sequence[str],
              title: str = "Designs in parallel coordinates", max_lines: int = MAX_POINTS) -> go.Figure:
    """Brushable parallel coordinates of designs (N, K) with one axis per column, lines coloured by ``category``
    (N,) strings (e.g. "meets the target", a failure reason); a legend of the categories is drawn beside it."""
    values = np.asarray(values, dtype=float)
    category = np.asarray(category, dtype=str)
    if values.shape[0] != category.shape[0] or values.shape[1] != len(labels):
        raise ValueError(f"parcoords: {values.shape} values, {len(labels)} labels and {category.shape[0]} categories.")
    index = _subsample(np.arange(values.shape[0])[:, None], max_lines)[:, 0]
    names = sorted(set(category[index].tolist()))
    code = np.searchsorted(names, category[index])
    colours = [CHAIN_COLOURS[k % len(CHAIN_COLOURS)] for k in range(len(names))]
    scale = ([[k / max(1, len(names) - 1), colour] for k, colour in enumerate(colours)] if len(names) > 1
             else [[0, colours[0]], [1, colours[0]]])
    fig = go.Figure(go.Parcoords(
        line={"color": code, "colorscale": scale, "cmin": 0, "cmax": max(1, len(names) - 1)},
        # One line per title, tilted so that neighbours do not collide: a title broken over lines runs into the
        # axis range Plotly writes below it.
        dimensions=[{"label": plot_text(label), "values": values[index, k]} for k, label in enumerate(labels)],
        labelangle=-12, labelside="top",
    ))
    for name, colour in zip(names, colours, strict=True):  # Parcoords has no legend of its own
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line={"color": colour, "width": 4},
                                 name=plot_text(name)))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    shown = f"{len(index):,} of {values.shape[0]:,}" if len(index) < values.shape[0] else f"{values.shape[0]:,}"
    fig = _layout(fig, f"{title} ({shown} designs; drag along an axis to filter)", height=540)
    # The axis titles sit above the axes: the legend goes below them, clear of the titles.
    fig.update_layout(margin={"t": 130, "l": 80, "r": 80, "b": 70},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.04, "xanchor": "left", "x": 0.0})
    return fig
