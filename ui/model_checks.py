"""Plain-language reading of a trained estimator's consistency diagnostics (:mod:`dnre_core.consistency`).

Every trained model stores ``metadata["consistency"]``, measured on its validation pairs: how far its log-ratio is
from antisymmetric (|d(a,b) + d(b,a)|) and from path-consistent (|d(a,b) + d(b,c) − d(a,c)|), as medians and
relative to the median |d(a,b)|. NRE/BNRE and DNRE's default potential head are exact by construction; the paper's
pairwise DNRE head is not, and where its errors are a sizeable fraction of the ratios themselves its posteriors
were unreliable (the ablation study in BENCHMARKS.md).
"""

from __future__ import annotations

from typing import Any

#: relative antisymmetry or consistency error above which the Train page tells users to distrust a model
DISTRUST_RELATIVE_ERROR = 0.25
_ROUND_OFF = 1e-4


def consistency_columns(report: dict[str, Any] | None) -> dict[str, float | None]:
    """Table columns for the model comparison: relative antisymmetry and consistency errors (None when unknown)."""
    report = report or {}
    return {"antisymmetry error (rel.)": report.get("relative_antisymmetry_error"),
            "consistency error (rel.)": report.get("relative_consistency_error")}


def consistency_verdict(report: dict[str, Any] | None) -> tuple[str, str]:
    """(level, message) for a consistency report: level is "success", "warning" or "info" (st.success etc.)."""
    if not report:
        return "info", "No consistency diagnostics stored with this model (trained before they existed)."
    absolute = max(report.get("antisymmetry_error", 0.0), report.get("consistency_error", 0.0))
    if absolute < _ROUND_OFF:
        return "success", ("Its log-ratio is a difference of one function's outputs: antisymmetric and consistent by "
                           "construction (errors are round-off).")
    relative = max(v for v in (report.get("relative_antisymmetry_error"), report.get("relative_consistency_error"), 0.0)
                   if v is not None)
    numbers = (f"median |d(a,b) + d(b,a)| = {report['antisymmetry_error']:.3g}, median |d(a,b) + d(b,c) − d(a,c)| = "
               f"{report['consistency_error']:.3g}, against a median |d(a,b)| of {report['median_abs_log_ratio']:.3g}")
    if relative > DISTRUST_RELATIVE_ERROR:
        return "warning", (f"Distrust this model: its errors are {relative:.0%} of the ratios themselves ({numbers}). "
                           "Train it again with the potential head (the default) or for longer.")
    return "info", f"Small antisymmetry and consistency errors ({numbers})."
