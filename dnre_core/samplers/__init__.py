"""Vectorised MCMC samplers over many chains: random-walk Metropolis–Hastings and HMC."""

from .hmc import hamiltonian_monte_carlo
from .mh import DEFAULT_SCALE_SPREAD, metropolis_hastings
from .recorder import ChainRecorder, SampleCallback, SamplingPlan

__all__ = ["DEFAULT_SCALE_SPREAD", "ChainRecorder", "SampleCallback", "SamplingPlan", "hamiltonian_monte_carlo",
           "metropolis_hastings"]
