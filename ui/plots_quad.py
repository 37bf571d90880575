"""Plotly figures of one quadcopter design: the 3-D layout, the power-versus-speed curve of its trim sweep, and a
6-DOF step response (a replay of :func:`quadcopter.fly`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from quadcopter import SPEED_STEP_TIME, FlightLog
from ui.plots import _layout

MM = 1000.0  # geometry is in metres; the view is in millimetres like the design parameters


def _box(center: list[float], size: list[float], name: str, colour: str, legend: bool, group: str) -> go.Mesh3d:
    cx, cy, cz = (v * MM for v in center)
    sx, sy, sz = (v * MM / 2 for v in size)
    x = [cx - sx, cx + sx, cx + sx, cx - sx, cx - sx, cx + sx, cx + sx, cx - sx]
    y = [cy - sy, cy - sy, cy + sy, cy + sy, cy - sy, cy - sy, cy + sy, cy + sy]
    z = [cz - sz] * 4 + [cz + sz] * 4
    i = [0, 0, 4, 4, 0, 0, 1, 1, 2, 2, 3, 3]
    j = [1, 2, 5, 6, 1, 5, 2, 6, 3, 7, 0, 4]
    k = [2, 3, 6, 7, 5, 4, 6, 5, 7, 6, 4, 7]
    return go.Mesh3d(x=x, y=y, z=z, i=i, j=j, k=k, color=colour, opacity=0.9, name=name, showlegend=legend,
                     legendgroup=group, hovertext=name, hoverinfo="text")


INTERFERING = "#d62728"  # parts in at least one interfering pair; no other part uses red


def _legend(name: str, interferes: bool, seen: set[str]) -> tuple[str, bool]:
    """A part's legend name (marked when it interferes) and whether it is the first of that name to be shown."""
    label = f"{name} (interferes)" if interferes else name
    first = label not in seen
    seen.add(label)
    return label, first


