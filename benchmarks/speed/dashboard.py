"""Dashboard figure work on one core: the Design lab's 100 × 100 what-if sweep (simulation and heat map), and the
Pareto-front and parallel-coordinates figures for 10,000 designs (the trade-off views of the inverse-design page);
medians over repeats. Writes ``results/dashboard.md``."""

from __future__ import annotations

import numpy as np

import quadcopter
from benchmarks.output import RESULTS, provenance_line, write_markdown
from benchmarks.runner import use_one_thread
from benchmarks.speed.simulator import REPEATS, median_time
from ui import plots, plots_sweeps, sweeps
from ui.domain import metric_labels, parameter_labels

OUTPUT = RESULTS / "dashboard.md"


def main() -> None:
    use_one_thread()
    base = np.asarray(quadcopter.DEFAULTS, dtype=float)
    grid = (0, 3)  # arm length × fuselage vertical diameter
    sweep = sweeps.sweep_2d(base, grid, 100)  # warm-up
    rows = [
        ("2-D sweep, 100 × 100 designs (nominal simulation)", median_time(lambda: sweeps.sweep_2d(base, grid, 100))),
        ("its heat map figure", median_time(lambda: plots_sweeps.sweep_2d_plot(sweep, 3, "hover", "arm", "height"))),
        ("1-D sweep, 101 designs, and its 7-panel figure",
         median_time(lambda: plots_sweeps.sweep_1d_plot(sweeps.sweep_1d(base, 0), "arm", metric_labels()))),
        ("sensitivity, 39 designs, and its figure",
         median_time(lambda: plots_sweeps.sensitivity_plot(sweeps.sensitivity(base), parameter_labels(),
                                                           metric_labels(), "10 %"))),
    ]
    theta = np.asarray(quadcopter.prior().sample((10_000,)), dtype=float)
    x = quadcopter.simulate(theta, seed=0)
    meets = (x[:, 3] >= 20) & (x[:, 1] <= 4.5)
    category = np.where(meets, "meets the target", "does not")
    values = np.c_[theta[:, :6], x]
    rows += [
        ("Pareto front of 10,000 designs (mass against hover time)",
         median_time(lambda: plots.pareto_front(x[:, [1, 3]], (False, True)))),
        ("Pareto figure, 10,000 designs",
         median_time(lambda: plots.pareto_plot(x[:, [1, 3]], ("mass", "hover"), (False, True), meets))),
        ("parcoords figure, 10,000 designs × 13 axes",
         median_time(lambda: plots.parcoords(values, [f"c{k}" for k in range(13)], category))),
    ]
    lines = [
        "## Dashboard: sweeps and trade-off figures",
        "",
        provenance_line("python -m benchmarks speed dashboard"),
        "",
        f"Median of {REPEATS} repeats; figure times are building the Plotly figure in Python (the browser's drawing "
        "is not included). The parcoords figure draws at most 3,000 of the designs (seeded subsample).",
        "",
        "| work | seconds |",
        "|---|---:|",
        *[f"| {name} | {seconds:.3f} |" for name, seconds in rows],
        "",
    ]
    text = "\n".join(lines)
    write_markdown(OUTPUT, text)
    print(text)
