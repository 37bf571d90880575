"""dnre_core: Direct Neural Ratio Estimation and friends for simulation-based inference.

Layers (bottom to top): priors → estimators + losses → trainers → potentials → samplers → posterior →
diagnostics and metrics. Simulator-agnostic; no UI imports.
"""

from .config import TrainingConfig
from .consistency import consistency_report
from .design import DesignProgress, DesignResult, inverse_design
from .diagnostics import ChainDiagnostics
from .estimators import BNREEstimator, DNREEstimator, NREEstimator, RatioEstimator
from .io import ModelFileError, load_estimator, read_model_config
from .metrics import c2st, expected_coverage
from .posterior import RatioPosterior
from .priors import BoxUniform
from .simulation import simulate_for_sbi, simulate_parameters
from .targets import Target, target_warnings
from .training import BNRE, DNRE, NRE, TrainingSummary
from .validation import InputError
from .version import __version__

__all__ = [
    "BNRE", "DNRE", "NRE", "BNREEstimator", "BoxUniform", "ChainDiagnostics", "DNREEstimator", "DesignProgress",
    "DesignResult", "InputError", "ModelFileError", "NREEstimator", "RatioEstimator", "RatioPosterior", "Target",
    "TrainingConfig", "TrainingSummary", "__version__", "c2st", "consistency_report", "expected_coverage",
    "inverse_design", "load_estimator", "read_model_config", "simulate_for_sbi", "simulate_parameters",
    "target_warnings",
]
