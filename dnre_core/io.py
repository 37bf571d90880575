"""Model files: weights plus a JSON config, written atomically and read without unpickling code.

A model file is a ``torch.save`` archive of a plain dictionary::

    {"format": "dnre-quad-estimator", "format_version": 1, "config_json": str, "state_dict": {name: Tensor}}

and is read back with ``torch.load(..., weights_only=True)``, which refuses any pickled Python object other
than tensors and containers. The config (kind, dimensions, network sizes, z-score statistics, prior,
parameter and metric names, library version) is JSON so it can be inspected without torch.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from .estimators import ESTIMATOR_CLASSES, RatioEstimator
from .version import __version__

FORMAT = "dnre-quad-estimator"
FORMAT_VERSION = 1


_PICKLE_REFUSED = ("{path}: the file contains pickled Python objects, not just weights; it is refused because "
                   "loading it could run code. Use a model saved by dnre-quad (estimator.save).")


class ModelFileError(ValueError):
    """A model file that cannot be used: missing, truncated, foreign, pickle-bearing or inconsistent."""


def atomic_write_bytes(path: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it over ``path``.

    Readers never see a half-written file; a crash leaves the old file (or none) in place.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_estimator(estimator: RatioEstimator, path: str | os.PathLike[str]) -> None:
    """Save ``estimator`` to ``path`` (atomic)."""
    config = estimator.config()
    config["library_version"] = __version__
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config_json": json.dumps(config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in estimator.state_dict().items()},
    }
    atomic_write_bytes(path, lambda f: torch.save(payload, f))


def read_model_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON config of a model file, validated, without building the network."""
    return _read_payload(path)[0]


def load_estimator(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> RatioEstimator:
    """Load an estimator saved with :meth:`RatioEstimator.save`; raises :class:`ModelFileError` with a clear message."""
    config, state = _read_payload(path)
    cls = ESTIMATOR_CLASSES[config["kind"]]
    try:
        estimator = cls(
            theta_dim=config["theta_dim"],
            x_dim=config["x_dim"],
            theta_mean=torch.tensor(config["theta_mean"]),
            theta_std=torch.tensor(config["theta_std"]),
            x_mean=torch.tensor(config["x_mean"]),
            x_std=torch.tensor(config["x_std"]),
            hidden_features=config["hidden_features"],
            num_layers=config["num_layers"],
            activation=config["activation"],
            masked=config["masked"],
            metadata=config.get("metadata", {}),
            **cls.options_from_config(config),
        )
        estimator.load_state_dict(state, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise ModelFileError(
            f"{path}: the weights do not match the model's configuration ({type(e).__name__}: "
            f"{str(e).splitlines()[0]}). The file is damaged or was edited; re-save the model or train it again."
        ) from None
    estimator.eval()
    return estimator.to(device)


def _read_payload(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file.")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:1] == b"\x80":  # a bare pickle (or torch's legacy format): never unpickled
        raise ModelFileError(_PICKLE_REFUSED.format(path=path))
    if magic != b"PK\x03\x04":  # torch.save writes a zip archive
        raise ModelFileError(
            f"{path}: not a readable model file (not a PyTorch archive: empty, cut short, or another kind of file). "
            "Load a model saved by estimator.save or the dashboard's Train page."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ModelFileError(_PICKLE_REFUSED.format(path=path)) from None
    except (RuntimeError, EOFError, IndexError, KeyError, zipfile.BadZipFile, OSError, ValueError) as e:
        raise ModelFileError(
            f"{path}: not a readable model file ({(str(e).splitlines() or [type(e).__name__])[0][:120]}). It may be "
            "truncated or not a dnre-quad model; re-save or re-download it."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: this is a PyTorch file but not a dnre-quad model (no '{FORMAT}' header). Load models saved "
            "with estimator.save or the dashboard's Train page."
        )
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {payload.get('format_version')} is not supported by this version "
            f"({FORMAT_VERSION}); upgrade dnre-quad or re-train the model."
        )
    try:
        config = json.loads(payload["config_json"])
    except (KeyError, TypeError, json.JSONDecodeError):
        raise ModelFileError(f"{path}: the model's configuration is missing or not valid JSON.") from None
    if config.get("kind") not in ESTIMATOR_CLASSES:
        raise ModelFileError(f"{path}: unknown estimator kind {config.get('kind')!r}; expected one of "
                             f"{sorted(ESTIMATOR_CLASSES)}.")
    state = payload.get("state_dict")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{path}: the model's weights are missing or malformed.")
    return config, state
