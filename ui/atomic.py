"""Atomic files for the dashboard, all through dnre_core's one writer (:func:`dnre_core.io.atomic_write_bytes`).

A reader never sees a half-written file, and a crash mid-write leaves the old file (or none), never a torn one.
"""

from __future__ import annotations

import os

import numpy as np

from dnre_core.io import atomic_write_bytes, write_json

__all__ = ["atomic_write_bytes", "save_npz", "write_json"]


def save_npz(path: str | os.PathLike[str], **arrays: np.ndarray) -> None:
    """``np.savez`` atomically, to exactly ``path`` (no ``.npz`` appended; no pickled objects)."""
    atomic_write_bytes(path, lambda f: np.savez(f, **arrays))
