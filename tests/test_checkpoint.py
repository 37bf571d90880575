"""Training keeps its best weights while it runs: in a checkpoint file, and in the trainer when interrupted."""

import pytest
import torch

import dnre_core
from benchmarks.problems import LinearGaussian

PROBLEM = LinearGaussian(dim=2)


def trainer() -> dnre_core.DNRE:
    theta, x = PROBLEM.sample_joint(600, seed=0)
    return dnre_core.DNRE(PROBLEM.prior, hidden_features=16, num_layers=2, calibrate_temperature=False
                          ).append_simulations(theta, x)


def same_weights(a: dnre_core.RatioEstimator, b: dnre_core.RatioEstimator) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_the_checkpoint_holds_the_best_weights_so_far(tmp_path):
    path = tmp_path / "checkpoint.pt"
    seen = []

    def after_epoch(epoch, train_loss, val_loss):
        saved = dnre_core.load_estimator(path)
        seen.append(saved.metadata["training"]["best_epoch"])
        assert saved.metadata["training"]["stopped_by"] == "checkpoint"

    t = trainer()
    estimator = t.train(max_epochs=6, seed=0, callback=after_epoch, checkpoint_path=path)
    assert seen[-1] == t.summary.best_epoch and seen == sorted(seen)
    assert same_weights(dnre_core.load_estimator(path), estimator)


def test_an_interrupt_leaves_the_best_weights_so_far_in_the_trainer(tmp_path):
    path = tmp_path / "checkpoint.pt"

    def ctrl_c_after_four(epoch, train_loss, val_loss):
        if epoch == 3:
            raise KeyboardInterrupt

    t = trainer()
    with pytest.raises(KeyboardInterrupt):
        t.train(max_epochs=50, seed=0, callback=ctrl_c_after_four, checkpoint_path=path)
    assert t.summary.stopped_by == "interrupted" and t.summary.epochs == 4
    assert t.estimator is not None and t.estimator.metadata["training"]["stopped_by"] == "interrupted"
    assert same_weights(t.estimator, dnre_core.load_estimator(path))
    full = trainer()
    full.train(max_epochs=4, seed=0)  # the same four epochs, uninterrupted: the same best weights
    assert same_weights(t.estimator, full.estimator)
