"""Trainers in the style of sbi: ``DNRE(prior).append_simulations(theta, x).train()``.

Each trainer pairs an estimator class with its loss (as lampe does), holds the simulations, trains with
AdamW and early stopping on a held-out validation loss (best weights restored), and builds posteriors.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.distributions import Distribution
from torch.optim.swa_utils import AveragedModel

from .config import DEFAULTS, TrainingConfig
from .consistency import consistency_report
from .estimators import DNRE_HEADS, BNREEstimator, DNREEstimator, NREEstimator, RatioEstimator
from .losses import bnre_loss, dnre_loss, nre_loss
from .nets import ACTIVATIONS
from .priors import in_support, prior_dimension, prior_to_config
from .temperature import fit_temperature
from .validation import (
    InputError,
    as_matrix,
    check_positive_int,
    check_positive_number,
    check_zero_variance,
    drop_non_finite,
)

TrainCallback = Callable[[int, float, float], Any]
LR_SCHEDULES = ("constant", "cosine")  # the default first (the Train page offers them in this order)


def ema_with_warmup(decay: float) -> Callable[[list[Tensor], list[Tensor], Tensor], None]:
    """The update w̄ ← d_n·w̄ + (1 − d_n)·w of an exponential moving average after n earlier updates, in place.

    d_n = min(decay, (1 + n) / (10 + n)) (TensorFlow's ``ExponentialMovingAverage`` with ``num_updates``): early in
    training, while the weights still move fast, the average spans only the last few steps instead of lagging
    about 1 / (1 − decay) steps behind; after a few hundred steps d_n = decay. A ``multi_avg_fn`` for
    :class:`torch.optim.swa_utils.AveragedModel`.
    """

    def update(averaged: list[Tensor], current: list[Tensor], num_averaged: Tensor) -> None:
        n = int(num_averaged)
        weight = 1.0 - min(decay, (1 + n) / (10 + n))
        for mean, value in zip(averaged, current, strict=True):
            mean.lerp_(value, weight)

    return update


@dataclass
class TrainingSummary:
    """What happened during :meth:`RatioTrainer.train`: per-epoch losses and why training stopped."""

    train_losses: list[float] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    best_epoch: int = -1
    best_val_loss: float = math.inf
    seconds: float = 0.0
    stopped_by: str = "max_epochs"
    num_dropped: int = 0
    temperature: float = 1.0

    @property
    def epochs(self) -> int:
        return len(self.train_losses)

    def as_dict(self) -> dict[str, Any]:
        return {"train_losses": self.train_losses, "val_losses": self.val_losses, **self.record()}

    def record(self) -> dict[str, Any]:
        """The summary without the per-epoch losses, as stored in a model file's ``metadata["training"]``."""
        return {"best_epoch": self.best_epoch, "best_val_loss": self.best_val_loss, "seconds": self.seconds,
                "stopped_by": self.stopped_by, "epochs": self.epochs, "num_dropped": self.num_dropped,
                "temperature": self.temperature}


def _check_train_options(max_epochs: int, batch_size: int, learning_rate: float, validation_fraction: float,
                         stop_after_epochs: int, clip_max_norm: float | None, max_seconds: float | None,
                         weight_decay: float, lr_schedule: str, weight_averaging: float) -> None:
    """Raise :class:`InputError` for training options that would train nothing or fail later."""
    check_positive_int(max_epochs, "max_epochs")
    check_positive_int(stop_after_epochs, "stop_after_epochs")
    check_positive_int(batch_size, "batch_size")
    if batch_size < 2:
        raise InputError("batch_size must be at least 2: contrastive pairs are formed within a batch.")
    check_positive_number(learning_rate, "learning_rate")
    if clip_max_norm is not None:
        check_positive_number(clip_max_norm, "clip_max_norm (or None for no clipping)")
    if max_seconds is not None:
        check_positive_number(max_seconds, "max_seconds (or None for no time limit)")
    if not (isinstance(weight_decay, (int, float)) and math.isfinite(weight_decay) and weight_decay >= 0):
        raise InputError(f"weight_decay must be a finite number, 0 or more; got {weight_decay!r}.")
    if not 0.0 <= validation_fraction < 1.0:
        raise InputError(f"validation_fraction must be in [0, 1); got {validation_fraction}.")
    if lr_schedule not in LR_SCHEDULES:
        raise InputError(f"lr_schedule must be one of {LR_SCHEDULES}; got {lr_schedule!r}.")
    if not 0.0 <= weight_averaging < 1.0:
        raise InputError("weight_averaging (an EMA decay per optimiser step) must be in [0, 1); got "
                         f"{weight_averaging}.")


class RatioTrainer:
    """Base trainer. Subclasses set ``estimator_class`` and implement :meth:`loss`.

    Args:
        prior: a torch Distribution over θ with events (D,) (e.g. :class:`~dnre_core.BoxUniform`).
        hidden_features, num_layers, activation: the MLP (default 5 × 128, ELU: the paper's quadcopter setting).
        mask_probability: probability with which each metric of x is hidden during training (0 = off). An
            estimator trained with masking conditions on any subset of the metrics; NaN in x_o marks a free metric.
        calibrate_temperature: after training, divide the estimator's output by the temperature T ≥ 1 that
            minimises the validation loss (:mod:`dnre_core.temperature`; ``summary.temperature``). It broadens an
            over-confident estimator's posterior and leaves a calibrated one alone (T = 1). On by default; its effect
            on the sbibm tasks: the temperature study in BENCHMARKS.md.
        parameter_names, metric_names: optional names stored in the model file.
        device: where to train ("cpu", "cuda").
    """

    estimator_class: type[RatioEstimator] = RatioEstimator

    def __init__(
        self,
        prior: Distribution,
        hidden_features: int = DEFAULTS.hidden_features,
        num_layers: int = DEFAULTS.num_layers,
        activation: str = DEFAULTS.activation,
        mask_probability: float = DEFAULTS.mask_probability,
        calibrate_temperature: bool = DEFAULTS.calibrate_temperature,
        parameter_names: list[str] | None = None,
        metric_names: list[str] | None = None,
        device: str | torch.device = "cpu",
    ):
        if not hasattr(prior, "sample") or not hasattr(prior, "log_prob"):
            raise InputError("The prior must be a distribution with sample() and log_prob(), e.g. "
                             "dnre_core.BoxUniform.")
        if not 0.0 <= mask_probability < 1.0:
            raise InputError(f"mask_probability must be in [0, 1); got {mask_probability}.")
        check_positive_int(hidden_features, "hidden_features")
        check_positive_int(num_layers, "num_layers")
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            raise InputError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}.")
        self.prior = prior
        self.theta_dim = prior_dimension(prior)
        self.net_options = {"hidden_features": hidden_features, "num_layers": num_layers, "activation": activation}
        self.mask_probability = float(mask_probability)
        self.calibrate_temperature = bool(calibrate_temperature)
        self.parameter_names = parameter_names
        self.metric_names = metric_names
        self.device = torch.device(device)
        self._theta: list[Tensor] = []
        self._x: list[Tensor] = []
        self.num_dropped = 0
        self.estimator: RatioEstimator | None = None
        self.summary = TrainingSummary()

    # ------------------------------------------------------------------ data
    def append_simulations(self, theta: Any, x: Any) -> RatioTrainer:
        """Add simulations θ (N, D) and x (N, L) (tensors or arrays). Returns self.

        Rows containing NaN or inf are excluded with a warning (count in ``num_dropped``). Raises
        :class:`InputError` for mismatched row counts, a θ width different from the prior's dimension, an x
        width different from earlier simulations, no usable rows, or θ outside the prior's support.
        """
        theta_t = as_matrix(theta, "theta")
        x_t = as_matrix(x, "x")
        if theta_t.shape[0] != x_t.shape[0]:
            raise InputError(f"theta has {theta_t.shape[0]} rows but x has {x_t.shape[0]}; they must pair up row by "
                             "row.")
        if theta_t.shape[1] != self.theta_dim:
            raise InputError(f"theta has {theta_t.shape[1]} columns but the prior has {self.theta_dim} dimensions.")
        if self._x and x_t.shape[1] != self._x[0].shape[1]:
            raise InputError(f"x has {x_t.shape[1]} columns but earlier simulations had {self._x[0].shape[1]}.")
        theta_t, x_t, dropped = drop_non_finite(theta_t, x_t)
        if theta_t.shape[0] == 0:
            raise InputError("No usable simulations: the data is empty or every row contains NaN/inf.")
        outside = int((~in_support(self.prior, theta_t)).sum())
        if outside:
            raise InputError(f"{outside} parameter row(s) lie outside the prior's support; the data and the prior "
                             "disagree.")
        self.num_dropped += dropped
        self._theta.append(theta_t)
        self._x.append(x_t)
        return self

    def simulations(self) -> tuple[Tensor, Tensor]:
        """All appended simulations: θ (N, D), x (N, L)."""
        if not self._theta:
            raise InputError("No simulations: call append_simulations(theta, x) before train().")
        return torch.cat(self._theta), torch.cat(self._x)

    # ------------------------------------------------------------------ training
    def loss(self, estimator: RatioEstimator, theta: Tensor, x: Tensor, mask: Tensor,
             generator: torch.Generator) -> Tensor:
        raise NotImplementedError

    def build_estimator(self, theta: Tensor, x: Tensor) -> RatioEstimator:
        """A fresh estimator whose z-scoring statistics are those of the training data."""
        check_zero_variance(theta, "theta", fatal=True)
        check_zero_variance(x, "x", fatal=False)
        metadata = {"prior": prior_to_config(self.prior), "parameter_names": self.parameter_names,
                    "metric_names": self.metric_names, "mask_probability": self.mask_probability,
                    "x_min": x.min(dim=0).values.tolist(), "x_max": x.max(dim=0).values.tolist(),
                    "num_simulations": int(theta.shape[0])}
        return self.estimator_class(
            theta_dim=theta.shape[1], x_dim=x.shape[1], theta_mean=theta.mean(0), theta_std=theta.std(0),
            x_mean=x.mean(0), x_std=x.std(0), masked=self.mask_probability > 0, metadata=metadata, **self.net_options,
            **self.estimator_options(),
        )

    def estimator_options(self) -> dict[str, Any]:
        """Options of ``estimator_class`` beyond the network sizes (e.g. DNRE's head)."""
        return {}

    def hyperparameters(self) -> dict[str, Any]:
        """The options that define what this trainer learns from given data and training options (JSON-able):
        network, masking and the method's own (e.g. DNRE's head and partners). Benchmark records store them."""
        return {**self.net_options, "mask_probability": self.mask_probability,
                "calibrate_temperature": self.calibrate_temperature}

    def _draw_mask(self, x: Tensor, generator: torch.Generator) -> Tensor:
        if self.mask_probability == 0:
            return torch.ones_like(x, dtype=torch.bool)
        return torch.rand(x.shape, generator=generator, device=x.device) >= self.mask_probability

    def train(
        self,
        max_epochs: int = DEFAULTS.max_epochs,
        batch_size: int = DEFAULTS.batch_size,
        learning_rate: float = DEFAULTS.learning_rate,
        validation_fraction: float = DEFAULTS.validation_fraction,
        stop_after_epochs: int = DEFAULTS.stop_after_epochs,
        clip_max_norm: float | None = DEFAULTS.clip_max_norm,
        seed: int | None = DEFAULTS.seed,
        callback: TrainCallback | None = None,
        max_seconds: float | None = DEFAULTS.max_seconds,
        weight_decay: float = DEFAULTS.weight_decay,
        lr_schedule: str = DEFAULTS.lr_schedule,
        weight_averaging: float = DEFAULTS.weight_averaging,
        checkpoint_path: str | os.PathLike[str] | None = None,
    ) -> RatioEstimator:
        """Train and return the estimator (best validation weights restored).

        ``callback(epoch, train_loss, val_loss)`` runs after every epoch; returning ``False`` stops training
        cleanly. ``max_seconds`` bounds wall time. The same ``seed`` gives the same weights on the same machine.
        ``lr_schedule``: ``"constant"`` (default) keeps the learning rate; ``"cosine"`` anneals it from
        ``learning_rate`` towards 0 over ``max_epochs`` (epoch e uses lr·½(1 + cos(π e / max_epochs))), defined by
        epochs, not seconds, so it is reproducible. Annealing did not pay in the ablation study (BENCHMARKS.md).
        ``weight_averaging``: decay d ∈ [0, 1) of an exponential moving average of the weights, updated after every
        optimiser step (w̄ ← d·w̄ + (1 − d)·w, starting at the first step's weights, d warmed up as in
        :func:`ema_with_warmup`; ``AveragedModel`` of ``torch.optim.swa_utils``). Validation, the best-epoch choice
        and the returned estimator use w̄; 0 returns the optimiser's last iterate. The default 0.99 averages over about
        100 steps; its effect: the ablation study in BENCHMARKS.md.

        ``checkpoint_path``: whenever the validation loss improves, the best weights so far are saved there as a
        model file (atomically; its ``metadata["training"]`` holds the summary so far, losses included, with
        ``stopped_by == "checkpoint"``), so a process killed mid-training leaves a usable model. An interrupt
        (Ctrl-C) ends training with ``self.estimator`` holding the best weights so far (None when no epoch
        finished) and ``self.summary.stopped_by == "interrupted"``, then propagates, so that a caller can keep them;
        temperature calibration and the consistency report are then skipped.
        """
        _check_train_options(max_epochs, batch_size, learning_rate, validation_fraction, stop_after_epochs,
                             clip_max_norm, max_seconds, weight_decay, lr_schedule, weight_averaging)
        theta, x = self.simulations()
        if seed is None:
            seed = int(torch.randint(0, 2**31 - 1, (1,)))
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(theta.shape[0], generator=generator)
        num_val = round(validation_fraction * theta.shape[0])
        if validation_fraction > 0 and num_val < 2:
            raise InputError(f"Too few simulations ({theta.shape[0]}) for a validation set; add data or set "
                             "validation_fraction=0.")
        if theta.shape[0] - num_val < 2:
            raise InputError(f"Too few simulations ({theta.shape[0]}) to train on; at least 2 training rows are "
                             "needed.")
        val_idx, train_idx = order[:num_val], order[num_val:]
        theta, x = theta.to(self.device), x.to(self.device)
        theta_train, x_train = theta[train_idx], x[train_idx]
        theta_val, x_val = theta[val_idx], x[val_idx]

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            estimator = self.build_estimator(theta_train, x_train).to(self.device)
        optimizer = torch.optim.AdamW(estimator.parameters(), lr=learning_rate, weight_decay=weight_decay)
        averaged = (AveragedModel(estimator, multi_avg_fn=ema_with_warmup(weight_averaging))
                    if weight_averaging > 0 else None)
        evaluated = estimator if averaged is None else averaged.module
        summary = TrainingSummary(num_dropped=self.num_dropped)
        best_state = copy.deepcopy(estimator.state_dict())
        start = time.perf_counter()
        epochs_since_best = 0
        try:
            for epoch in range(max_epochs):
                if lr_schedule == "cosine":
                    for group in optimizer.param_groups:
                        group["lr"] = learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / max_epochs))
                estimator.train()
                train_loss = self._run_epoch(estimator, theta_train, x_train, batch_size, generator, optimizer,
                                             clip_max_norm, averaged)
                estimator.eval()
                val_loss = (self._validation_loss(evaluated, theta_val, x_val, batch_size, seed) if num_val
                            else train_loss)
                summary.train_losses.append(train_loss)
                summary.val_losses.append(val_loss)
                summary.seconds = time.perf_counter() - start
                if val_loss < summary.best_val_loss:
                    summary.best_val_loss, summary.best_epoch = val_loss, epoch
                    best_state = copy.deepcopy(evaluated.state_dict())
                    epochs_since_best = 0
                    if checkpoint_path is not None:
                        evaluated.metadata["training"] = summary.as_dict() | {"stopped_by": "checkpoint"}
                        evaluated.save(checkpoint_path)
                else:
                    epochs_since_best += 1
                if not math.isfinite(train_loss):
                    summary.stopped_by = "non-finite loss"
                    break
                if callback is not None and callback(epoch, train_loss, val_loss) is False:
                    summary.stopped_by = "callback"
                    break
                if num_val and epochs_since_best >= stop_after_epochs:
                    summary.stopped_by = "early stopping"
                    break
                if max_seconds is not None and summary.seconds >= max_seconds:
                    summary.stopped_by = "time budget"
                    break
        except KeyboardInterrupt:
            summary.stopped_by = "interrupted"
            self._keep(estimator if summary.best_epoch >= 0 else None, best_state, summary)
            raise
        self._keep(estimator, best_state, summary)
        if self.calibrate_temperature and num_val and math.isfinite(summary.best_val_loss):
            summary.temperature = fit_temperature(
                estimator, lambda scaled: self._validation_loss(scaled, theta_val, x_val, batch_size, seed))
        if num_val >= 3:
            estimator.metadata["consistency"] = consistency_report(estimator, theta_val, x_val, seed=seed)
        estimator.metadata["training"] = summary.record()
        return estimator

    def _keep(self, estimator: RatioEstimator | None, best_state: dict[str, Tensor], summary: TrainingSummary) -> None:
        """Load ``best_state`` into ``estimator`` and make both this trainer's result."""
        if estimator is not None:
            estimator.load_state_dict(best_state)
            estimator.eval()
            estimator.metadata["training"] = summary.record()
        self.summary = summary
        self.estimator = estimator

    def _run_epoch(self, estimator: RatioEstimator, theta: Tensor, x: Tensor, batch_size: int,
                   generator: torch.Generator, optimizer: torch.optim.Optimizer, clip_max_norm: float | None,
                   averaged: AveragedModel | None = None) -> float:
        permutation = torch.randperm(theta.shape[0], generator=generator).to(theta.device)
        total, count = 0.0, 0
        for start in range(0, theta.shape[0], batch_size):
            idx = permutation[start:start + batch_size]
            if len(idx) < 2:
                continue
            theta_b, x_b = theta[idx], x[idx]
            loss = self.loss(estimator, theta_b, x_b, self._draw_mask(x_b, generator).to(x_b.device), generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_max_norm is not None:
                torch.nn.utils.clip_grad_norm_(estimator.parameters(), clip_max_norm)
            optimizer.step()
            if averaged is not None:
                averaged.update_parameters(estimator)
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        return total / max(count, 1)

    def _validation_loss(self, estimator: RatioEstimator, theta: Tensor, x: Tensor, batch_size: int, seed: int,
                         num_pairings: int = 4) -> float:
        """Validation loss averaged over ``num_pairings`` fixed pairings and masks (a generator re-seeded each epoch).

        The same pairs every epoch make epochs comparable; several pairings per row reduce the noise of the
        early-stopping signal on small validation sets at the cost of forward passes only.
        """
        total, count = 0.0, 0
        for loss, size in self.batch_losses(estimator, theta, x, batch_size, seed, num_pairings):
            total += loss * size
            count += size
        return total / max(count, 1)

    @torch.no_grad()
    def batch_losses(self, estimator: RatioEstimator, theta: Tensor, x: Tensor, batch_size: int, seed: int,
                     num_pairings: int = 4) -> list[tuple[float, int]]:
        """This trainer's loss of ``estimator`` on each batch of θ (N, D), x (N, L), with the batch's size.

        ``num_pairings`` passes over the rows in order, batches of ``batch_size`` (a last batch of one row, which
        has no partner, is left out), pairings and masks drawn from a generator seeded by ``seed``: the same
        ``seed`` gives the same pairs whatever the estimator, so two estimators' losses compare batch by batch.
        Returns (loss, rows) per (pass, batch), pass-major: num_pairings · ⌈N / batch_size⌉ entries at most.
        """
        generator = torch.Generator().manual_seed(seed + 1)
        losses = []
        for _ in range(num_pairings):
            for start in range(0, theta.shape[0], batch_size):
                theta_b, x_b = theta[start:start + batch_size], x[start:start + batch_size]
                if len(theta_b) < 2:
                    continue
                loss = self.loss(estimator, theta_b, x_b, self._draw_mask(x_b, generator).to(x_b.device), generator)
                losses.append((float(loss), len(theta_b)))
        return losses

    # ------------------------------------------------------------------ posterior
    def build_posterior(self, sampler: str = "mh", estimator: RatioEstimator | None = None, **options: Any):
        """A :class:`~dnre_core.posterior.RatioPosterior` of the trained (or given) estimator under this prior."""
        from .posterior import RatioPosterior

        estimator = estimator or self.estimator
        if estimator is None:
            raise InputError("No trained estimator: call train() first or pass estimator=.")
        return RatioPosterior(estimator, prior=self.prior, sampler=sampler, **options)


class DNRE(RatioTrainer):
    """Direct Neural Ratio Estimation (Cobb et al., AAAI 2024): the paper's loss, BCE of d(θ, θ', x) (label 1) and
    d(θ', θ, x) (label 0) with θ' another prior draw from the batch (four such partners per simulation by default).

    Args:
        head: the network's form (see :class:`~dnre_core.estimators.DNREEstimator`). ``"potential"`` (default),
            d = g(θ, x) − g(θ', x): consistent by construction, and closer to the reference and steadier over seeds
            than the pairwise head in the ablation study (BENCHMARKS.md). ``"pairwise"``: the paper's
            d = MLP([θ, θ', x]).
        num_partners: K parameters of the batch each simulation is contrasted with, the loss averaged over the K
            pairs (default ``DEFAULTS.dnre_partners``; the paper's is 1): more pairs per step for the same
            simulations, at more cost per epoch (the dnre_partners study in BENCHMARKS.md).
        antisymmetry_weight: λ of a penalty λ·mean((d(θ,θ',x) + d(θ',θ,x))²) for the pairwise head (default 0, the
            paper's loss); the potential head is antisymmetric exactly, so the penalty has no effect there.
        **options: as :class:`RatioTrainer`.
    """

    estimator_class = DNREEstimator

    def __init__(self, prior: Distribution, head: str = DEFAULTS.dnre_head, num_partners: int = DEFAULTS.dnre_partners,
                 antisymmetry_weight: float = DEFAULTS.dnre_antisymmetry_weight, **options: Any):
        if head not in DNRE_HEADS:
            raise InputError(f"head must be one of {DNRE_HEADS}; got {head!r}.")
        if isinstance(num_partners, bool) or not isinstance(num_partners, int) or num_partners < 1:
            raise InputError(f"num_partners must be a positive integer; got {num_partners!r}.")
        super().__init__(prior, **options)
        self.head = head
        self.num_partners = num_partners
        self.antisymmetry_weight = float(antisymmetry_weight)

    def estimator_options(self) -> dict[str, Any]:
        return {"head": self.head}

    def hyperparameters(self) -> dict[str, Any]:
        return super().hyperparameters() | {"head": self.head, "num_partners": self.num_partners,
                                            "antisymmetry_weight": self.antisymmetry_weight}

    def loss(self, estimator, theta, x, mask, generator):
        return dnre_loss(estimator, theta, x, mask, generator, self.antisymmetry_weight, self.num_partners)


class NRE(RatioTrainer):
    """Neural Ratio Estimation, NRE-A (Hermans et al., ICML 2020)."""

    estimator_class = NREEstimator

    def loss(self, estimator, theta, x, mask, generator):
        return nre_loss(estimator, theta, x, mask, generator)


class BNRE(RatioTrainer):
    """Balanced NRE (Delaunoy et al., NeurIPS 2022): NRE with a balancing penalty of weight ``regularization``."""

    estimator_class = BNREEstimator

    def __init__(self, prior: Distribution, regularization: float = DEFAULTS.bnre_regularization, **options: Any):
        super().__init__(prior, **options)
        self.regularization = float(regularization)

    def hyperparameters(self) -> dict[str, Any]:
        return super().hyperparameters() | {"regularization": self.regularization}

    def loss(self, estimator, theta, x, mask, generator):
        return bnre_loss(estimator, theta, x, mask, generator, self.regularization)


TRAINERS: dict[str, type[RatioTrainer]] = {"DNRE": DNRE, "NRE": NRE, "BNRE": BNRE}


def make_trainer(config: TrainingConfig, prior: Distribution, parameter_names: list[str] | None = None,
                 metric_names: list[str] | None = None, device: str | torch.device = "cpu") -> RatioTrainer:
    """The trainer of ``config.method`` with ``config``'s network and method options; train it with
    ``trainer.train(**config.train_options())``."""
    if config.method not in TRAINERS:
        raise InputError(f"method must be one of {tuple(TRAINERS)}; got {config.method!r}.")
    return TRAINERS[config.method](prior, parameter_names=parameter_names, metric_names=metric_names, device=device,
                                   **config.trainer_options())
