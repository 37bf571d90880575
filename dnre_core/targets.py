"""Targets: bands on named metrics, the question an inverse design answers.

A :class:`Target` maps metric names to bands ``(low, high)``, ``None`` for an open side: ``{"mass": (None, 4.5),
"Max_Hover_Time_(s)": (20, None)}`` asks for designs with mass ≤ 4.5 and hover time ≥ 20. Metrics it does not
name are free. The forms engineers use are constructors of a band: :func:`value` (v ± tolerance),
:func:`at_least`, :func:`at_most`, :func:`free`; :meth:`Target.parse` reads them from text, e.g.
``"mass<=4.5, Max_Hover_Time_(s)>=20, Max_Lateral_Speed_(m/s)=20+-4"``.

A row of metrics x *meets* the target when every stated metric lies inside its band (ends included); NaN never
meets a stated band. :meth:`Target.violation` is the distance from the bands, max over stated metrics of
(distance outside the band) / scale, 0 exactly when the row meets the target; the closed loop of
:mod:`dnre_core.design` shrinks a tolerance on it to 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .validation import InputError

Band = tuple[float | None, float | None]

# "name <= v", "name >= v", "name = v +- tol" (also ±), "name = v", "name = free"
_CLAUSE = re.compile(r"^\s*(?P<name>.+?)\s*(?P<op><=|>=|=)\s*(?P<rest>.+?)\s*$")
_VALUE_TOL = re.compile(r"^(?P<value>[^±+]+?)\s*(?:(?:\+-|\+/-|±)\s*(?P<tol>.+))?$")


def value(v: float, tolerance: float = 0.0) -> Band:
    """The band [v − tolerance, v + tolerance]."""
    return (float(v) - float(tolerance), float(v) + float(tolerance))


def at_least(v: float) -> Band:
    """The band [v, ∞)."""
    return (float(v), None)


def at_most(v: float) -> Band:
    """The band (−∞, v]."""
    return (None, float(v))


def free() -> Band:
    """No constraint: (−∞, ∞). Naming a metric as free overrides a default constraint on it."""
    return (None, None)


def _bound(raw: Any, name: str, side: str) -> float | None:
    if raw is None:
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"Target for {name!r}: the {side} bound {raw!r} is not a number.") from None
    if math.isnan(number):
        raise InputError(f"Target for {name!r}: the {side} bound is NaN; give a number, or None for an open side.")
    if math.isinf(number):
        if (side == "lower") == (number > 0):
            raise InputError(f"Target for {name!r}: the {side} bound is {number}; no value can meet it.")
        return None
    return number


class Target:
    """Bands on named metrics, ``{name: (low, high)}`` with ``None`` for an open side.

    Raises :class:`InputError` naming the metric for a NaN bound, low > high, or a band that is not a pair.
    """

    def __init__(self, bands: Mapping[str, Sequence[Any]] | Target):
        if isinstance(bands, Target):
            bands = bands.bands
        if not isinstance(bands, Mapping):
            raise InputError(f"A target is a mapping {{metric name: (low, high)}}; got {type(bands).__name__}.")
        checked: dict[str, Band] = {}
        for name, band in bands.items():
            if not isinstance(name, str) or not name.strip():
                raise InputError(f"Target: metric names must be non-empty strings; got {name!r}.")
            if isinstance(band, (str, bytes)) or not isinstance(band, Sequence) or len(band) != 2:
                raise InputError(f"Target for {name!r}: a band is a pair (low, high), None for an open side; "
                                 f"got {band!r}.")
            low, high = _bound(band[0], name, "lower"), _bound(band[1], name, "upper")
            if low is not None and high is not None and low > high:
                raise InputError(f"Target for {name!r}: the lower bound {low:g} exceeds the upper bound {high:g}.")
            checked[name] = (low, high)
        self.bands: dict[str, Band] = checked

    # ------------------------------------------------------------------ construction
    @classmethod
    def parse(cls, text: str) -> Target:
        """A target from text: comma-separated clauses ``name<=v``, ``name>=v``, ``name=v+-tol`` (or ``±``),
        ``name=v`` and ``name=free``; e.g. ``"mass<=4.5,Max_Hover_Time_(s)>=20"``."""
        bands: dict[str, Band] = {}
        clauses = [c for c in str(text).split(",") if c.strip()]
        if not clauses:
            raise InputError("The target is empty; state at least one band, e.g. \"mass<=4.5\".")
        for clause in clauses:
            match = _CLAUSE.match(clause)
            if match is None:
                raise InputError(f"Target clause {clause.strip()!r} is not of the form name<=v, name>=v, "
                                 "name=v+-tol or name=free.")
            name, op, rest = match["name"], match["op"], match["rest"]
            if name in bands:
                raise InputError(f"The target names {name!r} twice; give one band per metric.")
            if op == "<=":
                bands[name] = at_most(_number(rest, name))
            elif op == ">=":
                bands[name] = at_least(_number(rest, name))
            elif rest.lower() == "free":
                bands[name] = free()
            else:
                parts = _VALUE_TOL.match(rest)
                if parts is None:
                    raise InputError(f"Target for {name!r}: {rest!r} is not 'v' or 'v+-tol'.")
                tolerance = _number(parts["tol"], name) if parts["tol"] else 0.0
                if tolerance < 0:
                    raise InputError(f"Target for {name!r}: the tolerance {tolerance:g} is negative.")
                bands[name] = value(_number(parts["value"], name), tolerance)
        return cls(bands)

    @classmethod
    def coerce(cls, target: Target | Mapping[str, Sequence[Any]] | str) -> Target:
        """A :class:`Target` from a target, a ``{name: (low, high)}`` mapping, or text for :meth:`parse`."""
        if isinstance(target, Target):
            return target
        return cls.parse(target) if isinstance(target, str) else cls(target)

    def with_defaults(self, defaults: Target | Mapping[str, Sequence[Any]]) -> Target:
        """This target plus the bands of ``defaults`` on metrics it does not name (a named metric, even a free
        one, keeps its own band)."""
        extra = {name: band for name, band in Target.coerce(defaults).bands.items() if name not in self.bands}
        return Target({**self.bands, **extra})

    # ------------------------------------------------------------------ reading
    @property
    def stated(self) -> list[str]:
        """Names of the metrics with at least one finite bound, in the target's order."""
        return [name for name, (low, high) in self.bands.items() if low is not None or high is not None]

    def check_names(self, metric_names: Sequence[str]) -> None:
        """Raise :class:`InputError` for a named metric that is not in ``metric_names``, and when nothing is stated."""
        unknown = [name for name in self.bands if name not in metric_names]
        if unknown:
            raise InputError(f"The target names unknown metric(s) {unknown}; the metrics are {list(metric_names)}.")
        if not self.stated:
            raise InputError("Every metric of the target is free: state at least one band, otherwise any design "
                             "from the prior will do.")

    def arrays(self, metric_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(low (L,), high (L,))`` in ``metric_names`` order, ∓inf for open sides and free metrics."""
        self.check_names(metric_names)
        low = np.full(len(metric_names), -np.inf)
        high = np.full(len(metric_names), np.inf)
        for name, (lo, hi) in self.bands.items():
            k = list(metric_names).index(name)
            low[k] = -np.inf if lo is None else lo
            high[k] = np.inf if hi is None else hi
        return low, high

    def meets(self, x: Any, metric_names: Sequence[str]) -> np.ndarray:
        """(N,) booleans: rows of x (N, L) inside every stated band (NaN in a stated metric never meets)."""
        return self.violation(x, metric_names) == 0

    def violation(self, x: Any, metric_names: Sequence[str], scale: Any = None) -> np.ndarray:
        """(N,) distance of rows of x (N, L) from the target: max over stated metrics k of
        max(low_k − x_k, x_k − high_k, 0) / scale_k (``scale`` (L,), default 1); 0 inside, inf for NaN."""
        low, high = self.arrays(metric_names)
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(metric_names):
            raise InputError(f"x must be (N, {len(metric_names)}) for metrics {list(metric_names)}; got {x.shape}.")
        scale = np.ones(len(metric_names)) if scale is None else np.asarray(scale, dtype=np.float64)
        stated = np.isfinite(low) | np.isfinite(high)
        with np.errstate(invalid="ignore"):
            outside = np.maximum(np.maximum(low - x, x - high), 0.0) / scale
        outside = np.where(np.isnan(x), np.inf, outside)[:, stated]
        return outside.max(axis=1) if outside.shape[1] else np.zeros(x.shape[0])

    def margin(self, x: Any, metric_names: Sequence[str], scale: Any = None) -> np.ndarray:
        """(N,) signed distance to the edge of the bands in units of ``scale``: inside, the smallest distance from a
        stated metric to its band's nearer finite end (inf when every stated band is open on the far side);
        outside, minus :meth:`violation`."""
        low, high = self.arrays(metric_names)
        x = np.asarray(x, dtype=np.float64)
        scale = np.ones(len(metric_names)) if scale is None else np.asarray(scale, dtype=np.float64)
        outside = self.violation(x, metric_names, scale)
        stated = np.isfinite(low) | np.isfinite(high)
        with np.errstate(invalid="ignore"):
            depth = (np.minimum(x - low, high - x) / scale)[:, stated]
        inside = depth.min(axis=1) if depth.shape[1] else np.full(len(x), np.inf)
        return np.where(outside > 0, -outside, inside)

    def describe(self, labels: Mapping[str, str] | None = None) -> list[str]:
        """One plain line per stated metric, e.g. 'mass at most 4.5', 'speed 20 ± 4'."""
        lines = []
        for name in self.stated:
            label = (labels or {}).get(name, name)
            low, high = self.bands[name]
            if low is not None and high is not None:
                centre, half = (low + high) / 2, (high - low) / 2
                lines.append(f"{label} = {low:g}" if low == high else f"{label} {centre:g} ± {half:g}")
            else:
                lines.append(f"{label} at least {low:g}" if low is not None else f"{label} at most {high:g}")
        return lines

    def to_dict(self) -> dict[str, list[float | None]]:
        """JSON-able ``{name: [low, high]}``; :class:`Target` reads it back."""
        return {name: [low, high] for name, (low, high) in self.bands.items()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Target) and self.bands == other.bands

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.bands.items())))

    def __repr__(self) -> str:
        return f"Target({self.bands!r})"


def target_warnings(target: Target, metric_names: Sequence[str], x_range: tuple[Sequence[float], Sequence[float]]
                    | None = None, resolution: Mapping[str, float] | None = None,
                    labels: Mapping[str, str] | None = None, exact: Sequence[str] = ()) -> list[str]:
    """Plain-language warnings about a target that is legal but likely not what was meant.

    - a band narrower than a metric's ``resolution`` (the spacing of the values it can take, e.g. 1 m/s for a speed
      found on a 1 m/s grid) holds one possible value at most, and none when it falls between two (a band of zero
      width on a grid value asks for exactly that value, and is not warned about);
    - a band of zero width on a metric without a stated resolution (a continuous metric): no simulation meets it;
    - a band that does not reach into ``x_range`` = (lows, highs), the metrics seen so far (e.g. in training),
      except on the ``exact`` metrics, whose bands restrict the designs directly (:mod:`dnre_core.constraints`).
    """
    target.check_names(metric_names)
    shown = labels or {}
    found = []
    for name in target.stated:
        low, high = target.bands[name]
        label = shown.get(name, name)
        step = (resolution or {}).get(name)
        if low is not None and high is not None:
            grid_values = (math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) + 1) if step else 0
            if step is not None and high - low < step and (grid_values < 1 or high > low):
                found.append(f"{label} is computed on a grid of {step:g}: the band {low:g} to {high:g} is narrower "
                             f"than one step and holds {'no' if grid_values < 1 else 'one'} possible value; widen it "
                             f"to at least {step:g} unless that is meant.")
            elif step is None and high == low:
                found.append(f"{label}: a tolerance of 0 on a continuous metric is met by no simulation; give a "
                             "tolerance.")
        if x_range is not None and name not in exact:
            k = list(metric_names).index(name)
            seen_low, seen_high = float(x_range[0][k]), float(x_range[1][k])
            if (high is not None and high < seen_low) or (low is not None and low > seen_high):
                found.append(f"{label}: the band lies outside the values seen so far ({seen_low:.4g} to "
                             f"{seen_high:.4g}); designs may not exist there.")
    return found


def _number(text: str, name: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"Target for {name!r}: {text.strip()!r} is not a number.") from None
    if not math.isfinite(number):
        raise InputError(f"Target for {name!r}: {text.strip()!r} is not a finite number.")
    return number


def stated_mask(target: Target, metric_names: Iterable[str]) -> np.ndarray:
    """(L,) booleans: which of ``metric_names`` the target states a band on."""
    stated = set(target.stated)
    return np.array([name in stated for name in metric_names])
