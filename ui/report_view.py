"""A markdown report with image links (BENCHMARKS.md) split into text and images, for Streamlit to show.

``st.markdown`` cannot show an image from a local path, so each ``![caption](path)`` line becomes an image block
whose path is resolved against the report's folder; a link to a missing file becomes a line of text that says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_IMAGE_LINE = re.compile(r"^!\[(?P<caption>[^\]]*)\]\((?P<path>[^)\s]+)\)\s*$")


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
