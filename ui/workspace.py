"""The workspace: an SQLite index (WAL mode) of data sets, models and runs, plus their artifact files.

Layout under the workspace folder::

    index.sqlite            the index (one connection per call, so any thread or process may use it)
    datasets/<id>.npz       theta (N, D), x (N, L), parameter_names, metric_names
    models/<id>.pt          estimator files written by ``dnre_core``
    runs/<id>/...           a run's artifacts (samples, diagnostics, validation results)
    partial/<name>          finished pieces of a stopped job (simulation batches), so the same job resumes

Every artifact is written atomically before its index row points at it. A run records the process that owns
it; runs left ``queued`` or ``running`` by a process that no longer exists are marked ``interrupted`` (kept,
with their partial artifacts), never lost: at start-up and whenever runs are listed, so that a second server
process sees a dead run as interrupted without reopening the workspace. A run may keep the best model so far in
``partial/checkpoint-<run id>.pt`` (:meth:`Workspace.checkpoint_path`); when the run is found interrupted, that file
becomes a model of the workspace. Records have random ids, so several browser sessions (or processes) writing at
once never clobber each other.

A damaged ``index.sqlite`` raises :class:`WorkspaceCorrupt`, which names the file; :func:`start_afresh` sets it
aside (kept beside it as a backup) and creates an empty index.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dnre_core import ModelFileError, read_model_config
from ui import atomic

ENV_VAR = "DNRE_WORKSPACE"
DEFAULT_DIR = "workspace"

RUN_STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
ACTIVE_STATUSES = ("queued", "running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at REAL NOT NULL, source TEXT NOT NULL,
    n_rows INTEGER NOT NULL, path TEXT NOT NULL, meta TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at REAL NOT NULL, kind TEXT NOT NULL,
    dataset_id TEXT, path TEXT NOT NULL, config TEXT NOT NULL, metrics TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, session_id TEXT NOT NULL,
    owner TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    message TEXT NOT NULL, params TEXT NOT NULL, result TEXT NOT NULL
);
"""


class WorkspaceError(RuntimeError):
    """A workspace problem worth showing to the user as is (missing record, unreadable artifact)."""


class WorkspaceCorrupt(WorkspaceError):
    """The workspace's index file is damaged; :func:`start_afresh` sets it aside and starts an empty one."""

    def __init__(self, db_path: Path, reason: str):
        self.db_path = db_path
        super().__init__(
            f"The workspace index {db_path} is damaged ({reason}), so the workspace cannot be opened. Start afresh: "
            f"the damaged file is kept beside it as a backup and an empty index is created; the data set and model "
            f"files in {db_path.parent} stay where they are."
        )


_CORRUPTION = ("SQLITE_NOTADB", "SQLITE_CORRUPT")


@contextlib.contextmanager
def _index_errors(db_path: Path) -> Iterator[None]:
    """Turn SQLite's "not a database" / "malformed" errors into :class:`WorkspaceCorrupt` (a busy database is not)."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if type(exc) is sqlite3.DatabaseError or getattr(exc, "sqlite_errorname", "") in _CORRUPTION:
            raise WorkspaceCorrupt(db_path, str(exc)) from exc
        raise


def start_afresh(root: str | Path) -> Path:
    """Move a workspace's damaged index (and its WAL files) aside as ``index.sqlite.damaged-<time>`` and create an
    empty one; returns the backup's path. Data set, model and run files are not touched."""
    db_path = Path(root).resolve() / "index.sqlite"
    backup = db_path.with_name(f"{db_path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{_new_id()[:4]}")
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            os.replace(side, backup.with_name(backup.name + suffix))
    if db_path.exists():
        os.replace(db_path, backup)
    Workspace(root)
    return backup


def resolve_dir(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> Path:
    """The workspace folder: ``--workspace DIR`` in ``argv``, else ``$DNRE_WORKSPACE``, else ``./workspace``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workspace", default=None)
    args, _ = parser.parse_known_args(list(argv) if argv is not None else [])
    env = os.environ if environ is None else environ
    chosen = args.workspace or env.get(ENV_VAR) or DEFAULT_DIR
    return Path(chosen).expanduser().resolve()


def _process_start_ticks(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may contain spaces, so split after its ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def current_owner() -> str:
    """Identifies this process: host, pid and start time (so a recycled pid is not mistaken for us)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start_ticks(pid) or '?'}"


