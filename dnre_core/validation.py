"""Input checks shared by trainers, posteriors and the CLI: shapes, finiteness, prior support.

Every check raises :class:`InputError` (a ``ValueError``) whose message says what is wrong and what to do.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch
from torch import Tensor


class InputError(ValueError):
    """Bad user input: wrong shape, non-finite values, out-of-support values..."""


def check_positive_int(value: Any, name: str) -> None:
    """Raise :class:`InputError` unless ``value`` is an integer (not a bool) of at least 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name} must be a positive integer; got {value!r}.")


def check_positive_number(value: Any, name: str) -> None:
    """Raise :class:`InputError` unless ``value`` is a finite number greater than 0."""
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
            or not (math.isfinite(value) and value > 0)):
        raise InputError(f"{name} must be a finite number greater than 0; got {value!r}.")


def as_matrix(values: Any, name: str, columns: int | None = None) -> Tensor:
    """Convert an array-like to a float32 tensor of shape (N, F); a 1-D input becomes (N, 1).

    Raises :class:`InputError` for non-numeric input, more than two dimensions, or ``columns`` mismatch.
    """
    if isinstance(values, Tensor):
        tensor = values.detach().to(torch.float32)
    else:
        try:
            tensor = torch.as_tensor(np.asarray(values, dtype=np.float64), dtype=torch.float32)
        except (TypeError, ValueError) as e:
            raise InputError(f"{name} must be numeric (an array or tensor of numbers): {e}") from None
    if tensor.ndim == 1:
        tensor = tensor.unsqueeze(-1)
    if tensor.ndim != 2:
        raise InputError(f"{name} must be a 2-D array (rows, columns); got shape {tuple(tensor.shape)}.")
    if columns is not None and tensor.shape[1] != columns:
        raise InputError(f"{name} has {tensor.shape[1]} column(s) but {columns} are expected.")
    return tensor


def as_vector(values: Any, name: str, length: int, allow_nan: bool = False) -> Tensor:
    """Convert a single observation to a float32 tensor of shape (length,).

    A (1, length) array is accepted. NaN is allowed only when ``allow_nan`` (masked metrics); ±inf never.
    """
    tensor = (as_matrix(values, name).reshape(-1) if not isinstance(values, (int, float))
              else torch.tensor([float(values)]))
    if tensor.numel() != length:
        raise InputError(f"{name} has {tensor.numel()} value(s) but the model expects {length}.")
    if torch.isinf(tensor).any():
        where = torch.nonzero(torch.isinf(tensor)).flatten().tolist()
        raise InputError(f"{name} contains ±inf at position(s) {where}.")
    if torch.isnan(tensor).any() and not allow_nan:
        raise InputError(
            f"{name} contains NaN at position(s) {torch.nonzero(torch.isnan(tensor)).flatten().tolist()}; this model "
            "was trained without metric masking, so every metric needs a value (train with mask_probability > 0 to "
            "leave metrics free)."
        )
    return tensor


def finite_rows(theta: Tensor, x: Tensor) -> Tensor:
    """Boolean mask (N,) of rows where both θ and x are finite."""
    return torch.isfinite(theta).all(dim=1) & torch.isfinite(x).all(dim=1)


def drop_non_finite(theta: Tensor, x: Tensor) -> tuple[Tensor, Tensor, int]:
    """Remove rows with NaN/inf in θ or x; warn with the count. Returns (θ, x, number dropped)."""
    keep = finite_rows(theta, x)
    dropped = int((~keep).sum())
    if dropped:
        warnings.warn(
            f"{dropped} of {len(keep)} simulation(s) contain NaN or inf and were excluded from training.",
            stacklevel=3,
        )
    return theta[keep], x[keep], dropped


def check_zero_variance(values: Tensor, name: str, fatal: bool) -> None:
    """Raise (``fatal``) or warn when a column of ``values`` (N, F) is constant."""
    constant = torch.nonzero(values.std(dim=0) == 0).flatten().tolist() if len(values) > 1 else []
    if not constant:
        return
    message = f"{name} column(s) {constant} are constant across all simulations"
    if fatal:
        raise InputError(message + "; every parameter must vary under the prior. Check the prior and the data.")
    warnings.warn(message + "; they carry no information and are passed through unscaled.", stacklevel=3)
