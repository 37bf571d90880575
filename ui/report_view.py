"""A markdown report with image links (BENCHMARKS.md) made readable in Streamlit: its headline first, a table of
contents, and each section's details folded away.

:func:`split_report` cuts the report at its ``## `` headings into an introduction and sections, and sets apart the
report's own headline section (BENCHMARKS.md opens with "Headline results", written by ``python -m benchmarks
assemble``). ``st.markdown`` cannot show an image from a local path, so :func:`report_blocks` turns each
``![caption](path)`` line into an image block whose path is resolved against the report's folder (a link to a missing
file becomes a line of text that says so). :func:`round_numbers` shortens long decimals in table rows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

_IMAGE_LINE = re.compile(r"^!\[(?P<caption>[^\]]*)\]\((?P<path>[^)\s]+)\)\s*$")
_LONG_DECIMAL = re.compile(r"(?<![\w.])(\d+)\.(\d{4,})(?![\w.])")
SIGNIFICANT = 4


@dataclass(frozen=True)
class TextBlock:
    markdown: str


@dataclass(frozen=True)
class ImageBlock:
    path: Path
    caption: str


def report_blocks(text: str, base_dir: Path) -> list[TextBlock | ImageBlock]:
    """The report ``text`` as text blocks and image blocks, in order; images resolved against ``base_dir``."""
    blocks: list[TextBlock | ImageBlock] = []
    pending: list[str] = []

    def flush() -> None:
        if "".join(pending).strip():
            blocks.append(TextBlock("\n".join(pending).strip("\n")))
        pending.clear()

    for line in text.splitlines():
        match = _IMAGE_LINE.match(line.strip())
        if match is None:
            pending.append(line)
            continue
        path = (base_dir / match["path"]).resolve()
        if path.is_file():
            flush()
            blocks.append(ImageBlock(path, match["caption"]))
        else:
            pending.append(f"*(figure “{match['caption']}” is missing: {match['path']}; `make bench` draws it)*")
    flush()
    return blocks


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str  # a slug for links from the table of contents
    body: str


@dataclass(frozen=True)
class Report:
    intro: str  # the text before the first section, without the report's "# " title
    headline: Section | None = None  # the report's headline section, shown first; not among ``sections``
    sections: list[Section] = field(default_factory=list)


def _slug(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "section"
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug)
    return slug


def split_report(text: str, headline_section: str) -> Report:
    """Cut ``text`` at its ``## `` headings. The first section titled ``headline_section`` is the headline, set
    apart from the other sections; none when no section has that title."""
    chunks = re.split(r"(?m)^(?=## )", text)
    intro = re.sub(r"(?m)\A# [^\n]*\n", "", chunks[0]).strip("\n") if not chunks[0].startswith("## ") else ""
    taken: set[str] = set()
    sections = [Section(c.splitlines()[0][3:].strip(), "", "\n".join(c.splitlines()[1:]).strip("\n"))
                for c in chunks if c.startswith("## ")]
    sections = [Section(s.title, _slug(s.title, taken), s.body) for s in sections]
    headline = next((s for s in sections if s.title == headline_section), None)
    return Report(intro, headline, [s for s in sections if s is not headline])


def round_numbers(markdown: str, significant: int = SIGNIFICANT) -> str:
    """Decimals with four or more digits after the point, in table rows (lines starting with ``|``), rounded to
    ``significant`` significant digits (large numbers to whole numbers, never to powers of ten)."""

    def shorten(match: re.Match[str]) -> str:
        value = float(match.group(0))
        magnitude = math.floor(math.log10(value)) if value > 0 else 0
        return f"{value:.{max(0, significant - 1 - magnitude)}f}"

    return "\n".join(_LONG_DECIMAL.sub(shorten, line) if line.lstrip().startswith("|") else line
                     for line in markdown.splitlines())
