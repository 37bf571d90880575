"""One training configuration: every option of a training run besides the data and the prior, with its default.

The trainers' signatures (:mod:`dnre_core.training`), ``dnre train``'s options and the dashboard's Train page read
their defaults from :data:`DEFAULTS`, so that a default is changed in one place. A front end that wants other
defaults states them as ``dataclasses.replace(DEFAULTS, ...)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class TrainingConfig:
    """The options of one training run. Checked where they are used (the trainers raise :class:`InputError`).

    Network (every method): ``hidden_features`` × ``num_layers`` MLP with ``activation``; ``mask_probability``,
    the chance each metric is hidden during training (0 = off; > 0 lets a target leave metrics free);
    ``calibrate_temperature`` (see :class:`~dnre_core.training.RatioTrainer`).

    Method: ``method`` is "DNRE", "NRE" or "BNRE"; ``dnre_head``, ``dnre_partners`` and
    ``dnre_antisymmetry_weight`` apply to DNRE only (:class:`~dnre_core.training.DNRE`), ``bnre_regularization`` to
    BNRE only.

    Optimisation (:meth:`~dnre_core.training.RatioTrainer.train`): AdamW with ``learning_rate`` and
    ``weight_decay``, batches of ``batch_size``, gradient norm clipped to ``clip_max_norm`` (None = off), at most
    ``max_epochs`` epochs and ``max_seconds`` seconds (None = no limit), early stopping after
    ``stop_after_epochs`` epochs without a better loss on the held-out ``validation_fraction``, ``lr_schedule``,
    ``weight_averaging`` (EMA decay per optimiser step of the returned weights; 0 = the last iterate), ``seed``
    (None = a random one).
    """

    method: str = "DNRE"
    hidden_features: int = 128
    num_layers: int = 5
    activation: str = "elu"
    mask_probability: float = 0.0
    calibrate_temperature: bool = True
    dnre_head: str = "potential"
    dnre_partners: int = 4
    dnre_antisymmetry_weight: float = 0.0
    bnre_regularization: float = 100.0
    max_epochs: int = 500
    batch_size: int = 512
    learning_rate: float = 1e-3
    validation_fraction: float = 0.1
    stop_after_epochs: int = 20
    clip_max_norm: float | None = 1.0
    weight_decay: float = 1e-2
    lr_schedule: str = "constant"
    weight_averaging: float = 0.99
    max_seconds: float | None = None
    seed: int | None = None

    def trainer_options(self) -> dict[str, Any]:
        """Keyword arguments of the method's trainer (network, masking and the method's own options)."""
        options = {"hidden_features": self.hidden_features, "num_layers": self.num_layers,
                   "activation": self.activation, "mask_probability": self.mask_probability,
                   "calibrate_temperature": self.calibrate_temperature}
        if self.method == "DNRE":
            options |= {"head": self.dnre_head, "num_partners": self.dnre_partners,
                        "antisymmetry_weight": self.dnre_antisymmetry_weight}
        elif self.method == "BNRE":
            options["regularization"] = self.bnre_regularization
        return options

    def train_options(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`~dnre_core.training.RatioTrainer.train`."""
        return {key: value for key, value in asdict(self).items() if key in TRAIN_OPTIONS}


TRAIN_OPTIONS = ("max_epochs", "batch_size", "learning_rate", "validation_fraction", "stop_after_epochs",
                 "clip_max_norm", "weight_decay", "lr_schedule", "weight_averaging", "max_seconds", "seed")

#: The library's defaults.
DEFAULTS = TrainingConfig()
