"""``BENCHMARKS.md`` from the sections the benchmarks write to ``benchmarks/results/*.md``.

The file opens with the headline results: for each section of :data:`HEADLINES`, its marked headline
(:data:`~benchmarks.output.HEADLINE_START` … :data:`~benchmarks.output.HEADLINE_END`) or, without marks, its first
table; the section itself then points there instead of repeating it. Every section follows in the order of
:data:`ORDER`, then any others by name. Relative figure links are rewritten to work from the output's folder.
Nothing is measured here: ``python -m benchmarks assemble`` rebuilds the file from the results alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from benchmarks.output import HEADLINE_END, HEADLINE_START, RESULTS, ROOT, write_markdown

#: Sections with a headline, in the order of the headline results, and the label of each.
HEADLINES = {
    "sbibm_full.md": "sbibm tasks: DNRE against the best other ratio estimator",
    "core.md": "Sampler speed on one CPU thread (3-D linear-Gaussian)",
    "gpu.md": "GPU against one CPU thread",
    "simulator.md": "Quadcopter simulator",
    "design.md": "Inverse design: every method",
    "design_draws_per_chain.md": "Inverse design: the default as it is now",
}
ORDER = [*HEADLINES, "design_one_pass_mh.md", "design_short_warmup.md", "callbacks.md", "dashboard.md",
         "c2st_reference_size.md", "coverage_pairs.md", "temperature.md", "mh_mixing.md", "mh_spread.md",
         "default_sampling.md", "dnre_partners.md", "early_stopping.md", "ablation.md"]
HEADER = """# Benchmarks

Written by `python -m benchmarks assemble` from the sections in `benchmarks/results/` (`make bench` measures what
they lack first). Each section states the command that reproduces it, the commit and the machine. A results file
is frozen once written: a run with other settings or library defaults goes into a new file, and the history of
these numbers lives in git. Unless a section says otherwise, the machine is a shared 2-core one without GPU, where
absolute seconds vary with load and ratios measured side by side much less.
"""
POINTER = "*Headline result: see [Headline results](#headline-results) at the top.*"
MISSING_DESIGN = ("*No inverse-design results yet: this place is for the design suite, whose section "
                  "`benchmarks/results/design.md` is assembled here once it exists.*")

IMAGE_LINK = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)(\))")


def split_headline(text: str) -> tuple[list[str], list[str]]:
    """(The headline's lines, the section's lines with the headline replaced by :data:`POINTER`): the marked part,
    or else the first table (consecutive lines starting with "|"); no headline in a section with neither."""
    lines = text.strip().splitlines()
    if HEADLINE_START in lines and HEADLINE_END in lines:
        start, end = lines.index(HEADLINE_START), lines.index(HEADLINE_END)
        return lines[start + 1 : end], [*lines[:start], POINTER, *lines[end + 1 :]]
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), None)
    if start is None:
        return [], lines
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end], [*lines[:start], POINTER, *lines[end:]]


def relinked(lines: list[str], source_dir: Path, output_dir: Path) -> list[str]:
    """``lines`` with relative image links (written relative to ``source_dir``) made relative to ``output_dir``."""

    def relink(match: re.Match[str]) -> str:
        target = match[2]
        if "://" in target or Path(target).is_absolute():
            return match[0]
        moved = os.path.relpath((source_dir / target).resolve(), output_dir.resolve())
        return f"{match[1]}{Path(moved).as_posix()}{match[3]}"

    return [IMAGE_LINK.sub(relink, line) for line in lines]


def assemble(results_dir: Path, output: Path) -> None:
    """Write ``output`` from the sections ``results_dir/*.md`` (see the module docstring)."""
    sections = sorted(results_dir.glob("*.md"),
                      key=lambda p: (ORDER.index(p.name) if p.name in ORDER else len(ORDER), p.name))
    heads, bodies = ["## Headline results", ""], []
    for path in sections:
        text = path.read_text()
        if path.name in HEADLINES:
            top, body = split_headline(text)
            heads += [f"**{HEADLINES[path.name]}**", "", *relinked(top, path.parent, output.parent), ""]
        else:
            body = text.strip().splitlines()
        bodies.append("\n".join(relinked(body, path.parent, output.parent)) + "\n")
    if not (results_dir / "design.md").exists():
        heads += [f"**{HEADLINES['design.md']}**", "", MISSING_DESIGN, ""]
    write_markdown(output, "\n".join([HEADER, *heads, *bodies]))


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks assemble [OUTPUT]`` (default: BENCHMARKS.md at the repository's root)."""
    output = Path(argv[0]) if argv else ROOT / "BENCHMARKS.md"
    assemble(RESULTS, output)
    print(f"Wrote {output}")
    return 0
