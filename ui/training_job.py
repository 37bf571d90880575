"""The training job: train DNRE / NRE / BNRE on a workspace data set, streaming the loss curves, then save.

Live data: ``train_losses``, ``val_losses``, ``epoch``. The stop button ends training cleanly with the best
weights so far. While training, the best weights so far are kept in the run's checkpoint
(:meth:`ui.workspace.Workspace.checkpoint_path`), so a server that dies mid-run leaves them as a model of the
workspace. The finished model file is written atomically to the workspace and indexed with its config and metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

import dnre_core
from dnre_core.config import DEFAULTS, TrainingConfig
from dnre_core.training import TRAINERS, make_trainer
from ui.jobs import JobContext
from ui.workspace import DatasetArrays

METHODS = tuple(TRAINERS)
#: The Train page's defaults: the library's, with metric masking on (one model then serves targets that leave
#: metrics free), fewer epochs for an interactive run, and a fixed seed.
DASHBOARD_DEFAULTS = replace(DEFAULTS, mask_probability=0.3, max_epochs=100, seed=0)


@dataclass(frozen=True)
class TrainingRequest:
    """One training run of the dashboard: the new model's name, the data set, and how to train."""

    name: str
    dataset_id: str
    config: TrainingConfig = DASHBOARD_DEFAULTS

    def record(self) -> dict[str, Any]:
        """The request as one flat JSON-able dict: the run's parameters and the model's config in the index."""
        return {"name": self.name, "dataset_id": self.dataset_id, **asdict(self.config)}


def train_model(
    config: TrainingConfig,
    data: DatasetArrays,
    low: Any,
    high: Any,
    callback: Callable[[int, float, float], bool] | None = None,
    checkpoint_path: Path | None = None,
) -> tuple[dnre_core.RatioEstimator, dnre_core.TrainingSummary]:
    """Train one estimator on ``data`` under the box prior [low, high] (shared by the job and
    ``make default-model``)."""
    prior = dnre_core.BoxUniform(torch.as_tensor(low, dtype=torch.float32), torch.as_tensor(high, dtype=torch.float32))
    trainer = make_trainer(config, prior, data.parameter_names, data.metric_names)
    trainer.append_simulations(torch.as_tensor(data.theta, dtype=torch.float32),
                               torch.as_tensor(data.x, dtype=torch.float32))
    estimator = trainer.train(**config.train_options(), callback=callback, checkpoint_path=checkpoint_path)
    return estimator, trainer.summary


def training_job(request: TrainingRequest, low: Any, high: Any) -> Callable[[JobContext], dict[str, Any]]:
    """A job function for :meth:`ui.jobs.JobRunner.submit` (submit it with ``params=request.record()``);
    ``low``/``high`` are the design bounds (the prior)."""
    config = request.config

    def run(ctx: JobContext) -> dict[str, Any]:
        data = ctx.workspace.load_dataset(request.dataset_id)
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
        checkpoint = ctx.workspace.checkpoint_path(ctx.run_id)
        try:
            estimator, summary = train_model(config, data, low, high, callback, checkpoint)
        finally:  # the checkpoint only serves a process that dies mid-run
            checkpoint.unlink(missing_ok=True)
        model_id = ctx.workspace.new_model_id()
        estimator.save(str(ctx.workspace.model_path(model_id)))
        metrics = {k: v for k, v in summary.as_dict().items() if k not in ("train_losses", "val_losses")}
        metrics.update(train_losses=summary.train_losses, val_losses=summary.val_losses,
                       consistency=estimator.metadata.get("consistency"))
        ctx.workspace.add_model(model_id, request.name, config.method, request.dataset_id, request.record(), metrics)
        return {"model_id": model_id, "best_val_loss": summary.best_val_loss, "epochs": summary.epochs,
                "stopped_by": summary.stopped_by}

    return run
