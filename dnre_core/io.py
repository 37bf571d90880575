"""Model files: weights plus a JSON config, written atomically and read without unpickling code.

A model file is a ``torch.save`` archive of a plain dictionary::

    {"format": "dnre-quad-estimator", "format_version": 2, "config_json": str, "state_dict": {name: Tensor},
     "sha256": str}

and is read back with ``torch.load(..., weights_only=True)``, which refuses any pickled Python object other
than tensors and containers. The config (kind, dimensions, network sizes, z-score statistics, prior,
parameter and metric names, library version) is JSON so it can be inspected without torch.

Nothing in a file is trusted before it is checked: the SHA-256 digest of the config and the weights
(:func:`model_digest`) must match, the config's sizes must lie within :data:`LIMITS` and describe exactly the
stored tensors (compared on PyTorch's ``meta`` device, which allocates no memory), and every weight must be
finite. Only then is the network built. Files of format version 1 (written before the digest existed) are read
with every check but the digest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import pickle
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch

from .estimators import DNRE_HEADS, ESTIMATOR_CLASSES, RatioEstimator
from .nets import ACTIVATIONS
from .priors import prior_from_config
from .version import __version__

FORMAT = "dnre-quad-estimator"
FORMAT_VERSION = 2
#: Versions this library reads: 1 (no digest) and 2.
READABLE_VERSIONS = (1, 2)
#: Largest sizes a config may ask for, checked before anything is built (far above any model this library trains).
LIMITS = {"theta_dim": 10_000, "x_dim": 10_000, "hidden_features": 16_384, "num_layers": 64}

_PICKLE_REFUSED = ("{path}: the file contains pickled Python objects, not just weights; it is refused because "
                   "loading it could run code. Use a model saved by dnre-quad (estimator.save).")
_DAMAGED = "The file is damaged or was edited; re-download or re-save the model, or train it again."


class ModelFileError(ValueError):
    """A model file that cannot be used: missing, truncated, foreign, pickle-bearing, damaged or inconsistent."""


def atomic_write_bytes(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> None:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it over ``path``.

    Readers never see a half-written file; a crash leaves the old file (or none) in place. Every file the
    project writes goes through here.
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


def write_json(path: str | os.PathLike[str], content: Any) -> None:
    """``content`` as indented, strict JSON (NaN and ±inf written as null), atomically."""
    text = json.dumps(_finite_or_none(content), indent=2, allow_nan=False)
    atomic_write_bytes(path, lambda f: f.write(text.encode("utf-8")))


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(item) for item in value]
    return value


#: First characters that make a spreadsheet read a cell as a formula (or, tab and CR, hide one behind whitespace).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell: str) -> str:
    """``cell`` as text a spreadsheet will not evaluate: a leading ``'`` when it starts with one of
    :data:`FORMULA_TRIGGERS` and is not a number (OWASP's advice against CSV injection). Every CSV writer of the
    project passes its text cells (column names, labels) through here; numbers such as ``-0.5`` stay as they are."""
    if not cell.startswith(FORMULA_TRIGGERS):
        return cell
    try:
        float(cell)  # also accepts surrounding whitespace, hence the check of tab and CR below
    except ValueError:
        return "'" + cell
    return "'" + cell if cell.startswith(("\t", "\r")) else cell


def write_csv(path: str | os.PathLike[str], header: list[str], rows: list[list[float]]) -> None:
    """A CSV file with the (neutralised, :func:`csv_safe`) ``header`` and rows of numbers at full precision,
    atomically."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([csv_safe(name) for name in header])
    writer.writerows([[repr(float(v)) for v in row] for row in rows])
    atomic_write_bytes(path, lambda f: f.write(text.getvalue().encode("utf-8")))


def model_digest(config_json: str, state: dict[str, torch.Tensor]) -> str:
    """SHA-256 (hex) of the config text and of every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256(config_json.encode("utf-8"))
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(json.dumps([name, str(tensor.dtype), list(tensor.shape)]).encode("utf-8"))
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_estimator(estimator: RatioEstimator, path: str | os.PathLike[str]) -> None:
    """Save ``estimator`` to ``path`` (atomic)."""
    config = estimator.config()
    config["library_version"] = __version__
    config_json = json.dumps(config)
    state = {k: v.detach().cpu().clone() for k, v in estimator.state_dict().items()}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "config_json": config_json, "state_dict": state,
               "sha256": model_digest(config_json, state)}
    atomic_write_bytes(path, lambda f: torch.save(payload, f))


def read_model_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON config of a model file, after every check of :func:`load_estimator`, without building the network."""
    return _read_payload(path)[0]


def load_estimator(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> RatioEstimator:
    """Load an estimator saved with :meth:`RatioEstimator.save`; raises :class:`ModelFileError` with a clear message."""
    config, state = _read_payload(path)
    estimator = build_estimator(config)
    estimator.load_state_dict(state, strict=True)  # keys and shapes were checked against the config
    estimator.eval()
    return estimator.to(device)


def build_estimator(config: dict[str, Any]) -> RatioEstimator:
    """An estimator with random weights shaped as ``config`` says (on the current default device)."""
    cls = ESTIMATOR_CLASSES[config["kind"]]
    return cls(
        theta_dim=config["theta_dim"], x_dim=config["x_dim"], theta_mean=torch.tensor(config["theta_mean"]),
        theta_std=torch.tensor(config["theta_std"]), x_mean=torch.tensor(config["x_mean"]),
        x_std=torch.tensor(config["x_std"]), hidden_features=config["hidden_features"],
        num_layers=config["num_layers"], activation=config["activation"], masked=config["masked"],
        metadata=config.get("metadata", {}), **cls.options_from_config(config),
    )


def _read_payload(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    path = Path(path)
    payload = _load_archive(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: this is a PyTorch file but not a dnre-quad model (no '{FORMAT}' header). Load models saved "
            "with estimator.save or the dashboard's Train page."
        )
    version = payload.get("format_version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise ModelFileError(
            f"{path}: model format version {version} is not supported by this version "
            f"(it reads {', '.join(map(str, READABLE_VERSIONS))}); upgrade dnre-quad or re-train the model."
        )
    config_json, state = payload.get("config_json"), payload.get("state_dict")
    if not isinstance(config_json, str):
        raise ModelFileError(f"{path}: the model's configuration is missing. {_DAMAGED}")
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise ModelFileError(f"{path}: the model's weights are missing or malformed. {_DAMAGED}")
    if version >= 2 and payload.get("sha256") != model_digest(config_json, state):
        raise ModelFileError(f"{path}: the configuration and weights do not match the file's SHA-256 digest. "
                             f"{_DAMAGED}")
    try:
        config = json.loads(config_json)
    except json.JSONDecodeError:
        raise ModelFileError(f"{path}: the model's configuration is not valid JSON. {_DAMAGED}") from None
    problem = _config_problem(config)
    if problem is not None:
        raise ModelFileError(f"{path}: {problem}. {_DAMAGED}")
    problem = _shape_problem(config, state)
    if problem is not None:
        raise ModelFileError(f"{path}: the weights do not match the model's configuration ({problem}). {_DAMAGED}")
    non_finite = [name for name, tensor in state.items() if not bool(torch.isfinite(tensor.float()).all())]
    if non_finite:
        raise ModelFileError(
            f"{path}: the weights contain NaN or inf (in {', '.join(sorted(non_finite))}), so every output of the "
            "model would be meaningless. Training diverged before the model was saved, or the file was edited: train "
            "the model again (a lower learning rate helps with divergence)."
        )
    return config, state


def _load_archive(path: Path) -> Any:
    """The unpickled (weights-only) payload of ``path``, or a :class:`ModelFileError` saying why not."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file.")
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ModelFileError(f"{path}: the model file cannot be read ({e.strerror or e}).") from None
    if magic[:1] == b"\x80":  # a bare pickle (or torch's legacy format): never unpickled
        raise ModelFileError(_PICKLE_REFUSED.format(path=path))
    if magic != b"PK\x03\x04":  # torch.save writes a zip archive
        raise ModelFileError(
            f"{path}: not a readable model file (not a PyTorch archive: empty, cut short, or another kind of file). "
            "Load a model saved by estimator.save or the dashboard's Train page."
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ModelFileError(_PICKLE_REFUSED.format(path=path)) from None
    except (RuntimeError, EOFError, IndexError, KeyError, zipfile.BadZipFile, OSError, ValueError, TypeError,
            AttributeError, OverflowError, MemoryError) as e:
        reason = (str(e).splitlines() or [type(e).__name__])[0][:120]
        raise ModelFileError(
            f"{path}: not a readable model file ({reason}). It may be truncated or not a dnre-quad model; re-save "
            "or re-download it."
        ) from None


def _config_problem(config: Any) -> str | None:
    """What is wrong with a parsed config before anything is built from it, or None."""
    if not isinstance(config, dict):
        return "the model's configuration is not a JSON object"
    if not isinstance(config.get("kind"), str) or config["kind"] not in ESTIMATOR_CLASSES:
        return f"unknown estimator kind {config.get('kind')!r}; expected one of {sorted(ESTIMATOR_CLASSES)}"
    for key, limit in LIMITS.items():
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            return f"the configuration's {key} is {value!r}; it must be an integer from 1 to {limit:,}"
    if not isinstance(config.get("activation"), str) or config["activation"] not in ACTIVATIONS:
        return f"unknown activation {config.get('activation')!r}; expected one of {sorted(ACTIVATIONS)}"
    if not isinstance(config.get("masked"), bool):
        return f"the configuration's masked is {config.get('masked')!r}; it must be true or false"
    if config["kind"] == "DNRE" and config.get("head", "pairwise") not in DNRE_HEADS:  # a tuple: any value compares
        return f"unknown DNRE head {config.get('head')!r}; expected one of {DNRE_HEADS}"
    for key, length in (("theta_mean", "theta_dim"), ("theta_std", "theta_dim"), ("x_mean", "x_dim"),
                        ("x_std", "x_dim")):
        values = config.get(key)
        if not (isinstance(values, list) and len(values) == config[length] and all(_is_a(v, float) for v in values)):
            return f"the configuration's {key} must be {config[length]} finite numbers ({length})"
    metadata = config.get("metadata", {})
    if not isinstance(metadata, dict):
        return "the configuration's metadata is not a JSON object"
    for key, length, kind in (("parameter_names", "theta_dim", str), ("metric_names", "x_dim", str),
                              ("x_min", "x_dim", float), ("x_max", "x_dim", float)):
        values = metadata.get(key)
        if values is not None and not (isinstance(values, list) and len(values) == config[length]
                                       and all(_is_a(v, kind) for v in values)):
            what = "names" if kind is str else "finite numbers"
            return f"the stored {key} must be {config[length]} {what} ({length})"
    try:
        prior = prior_from_config(metadata.get("prior"))
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        return f"the stored prior cannot be read ({e})"
    if prior is not None and prior.event_shape != (config["theta_dim"],):
        return f"the stored prior has {tuple(prior.event_shape)} dimensions but the model has {config['theta_dim']}"
    return None


def _is_a(value: Any, kind: type) -> bool:
    """Whether a JSON value is a string (``kind`` str) or a finite number (``kind`` float)."""
    if kind is str:
        return isinstance(value, str)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shape_problem(config: dict[str, Any], state: dict[str, torch.Tensor]) -> str | None:
    """How the stored tensors differ from the network ``config`` describes (built on the meta device), or None."""
    with torch.device("meta"):
        expected = {name: tuple(t.shape) for name, t in build_estimator(config).state_dict().items()}
    missing, unexpected = sorted(expected.keys() - state.keys()), sorted(state.keys() - expected.keys())
    if missing or unexpected:
        return f"missing tensors {missing[:5]}, unexpected tensors {unexpected[:5]}"
    for name, shape in expected.items():
        if tuple(state[name].shape) != shape:
            return f"{name} has shape {tuple(state[name].shape)} but the configuration implies {shape}"
    return None
