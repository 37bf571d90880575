"""Where the benchmarks write, and what each results file states about the run that made it.

A results file is frozen once written: it states the commit and settings that made it, and a run under other
settings or defaults goes into a new file. Markdown sections (``benchmarks/results/*.md``) are assembled into
``BENCHMARKS.md`` by :mod:`benchmarks.assemble`; the part of a section between :data:`HEADLINE_START` and
:data:`HEADLINE_END` is also shown among the headline results at the top.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from dnre_core.io import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "benchmarks"
RESULTS = PACKAGE / "results"
FIGURES = PACKAGE / "figures"
PREAMBLES = PACKAGE / "preambles"
MODEL_CACHE = PACKAGE / "cache" / "models"  # trained sbibm models, kept between runs (not in git)

HEADLINE_START, HEADLINE_END = "<!-- headline -->", "<!-- /headline -->"


def commit() -> str:
    """The checked-out commit (short hash), with ``+changes`` when tracked files differ from it; ``unknown``
    outside a git work tree."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo; else what the platform reports)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """The machine and thread count a measurement ran on, in words."""
    return (f"{cpu_model()} ({os.cpu_count()} cores visible), torch {torch.__version__}, "
            f"{torch.get_num_threads()} torch thread(s)")


def provenance() -> dict[str, str]:
    """What every record states about the run that made it: ``commit`` and ``machine``."""
    return {"commit": commit(), "machine": machine()}


def provenance_line(command: str, records: Iterable[dict[str, Any]] | None = None) -> str:
    """"Command: `…`. Commit: …. Machine: …." from the records' provenance fields, or of this process (the current
    commit and machine) without ``records``, for a measurement written straight to markdown."""
    if records is not None:
        records = list(records)
        commits = sorted({str(r["commit"]) for r in records if r.get("commit")})
        machines = sorted({str(r["machine"]) for r in records if r.get("machine")})
    else:
        commits, machines = [commit()], [machine()]
    made = ", ".join(commits) or "not recorded in these records (see the results file's git log)"
    where = f" Machine: {'; '.join(machines)}." if machines else ""
    return f"Command: `{command}`. Commit: {made}.{where}"


def headline(lines: list[str]) -> list[str]:
    """``lines`` marked as this section's headline result (see the module docstring)."""
    return [HEADLINE_START, *lines, HEADLINE_END]


def write_markdown(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, lambda handle: handle.write(text.encode()))