def design_view(geometry: dict[str, Any], title: str = "Quadcopter layout", compact: bool = False) -> go.Figure:
    """Fuselage (ellipsoid), arms, rotor discs, the seven floor components as boxes and the centre of gravity;
    parts that interfere with another part (``interferes`` flags of :func:`quadcopter.geometry`) in red.
    ``compact``: for a narrow column (designs side by side): no legend, the scene the full width, the title alone."""
    fig = go.Figure()
    seen: set[str] = set()
    length, width, height = (v * MM / 2 for v in geometry["fuselage"]["size"])
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 30), np.linspace(0, np.pi, 15))
    name, _ = _legend("fuselage", geometry["fuselage"]["interferes"], seen)
    colour = INTERFERING if geometry["fuselage"]["interferes"] else "#9aa5b1"
    fig.add_trace(go.Surface(
        x=length * np.cos(u) * np.sin(v), y=width * np.sin(u) * np.sin(v), z=height * np.cos(v), opacity=0.25,
        showscale=False,
        colorscale=[[0, colour], [1, colour]], name=name, showlegend=True, hoverinfo="name",
    ))
    for (start, end), interferes in zip(geometry["arms"], geometry["arms_interfere"], strict=True):
        name, first = _legend("arms", interferes, seen)
        fig.add_trace(go.Scatter3d(x=[start[0] * MM, end[0] * MM], y=[start[1] * MM, end[1] * MM],
                                   z=[start[2] * MM, end[2] * MM], mode="lines",
                                   line={"width": 8, "color": INTERFERING if interferes else "#333"}, name=name,
                                   legendgroup=name, showlegend=first))
    angle = np.linspace(0, 2 * np.pi, 60)
    for rotor in geometry["rotors"]:
        cx, cy, cz = (val * MM for val in rotor["center"])
        r = rotor["prop_radius"] * MM
        name, first = _legend("propeller discs", rotor["interferes"], seen)
        fig.add_trace(go.Scatter3d(x=cx + r * np.cos(angle), y=cy + r * np.sin(angle), z=np.full(60, cz), mode="lines",
                                   line={"width": 4, "color": INTERFERING if rotor["interferes"] else "#1f77b4"},
                                   name=name, legendgroup=name, showlegend=first))
    palette = ["#ff7f0e", "#2ca02c", "#bcbd22", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    for k, part in enumerate(geometry["components"]):
        name, _ = _legend(part["name"].lower(), part["interferes"], seen)
        fig.add_trace(_box(part["center"], part["size"], name,
                           INTERFERING if part["interferes"] else palette[k % len(palette)], True, part["name"]))
    centres = np.array([rotor["center"] for rotor in geometry["rotors"]]) * MM
    fig.add_trace(go.Scatter3d(x=centres[:, 0], y=centres[:, 1], z=centres[:, 2] + 15, mode="text", showlegend=False,
                               text=[f"<b>{k + 1}</b>" for k in range(len(centres))], textfont={"size": 14},
                               hoverinfo="skip", name="propeller numbers"))  # as named by quadcopter.interference
    cg = [v * MM for v in geometry["cg"]]
    fig.add_trace(go.Scatter3d(x=[cg[0]], y=[cg[1]], z=[cg[2]], mode="markers",
                               marker={"size": 6, "color": "black", "symbol": "x"}, name="centre of gravity"))
    # A flat model in a cube-shaped scene leaves empty space above it: z is drawn at most half as tall as x and y,
    # and the camera sits close enough that the model fills the view while the axis titles stay inside it.
    span = np.ptp(np.concatenate([centres, [[length, width, height], [-length, -width, -height]]]), axis=0)
    aspect = span / span[:2].max()
    fig.update_layout(scene={"xaxis_title": "x, forward (mm)", "yaxis_title": "y (mm)", "zaxis_title": "z, up (mm)",
                             "aspectmode": "manual",
                             "aspectratio": {"x": aspect[0], "y": aspect[1], "z": max(aspect[2], 0.5)},
                             "camera": {"eye": {"x": 1.35, "y": 1.35, "z": 0.75},
                                        "center": {"x": 0, "y": 0, "z": -0.15}},
                             "domain": {"x": [0, 0.74], "y": [0, 1]}})
    pairs = geometry["interferences"]
    clash = f"{pairs} interfering pair{'s' if pairs != 1 else ''}, parts in red" if pairs else "no interference"
    if compact:
        # a narrow column: one-letter axis titles (the unit in the title) and few ticks, so no label overlaps or
        # runs out of the frame however narrow the column
        axis = {"nticks": 4, "tickfont": {"size": 9}}
        fig.update_layout(showlegend=False, scene_domain={"x": [0, 1], "y": [0, 1]},
                          scene_xaxis={**axis, "title": "x"}, scene_yaxis={**axis, "title": "y"},
                          scene_zaxis={**axis, "title": "z"},
                          scene_camera_eye={"x": 1.6, "y": 1.6, "z": 0.85})
        return _layout(fig, f"{title} (axes in mm)", height=300).update_layout(margin={"t": 40, "b": 0, "l": 0, "r": 0})
    # the legend below the scene, which takes the full width: beside it, the scene of a 650 px column was too
    # narrow for its axis titles
    fig = _layout(fig, f"{title} (mass {geometry['mass']:.2f} kg, {clash})", height=500)
    fig.update_layout(margin={"t": 50, "b": 10, "l": 10, "r": 10}, scene_domain={"x": [0, 1], "y": [0.24, 1]},
                      legend={"orientation": "h", "yanchor": "top", "y": 0.22, "xanchor": "left", "x": 0})
    return fig


def power_curve(speeds: np.ndarray, power: np.ndarray, feasible: np.ndarray,
                title: str = "Electrical power in steady flight") -> go.Figure:
    """Power (W) against forward speed (m/s) over the feasible trim points; max speed and best range (the most
    metres per joule, speed / power) marked."""
    fig = go.Figure()
    ok = np.asarray(feasible, dtype=bool)
    fig.add_trace(go.Scatter(x=speeds[ok], y=power[ok], mode="lines+markers", name="trimmed (achievable) speeds",
                             marker={"size": 4}))
    if ok.any():
        top = np.flatnonzero(ok)[-1]
        fig.add_trace(go.Scatter(x=[speeds[top]], y=[power[top]], mode="markers",
                                 marker={"size": 13, "color": "#d62728", "symbol": "diamond"},
                                 name=f"max speed {speeds[top]:g} m/s"))
        distance = np.where(ok, speeds / np.where(power > 0, power, np.inf), -np.inf)
        best = int(np.argmax(distance))
        fig.add_trace(go.Scatter(x=[speeds[best]], y=[power[best]], mode="markers",
                                 marker={"size": 13, "color": "#2ca02c", "symbol": "star"},
                                 name=f"best range at {speeds[best]:g} m/s"))
    fig.update_xaxes(title_text="forward speed (m/s)")
    fig.update_yaxes(title_text="electrical power (W)")
    return _layout(fig, title, height=420)


def pitch_into_flight(log: FlightLog, design: int = 0) -> np.ndarray:
    """Tilt of the thrust axis (body z) towards world +y, the direction of the speed step, in degrees (T,)."""
    body_z = log.attitude[design, :, :, 2]
    return np.degrees(np.arctan2(body_z[:, 1], body_z[:, 2]))


def step_response(log: FlightLog, velocity_ref: float, design: int = 0,
                  title: str = "6-DOF step response") -> go.Figure:
    """Speed along the step (with the command) and pitch into the direction of flight against time, one design."""
    t = log.time
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_trace(go.Scatter(x=t, y=np.where(t >= SPEED_STEP_TIME, velocity_ref, 0.0), mode="lines",
                             line={"dash": "dash", "color": "#7f7f7f"},
                             name="commanded speed"), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=log.velocity[design, :, 1], mode="lines", line={"color": "#1f77b4"},
                             name="speed along the step"), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=log.velocity[design, :, 2], mode="lines", line={"color": "#2ca02c"},
                             name="climb rate"), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=pitch_into_flight(log, design), mode="lines", line={"color": "#d62728"},
                             name="pitch into the direction of flight"),
                  row=2, col=1)
    fig.update_yaxes(title_text="speed (m/s)", row=1, col=1)
    fig.update_yaxes(title_text="pitch (°)", row=2, col=1)
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    return _layout(fig, title, height=520)
