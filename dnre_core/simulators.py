"""Simulators named by text, ``module:function`` (``module`` alone means ``module:simulator``), for the CLI and the
dashboard, with what the module says about its metrics.

A simulator module may define, beside the function ``simulator(theta (n, D) ndarray, seed=int) -> x (n, L)``:
``EXACT_METRICS`` ({metric: f(θ) → values} for metrics that are exact functions of the design),
``DEFAULT_CONSTRAINTS`` ({metric: (low, high)} bands added to every target that does not name the metric),
``METRIC_RESOLUTION`` ({metric: spacing of its values}) and ``UNITS`` ({name: unit}). The module is imported by its
name: only name modules you trust, as importing runs their code.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .validation import InputError

_SPEC = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class SimulatorSpec:
    """A resolved simulator: its text ``name``, the ``function`` and its module's optional declarations."""

    name: str
    function: Callable[..., Any]
    exact_metrics: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    default_constraints: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    resolution: Mapping[str, float] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)


def load_simulator(text: str) -> SimulatorSpec:
    """Import the simulator named ``module:function`` (or ``module``, meaning ``module:simulator``)."""
    text = str(text).strip()
    if not _SPEC.match(text):
        raise InputError(f"Simulator {text!r} is not of the form module:function (e.g. quadcopter or "
                         "mypackage.sims:run).")
    module_name, _, function_name = text.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise InputError(f"Simulator {text!r}: the module {module_name!r} cannot be imported ({error}); install it "
                         "or add it to PYTHONPATH.") from None
    function = getattr(module, function_name or "simulator", None)
    if not callable(function):
        raise InputError(f"Simulator {text!r}: {module_name} has no function {function_name or 'simulator'!r}.")
    return SimulatorSpec(text, function, getattr(module, "EXACT_METRICS", {}),
                         getattr(module, "DEFAULT_CONSTRAINTS", {}), getattr(module, "METRIC_RESOLUTION", {}),
                         getattr(module, "UNITS", {}))
