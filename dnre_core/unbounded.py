"""A prior seen in unbounded coordinates, for samplers that must never leave its support.

:class:`UnboundedSpace` maps θ to z = T⁻¹(θ), with log p_z(z) = log p(T(z)) + log|det ∂T/∂z|; a random walk in z
never leaves the support. For a box-uniform prior T is the probit map θ = low + (high − low)·Φ(z), under which the
prior is N(0, I), so random-walk steps scaled to it suit every direction a target leaves at the prior. Other priors
use ``torch.distributions.biject_to(prior.support)``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.distributions import Distribution, biject_to

from .priors import prior_bounds, prior_dimension, prior_log_prob, sample_prior

_STANDARD_NORMAL = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64),
                                              torch.tensor(1.0, dtype=torch.float64))


class UnboundedSpace:
    """The prior ``prior`` in unbounded coordinates; arrays are float64 numpy (N, D)."""

    def __init__(self, prior: Distribution):
        self.prior = prior
        self.dim = prior_dimension(prior)
        bounds = prior_bounds(prior)
        self.box = None if bounds is None else tuple(b.double().cpu().numpy() for b in bounds)
        self.uniform = self.box is not None and _is_box_uniform(prior, self.box)
        try:
            self.transform = biject_to(prior.support)
        except (NotImplementedError, KeyError):  # a prior without a declared support: work in θ itself
            self.transform = None

    def to_theta(self, z: np.ndarray) -> np.ndarray:
        if self.uniform:
            low, high = self.box
            u = _STANDARD_NORMAL.cdf(torch.as_tensor(np.asarray(z, dtype=np.float64))).numpy()
            return np.clip(low + (high - low) * u, low, high)
        if self.transform is None:
            return np.asarray(z, dtype=np.float64)
        return self.transform(torch.as_tensor(z, dtype=torch.float64)).numpy()

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        """z for θ (N, D); points on the support's boundary are moved just inside it (finite z)."""
        theta_t = torch.as_tensor(np.asarray(theta, dtype=np.float64))
        if self.uniform:
            low, high = (torch.as_tensor(b) for b in self.box)
            u = ((theta_t - low) / (high - low)).clamp(1e-15, 1 - 1e-15)
            return _STANDARD_NORMAL.icdf(u).numpy()
        if self.transform is None:
            return theta_t.numpy()
        z = self.transform.inv(theta_t)
        return torch.nan_to_num(z, posinf=30.0, neginf=-30.0).clamp(-30.0, 30.0).numpy()

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        """log p_z(z) (N,): the prior's density of T(z) times the Jacobian of T."""
        z_t = torch.as_tensor(np.asarray(z, dtype=np.float64))
        if not len(z_t):
            return np.empty(0)
        if self.uniform:  # the probit image of a uniform box is N(0, I)
            return _STANDARD_NORMAL.log_prob(z_t).sum(-1).numpy()
        theta = z_t if self.transform is None else self.transform(z_t)
        log_p = prior_log_prob(self.prior, theta.float()).double()
        if self.transform is not None:
            jacobian = self.transform.log_abs_det_jacobian(z_t, theta)
            log_p = log_p + (jacobian.sum(-1) if jacobian.dim() == z_t.dim() else jacobian)
        return log_p.numpy()

    def sample(self, num: int, rng: np.random.Generator) -> np.ndarray:
        """``num`` prior draws in z (num, D)."""
        if self.uniform:
            return rng.standard_normal((num, self.dim))
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        return self.to_z(sample_prior(self.prior, num, generator).double().numpy())


def _is_box_uniform(prior: Distribution, box: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether ``prior`` has the constant density 1 / volume on its box (checked at the box's centre and a corner)."""
    low, high = box
    probe = torch.as_tensor(np.stack([(low + high) / 2, low + 0.25 * (high - low)]), dtype=torch.float32)
    expected = -float(np.log(high - low).sum())
    values = prior_log_prob(prior, probe).double().numpy()
    return bool(np.allclose(values, expected, rtol=1e-5, atol=1e-4))
