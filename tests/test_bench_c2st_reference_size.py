"""bench/c2st_reference_size.py: pairs the full run's cells with the 10,000-sample cells of the same model."""

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("c2st_reference_size", ROOT / "bench" / "c2st_reference_size.py")
reference_size = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference_size)


def _cell(method: str, observation: int, c2st: float, log_prob_true: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {"kind": "cell", "status": "ok", "task": "two_moons", "method": method, "sampler": "mh",
            "observation": observation, "seed": 0, "budget": 10_000, "c2st": c2st, "log_prob_true": log_prob_true} | extra


def test_cells_pair_by_their_key_and_the_summary_gives_both_sizes_and_dnre_minus_nre() -> None:
    full = [_cell("dnre", 1, 0.60), _cell("dnre", 2, 0.50), _cell("nre", 1, 0.55), _cell("nre", 2, 0.52),
            _cell("dnre", 3, 0.9), _cell("dnre", 1, 0.7, seed=1), _cell("nre", 3, 0.5, status="failed")]
    large = [_cell("dnre", 1, 0.70), _cell("dnre", 2, 0.60, log_prob_true=2.0), _cell("nre", 1, 0.58),
             _cell("nre", 2, 0.54), _cell("nre", 3, 0.6), {"kind": "coverage", "status": "ok"}]
    pairs = reference_size.paired_cells(full, large)
    # dnre obs 3 has no 10k cell, the seed-1 cell no partner, nre obs 3's full-run cell failed: four pairs.
    assert sorted((s["method"], s["observation"], g["c2st"]) for s, g in pairs) == [
        ("dnre", 1, 0.70), ("dnre", 2, 0.60), ("nre", 1, 0.58), ("nre", 2, 0.54)
    ]
    text = reference_size.summary_markdown(pairs)
    assert "identical in 3 of 4 pairs" in text  # dnre obs 2 came from another model
    assert "| two_moons | dnre | 2 | 0.550 | 0.650 | +0.100 ± 0.000 |" in text
    assert "| two_moons | nre | 2 | 0.535 | 0.560 | +0.025 ± 0.005 |" in text
    # DNRE − NRE per observation: 1k (+0.05, −0.02), 10k (+0.12, +0.06).
    assert "| two_moons | 2 | +0.015 ± 0.035 | +0.090 ± 0.030 |" in text
    assert "Sampler options, as the records state them:" in text and "- mh: scale_spread=0.0" in text


SPREAD = {"sampler_options": {"scale_spread": 2.0}}  # MH's default since; a record without the field had none


@pytest.mark.parametrize(("full_extra", "large_extra"), [
    ({"method_options": {"num_partners": 4}}, {"method_options": {"num_partners": 1}}),  # a method's default changed
    (SPREAD, {}),  # MH's default changed: the full run's cell was remeasured with the spread, the 10k cell was not
])
def test_a_cell_remeasured_under_new_method_or_sampler_options_is_left_out_and_named(
    full_extra: dict[str, Any], large_extra: dict[str, Any]
) -> None:
    full = [_cell("dnre", 1, 0.60, **full_extra), _cell("nre", 1, 0.55, method_options={})]
    large = [_cell("dnre", 1, 0.70, **large_extra), _cell("nre", 1, 0.58, method_options={})]
    text = reference_size.summary_markdown(reference_size.paired_cells(full, large))
    assert "| two_moons | dnre |" not in text and "| two_moons | nre | 1 | 0.550 | 0.580 |" in text
    assert "identical in 1 of 1 pairs" in text
    assert ("Left out: 1 cells (two_moons/dnre) whose full-run cell was made with other method or sampler options"
            in text)
    assert "DNRE − NRE: no task has both methods' cells under the same options yet." in text
