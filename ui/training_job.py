"""The training job: train DNRE / NRE / BNRE on a workspace data set, streaming the loss curves, then save.

Live data: ``train_losses``, ``val_losses``, ``epoch``. The stop button ends training cleanly with the best
weights so far. The model file is written atomically to the workspace and indexed with its config and metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch

import dnre_core
from dnre_core.training import DEFAULT_DNRE_PARTNERS, DEFAULT_WEIGHT_AVERAGING
from ui.jobs import JobContext

ESTIMATORS = {"DNRE": dnre_core.DNRE, "NRE": dnre_core.NRE, "BNRE": dnre_core.BNRE}


@dataclass(frozen=True)
class TrainingConfig:
    name: str
    dataset_id: str
    estimator: str = "DNRE"
    hidden_features: int = 128
    num_layers: int = 5
    mask_probability: float = 0.3
    max_epochs: int = 100
    batch_size: int = 512
    learning_rate: float = 1e-3
    validation_fraction: float = 0.1
    stop_after_epochs: int = 20
    seed: int = 0
    max_seconds: float | None = None
    dnre_head: str = "potential"  # one of dnre_core.estimators.DNRE_HEADS (DNRE validates it)
    dnre_partners: int = DEFAULT_DNRE_PARTNERS  # contrastive parameters per simulation in DNRE's loss
    lr_schedule: str = "constant"  # one of dnre_core.training.LR_SCHEDULES (train() validates it)
    weight_averaging: float = DEFAULT_WEIGHT_AVERAGING  # EMA decay of the returned weights per step; 0 = last iterate


def train_model(
    config: TrainingConfig,
    theta: Any,
    x: Any,
    parameter_names: list[str],
    metric_names: list[str],
    low: Any,
    high: Any,
    callback: Callable[[int, float, float], bool] | None = None,
) -> tuple[dnre_core.RatioEstimator, dnre_core.TrainingSummary]:
    """Train one estimator (shared by the job and the ``make default-model`` script)."""
    prior = dnre_core.BoxUniform(torch.as_tensor(low, dtype=torch.float32), torch.as_tensor(high, dtype=torch.float32))
    method_options = {"head": config.dnre_head,
                      "num_partners": config.dnre_partners} if config.estimator == "DNRE" else {}
    trainer = ESTIMATORS[config.estimator](
        prior, hidden_features=config.hidden_features, num_layers=config.num_layers,
        mask_probability=config.mask_probability,
        parameter_names=parameter_names, metric_names=metric_names, **method_options,
    )
    trainer.append_simulations(torch.as_tensor(theta, dtype=torch.float32), torch.as_tensor(x, dtype=torch.float32))
    estimator = trainer.train(
        max_epochs=config.max_epochs, batch_size=config.batch_size, learning_rate=config.learning_rate,
        validation_fraction=config.validation_fraction, stop_after_epochs=config.stop_after_epochs, seed=config.seed,
        callback=callback, max_seconds=config.max_seconds, lr_schedule=config.lr_schedule,
        weight_averaging=config.weight_averaging,
    )
    return estimator, trainer.summary


def training_job(config: TrainingConfig, low: Any, high: Any) -> Callable[[JobContext], dict[str, Any]]:
    """A job function for :meth:`ui.jobs.JobRunner.submit`; ``low``/``high`` are the design bounds (the prior)."""

    def run(ctx: JobContext) -> dict[str, Any]:
        data = ctx.workspace.load_dataset(config.dataset_id)
        train_losses: list[float] = []
        val_losses: list[float] = []

        def callback(epoch: int, train_loss: float, val_loss: float) -> bool:
            train_losses.append(float(train_loss))
            val_losses.append(float(val_loss))
            ctx.report(
                progress=(epoch + 1) / config.max_epochs, message=f"epoch {epoch + 1} of at most {config.max_epochs}",
                epoch=epoch + 1, train_losses=list(train_losses), val_losses=list(val_losses),
            )
            return not ctx.cancelled

        ctx.report(progress=0.0, message="preparing the data")
        estimator, summary = train_model(config, data.theta, data.x, data.parameter_names, data.metric_names, low, high,
                                         callback)
        model_id = ctx.workspace.new_model_id()
        estimator.save(str(ctx.workspace.model_path(model_id)))
        metrics = {k: v for k, v in summary.as_dict().items() if k not in ("train_losses", "val_losses")}
        metrics.update(train_losses=summary.train_losses, val_losses=summary.val_losses,
                       consistency=estimator.metadata.get("consistency"))
        ctx.workspace.add_model(model_id, config.name, config.estimator, config.dataset_id, asdict(config), metrics)
        return {"model_id": model_id, "best_val_loss": summary.best_val_loss, "epochs": summary.epochs,
                "stopped_by": summary.stopped_by}

    return run
