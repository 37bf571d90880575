"""A design run as one self-contained HTML file, to attach to a design review: the target, the model and simulator,
the route and why, the rounds, the designs (trade-offs in parallel coordinates, the best designs with nominal and
simulated metrics, each parameter's spread). Plotly's JavaScript is embedded once, so the file opens offline; all
text typed by users is HTML-escaped."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import dnre_core
from ui import plots, plots_design
from ui.design_job import Designs
from ui.design_tables import designs_frame, p_meet_category, parameter_summary, parcoords_axes
from ui.workspace import Run

TOP = 50  # designs listed in the report (all of them are in the CSV export)


def _figure(fig: go.Figure, first: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs="inline" if first else False)


def _table(frame: pd.DataFrame, index: bool = True) -> str:
    return frame.to_html(index=index, escape=True, float_format=lambda v: f"{v:.4g}", border=0, classes="table")


def design_report(run: Run, designs: Designs, names: Mapping[str, str], model_name: str) -> str:
    """The HTML text of design run ``run`` (finished, with ``designs``); ``names`` maps names to labels with units."""
    result: dict[str, Any] = run.result
    metric_names, parameter_names = result["metric_names"], result["parameter_names"]
    target = dnre_core.Target(result["target"])
    frame = designs_frame(designs, parameter_names, metric_names, names)
    figures = [plots_design.rounds_plot(result["rounds"])] if result.get("rounds") else []
    figures.append(plots.parcoords(*parcoords_axes(designs, metric_names, names), p_meet_category(designs),
                                   title="Designs in parallel coordinates (metrics nominal where known)"))
    mean = f"{np.mean(designs.p_meet):.1%}" if designs.checked else "not measured"
    e = html.escape
    facts = {
        "Run": f"{run.name} ({run.id}), {dt.datetime.fromtimestamp(run.created_at):%Y-%m-%d %H:%M}, {run.status}",
        "Model": model_name, "Simulator": result.get("simulator") or "none: the model's answer, not checked",
        "Target": "; ".join(target.describe(names)), "Route": f"{result['route']}, because {result['route_reason']}",
        "Designs": f"{len(designs.theta):,}, mean P(meet) {mean}",
        "Simulations": f"{result['simulations_used']:,} ({result['failed_simulations']:,} failed)",
    }
    parts = [f"<h1>Design run: {e(run.name)}</h1>", "<table class='facts'>",
             *(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in facts.items()), "</table>",
             *(f"<p class='warning'>{e(w)}</p>" for w in result.get("warnings", [])),
             *(_figure(fig, k == 0) for k, fig in enumerate(figures)),
             f"<h2>The best {min(TOP, len(frame))} designs</h2>",
             "<p>Ranked by P(meet), then margin. <i>nominal</i>: without noise; <i>simulated</i>: one fresh simulation "
             "with manufacturing noise and wind.</p>", _table(frame.head(TOP)),
             "<h2>Parameters over all designs</h2>",
             _table(parameter_summary(designs.theta, parameter_names, names), index=False)]
    style = ("body{font-family:sans-serif;margin:2em;color:#222}.table,.facts{border-collapse:collapse;font-size:12px}"
             "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}.facts th,.facts td{text-align:left}"
             ".warning{background:#fff4d6;padding:6px}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(run.name)}</title><style>{style}</style>"
            f"</head><body>{''.join(parts)}</body></html>")
