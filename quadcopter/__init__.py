"""A physics-based quadcopter design simulator: 19 design parameters (mm) → 7 performance metrics.

Public API: :func:`simulate`, :func:`simulate_detailed`, :class:`Design`, :func:`prior`, :func:`geometry`,
:func:`fly` (6-DOF time-domain replay, speed step at ``SPEED_STEP_TIME``), and the names, bounds and labels of the
design space and its seven floor components (``COMPONENTS``). For inverse design (``dnre design --simulator
quadcopter``, :func:`dnre_core.inverse_design`): :func:`simulator`, ``EXACT_METRICS``, ``DEFAULT_CONSTRAINTS``,
``METRIC_RESOLUTION`` and ``UNITS`` (:mod:`quadcopter.inverse`).
"""

from quadcopter.design import Design
from quadcopter.flight6dof import SPEED_STEP_TIME, FlightLog, fly
from quadcopter.geometry import geometry
from quadcopter.inverse import DEFAULT_CONSTRAINTS, EXACT_METRICS, METRIC_RESOLUTION, UNITS, simulator
from quadcopter.params import (
    COMPONENTS,
    DEFAULTS,
    LOWER,
    METRIC_LABELS,
    METRIC_NAMES,
    METRIC_UNITS,
    PARAMETER_LABELS,
    PARAMETER_NAMES,
    PARAMETER_UNITS,
    UPPER,
    validate_theta,
)
from quadcopter.prior import prior
from quadcopter.simulate import SimulationResult, simulate, simulate_detailed

__all__ = [
    "COMPONENTS", "DEFAULTS", "DEFAULT_CONSTRAINTS", "EXACT_METRICS", "LOWER", "METRIC_LABELS", "METRIC_NAMES",
    "METRIC_RESOLUTION", "METRIC_UNITS", "PARAMETER_LABELS", "PARAMETER_NAMES", "PARAMETER_UNITS", "SPEED_STEP_TIME",
    "UNITS", "UPPER", "Design", "FlightLog", "SimulationResult", "fly", "geometry", "prior", "simulate",
    "simulate_detailed", "simulator", "validate_theta",
]
