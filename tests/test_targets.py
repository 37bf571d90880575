"""dnre_core.Target: band semantics, parsing, defaults, warnings and bad input."""

import math

import numpy as np
import pytest

from dnre_core import InputError, Target, target_warnings
from dnre_core.targets import at_least, at_most, free, value

NAMES = ["speed", "mass", "count"]


def test_forms_are_bands_with_open_sides():
    assert value(20, 4) == (16.0, 24.0)
    assert at_least(3) == (3.0, None)
    assert at_most(4.5) == (None, 4.5)
    assert free() == (None, None)


def test_parse_reads_every_form_and_names_with_punctuation():
    target = Target.parse("Max_Lateral_Speed_(m/s)=20+-4, mass<=4.5, hover>=20, count=3, other=free, w = 2 ± 0.5")
    assert target.bands == {"Max_Lateral_Speed_(m/s)": (16.0, 24.0), "mass": (None, 4.5), "hover": (20.0, None),
                            "count": (3.0, 3.0), "other": (None, None), "w": (1.5, 2.5)}
    assert target.stated == ["Max_Lateral_Speed_(m/s)", "mass", "hover", "count", "w"]


def test_meets_uses_closed_bands_open_sides_and_free_metrics():
    target = Target({"speed": (16, 24), "mass": (None, 4.5)})  # count is free
    x = np.array([[16.0, 4.5, 99.0],   # both ends included
                  [24.1, 1.0, 0.0],    # speed just outside
                  [20.0, -1e9, np.nan],  # open lower side; NaN in a free metric is fine
                  [np.nan, 1.0, 0.0],  # NaN in a stated metric never meets
                  [20.0, 4.6, 0.0]])
    assert target.meets(x, NAMES).tolist() == [True, False, True, False, False]


def test_violation_and_margin_are_scaled_distances_to_the_bands():
    target = Target({"speed": (16, 24), "mass": (None, 4.5)})
    x = np.array([[20.0, 4.0, 0.0], [26.0, 4.0, 0.0], [20.0, 5.5, 0.0]])
    scale = np.array([2.0, 0.5, 1.0])
    assert target.violation(x, NAMES, scale).tolist() == [0.0, 1.0, 2.0]
    # inside: the nearest finite edge, speed 4/2 = 2, mass 0.5/0.5 = 1 -> 1
    assert target.margin(x, NAMES, scale).tolist() == [1.0, -1.0, -2.0]


def test_discrete_metric_bands_and_the_resolution_warning():
    target = Target({"speed": (20.2, 20.8), "count": (3, 3)})
    x = np.array([[20.0, 1.0, 3.0], [21.0, 1.0, 3.0]])
    assert not target.meets(x, NAMES).any()  # no grid speed lies in (20.2, 20.8)
    found = target_warnings(target, NAMES, resolution={"speed": 1.0, "count": 1.0})
    assert len(found) == 1 and "grid of 1" in found[0] and "no possible value" in found[0]
    assert target_warnings(Target({"speed": (19.8, 20.2)}), NAMES, resolution={"speed": 1.0})[0].count("one possible")
    assert "tolerance of 0" in target_warnings(Target({"mass": (4, 4)}), NAMES)[0]


def test_band_outside_the_seen_range_is_warned_about():
    found = target_warnings(Target({"mass": (20, None)}), NAMES, x_range=([0, 1, 0], [50, 10, 70]))
    assert found and "outside the values seen" in found[0]


def test_defaults_fill_unnamed_metrics_and_a_named_free_metric_overrides_them():
    defaults = {"count": (None, 0)}
    assert Target({"mass": (None, 4)}).with_defaults(defaults).bands["count"] == (None, 0)
    assert Target({"count": (None, None)}).with_defaults(defaults).bands["count"] == (None, None)


def test_round_trip_through_json_form():
    target = Target.parse("speed=20+-4,mass<=4.5")
    assert Target(target.to_dict()) == target


@pytest.mark.parametrize(("bands", "words"), [  # words are regular expressions
    ({"mass": (5, 4)}, "'mass'.*exceeds"),
    ({"mass": (math.nan, 4)}, "'mass'.*NaN"),
    ({"mass": ("a", 4)}, "'mass'.*not a number"),
    ({"mass": (math.inf, None)}, "'mass'.*no value can meet"),
    ({"mass": 4.5}, "'mass'.*pair"),
])
def test_bad_bands_are_input_errors_naming_the_metric(bands, words):
    with pytest.raises(InputError, match=words):
        Target(bands)


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"), ("mass<4", "not of the form"), ("mass<=abc", "not a number"), ("mass=4+-x", "not a number"),
    ("mass<=4,mass>=1", "twice"), ("mass=4+--1", "negative"), ("mass<=inf", "finite"),
])
def test_bad_text_is_an_input_error(text, words):
    with pytest.raises(InputError, match=words):
        Target.parse(text)


def test_unknown_metric_and_nothing_stated_are_input_errors():
    with pytest.raises(InputError, match=r"unknown metric.*'weight'"):
        Target({"weight": (None, 4)}).meets(np.zeros((1, 3)), NAMES)
    with pytest.raises(InputError, match="Every metric of the target is free"):
        Target({"mass": (None, None)}).check_names(NAMES)
