"""The models a user can pick: the shipped default DNRE plus every model trained in the workspace."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dnre_core
from ui.workspace import Dataset, Model, Workspace

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "default_dnre.pt"
DEFAULT_MODEL_ID = "default"
DEFAULT_MODEL_NAME = "Default DNRE (shipped)"
#: The built-in simulator as a data set or model names it (``module:function`` text for
#: :func:`dnre_core.simulators.load_simulator`; ``quadcopter`` means ``quadcopter:simulator``).
BUILT_IN_SIMULATOR = "quadcopter"


@dataclass(frozen=True)
class ModelInfo:
    """What the pages need to know about a model, read from its file's JSON config (no weights loaded)."""

    id: str
    name: str
    path: Path
    kind: str
    masked: bool
    parameter_names: list[str]
    metric_names: list[str]
    x_min: list[float]
    x_max: list[float]
    hidden_features: int
    num_layers: int
    num_simulations: int | None
    dataset_id: str | None = None  # the workspace data set it was trained on (None: the shipped model)
    simulator: str | None = None  # the simulator behind that data (module:function), None when unknown

    @property
    def label(self) -> str:
        masking = "any subset of metrics" if self.masked else "all metrics"
        return f"{self.name} ({self.kind}, {self.num_layers}×{self.hidden_features}, conditions on {masking})"


def dataset_simulator(dataset: Dataset) -> str | None:
    """The simulator a data set names (``meta["simulator"]``, module:function), None when it names none; data sets
    simulated before data sets named their simulator came from the built-in one (source "simulator")."""
    named = dataset.meta.get("simulator")
    if named:
        return str(named)
    return BUILT_IN_SIMULATOR if dataset.source == "simulator" else None


def read_info(model_id: str, name: str, path: Path, dataset_id: str | None = None,
              simulator: str | None = None) -> ModelInfo:
    """Describe a model file; raises :class:`dnre_core.ModelFileError` with a clear message for a bad file."""
    config: dict[str, Any] = dnre_core.read_model_config(path)
    meta = config.get("metadata", {})
    x_dim, theta_dim = int(config["x_dim"]), int(config["theta_dim"])
    return ModelInfo(
        id=model_id,
        name=name,
        path=Path(path),
        kind=str(config["kind"]).upper(),
        masked=bool(config["masked"]),
        parameter_names=list(meta.get("parameter_names") or [f"theta_{i}" for i in range(theta_dim)]),
        metric_names=list(meta.get("metric_names") or [f"x_{i}" for i in range(x_dim)]),
        x_min=[float(v) for v in meta.get("x_min") or [float("-inf")] * x_dim],
        x_max=[float(v) for v in meta.get("x_max") or [float("inf")] * x_dim],
        hidden_features=int(config["hidden_features"]),
        num_layers=int(config["num_layers"]),
        num_simulations=meta.get("num_simulations"),
        dataset_id=dataset_id,
        simulator=simulator,
    )


def scan_models(workspace: Workspace) -> tuple[list[ModelInfo], list[str]]:
    """The usable models (the default first when its file is present, then the workspace's, newest first) and a
    message for each indexed model whose file is missing or unreadable (shown, not silently skipped). The shipped model
    was trained on the built-in simulator; a workspace model's simulator is its data set's."""
    found, problems = [], []
    candidates = ([(DEFAULT_MODEL_ID, DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH, None, BUILT_IN_SIMULATOR)]
                  if DEFAULT_MODEL_PATH.exists() else [])
    datasets = {d.id: d for d in workspace.datasets()}
    candidates += [(record.id, record.name, record.path, record.dataset_id,
                    dataset_simulator(datasets[record.dataset_id]) if record.dataset_id in datasets else None)
                   for record in workspace.models()]
    for model_id, name, path, dataset_id, simulator in candidates:
        try:
            found.append(read_info(model_id, name, path, dataset_id, simulator))
        except (dnre_core.ModelFileError, OSError) as exc:
            problems.append(f"Model {name!r} ({model_id}) cannot be used: {exc}")
    return found, problems


def shipped_model() -> Model | None:
    """The shipped default model as a workspace-style record (config and metrics from its JSON card and its file's
    metadata; no loss history is shipped), or None when its file is missing or unreadable."""
    try:
        metadata = dnre_core.read_model_config(DEFAULT_MODEL_PATH).get("metadata", {})
        card = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
    except (dnre_core.ModelFileError, OSError, ValueError):
        return None
    metrics = {k: v for k, v in card.items() if k != "config"} | {"consistency": metadata.get("consistency")}
    return Model(DEFAULT_MODEL_ID, DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH.stat().st_mtime, "DNRE", None,
                 DEFAULT_MODEL_PATH, dict(card.get("config", {})), metrics)


def all_models(workspace: Workspace) -> list[Model]:
    """Every model a user can compare: the shipped default (when present) first, then the workspace's, newest first."""
    shipped = shipped_model()
    return ([shipped] if shipped is not None else []) + workspace.models()
