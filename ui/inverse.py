"""Inverse design as the pages start it: the example target, labels with units, the model's simulator, and
submitting a design job (:mod:`ui.design_job`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import dnre_core
from dnre_core.simulators import SimulatorSpec, load_simulator
from quadcopter import METRIC_LABELS, PARAMETER_LABELS
from ui.design_job import DesignConfig, design_job
from ui.jobs import JobRunner
from ui.models import ModelInfo
from ui.targets import MetricForm

# "At least 20 s hover, under 4.5 kg, anything for the rest": the Home page's one-click example.
EXAMPLE = {"Max_Hover_Time_(s)": ("at least", 20.0), "mass": ("at most", 4.5)}
KIND = "design"  # the job / run kind of a design run


@dataclass(frozen=True)
class DesignOptions:
    """The page's advanced options (see :func:`dnre_core.inverse_design`)."""

    num_designs: int = 1000
    robust: float | None = None
    replicates: int = 10
    max_simulations: int = 200_000
    route: str = "auto"
    seed: int = 0


DEFAULT_OPTIONS = DesignOptions()


def label(name: str, units: Mapping[str, str] | None = None) -> str:
    """A parameter's or metric's display label with its unit: the quadcopter's own labels, else ``name (unit)``
    from ``units`` (a simulator's declared units), else the name."""
    known = {**PARAMETER_LABELS, **METRIC_LABELS}
    if name in known:
        return known[name]
    unit = (units or {}).get(name)
    return f"{name} ({unit})" if unit else name


def labels(names: Sequence[str], units: Mapping[str, str] | None = None) -> dict[str, str]:
    return {name: label(name, units) for name in names}


def example_rows(model: ModelInfo) -> list[MetricForm]:
    """The example target as form rows for ``model``'s metrics (the metrics it does not mention are free)."""
    return [MetricForm(name, *EXAMPLE[name]) if name in EXAMPLE else MetricForm(name) for name in model.metric_names]


def simulator_spec(model: ModelInfo) -> SimulatorSpec | None:
    """The simulator of ``model``'s data set, loaded (None when it names none: the amortized route). Raises
    :class:`dnre_core.InputError` when the named simulator cannot be imported."""
    return load_simulator(model.simulator) if model.simulator else None


def standing_label(spec: SimulatorSpec, names: Mapping[str, str]) -> tuple[str, str]:
    """The checkbox label and its help for a simulator's standing constraints ("No interferences" for the built-in
    one)."""
    overrides = "A band you state on that metric yourself replaces it."
    if dict(spec.default_constraints) == {"Interferences": (None, 0.0)}:
        return "No interferences", ("A design whose parts collide cannot be built: every design found has none. "
                                    + overrides)
    bands = "; ".join(dnre_core.Target(spec.default_constraints).describe(names))
    return f"Standing constraints: {bands}", f"The simulator asks for these bands on every target. {overrides}"


def start_design(runner: JobRunner, model: ModelInfo, target: dnre_core.Target, standing_constraints: bool = True,
                 options: DesignOptions = DEFAULT_OPTIONS) -> str:
    """Queue a design run of ``model`` for ``target`` (checked against the model's metrics first: raises
    :class:`dnre_core.InputError`); returns its run id."""
    target.check_names(model.metric_names)
    config = DesignConfig(model_id=model.id, model_path=str(model.path), target=target.to_dict(),
                          simulator=model.simulator, dataset_id=model.dataset_id,
                          standing_constraints=standing_constraints, **asdict(options))
    name = f"{model.name}: " + "; ".join(target.describe(labels(model.metric_names)))
    return runner.submit(KIND, name, design_job(config), asdict(config))
