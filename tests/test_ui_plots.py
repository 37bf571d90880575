"""Every figure builder gives a titled figure with labelled axes and a legend, and handles large inputs."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from ui import plots

RNG = np.random.default_rng(0)


def _check(fig: go.Figure, axis_labels: list[str]) -> None:
    assert fig.layout.title.text
    titles = {ax.title.text for name, ax in fig.layout.to_plotly_json().items() if name.startswith(("xaxis", "yaxis"))
              for ax in [getattr(fig.layout, name)]}
    for label in axis_labels:
        assert label in titles, f"{label!r} not among axis titles {titles}"
    assert any(trace.showlegend is not False and trace.name for trace in fig.data)


def test_corner_plot_labels_and_subsampling() -> None:
    samples = RNG.normal(size=(10_000, 3))
    fig = plots.corner_plot(samples, ["a (mm)", "b (mm)", "c (mm)"], reference=RNG.normal(size=(500, 3)))
    _check(fig, ["a (mm)", "b (mm)", "c (mm)", "density"])
    assert "10,000 draws" in fig.layout.title.text
    assert max(len(t.x) for t in fig.data if t.x is not None) <= plots.MAX_POINTS
    with pytest.raises(ValueError, match="labels"):
        plots.corner_plot(samples, ["a"])
    long = plots.corner_plot(samples[:, :2], ["Fuselage horizontal diameter (mm)", "Arm length (mm)"])
    # wrapped, not run into its neighbour
    assert long.layout.xaxis3.title.text == "Fuselage horizontal<br>diameter (mm)"


def test_trace_loss_histogram_pair_and_validation_figures() -> None:
    _check(plots.trace_plot(RNG.normal(size=(12, 50, 2)), ["a (mm)", "b (mm)"]),
           ["a (mm)", "b (mm)", "draw (after warm-up, thinned)"])
    _check(plots.loss_curves({"m1": ([1.0, 0.5], [1.1, 0.6]), "m2": ([0.9], [1.0])}),
           ["epoch", "loss (binary cross-entropy, nats)"])
    _check(plots.histograms(RNG.normal(size=(100, 4)), ["p (kg)", "q (s)", "r (m)", "s (W)"]),
           ["p (kg)", "s (W)", "rows"])
    pair = plots.pair_plot(RNG.normal(size=(100, 3)), ["p (kg)", "q (s)", "r (m)"], colour_by=RNG.normal(size=100),
                           colour_label="mass (kg)")
    assert pair.layout.title.text and [d.label for d in pair.data[0].dimensions] == ["p (kg)", "q (s)", "r (m)"]
    fig = plots.achieved_vs_target(
        RNG.normal(size=(200, 3)), RNG.normal(size=(200, 3)), ["p (kg)", "q (s)", "r (m)"], [-1.0, -np.inf, -np.inf],
        [1.0, 0.5, np.inf]
    )
    _check(fig, ["p (kg)", "q (s)", "r (m)", "density"])
    assert {t.name for t in fig.data} >= {"proposed designs", "prior designs", "target band"}
    assert len(fig.layout.shapes) == 2  # the free metric gets no band


def test_design_view_power_curve_and_step_response_of_the_default_design() -> None:
    import quadcopter
    from ui import plots_quad

    theta = np.array([quadcopter.DEFAULTS])
    geometry = quadcopter.geometry(theta[0])
    view = plots_quad.design_view(geometry)
    assert view.layout.title.text.startswith("Quadcopter layout (mass ")
    assert f"{geometry['interferences']} interfering pairs, parts in red" in view.layout.title.text
    assert {view.layout.scene.xaxis.title.text, view.layout.scene.yaxis.title.text,
            view.layout.scene.zaxis.title.text} == {
        "x, forward (mm)", "y (mm)", "z, up (mm)"}
    assert "centre of gravity" in {t.name for t in view.data}
    # designs side by side: a column may be 260 px wide, so the axis titles are one letter and the unit is in the title
    compact = plots_quad.design_view(geometry, title="design 1", compact=True)
    scene = compact.layout.scene
    assert compact.layout.title.text == "design 1 (axes in mm)" and compact.layout.showlegend is False
    assert [scene.xaxis.title.text, scene.yaxis.title.text, scene.zaxis.title.text] == ["x", "y", "z"]
    _check_interference_colours(geometry)
    sweep = quadcopter.simulate_detailed(theta, noise=False).sweep
    _check(plots_quad.power_curve(sweep.speeds, sweep.power[0], sweep.feasible[0]),
           ["forward speed (m/s)", "electrical power (W)"])

    log = quadcopter.fly(theta, velocity_ref=4.0, duration=3.0, dt=0.01)
    fig = plots_quad.step_response(log, 4.0)
    _check(fig, ["time (s)", "speed (m/s)", "pitch (°)"])
    assert [t.name for t in fig.data] == ["commanded speed", "speed along the step", "climb rate",
                                          "pitch into the direction of flight"]
    # Sign convention: to speed up along +y the thrust axis tilts towards +y (positive pitch), then levels off.
    pitch = plots_quad.pitch_into_flight(log)
    accelerating = (log.time > quadcopter.SPEED_STEP_TIME) & (log.time < quadcopter.SPEED_STEP_TIME + 0.5)
    assert pitch[log.time < quadcopter.SPEED_STEP_TIME].max() < 0.5 and pitch[accelerating].max() > 10.0
    assert abs(log.velocity[0, -1, 1] - 4.0) < 0.3


def _colour(trace: go.BaseTraceType) -> str:
    if isinstance(trace, go.Surface):
        return trace.colorscale[0][1]
    return trace.color if isinstance(trace, go.Mesh3d) else trace.line.color


def _check_interference_colours(geometry: dict) -> None:
    """Interfering parts are red and named so in the legend; the others are not red."""
    from ui import plots_quad

    clear = {**geometry, "interferences": 0, "fuselage": {**geometry["fuselage"], "interferes": False},
             "arms_interfere": [False] * 4,
             "rotors": [{**r, "interferes": False} for r in geometry["rotors"]],
             "components": [{**c, "interferes": False} for c in geometry["components"]]}
    view = plots_quad.design_view(clear)
    parts = [t for t in view.data if t.name not in ("centre of gravity", "propeller numbers")]
    assert "no interference" in view.layout.title.text and len(parts) == 1 + 4 + 4 + 7
    assert all(_colour(t) != plots_quad.INTERFERING and "interferes" not in t.name for t in parts)
    clash = {**clear, "interferences": 1, "arms_interfere": [False, True, False, False],
             "components": [{**c, "interferes": c["name"] == "BATTERY"} for c in clear["components"]]}
    view = plots_quad.design_view(clash)
    red = [t.name for t in view.data if t.name != "centre of gravity" and _colour(t) == plots_quad.INTERFERING]
    assert sorted(red) == ["arms (interferes)",
                           "battery (interferes)"] and "1 interfering pair, parts in red" in view.layout.title.text
    assert sum(t.showlegend is not False for t in view.data if t.name == "arms") == 1  # one legend entry per kind


def test_pareto_front_is_the_set_of_non_dominated_designs() -> None:
    values = RNG.normal(size=(2_000, 2))
    for maximise in ((False, False), (True, False), (True, True)):
        front = plots.pareto_front(values, maximise)
        v = values * np.where(maximise, -1.0, 1.0)  # minimised
        dominated = ((v[None, :, :] <= v[:, None, :]).all(axis=2)
                     & (v[None, :, :] < v[:, None, :]).any(axis=2)).any(axis=1)
        assert sorted(front.tolist()) == np.flatnonzero(~dominated).tolist()  # brute force, O(N²)
        assert np.all(np.diff(v[front, 0]) > 0) and np.all(np.diff(v[front, 1]) < 0)  # a staircase
    ties = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 2.0], [np.nan, 0.0]])
    assert plots.pareto_front(ties, (False, False)).tolist() == [2, 0]  # one of two equal designs; NaN left out


def test_pareto_plot_shows_the_front_of_designs_meeting_the_target() -> None:
    values = RNG.normal(size=(10_000, 2))
    meets = values[:, 0] > 0
    fig = plots.pareto_plot(values, ("Mass (kg)", "Max hover time (s)"), (False, True), meets)
    _check(fig, ["Mass (kg)", "Max hover time (s)"])
    front = next(t for t in fig.data if t.name.startswith("Pareto front"))
    expected = values[meets][plots.pareto_front(values[meets], (False, True))]
    assert np.allclose(np.c_[front.x, front.y], expected) and (np.asarray(front.x) > 0).all()
    assert "lower Mass (kg) is better, higher Max hover time (s) is better" in fig.layout.title.text
    assert max(len(t.x) for t in fig.data) <= plots.MAX_POINTS


def test_parcoords_colours_lines_by_category_with_a_legend() -> None:
    values = RNG.normal(size=(10_000, 4))
    category = np.where(values[:, 0] > 1, "meets the target", np.where(values[:, 1] > 1, "cannot fly", "prior"))
    fig = plots.parcoords(values, ["Arm length (mm)", "b", "c", "<i>d</i>"], category)
    (par,) = [t for t in fig.data if isinstance(t, go.Parcoords)]
    assert [d.label for d in par.dimensions][-1] == "&lt;i&gt;d&lt;/i&gt;"  # labels shown as typed
    assert len(par.line.color) == plots.MAX_POINTS and "3,000 of 10,000 designs" in fig.layout.title.text
    legend = sorted(t.name for t in fig.data if isinstance(t, go.Scatter))
    assert legend == ["cannot fly", "meets the target", "prior"]
    with pytest.raises(ValueError, match="labels"):
        plots.parcoords(values, ["a"], category)


def test_coverage_curve_has_the_diagonal_and_the_binomial_band() -> None:
    levels = np.linspace(0, 1, 21)
    fig = plots.coverage_curve(levels, levels, pairs=100)
    _check(fig, ["credibility level α of the highest-density region", "fraction of true designs inside it"])
    band = fig.data[0]
    upper = np.asarray(band.y[:21])
    assert np.allclose(upper, np.clip(levels + 2 * np.sqrt(levels * (1 - levels) / 100), 0, 1))


def test_titles_and_legend_entries_show_user_text_as_typed() -> None:
    fig = plots.loss_curves({"<b>x</b> & y": ([1.0], [1.0])}, title="Loss of <b>x</b>")
    assert fig.layout.title.text == "Loss of &lt;b&gt;x&lt;/b&gt;"
    assert fig.data[0].name == "&lt;b&gt;x&lt;/b&gt; &amp; y: training"


def test_sweep_figures_mark_failures_and_the_current_design() -> None:
    from ui import plots_sweeps
    from ui.sweeps import Sensitivity, Sweep1D, Sweep2D

    values = np.linspace(0, 10, 11)
    failed = values > 8
    sweep = Sweep1D(0, values, np.c_[values, -values], failed, 4.0)
    fig = plots_sweeps.sweep_1d_plot(sweep, "Arm length (mm)", ["Mass (kg)", "Hover (s)"])
    _check(fig, ["Arm length (mm)", "Mass (kg)", "Hover (s)"])
    (crosses,) = [t for t in fig.data if t.name == "cannot fly (flight metrics 0)" and t.showlegend]
    assert list(crosses.x) == [9.0, 10.0]
    current = [t for t in fig.data if t.name == "current design"]
    assert [list(t.x) for t in current] == [[4.0], [4.0]] and list(current[1].y) == [-4.0]
    grid = Sweep2D((0, 1), values, values[:5], np.zeros((5, 11, 2)), np.zeros((5, 11), bool) | failed, (4.0, 2.0))
    fig = plots_sweeps.sweep_2d_plot(grid, 1, "Hover (s)", "Arm (mm)", "Height (mm)")
    _check(fig, ["Arm (mm)", "Height (mm)"])
    assert np.isnan(np.asarray(fig.data[0].z, dtype=float)[:, 9:]).all()  # failed cells are not drawn as values
    assert any(t.name == "cannot fly" for t in fig.data) and "11 × 5 designs" in fig.layout.title.text
    local = Sensitivity(np.ones(3), np.zeros(2), -np.ones((3, 2)), np.ones((3, 2)), np.array([False, True, False]),
                        np.zeros(3, bool))
    fig = plots_sweeps.sensitivity_plot(local, ["a (mm)", "b (mm)", "c (mm)"], ["Mass (kg)", "Hover (s)"],
                                        "10 % of its value")
    down = next(t for t in fig.data if t.name == "parameter − 10 % of its value")
    assert np.isnan(down.x[1]) and down.x[0] == -1.0  # the step that fails is a cross, not a bar
    assert any(t.name == "cannot fly after the step" and t.showlegend is not False for t in fig.data)


def test_design_rounds_plot_keeps_the_spent_line_clear_of_the_hit_rate_labels() -> None:
    """Issue 37: a hit-rate label sat under the spent line's marker when both shared one panel."""
    from ui.plots_design import rounds_plot

    rounds = [{"round": 0, "route": "round 0", "simulations": 1000, "hit_rate": 0.325},
              {"round": 1, "route": "sequential", "simulations": 1000, "hit_rate": 0.468},
              {"round": 2, "route": "sequential", "simulations": 2564, "hit_rate": 0.624}]
    fig = rounds_plot(rounds)
    _check(fig, ["round", "hit rate (%)", "simulations"])
    line = next(t for t in fig.data if t.name == "simulations spent so far")
    bars = [t for t in fig.data if t.type == "bar"]
    assert list(line.y) == [1000, 2000, 4564]
    assert [t.name for t in bars] == ["hit rate, prior designs", "hit rate, model proposals"]
    assert {t.yaxis for t in bars} == {"y2"} and line.yaxis == "y"  # two panels, one above the other
    above, below = fig.layout.yaxis.domain, fig.layout.yaxis2.domain
    assert above[0] > below[1]
    assert fig.layout.yaxis2.range[1] >= 1.2 * 62.4  # room above the highest bar for its label
    assert list(bars[1].text) == ["46.8 %", "62.4 %"]
