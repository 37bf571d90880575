"""The dashboard's remembered selections: a small JSON file in the workspace (``prefs.json``), so that a page
reloaded, opened in another tab or after a restart comes back with the data set, model, settings and run last
chosen on it. Values are JSON (ids, numbers, strings, lists of them); a damaged file counts as empty."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ui import atomic

FILE_NAME = "prefs.json"
_LOCK = threading.Lock()  # sessions of one server process write the file in turn


class Prefs:
    """Remembered values of one workspace, keyed by widget key."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / FILE_NAME

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> Any:
        """The value remembered under ``key``, or None."""
        return self._read().get(key)

    def set(self, key: str, value: Any) -> None:
        """Remember ``value`` under ``key`` (written atomically, and only when it changed)."""
        json.dumps(value)  # raises TypeError for a value that cannot be remembered
        with _LOCK:
            data = self._read()
            if data.get(key) != value:
                atomic.write_json(self.path, {**data, key: value})
