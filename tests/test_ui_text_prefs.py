"""User text shown as typed (Markdown escaped) and the workspace's remembered selections."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.prefs import Prefs
from ui.text import md, plot_text


@pytest.mark.parametrize("text", [
    "![b](http://host/beacon.png)", "**bold** _it_ `code`", ":red[x] :material/home: $x^2$", "# heading", "<img src=x>",
    "a | b", "[link](http://x) <http://y>", "~~strike~~", "back\\\\slash",
])
def test_markdown_escaping_leaves_no_unescaped_punctuation(text: str) -> None:
    escaped = md(text)
    k = 0
    while k < len(escaped):  # every ASCII punctuation character is preceded by a backslash
        if escaped[k] == "\\":
            k += 2
            continue
        assert not (escaped[k].isascii() and not escaped[k].isalnum() and not escaped[k].isspace()), (text, escaped, k)
        k += 1
    assert escaped.replace("\\", "") == text.replace("\\", "")  # nothing else changed


def test_line_breaks_become_spaces_and_plot_text_escapes_html() -> None:
    assert md("a\nb\r\nc") == "a b c"
    assert plot_text("<b>x</b> & y\n") == "&lt;b&gt;x&lt;/b&gt; &amp; y "


def test_prefs_remember_json_values_and_survive_a_damaged_file(tmp_path: Path) -> None:
    prefs = Prefs(tmp_path)
    assert prefs.get("train_ds") is None
    prefs.set("train_ds", "abc123")
    prefs.set("pair_cols", ["mass", "Arm_2159_Length"])
    assert Prefs(tmp_path).get("train_ds") == "abc123"
    assert Prefs(tmp_path).get("pair_cols") == ["mass", "Arm_2159_Length"]
    with pytest.raises(TypeError):
        prefs.set("bad", object())
    (tmp_path / "prefs.json").write_text("{not json")
    assert Prefs(tmp_path).get("train_ds") is None
    prefs.set("train_ds", "x")
    assert Prefs(tmp_path).get("train_ds") == "x"
