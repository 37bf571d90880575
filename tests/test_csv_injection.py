"""Spreadsheet formula injection: text a user typed (column names, labels) never reaches a CSV as a live formula."""

import csv
import io

import pandas as pd
import pytest

from dnre_core.io import csv_safe, write_csv
from ui.export import csv_bytes

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_text_starting_a_formula_gets_a_leading_apostrophe(cell):
    assert csv_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["mass", "-0.5", "+3", "1e-3", "-inf", "nan", "", "a=b"])
def test_numbers_and_plain_text_are_left_alone(cell):
    assert csv_safe(cell) == cell


def test_write_csv_neutralises_the_header_and_keeps_numbers(tmp_path):
    write_csv(tmp_path / "s.csv", HOSTILE[:2], [[-0.5, 1.25], [2.0, -3.0]])
    with (tmp_path / "s.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["'" + HOSTILE[0], "'" + HOSTILE[1]]
    assert rows[1:] == [["-0.5", "1.25"], ["2.0", "-3.0"]]


def test_dashboard_exports_neutralise_column_names_index_and_text_cells():
    frame = pd.DataFrame({"=evil()": [1.5, -2.0], "note": ["@attack", "fine"]}, index=pd.Index(["+x", "y"]))
    rows = list(csv.reader(io.StringIO(csv_bytes(frame, index_label="-label").decode())))
    assert rows == [["'-label", "'=evil()", "note"], ["'+x", "1.5", "'@attack"], ["y", "-2.0", "fine"]]
