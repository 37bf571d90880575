"""CSV exports of the dashboard (its download buttons): text cells neutralised against spreadsheet formulas.

Column names, index labels and text cells go through :func:`dnre_core.io.csv_safe`, the one helper every CSV writer
of the project uses; numbers are written as they are.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dnre_core.io import csv_safe


def _safe(value: Any) -> Any:
    return csv_safe(value) if isinstance(value, str) else value


def csv_bytes(frame: pd.DataFrame, index: bool = True, index_label: str | None = None) -> bytes:
    """``frame`` as UTF-8 CSV bytes for ``st.download_button``, with every text cell passed through ``csv_safe``."""
    safe = frame.rename(columns=lambda name: csv_safe(str(name)))
    safe = safe.apply(lambda column: column if pd.api.types.is_numeric_dtype(column) else column.map(_safe))
    if index:
        safe.index = safe.index.map(_safe)
    label = csv_safe(index_label) if index_label is not None else None
    return safe.to_csv(index=index, index_label=label).encode("utf-8")
