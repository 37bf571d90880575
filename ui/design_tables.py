"""Tables of a design run's designs, as the Inverse design and Validate pages show and export them: labels with
units, nominal (noise-free) metrics beside simulated ones, P(meet) with the number of simulations behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ui.design_job import Designs

NOMINAL, SIMULATED = "nominal", "simulated"


def designs_frame(designs: Designs, parameter_names: Sequence[str], metric_names: Sequence[str],
                  names: Mapping[str, str], simulated_label: str = SIMULATED) -> pd.DataFrame:
    """One row per design, best first, indexed by its rank (1 = best): P(meet), its simulations, margin, the
    metrics (nominal where known, then ``simulated_label``: one fresh simulation) and the parameters; ``names``
    maps names to labels with units. Columns that hold nothing known (no simulator, no nominal model) are left out."""
    frame = pd.DataFrame(index=pd.RangeIndex(1, len(designs.theta) + 1, name="design"))
    if designs.checked:
        frame["P(meet)"] = designs.p_meet
        frame["of simulations"] = designs.p_meet_simulations.astype(int)
        frame["margin"] = designs.margin
    for k, name in enumerate(metric_names):
        if np.isfinite(designs.nominal[:, k]).any():
            frame[f"{names[name]}, {NOMINAL}"] = designs.nominal[:, k]
        if np.isfinite(designs.x[:, k]).any():
            frame[f"{names[name]}, {simulated_label}"] = designs.x[:, k]
    for k, name in enumerate(parameter_names):
        frame[names[name]] = designs.theta[:, k]
    return frame


def parameter_summary(theta: np.ndarray, parameter_names: Sequence[str], names: Mapping[str, str]) -> pd.DataFrame:
    """Per parameter of designs θ (n, D): the median and the 5–95 % interval, in the parameter's unit."""
    q05, median, q95 = np.percentile(theta, [5, 50, 95], axis=0)
    return pd.DataFrame({"parameter": [names[n] for n in parameter_names], "5 %": q05, "median": median,
                         "95 %": q95})


def compare_frame(frame: pd.DataFrame, picks: Sequence[int]) -> pd.DataFrame:
    """The designs ranked ``picks`` (1-based) side by side: one column per design, one row per quantity of
    :func:`designs_frame`."""
    return frame.loc[list(picks)].T.rename(columns=lambda rank: f"design {rank}")


def p_meet_category(designs: Designs) -> np.ndarray:
    """(n,) each design's P(meet) class, to colour plots by: ≥ 0.9, 0.5–0.9, < 0.5 (or "not simulated")."""
    if not designs.checked:
        return np.full(len(designs.theta), "designs (not simulated)")
    return np.select([designs.p_meet >= 0.9, designs.p_meet >= 0.5], ["P(meet) ≥ 0.9", "P(meet) 0.5–0.9"],
                     "P(meet) < 0.5")


def parcoords_axes(designs: Designs, metric_names: Sequence[str], names: Mapping[str, str]
                   ) -> tuple[np.ndarray, list[str]]:
    """The columns (n, K) and labels of the designs' parallel coordinates: each metric (nominal where known) and
    P(meet), leaving out the axes on which every design agrees (they say nothing, e.g. "no interferences")."""
    columns = np.column_stack([designs.metrics, designs.p_meet]) if designs.checked else designs.metrics
    axes = [names.get(m, m) for m in metric_names] + (["P(meet)"] if designs.checked else [])
    keep = np.flatnonzero(np.nan_to_num(np.ptp(columns, axis=0)) > 0)
    return columns[:, keep], [axes[k] for k in keep]
