"""Test problems with posteriors known in closed form."""

from __future__ import annotations

import torch
from torch import Tensor

from dnre_core import BoxUniform

MATRICES = {
    2: [[1.0, 0.6], [0.0, 1.0]],
    3: [[1.0, 0.5, 0.0], [0.0, 1.0, -0.5], [0.3, 0.0, 1.0]],
}


class LinearGaussian:
    """θ ~ U([-2, 2]^D), x = Aθ + ε, ε ~ N(0, σ² I), D ∈ {2, 3}, σ = ``noise``.

    The likelihood is Gaussian in θ, so the posterior of any subset S of the metrics is the prior restricted
    by exp(−|x_S − A_S θ|² / 2σ²); exact samples by rejection from the prior (:meth:`exact_samples`).
    """

    def __init__(self, dim: int = 3, noise: float = 0.3) -> None:
        self.dim = dim
        self.noise = noise
        self.matrix = torch.tensor(MATRICES[dim])
        self.prior = BoxUniform(-2 * torch.ones(dim), 2 * torch.ones(dim))

    def simulate(self, theta: Tensor, seed: int) -> Tensor:
        noise = torch.randn(theta.shape, generator=torch.Generator().manual_seed(seed))
        return theta @ self.matrix.T + self.noise * noise

    def sample_prior(self, num: int, seed: int) -> Tensor:
        u = torch.rand(num, self.dim, generator=torch.Generator().manual_seed(seed))
        return self.prior.low + (self.prior.high - self.prior.low) * u

    def sample_joint(self, num: int, seed: int) -> tuple[Tensor, Tensor]:
        theta = self.sample_prior(num, seed)
        return theta, self.simulate(theta, seed + 1)

    def log_likelihood(self, theta: Tensor, x: Tensor, observed: Tensor | None = None) -> Tensor:
        """log p(x_S | θ) up to a constant for θ (N, D); ``observed`` (L,) bool selects S (default: all)."""
        residual = (x - theta @ self.matrix.T) / self.noise
        if observed is not None:
            residual = residual[:, observed]
        return -0.5 * residual.square().sum(-1)

    def log_posterior_unnormalised(self, theta: Tensor, x: Tensor) -> Tensor:
        return self.log_likelihood(theta, x) + self.prior.log_prob(theta)

    def exact_samples(self, x: Tensor, num: int, seed: int, observed: Tensor | None = None) -> Tensor:
        """``num`` exact posterior samples (num, D) by rejection from the prior (the likelihood's maximum is 0)."""
        generator = torch.Generator().manual_seed(seed)
        kept: list[Tensor] = []
        count = 0
        while count < num:
            u = torch.rand(200_000, self.dim, generator=generator)
            theta = self.prior.low + (self.prior.high - self.prior.low) * u
            accept = torch.rand(200_000, generator=generator).log() < self.log_likelihood(theta, x, observed)
            kept.append(theta[accept])
            count += int(accept.sum())
        return torch.cat(kept)[:num]
