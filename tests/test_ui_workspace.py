"""The workspace store: persistence, atomic artifacts, crash recovery, concurrent sessions."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import dnre_core
from ui import atomic
from ui.workspace import (
    Workspace,
    WorkspaceCorrupt,
    WorkspaceError,
    current_owner,
    owner_alive,
    resolve_dir,
    start_afresh,
)

REPO = Path(__file__).resolve().parents[1]


def test_resolve_dir_flag_beats_env_beats_default(tmp_path: Path) -> None:
    env = {"DNRE_WORKSPACE": str(tmp_path / "from_env")}
    assert resolve_dir(["--workspace", str(tmp_path / "flag")], env) == tmp_path / "flag"
    assert resolve_dir(["--other", "x"], env) == tmp_path / "from_env"
    assert resolve_dir([], {}) == (Path.cwd() / "workspace").resolve()


def test_dataset_round_trip_survives_reopen(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    theta, x = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    ws = Workspace(tmp_path)
    record = ws.add_dataset("toy", theta, x, ["a", "b", "c"], ["m1", "m2"], source="test", meta={"seed": 0})
    reopened = Workspace(tmp_path)
    [listed] = reopened.datasets()
    assert listed.id == record.id and listed.n_rows == 20 and listed.meta == {"seed": 0}
    arrays = reopened.load_dataset(record.id)
    np.testing.assert_array_equal(arrays.theta, theta)
    np.testing.assert_array_equal(arrays.x, x)
    assert arrays.parameter_names == ["a", "b", "c"] and arrays.metric_names == ["m1", "m2"]
    assert reopened.counts() == {"datasets": 1, "models": 0, "runs": 0}


def test_bad_dataset_and_missing_records_give_clear_errors(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="same N"):
        ws.add_dataset("bad", np.zeros((3, 2)), np.zeros((4, 1)), ["a", "b"], ["m"], source="test")
    with pytest.raises(WorkspaceError, match="No data set"):
        ws.dataset("nope")
    with pytest.raises(WorkspaceError, match="does not exist"):
        ws.add_model("m1", "model", "DNRE", None, {}, {})
    assert ws.datasets() == [] and ws.models() == []


def test_model_is_indexed_only_after_its_file_exists(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    model_id = ws.new_model_id()
    atomic.atomic_write_bytes(ws.model_path(model_id), lambda f: f.write(b"weights"))
    record = ws.add_model(model_id, "m", "DNRE", None, {"hidden": 8}, {"val_loss": 0.5})
    assert ws.model(model_id).config == {"hidden": 8} and record.path.read_bytes() == b"weights"


def test_atomic_write_leaves_old_file_when_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic.write_json(target, {"v": 1})

    def crash_mid_write(handle) -> None:
        handle.write(b"half-writ")
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        atomic.atomic_write_bytes(target, crash_mid_write)
    assert target.read_text().strip().startswith("{") and '"v": 1' in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_owner_identity() -> None:
    assert owner_alive(current_owner())
    assert not owner_alive("not-an-owner")


_CRASHING_CHILD = """
import os, sys
sys.path.insert(0, {repo!r})
from ui.workspace import Workspace
ws = Workspace({root!r})
run = ws.create_run("sampling", "doomed", "session-a")
ws.update_run(run.id, status="running", message="drawing")
queued = ws.create_run("validation", "waiting", "session-a")
print(run.id, queued.id, flush=True)
os._exit(9)  # die without any clean-up, as a crash would
"""


def test_runs_of_a_crashed_process_are_marked_interrupted_not_lost(tmp_path: Path) -> None:
    code = _CRASHING_CHILD.format(repo=str(REPO), root=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    crashed_id, queued_id = proc.stdout.split()
    ws = Workspace(tmp_path)  # start-up after the crash
    assert sorted(ws.recovered) == sorted([crashed_id, queued_id])
    crashed = ws.run(crashed_id)
    assert crashed.status == "interrupted" and "interrupted" in crashed.message and crashed.name == "doomed"
    assert ws.run(queued_id).status == "interrupted"


def test_runs_of_a_live_process_are_left_alone(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    run = ws.create_run("training", "mine", "s")
    ws.update_run(run.id, status="running")
    assert Workspace(tmp_path).recovered == []
    assert ws.run(run.id).status == "running"


def test_two_sessions_writing_at_once_do_not_clobber_each_other(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    errors: list[BaseException] = []

    def session(name: str, seed: int) -> None:
        try:
            rng = np.random.default_rng(seed)
            for i in range(10):
                ds = ws.add_dataset(f"{name}-{i}", rng.normal(size=(5, 2)), rng.normal(size=(5, 1)), ["a", "b"], ["m"],
                                    source=name)
                run = ws.create_run("sampling", f"{name}-run-{i}", name, {"dataset": ds.id})
                ws.update_run(run.id, status="running")
                ws.update_run(run.id, status="done", result={"n": i})
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(f"s{k}", k)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ws.counts() == {"datasets": 20, "models": 0, "runs": 20}
    for name in ("s0", "s1"):
        runs = [r for r in ws.runs("sampling") if r.session_id == name]
        assert len(runs) == 10 and all(r.status == "done" for r in runs)
    assert len({d.path for d in ws.datasets()}) == 20


def test_wal_mode_is_on(tmp_path: Path) -> None:
    import sqlite3

    ws = Workspace(tmp_path)
    conn = sqlite3.connect(ws.db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert os.path.exists(ws.db_path)


def test_a_damaged_index_names_the_file_and_starting_afresh_keeps_a_backup(tmp_path: Path) -> None:
    """Before, a raw sqlite3.DatabaseError: file is not a database, naming no file and offering nothing."""
    ws = Workspace(tmp_path)
    dataset = ws.add_dataset("kept", np.zeros((3, 2)), np.ones((3, 1)), ["a", "b"], ["m"], source="test")
    damaged = b"this is not a database" * 100
    (tmp_path / "index.sqlite").write_bytes(damaged)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"index.sqlite{suffix}").unlink(missing_ok=True)
    with pytest.raises(WorkspaceCorrupt) as info:
        Workspace(tmp_path)
    assert str(tmp_path / "index.sqlite") in str(info.value) and "Start afresh" in str(info.value)
    with pytest.raises(WorkspaceCorrupt):
        ws.datasets()  # damage found by a workspace opened before it
    backup = start_afresh(tmp_path)
    assert backup.read_bytes() == damaged and backup.parent == tmp_path
    fresh = Workspace(tmp_path)
    assert fresh.counts() == {"datasets": 0, "models": 0, "runs": 0}
    assert dataset.path.exists()  # artifacts are not touched


_DYING_TRAINER = """
import os, sys
sys.path.insert(0, {repo!r})
import numpy as np
from ui.jobs import JobRunner
from ui.training_job import TrainingRequest, training_job
from ui.workspace import Workspace
ws = Workspace({root!r})
rng = np.random.default_rng(0)
theta = rng.uniform(-1, 1, size=(400, 2))
dataset = ws.add_dataset("lg", theta, theta.sum(1, keepdims=True), ["a", "b"], ["s"], source="test")
request = TrainingRequest("doomed", dataset.id)
run = ws.create_run("training", request.name, "s", request.record())
class Ctx:
    run_id, workspace, cancelled = run.id, ws, False
    def report(self, progress=None, message=None, epoch=0, **data):
        if epoch == 3:
            print(run.id, flush=True)
            os._exit(9)  # the server dies mid-training
ws.update_run(run.id, status="running")
training_job(request, [-1, -1], [1, 1])(Ctx())
"""


def test_a_second_server_sees_a_dead_training_run_as_interrupted_with_its_best_weights_kept(tmp_path: Path) -> None:
    """Before, another long-lived server showed the run as running until it reopened the workspace, and the
    'partial results kept' message was untrue for training: every epoch was lost."""
    other_server = Workspace(tmp_path)  # opened before the run starts, and never reopened
    proc = subprocess.run([sys.executable, "-c", _DYING_TRAINER.format(repo=str(REPO), root=str(tmp_path))],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr
    run_id = proc.stdout.strip()
    (run,) = other_server.runs("training")
    assert run.id == run_id and run.status == "interrupted"
    (model,) = other_server.models()
    assert model.name.startswith("doomed (interrupted") and model.kind == "DNRE"
    assert f"kept as the model '{model.name}'" in run.message
    assert model.metrics["epochs"] == 3 and len(model.metrics["val_losses"]) == 3
    assert model.config["dataset_id"] == run.params["dataset_id"]
    assert not other_server.checkpoint_path(run_id).exists()
    dnre_core.load_estimator(model.path)
