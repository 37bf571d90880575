"""User-typed text (model, data-set and run names, CSV column names, targets) made safe to show.

Streamlit renders the text of ``st.markdown``, ``st.caption``, alerts, progress bars and widget labels as Markdown:
a model named ``![b](http://host/beacon.png)`` would make every viewer's browser fetch that URL, and a column named
``**x**`` would turn bold. :func:`md` escapes every Markdown construct so that such text shows exactly as typed.
Plotly titles and legend entries understand a few HTML tags instead; :func:`plot_text` escapes those.
"""

from __future__ import annotations

import html
import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of them also covers
# Streamlit's own extensions (":red[...]" colour directives, "$...$" maths, ":material/...:" icons).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def md(text: object) -> str:
    """``text`` as Markdown that displays it literally, on one line (line breaks become spaces)."""
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))


def plot_text(text: object) -> str:
    """``text`` for a Plotly title, axis title or legend entry: its HTML-like tags are shown, not interpreted."""
    return html.escape(_LINE_BREAKS.sub(" ", str(text)), quote=False)
