"""Temperature calibration: the fitted T minimises the validation loss, only broadens, and touches only the output."""

import copy
import math

import pytest
import torch

from benchmarks.problems import LinearGaussian
from dnre_core import BNRE, DNRE, NRE
from dnre_core.temperature import TEMPERATURE_RANGE, fit_temperature, output_layer, scale_output

TRAIN = {"max_epochs": 15, "batch_size": 128, "seed": 0}


@pytest.fixture(scope="module")
def trained() -> tuple[DNRE, torch.Tensor, torch.Tensor]:
    """An uncalibrated DNRE on the 2-D linear-Gaussian problem (60 epochs: its held-out loss is lowest near its own
    scale) and 1,000 held-out simulations."""
    problem = LinearGaussian(dim=2)
    trainer = DNRE(problem.prior, hidden_features=32, num_layers=2, calibrate_temperature=False)
    trainer.append_simulations(*problem.sample_joint(2000, seed=0)).train(**TRAIN | {"max_epochs": 60})
    return trainer, *problem.sample_joint(1000, seed=5)


def steepened(estimator, factor: float):
    scaled = copy.deepcopy(estimator)
    scale_output(scaled, factor)
    return scaled


def test_a_steepened_estimator_is_broadened_to_the_minimum_of_the_held_out_loss(trained):
    trainer, theta, x = trained
    loss_of = lambda estimator: trainer._validation_loss(estimator, theta, x, 128, seed=1)  # noqa: E731
    over_confident = steepened(trainer.estimator, 3.0)
    before = loss_of(over_confident)
    layer_before = output_layer(over_confident).weight.detach().clone()
    temperature = fit_temperature(over_confident, loss_of)
    assert 2.0 < temperature < TEMPERATURE_RANGE[1]  # three times too steep: it must broaden substantially
    torch.testing.assert_close(output_layer(over_confident).weight, layer_before / temperature)
    best = loss_of(over_confident)
    assert best < before
    for nearby in (0.95, 1.05):  # a minimum: moving T by 5 % either way raises the loss
        assert loss_of(steepened(over_confident, 1 / nearby)) > best


def test_an_under_confident_estimator_is_left_alone(trained):
    trainer, theta, x = trained
    flattened = steepened(trainer.estimator, 0.3)
    state = copy.deepcopy(flattened.state_dict())
    assert fit_temperature(flattened, lambda e: trainer._validation_loss(e, theta, x, 128, seed=1)) == 1.0
    for name, value in flattened.state_dict().items():
        assert torch.equal(value, state[name]), name


def test_a_non_finite_loss_leaves_the_estimator_alone(trained):
    trainer, _, _ = trained
    estimator = copy.deepcopy(trainer.estimator)
    assert fit_temperature(estimator, lambda e: math.nan) == 1.0
    assert torch.equal(output_layer(estimator).weight, output_layer(trainer.estimator).weight)


@pytest.mark.parametrize("trainer_class", [DNRE, NRE, BNRE])
def test_training_calibrates_by_default_and_records_the_temperature(trainer_class):
    problem = LinearGaussian(dim=2)
    trainer = trainer_class(problem.prior, hidden_features=32, num_layers=2)
    assert trainer.hyperparameters()["calibrate_temperature"] is True
    trainer.append_simulations(*problem.sample_joint(1500, seed=2)).train(**TRAIN)
    temperature = trainer.summary.temperature
    assert TEMPERATURE_RANGE[0] <= temperature <= TEMPERATURE_RANGE[1]
    assert trainer.estimator.metadata["training"]["temperature"] == temperature


def test_calibration_changes_only_the_output_layer():
    """BNRE on 200 simulations, trained to its last epoch without weight averaging, ends over-confident (T > 1); the
    same run without calibration has the same weights but for the output layer's factor T."""
    problem = LinearGaussian(dim=2)
    data = problem.sample_joint(200, seed=2)
    options = {"max_epochs": 300, "batch_size": 64, "seed": 0, "stop_after_epochs": 1000, "weight_decay": 0.0,
               "weight_averaging": 0.0, "validation_fraction": 0.3}
    runs = {}
    for calibrate in (True, False):
        trainer = BNRE(problem.prior, hidden_features=64, num_layers=3, calibrate_temperature=calibrate)
        trainer.append_simulations(*data).train(**options)
        runs[calibrate] = trainer
    temperature = runs[True].summary.temperature
    assert temperature > 1.0 and runs[False].summary.temperature == 1.0
    assert runs[False].hyperparameters()["calibrate_temperature"] is False
    torch.testing.assert_close(steepened(runs[True].estimator, temperature).state_dict(),
                               runs[False].estimator.state_dict())
