"""Manufacturing tolerances and a steady wind: the stochastic part of the simulator.

Each design gets independent draws (N,) from ``numpy.random.default_rng(seed)``; ``nominal`` gives the
noise-free design. Spreads (one standard deviation): masses 1% (±2% at 2 sigma), CG 2 mm per axis, Kv 1.5%,
winding resistance 3%, thrust coefficient 2%, usable battery energy 2.5%, steady head/tail wind 1 m/s.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

MASS_SD = 0.01
CG_SD = 0.002  # m
KV_SD = 0.015
RESISTANCE_SD = 0.03
CT_SD = 0.02
ENERGY_SD = 0.025
WIND_SD = 1.0  # m/s, positive = headwind


@dataclass(frozen=True)
class Uncertainty:
    """Per-design perturbations: scales (N,) multiply nominal values, ``cg_jitter`` (N, 3) m, ``wind`` (N,) m/s."""

    mass_scale: np.ndarray
    cg_jitter: np.ndarray
    kv_scale: np.ndarray
    resistance_scale: np.ndarray
    ct_scale: np.ndarray
    energy_scale: np.ndarray
    wind: np.ndarray

    def rows(self, rows: slice) -> Uncertainty:
        """The perturbations of the designs ``rows`` (views, no copies)."""
        return Uncertainty(*(getattr(self, f.name)[rows] for f in fields(self)))

    @staticmethod
    def nominal(n: int) -> Uncertainty:
        """No perturbation for ``n`` designs."""
        one = np.ones(n)
        return Uncertainty(one, np.zeros((n, 3)), one, one, one, one, np.zeros(n))

    @staticmethod
    def sample(n: int, rng: np.random.Generator) -> Uncertainty:
        """Independent perturbations of ``n`` designs drawn from ``rng`` (truncated at 3 sigma)."""

        def z(*shape: int) -> np.ndarray:
            return np.clip(rng.standard_normal(shape), -3.0, 3.0)

        return Uncertainty(
            mass_scale=1 + MASS_SD * z(n),
            cg_jitter=CG_SD * z(n, 3),
            kv_scale=1 + KV_SD * z(n),
            resistance_scale=1 + RESISTANCE_SD * z(n),
            ct_scale=1 + CT_SD * z(n),
            energy_scale=1 + ENERGY_SD * z(n),
            wind=WIND_SD * z(n),
        )
