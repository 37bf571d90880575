"""The design-space prior: a box-uniform distribution over the 19 bounds, in canonical order."""

from __future__ import annotations

from dnre_core.priors import BoxUniform
from quadcopter.params import LOWER, UPPER


def prior() -> BoxUniform:
    """``BoxUniform`` over ``LOWER``..``UPPER`` (19,), millimetres, canonical order."""
    return BoxUniform(LOWER.tolist(), UPPER.tolist())
