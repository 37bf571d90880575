"""Priors: a box-uniform distribution and helpers that read bounds and (de)serialise priors.

Any ``torch.distributions.Distribution`` with ``sample`` and ``log_prob`` is accepted as a prior by the
library; :class:`BoxUniform` additionally exposes its bounds, which samplers use to reject proposals outside
the support without evaluating the network, and which round-trip through model files as JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor
from torch.distributions import Distribution, Independent, Uniform, constraints

from .validation import InputError


class BoxUniform(Independent):
    """Uniform distribution on the box ``[low, high]`` (shapes ``(D,)``); events of shape ``(D,)``."""

    def __init__(self, low: Tensor | float | list[float], high: Tensor | float | list[float],
                 device: str | torch.device = "cpu"):
        try:
            low_t = torch.as_tensor(low, dtype=torch.float32, device=device).reshape(-1)
            high_t = torch.as_tensor(high, dtype=torch.float32, device=device).reshape(-1)
        except (TypeError, ValueError, RuntimeError) as e:
            raise InputError(f"BoxUniform: the bounds must be numbers, one per parameter ({e}).") from None
        if low_t.shape != high_t.shape:
            raise InputError(f"BoxUniform: low has {low_t.numel()} entries but high has {high_t.numel()}; give one "
                             "bound per parameter.")
        if not (torch.isfinite(low_t).all() and torch.isfinite(high_t).all()):
            raise InputError("BoxUniform: bounds must be finite numbers.")
        if not bool((high_t > low_t).all()):
            bad = torch.nonzero(high_t <= low_t).flatten().tolist()
            raise InputError(f"BoxUniform: high must exceed low in every dimension; it does not in dimension(s) {bad}.")
        super().__init__(Uniform(low_t, high_t, validate_args=False), 1, validate_args=False)
        self.low = low_t
        self.high = high_t

    def log_prob(self, value: Tensor) -> Tensor:
        """Log density of ``value`` (..., D) → (...); ``-inf`` outside the box (no error)."""
        value = value.to(self.low)
        inside = ((value >= self.low) & (value <= self.high)).all(dim=-1)
        log_volume = torch.log(self.high - self.low).sum()
        return torch.where(inside, -log_volume, torch.full_like(inside, float("-inf"), dtype=value.dtype))

    def to(self, device: str | torch.device) -> BoxUniform:
        return BoxUniform(self.low, self.high, device=device)


def prior_dimension(prior: Distribution) -> int:
    """Number of parameters D of a prior whose events have shape ``(D,)``."""
    shape = prior.event_shape
    if len(shape) == 0:
        return 1
    if len(shape) != 1:
        raise InputError(f"The prior's events must be vectors (D,); this prior's event shape is {tuple(shape)}.")
    return int(shape[0])


def prior_bounds(prior: Distribution) -> tuple[Tensor, Tensor] | None:
    """``(low, high)`` of a box-shaped prior (each ``(D,)``), or ``None`` when the support is unbounded or unknown."""
    if isinstance(prior, BoxUniform):
        return prior.low, prior.high
    base = prior.base_dist if isinstance(prior, Independent) else prior
    if isinstance(base, Uniform):
        return base.low.reshape(-1), base.high.reshape(-1)
    return None


def _support_check(prior: Distribution, theta: Tensor) -> Tensor:
    """Boolean mask (...,) of rows of ``theta`` (..., D) that are finite and satisfy ``prior.support``."""
    inside = torch.isfinite(theta).all(dim=-1)
    if not inside.numel():  # torch's Independent constraint cannot reshape an empty batch
        return inside
    try:
        support = prior.support
    except NotImplementedError:  # a distribution that does not declare its support: only finiteness is known
        return inside
    check = support.check(theta)
    return inside & (check.all(dim=-1) if check.dim() == theta.dim() else check)


def prior_log_prob(prior: Distribution, theta: Tensor) -> Tensor:
    """``log p(θ)`` (...,) for ``theta`` (..., D), ``-inf`` outside the support instead of an error.

    torch's distributions validate their arguments by default and raise on values outside the support (a
    LogNormal prior at a negative proposal); samplers propose such values all the time, so the prior is only
    evaluated on the rows inside its support, and not at all where none is (torch's ``Independent`` cannot sum an
    empty batch).
    """
    inside = _support_check(prior, theta)
    if bool(inside.all()) and inside.numel():
        return prior.log_prob(theta)
    log_prob = torch.full(inside.shape, float("-inf"), dtype=theta.dtype, device=theta.device)
    if bool(inside.any()):
        log_prob[inside] = prior.log_prob(theta[inside]).to(theta.dtype)
    return log_prob


def in_support(prior: Distribution, theta: Tensor) -> Tensor:
    """Boolean mask (...,) of rows of ``theta`` (..., D) with finite prior log density (never raises)."""
    bounds = prior_bounds(prior)
    if bounds is not None:
        low, high = (b.to(theta) for b in bounds)
        return ((theta >= low) & (theta <= high)).all(dim=-1)
    return torch.isfinite(prior_log_prob(prior, theta))


class _ConstraintOn(constraints.Constraint):
    """A support constraint checked on the device its distribution's parameters live on."""

    def __init__(self, base: constraints.Constraint, device: torch.device):
        self.base = base
        self.device = device
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        return self.base.check(value.to(self.device)).to(value.device)


