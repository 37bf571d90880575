"""Train the shipped default model: ``make default-model`` → models/default_dnre.pt (+ a JSON card beside it).

A small DNRE with metric masking (so that one model serves any subset of stated metrics), trained on designs
drawn from the prior and simulated with the built-in quadcopter simulator, all with fixed seeds.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

import numpy as np
import torch

import dnre_core
import quadcopter
from dnre_core.config import TrainingConfig
from dnre_core.io import write_json
from ui.domain import LOWER, METRIC_NAMES, PARAMETER_NAMES, UPPER
from ui.models import DEFAULT_MODEL_PATH
from ui.simulation import quadcopter_simulator
from ui.training_job import train_model
from ui.workspace import DatasetArrays

CONFIG = TrainingConfig(
    method="DNRE", hidden_features=128, num_layers=4, mask_probability=0.3, max_epochs=200, batch_size=512,
    learning_rate=1e-3, validation_fraction=0.1, stop_after_epochs=15, seed=0, weight_averaging=0.99,
    dnre_partners=1,  # what the shipped file was trained with, so that this rebuilds it
)
NUM_SIMULATIONS = 50_000
DATA_SEED = 2024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--num-simulations", type=int, default=NUM_SIMULATIONS)
    parser.add_argument("--output", default=str(DEFAULT_MODEL_PATH))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    theta_t, x_t = dnre_core.simulate_for_sbi(quadcopter_simulator, quadcopter.prior(), args.num_simulations,
                                              seed=DATA_SEED)
    theta, x = theta_t.numpy().astype(np.float64), x_t.numpy().astype(np.float64)
    start = time.time()

    def progress(epoch: int, train_loss: float, val_loss: float) -> bool:
        print(f"epoch {epoch + 1:3d}  train {train_loss:.4f}  val {val_loss:.4f}  ({time.time() - start:.0f} s)",
              flush=True)
        return True

    data = DatasetArrays(theta, x, list(PARAMETER_NAMES), list(METRIC_NAMES))
    estimator, summary = train_model(CONFIG, data, LOWER, UPPER, progress)
    estimator.save(args.output)
    card = {
        "num_simulations": args.num_simulations, "data_seed": DATA_SEED, "config": asdict(CONFIG),
        "best_val_loss": summary.best_val_loss, "epochs": summary.epochs, "stopped_by": summary.stopped_by,
        "seconds": summary.seconds,
        "temperature": summary.temperature,
    }
    write_json(args.output.removesuffix(".pt") + ".json", card)
    print(f"saved {args.output}: {summary.epochs} epochs, best validation loss {summary.best_val_loss:.4f}, "
          f"{summary.seconds:.0f} s")


if __name__ == "__main__":
    main()
