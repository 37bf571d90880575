"""Import a CSV of (θ, x) rows from any simulator: column mapping, then validation that counts every problem.

Nothing is dropped silently. :func:`validate` returns an :class:`ImportReport` listing, per column, the
non-numeric cells, missing/non-finite cells, out-of-bound parameter values, and the failed rows (all of the
schema's failure metrics 0), and the rows where a metric that 0 marks as unsolved (e.g. no hover trim) is 0. Rows
with unusable cells or out-of-bound parameters block the import unless the caller explicitly chooses to exclude
them; failed rows are imported (they teach a model where designs fail) unless the caller chooses to exclude them.
The report says how many rows each choice removed; messages name fields by their display labels.

:class:`UploadCache` keeps the parse of the latest upload, so that a large file is parsed once, not on every rerun.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MAX_EXAMPLES = 5


class CsvImportError(ValueError):
    """The CSV cannot be imported as mapped; the message says why, in words for the user."""


@dataclass(frozen=True)
class Schema:
    """What a data set must contain: parameter columns with bounds, metric columns, and what a failure is."""

    parameter_names: tuple[str, ...]
    metric_names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    failure_metrics: tuple[str, ...] = ()
    zero_means_unsolved: tuple[str, ...] = ()  # metrics whose 0 means "no solution" rather than a measured value
    labels: Mapping[str, str] = field(default_factory=dict)  # display labels (with units) of the columns

    @property
    def columns(self) -> tuple[str, ...]:
        return self.parameter_names + self.metric_names

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


@dataclass(frozen=True)
class ImportOptions:
    exclude_unusable: bool = False
    exclude_out_of_bounds: bool = False
    exclude_failed: bool = False


@dataclass(frozen=True)
class Issue:
    """One kind of problem in one column: how many rows, and the first few CSV line numbers."""

    category: str  # "non-numeric", "missing", "out-of-bounds", "failed", "zero"
    column: str
    count: int
    example_lines: tuple[int, ...]
    detail: str


@dataclass
class ImportReport:
    n_rows: int
    issues: list[Issue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    n_unusable: int = 0
    n_out_of_bounds: int = 0
    n_failed: int = 0
    zero_counts: dict[str, int] = field(default_factory=dict)  # label → rows where a zero_means_unsolved metric is 0
    excluded: dict[str, int] = field(default_factory=dict)
    blocking: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def table(self) -> pd.DataFrame:
        """The issues as a table for display."""
        return pd.DataFrame(
            [
                {"problem": i.category, "column": i.column, "rows": i.count,
                 "first CSV lines": ", ".join(map(str, i.example_lines)), "detail": i.detail}
                for i in self.issues
            ],
            columns=["problem", "column", "rows", "first CSV lines", "detail"],
        )


@dataclass(frozen=True)
class ImportResult:
    theta: np.ndarray
    x: np.ndarray
    kept_lines: np.ndarray  # CSV line numbers (header = line 1) of the imported rows
    report: ImportReport


def read_csv(source: bytes | str | Path) -> pd.DataFrame:
    """Read a CSV (bytes of an upload, or a path) as text columns; raises :class:`CsvImportError` with a reason."""
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportError(
            f"The file is not UTF-8 text ({exc.reason} at byte {exc.start}); is it really a CSV?") from exc
    except OSError as exc:
        raise CsvImportError(f"The file cannot be read: {exc}") from exc
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise CsvImportError(f"The file is not well-formed CSV: {exc}.") from exc
    if not text.strip() or not header:
        raise CsvImportError("The file is empty: no header row and no data.")
    names = [h.strip() for h in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CsvImportError(f"The header repeats column name(s): {', '.join(map(repr, repeated))}.")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        frame.columns = names  # a ValueError when pandas reads the header row otherwise than the csv module
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise CsvImportError(f"The file is not well-formed CSV: {str(exc).strip()}") from exc
    if frame.shape[0] == 0:
        raise CsvImportError("The file has a header row but no data rows.")
    return frame


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def default_mapping(columns: Sequence[str], schema: Schema) -> dict[str, str | None]:
    """Map each schema column to the CSV column of the same name (exact, else ignoring case and punctuation)."""
    exact = {c: c for c in columns}
    loose = {_normalise(c): c for c in columns}
    return {name: exact.get(name) or loose.get(_normalise(name)) for name in schema.columns}


def _lines(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) + 2 for i in np.flatnonzero(mask)[:MAX_EXAMPLES])


def _check_mapping(frame: pd.DataFrame, schema: Schema, mapping: Mapping[str, str | None]) -> None:
    missing = [schema.label(name) for name in schema.columns if not mapping.get(name)]
    if missing:
        raise CsvImportError(
            f"Missing column(s): {', '.join(missing)}. Map them to columns of the file "
            f"(it has: {', '.join(map(str, frame.columns))})."
        )
    unknown = sorted({str(mapping[name]) for name in schema.columns if mapping[name] not in frame.columns})
    if unknown:
        raise CsvImportError(f"The mapping names column(s) the file does not have: {', '.join(unknown)}.")
    used: dict[str, list[str]] = {}
    for name in schema.columns:
        used.setdefault(str(mapping[name]), []).append(name)
    shared = {col: [schema.label(n) for n in names] for col, names in used.items() if len(names) > 1}
    if shared:
        col, names = next(iter(shared.items()))
        raise CsvImportError(f"The file's column {col!r} is mapped to several fields ({', '.join(names)}); map each "
                             "field to its own column.")


def validate(frame: pd.DataFrame, schema: Schema, mapping: Mapping[str, str | None],
             options: ImportOptions = ImportOptions()) -> ImportResult:
    """Check the mapped columns row by row; return the rows to import and a report of everything found."""
    _check_mapping(frame, schema, mapping)
    report = ImportReport(n_rows=int(frame.shape[0]))
    mapped = {str(mapping[name]) for name in schema.columns}
    report.ignored_columns = [str(c) for c in frame.columns if str(c) not in mapped]

    values = np.empty((frame.shape[0], len(schema.columns)))
    unusable = np.zeros(frame.shape[0], dtype=bool)
    for j, name in enumerate(schema.columns):
        text = frame[str(mapping[name])].astype(str).str.strip()
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        blank = text.str.lower().isin(["", "nan", "na", "n/a", "null", "none"]).to_numpy()
        non_numeric = np.isnan(numbers) & ~blank
        non_finite = blank | np.isinf(numbers)
        if non_numeric.any():
            first = text[non_numeric].iloc[0]
            report.issues.append(Issue("non-numeric", schema.label(name), int(non_numeric.sum()), _lines(non_numeric),
                                       f"e.g. {first!r} is not a number"))
        if non_finite.any():
            report.issues.append(Issue("missing", schema.label(name), int(non_finite.sum()), _lines(non_finite),
                                       "empty, NaN or infinite"))
        unusable |= non_numeric | non_finite
        values[:, j] = numbers

    n_params = len(schema.parameter_names)
    theta, x = values[:, :n_params], values[:, n_params:]
    out_of_bounds = np.zeros(frame.shape[0], dtype=bool)
    for j, name in enumerate(schema.parameter_names):
        low, high = schema.low[j], schema.high[j]
        below, above = theta[:, j] < low, theta[:, j] > high
        for mask, word, bound in ((below, "below", low), (above, "above", high)):
            if mask.any():
                worst = theta[mask, j].min() if word == "below" else theta[mask, j].max()
                report.issues.append(Issue("out-of-bounds", schema.label(name), int(mask.sum()), _lines(mask),
                                           f"{word} the bound {bound:g} (extreme {worst:g})"))
        out_of_bounds |= below | above

    failed = np.zeros(frame.shape[0], dtype=bool)
    if schema.failure_metrics:
        columns = [schema.metric_names.index(m) for m in schema.failure_metrics]
        failed = (x[:, columns] == 0).all(axis=1)
        if failed.any():
            report.issues.append(Issue("failed", f"all {len(columns)} flight metrics", int(failed.sum()),
                                       _lines(failed),
                                       "every one of them is 0: the simulator found no flight condition"))
    for name in schema.zero_means_unsolved:
        zero = (x[:, schema.metric_names.index(name)] == 0) & ~failed
        if zero.any():
            report.zero_counts[schema.label(name)] = int(zero.sum())
            report.issues.append(Issue("zero", schema.label(name), int(zero.sum()), _lines(zero),
                                       "0 in otherwise working designs: the simulator found no solution for it"))

    report.n_unusable, report.n_out_of_bounds = int(unusable.sum()), int(out_of_bounds.sum())
    report.n_failed = int(failed.sum())
    keep = np.ones(frame.shape[0], dtype=bool)
    if unusable.any():
        if options.exclude_unusable:
            report.excluded["rows with non-numeric or missing cells"] = report.n_unusable
            keep &= ~unusable
        else:
            report.blocking.append(f"{report.n_unusable} row(s) have non-numeric or missing cells; fix the file or "
                                   "choose to exclude them.")
    oob = out_of_bounds & keep
    if oob.any():
        if options.exclude_out_of_bounds:
            report.excluded["rows with parameters outside the bounds"] = int(oob.sum())
            keep &= ~oob
        else:
            report.blocking.append(f"{int(oob.sum())} row(s) have parameters outside the design bounds; fix the file "
                                   "or choose to exclude them.")
    fail = failed & keep
    if options.exclude_failed and fail.any():
        report.excluded["failed rows"] = int(fail.sum())
        keep &= ~fail
    if report.ok and not keep.any():
        report.blocking.append("No rows are left to import after the exclusions.")
    return ImportResult(theta=theta[keep], x=x[keep], kept_lines=np.flatnonzero(keep) + 2, report=report)


def ready_message(result: ImportResult) -> str:
    """What an importable result will import, in words: the row count, the failed designs it includes and the
    metrics whose zeros mark unsolved cases (so that nothing surprising is imported unannounced)."""
    report = result.report
    lines = [f"{result.theta.shape[0]:,} of {report.n_rows:,} rows are ready to import."]
    failed_kept = report.n_failed - report.excluded.get("failed rows", 0)
    if failed_kept:
        lines.append(f"They include {failed_kept:,} failed designs (every flight metric 0), which teach a model where "
                     "designs fail; tick *Exclude failed designs* to leave them out.")
    lines += [f"{label} is 0 in {count:,} otherwise working designs (no solution found for it)."
              for label, count in report.zero_counts.items()]
    return " ".join(lines)


class UploadCache:
    """The parse of the latest uploaded file, kept between reruns: a rerun with the same upload (same ``file_id``)
    reuses it without reading the bytes, and a new upload with the same content (same SHA-256 digest) too; only new
    content is parsed. A parse error is kept the same way. ``reader`` parses bytes (default :func:`read_csv`)."""

    def __init__(self, reader: Callable[[bytes], pd.DataFrame] = read_csv) -> None:
        self.reader = reader
        self.file_id: str | None = None
        self.digest: str | None = None
        self.frame: pd.DataFrame | None = None
        self.error: CsvImportError | None = None

    def parse(self, file_id: str, data: Callable[[], bytes]) -> pd.DataFrame:
        """The parsed frame of upload ``file_id`` whose bytes ``data()`` gives; raises its :class:`CsvImportError`."""
        if file_id != self.file_id:
            raw = data()
            digest = hashlib.sha256(raw).hexdigest()
            if digest != self.digest:
                self.frame, self.error = None, None
                try:
                    self.frame = self.reader(raw)
                except CsvImportError as exc:
                    self.error = exc
            self.file_id, self.digest = file_id, digest
        if self.error is not None:
            raise self.error
        assert self.frame is not None
        return self.frame