class PriorOnDevice(Distribution):
    """A prior whose parameters stay on their own device, used with θ on another one (a CUDA posterior).

    torch's distributions have no ``.to``: a LogNormal built on the CPU fails on CUDA values. This wrapper moves
    each value to the prior's device for ``log_prob`` (differentiably, for HMC) and returns results, and
    draws, on ``device``. Events (D,), as the wrapped prior's.
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {}

    def __init__(self, prior: Distribution, device: torch.device):
        self.prior = prior
        self.device = device
        self.home = parameter_device(prior)
        super().__init__(prior.batch_shape, prior.event_shape, validate_args=False)

    @property
    def support(self) -> constraints.Constraint:
        return _ConstraintOn(self.prior.support, self.home)

    def sample(self, sample_shape: torch.Size | tuple[int, ...] = ()) -> Tensor:
        return self.prior.sample(sample_shape).to(self.device)

    def log_prob(self, value: Tensor) -> Tensor:
        return self.prior.log_prob(value.to(self.home)).to(value.device)


def prior_on_device(prior: Distribution, device: torch.device) -> Distribution:
    """``prior`` for θ on ``device``: a box prior is rebuilt there; any other is wrapped in :class:`PriorOnDevice`
    unless it has a ``to`` method of its own (or already lives there)."""
    bounds = prior_bounds(prior)
    if bounds is not None:
        return BoxUniform(*bounds, device=device)
    if hasattr(prior, "to"):
        return prior.to(device)
    return prior if parameter_device(prior) == device else PriorOnDevice(prior, device)


def parameter_device(prior: Distribution) -> torch.device:
    """The device a prior's parameters live on, read off one draw (torch's global RNG left as it was)."""
    with torch.random.fork_rng(devices=[]):
        return prior.sample().device


def prior_to_config(prior: Distribution) -> dict[str, Any] | None:
    """A JSON-able description of the prior, or ``None`` for a prior the library cannot describe."""
    bounds = prior_bounds(prior)
    if bounds is not None:
        return {"type": "BoxUniform", "low": bounds[0].tolist(), "high": bounds[1].tolist()}
    return None


def prior_from_config(config: dict[str, Any] | None) -> Distribution | None:
    """Inverse of :func:`prior_to_config`."""
    if config is None:
        return None
    if config.get("type") != "BoxUniform":
        raise InputError(f"Unknown prior type {config.get('type')!r} in the model file; expected 'BoxUniform'.")
    return BoxUniform(config["low"], config["high"])


def sample_prior(prior: Distribution, num: int, generator: torch.Generator) -> Tensor:
    """``num`` draws (num, D) from ``prior``, reproducible through ``generator``.

    Box priors are sampled directly with the generator; any other distribution is sampled under torch's
    global RNG re-seeded from the generator (and restored afterwards), so the same generator state gives the
    same draws either way.
    """
    bounds = prior_bounds(prior)
    if bounds is not None:
        low, high = bounds
        u = torch.rand((num, low.numel()), generator=generator, device=generator.device).to(low.device)
        return low + (high - low) * u
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        draws = prior.sample((num,))
    return draws.reshape(num, -1)
