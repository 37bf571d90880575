"""The results file: one JSON object per line, appended as each piece of work finishes, so a run can resume.

Two kinds of record (field ``kind``):

- ``"cell"``: one (task, method, sampler, observation, seed, budget): ``c2st``, ``log_prob_true``,
  ``train_seconds``, ``sample_seconds``, ``min_ess``, ``min_ess_per_second``, ``max_rhat``, ``status``, ``error``.
- ``"coverage"``: one (task, method, sampler, seed, budget) over held-out pairs: ``levels`` and ``coverage`` (K,).

Every record also states what made it: the run's ``settings``, the ``method_options`` and ``sampler_options``, and
the ``commit`` and ``machine``. A record with ``status == "failed"`` (and its ``error``) counts as done: a rerun
does not retry it unless asked to (``--retry-failed``, after a fix); the retry appends a new record, and the newest
record of each key is the one that counts (:func:`latest_records`).
"""

from __future__ import annotations

import fcntl
import json
import math
from pathlib import Path
from typing import Any

KEY_FIELDS = ("kind", "task", "method", "sampler", "observation", "seed", "budget")


def record_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """The identity of a record: its values of :data:`KEY_FIELDS` (``observation`` is None for coverage)."""
    return tuple(record.get(field) for field in KEY_FIELDS)


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records in ``path`` (none when it does not exist); a truncated last line (a killed run) is ignored."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def latest_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest record of each :func:`record_key` among ``records`` (in file order), in order of first appearance."""
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        latest[record_key(record)] = record
    return list(latest.values())


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one line (non-finite floats written as null), under an exclusive lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(finite_or_none(record), sort_keys=True) + "\n"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(line)
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)


def finite_or_none(value: Any) -> Any:
    """``value`` with every non-finite float (in nested dicts, lists and tuples) replaced by None, as records store
    it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value


def failure_reason(record: dict[str, Any]) -> str:
    """The one-line reason a failed record gives (the last line of its stored traceback; the full one stays in the
    results file)."""
    lines = (record.get("error") or "").strip().splitlines()
    return lines[-1] if lines else "no reason recorded"