def owner_alive(owner: str) -> bool:
    """Whether the process recorded as ``owner`` is still running (processes on other hosts count as alive)."""
    try:
        host, pid_text, ticks = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    if ticks != "?":
        return _process_start_ticks(pid) == ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    created_at: float
    source: str
    n_rows: int
    path: Path
    meta: dict[str, Any]


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    created_at: float
    kind: str
    dataset_id: str | None
    path: Path
    config: dict[str, Any]
    metrics: dict[str, Any]


@dataclass(frozen=True)
class Run:
    id: str
    kind: str
    name: str
    session_id: str
    owner: str
    status: str
    created_at: float
    updated_at: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any]


@dataclass(frozen=True)
class DatasetArrays:
    theta: np.ndarray
    x: np.ndarray
    parameter_names: list[str]
    metric_names: list[str]


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


class Workspace:
    """A workspace folder. Cheap to construct; safe to share between threads (one connection per call)."""

    def __init__(self, root: str | Path, recover: bool = True):
        self.root = Path(root).resolve()
        for sub in ("datasets", "models", "runs", "partial"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "index.sqlite"
        conn = sqlite3.connect(self.db_path, timeout=30.0)
        try:
            with _index_errors(self.db_path):
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
        finally:
            conn.close()
        self.recovered: list[str] = self.recover_interrupted() if recover else []

    @contextlib.contextmanager
    def _connect(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One connection, one transaction (``BEGIN IMMEDIATE`` for writes, so writers queue instead of failing)."""
        conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            with _index_errors(self.db_path):
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        finally:
            conn.close()

    # ---- crash recovery -------------------------------------------------------------------------------------
    def recover_interrupted(self) -> list[str]:
        """Mark runs left queued/running by dead processes as ``interrupted``; returns their ids.

        A run's checkpoint (:meth:`checkpoint_path`) becomes a model named after the run, and the run's message says
        so. Cheap when nothing died (one read of the active runs), so listings call it every time.
        """
        with self._connect(write=False) as conn:
            active = conn.execute(
                f"SELECT id, owner FROM runs WHERE status IN ({','.join('?' * len(ACTIVE_STATUSES))})", ACTIVE_STATUSES
            ).fetchall()
        dead = [row["id"] for row in active if not owner_alive(row["owner"])]
        recovered = []
        for run_id in dead:
            with self._connect() as conn:  # one writer at a time: two processes never adopt the same checkpoint
                row = conn.execute(
                    f"SELECT * FROM runs WHERE id=? AND status IN ({','.join('?' * len(ACTIVE_STATUSES))})",
                    (run_id, *ACTIVE_STATUSES),
                ).fetchone()
                if row is None:  # recovered meanwhile by another process
                    continue
                message = ("interrupted: the process running it stopped (crash or restart)"
                           + self._adopt_checkpoint(conn, row))
                conn.execute("UPDATE runs SET status='interrupted', updated_at=?, message=? WHERE id=?",
                             (time.time(), message, run_id))
            recovered.append(run_id)
        return recovered

    def checkpoint_path(self, run_id: str) -> Path:
        """Where a run keeps its best model so far (a dnre_core model file), adopted as a model if the run dies."""
        return self.partial_path(f"checkpoint-{run_id}.pt")

    def _adopt_checkpoint(self, conn: sqlite3.Connection, row: sqlite3.Row) -> str:
        """Index a dead run's checkpoint as a model (within ``conn``'s transaction); the end of the run's message."""
        checkpoint = self.checkpoint_path(row["id"])
        if not checkpoint.exists():
            return ""
        try:
            config = read_model_config(checkpoint)
        except ModelFileError as exc:
            return f"; its checkpoint could not be read ({exc})"
        training = config.get("metadata", {}).get("training", {})
        metrics = {**training, "stopped_by": "interrupted"}
        model_id = _new_id()
        name = f"{row['name']} (interrupted, best of {training.get('epochs', '?')} epochs)"
        os.replace(checkpoint, self.model_path(model_id))
        params = json.loads(row["params"])
        conn.execute(
            "INSERT INTO models VALUES (?,?,?,?,?,?,?,?)",
            (model_id, name, time.time(), config["kind"], params.get("dataset_id"), f"models/{model_id}.pt",
             json.dumps(params), json.dumps(metrics)),
        )
        return f"; its best weights so far are kept as the model '{name}'"

    # ---- data sets ------------------------------------------------------------------------------------------
    def add_dataset(
        self,
        name: str,
        theta: np.ndarray,
        x: np.ndarray,
        parameter_names: Sequence[str],
        metric_names: Sequence[str],
        source: str,
        meta: dict[str, Any] | None = None,
    ) -> Dataset:
        theta = np.asarray(theta, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        if theta.ndim != 2 or x.ndim != 2 or theta.shape[0] != x.shape[0]:
            raise WorkspaceError(f"A data set needs theta (N, D) and x (N, L) with the same N; got {theta.shape} and "
                                 f"{x.shape}.")
        if theta.shape[1] != len(parameter_names) or x.shape[1] != len(metric_names):
            raise WorkspaceError("A data set's column names must match its array widths.")
        dataset_id = _new_id()
        rel = f"datasets/{dataset_id}.npz"
        atomic.save_npz(
            self.root / rel,
            theta=theta,
            x=x,
            parameter_names=np.array(list(parameter_names), dtype=str),
            metric_names=np.array(list(metric_names), dtype=str),
        )
        record = Dataset(dataset_id, name, time.time(), source, int(theta.shape[0]), self.root / rel, dict(meta or {}))
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO datasets VALUES (?,?,?,?,?,?,?)",
                (record.id, name, record.created_at, source, record.n_rows, rel, json.dumps(record.meta)),
            )
        return record

    def datasets(self) -> list[Dataset]:
        with self._connect(write=False) as conn:
            rows = conn.execute("SELECT * FROM datasets ORDER BY created_at DESC").fetchall()
        return [self._dataset(row) for row in rows]

    def dataset(self, dataset_id: str) -> Dataset:
        with self._connect(write=False) as conn:
            row = conn.execute("SELECT * FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        if row is None:
            raise WorkspaceError(f"No data set with id {dataset_id!r} in the workspace {self.root}.")
        return self._dataset(row)

    def load_dataset(self, dataset_id: str) -> DatasetArrays:
        record = self.dataset(dataset_id)
        try:
            with np.load(record.path, allow_pickle=False) as data:
                return DatasetArrays(
                    theta=data["theta"],
                    x=data["x"],
                    parameter_names=[str(v) for v in data["parameter_names"]],
                    metric_names=[str(v) for v in data["metric_names"]],
                )
        except (OSError, KeyError, ValueError) as exc:
            raise WorkspaceError(f"The data set file {record.path} cannot be read ({exc}).") from exc

    def _dataset(self, row: sqlite3.Row) -> Dataset:
        return Dataset(row["id"], row["name"], row["created_at"], row["source"], row["n_rows"], self.root / row["path"],
                       json.loads(row["meta"]))

    # ---- models ---------------------------------------------------------------------------------------------
    def model_path(self, model_id: str) -> Path:
        """Where a new model's file goes; write it there atomically, then call :meth:`add_model`."""
        return self.root / "models" / f"{model_id}.pt"

    def new_model_id(self) -> str:
        return _new_id()

    def add_model(
        self,
        model_id: str,
        name: str,
        kind: str,
        dataset_id: str | None,
        config: dict[str, Any],
        metrics: dict[str, Any],
        path: Path | None = None,
    ) -> Model:
        file_path = Path(path) if path is not None else self.model_path(model_id)
        if not file_path.exists():
            raise WorkspaceError(f"The model file {file_path} does not exist; save the model before indexing it.")
        stored = str(file_path.relative_to(self.root)) if file_path.is_relative_to(self.root) else str(file_path)
        record = Model(model_id, name, time.time(), kind, dataset_id, file_path, dict(config), dict(metrics))
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO models VALUES (?,?,?,?,?,?,?,?)",
                (model_id, name, record.created_at, kind, dataset_id, stored, json.dumps(config), json.dumps(metrics)),
            )
        return record

    def models(self) -> list[Model]:
        with self._connect(write=False) as conn:
            rows = conn.execute("SELECT * FROM models ORDER BY created_at DESC").fetchall()
        return [self._model(row) for row in rows]

    def model(self, model_id: str) -> Model:
        with self._connect(write=False) as conn:
            row = conn.execute("SELECT * FROM models WHERE id=?", (model_id,)).fetchone()
        if row is None:
            raise WorkspaceError(f"No model with id {model_id!r} in the workspace {self.root}.")
        return self._model(row)

    def _model(self, row: sqlite3.Row) -> Model:
        return Model(
            row["id"], row["name"], row["created_at"], row["kind"], row["dataset_id"], self.root / row["path"],
            json.loads(row["config"]), json.loads(row["metrics"]),
        )

    # ---- runs -----------------------------------------------------------------------------------------------
    def partial_path(self, name: str) -> Path:
        """Where a job keeps its finished pieces so that the same job started again resumes (``partial/<name>``)."""
        return self.root / "partial" / name

    def run_dir(self, run_id: str) -> Path:
        path = self.root / "runs" / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def create_run(self, kind: str, name: str, session_id: str, params: dict[str, Any] | None = None) -> Run:
        now = time.time()
        run = Run(_new_id(), kind, name, session_id, current_owner(), "queued", now, now, "queued", dict(params or {}),
                  {})
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (run.id, kind, name, session_id, run.owner, run.status, now, now, run.message, json.dumps(run.params),
                 "{}"),
            )
        return run

    def update_run(self, run_id: str, status: str | None = None, message: str | None = None,
                   result: dict[str, Any] | None = None) -> None:
        if status is not None and status not in RUN_STATUSES:
            raise WorkspaceError(f"Unknown run status {status!r}; expected one of {RUN_STATUSES}.")
        sets, values = ["updated_at=?"], [time.time()]
        if status is not None:
            sets.append("status=?")
            values.append(status)
        if message is not None:
            sets.append("message=?")
            values.append(message)
        if result is not None:
            sets.append("result=?")
            values.append(json.dumps(result))
        with self._connect() as conn:
            cursor = conn.execute(f"UPDATE runs SET {', '.join(sets)} WHERE id=?", (*values, run_id))
            if cursor.rowcount == 0:
                raise WorkspaceError(f"No run with id {run_id!r} in the workspace {self.root}.")

    def runs(self, kind: str | None = None) -> list[Run]:
        """Runs (newest first), after marking those of dead processes interrupted (:meth:`recover_interrupted`)."""
        self.recover_interrupted()
        with self._connect(write=False) as conn:
            if kind is None:
                rows = conn.execute("SELECT * FROM runs ORDER BY created_at DESC").fetchall()
            else:
                rows = conn.execute("SELECT * FROM runs WHERE kind=? ORDER BY created_at DESC", (kind,)).fetchall()
        return [self._run(row) for row in rows]

    def run(self, run_id: str) -> Run:
        self.recover_interrupted()
        with self._connect(write=False) as conn:
            row = conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise WorkspaceError(f"No run with id {run_id!r} in the workspace {self.root}.")
        return self._run(row)

    def _run(self, row: sqlite3.Row) -> Run:
        return Run(
            row["id"], row["kind"], row["name"], row["session_id"], row["owner"], row["status"], row["created_at"],
            row["updated_at"], row["message"], json.loads(row["params"]), json.loads(row["result"]),
        )

    def counts(self) -> dict[str, int]:
        """Number of data sets, models and runs (for the Home page)."""
        with self._connect(write=False) as conn:
            return {table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                    for table in ("datasets", "models", "runs")}
