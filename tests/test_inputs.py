"""Bad inputs to trainers and posteriors: a clear InputError naming the problem, or documented filtering."""

import re

import pytest
import torch

import dnre_core
from benchmarks.problems import LinearGaussian
from dnre_core import BoxUniform, InputError, RatioPosterior

PROBLEM = LinearGaussian(dim=2)
SMALL = {"hidden_features": 16, "num_layers": 2}


def data(num: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    return PROBLEM.sample_joint(num, seed=seed)


def trainer() -> dnre_core.DNRE:
    return dnre_core.DNRE(PROBLEM.prior, **SMALL)


@pytest.fixture(scope="module")
def estimator() -> dnre_core.RatioEstimator:
    """A small (unmasked) DNRE trained for one epoch on the 2-D problem."""
    return trainer().append_simulations(*data(500)).train(max_epochs=1, seed=0)


def test_non_finite_rows_are_dropped_with_a_warning_and_counted():
    theta, x = data(100)
    theta[[3, 10], 0] = float("nan")
    x[20, 1] = float("inf")
    x[[30, 31], :] = float("nan")
    t = trainer()
    with pytest.warns(UserWarning, match=r"5 of 100 simulation\(s\) contain NaN or inf"):
        t.append_simulations(theta, x)
    assert t.num_dropped == 5 and t.simulations()[0].shape == (95, 2)
    t.append_simulations(*data(50, seed=1))  # a clean batch adds nothing to the count
    t.train(max_epochs=1, seed=0)
    assert t.summary.num_dropped == 5 and t.summary.as_dict()["num_dropped"] == 5
    assert t.estimator.metadata["training"]["num_dropped"] == 5


def test_mismatched_row_counts():
    theta, x = data(100)
    with pytest.raises(InputError, match="theta has 100 rows but x has 99"):
        trainer().append_simulations(theta, x[:99])


def test_theta_width_differs_from_the_prior():
    theta, x = data(100)
    with pytest.raises(InputError, match="theta has 3 columns but the prior has 2 dimensions"):
        trainer().append_simulations(torch.cat([theta, theta[:, :1]], dim=1), x)


def test_x_width_changes_between_appends():
    theta, x = data(100)
    t = trainer().append_simulations(theta, x)
    with pytest.raises(InputError, match="x has 3 columns but earlier simulations had 2"):
        t.append_simulations(theta, torch.cat([x, x[:, :1]], dim=1))


def test_empty_data_and_all_rows_unusable():
    with pytest.raises(InputError, match="No usable simulations"):
        trainer().append_simulations(torch.empty(0, 2), torch.empty(0, 2))
    theta, x = data(10)
    with pytest.raises(InputError, match="No usable simulations"), pytest.warns(UserWarning):
        trainer().append_simulations(theta, torch.full_like(x, float("nan")))
    with pytest.raises(InputError, match="call append_simulations"):
        trainer().train(max_epochs=1)


def test_non_numeric_data():
    with pytest.raises(InputError, match="theta must be numeric"):
        trainer().append_simulations([["a", "b"]], [[1.0, 2.0]])


def test_constant_theta_column_is_an_error():
    theta, x = data(100)
    theta[:, 1] = 0.5
    t = trainer().append_simulations(theta, x)
    with pytest.raises(InputError, match=r"theta column\(s\) \[1\] are constant.*every parameter must vary"):
        t.train(max_epochs=1, seed=0)


def test_constant_x_column_warns_and_still_trains():
    theta, x = data(200)
    x[:, 0] = 3.0
    t = trainer().append_simulations(theta, x)
    with pytest.warns(UserWarning, match=r"x column\(s\) \[0\] are constant.*carry no information"):
        estimator = t.train(max_epochs=1, seed=0)
    with torch.no_grad():
        assert torch.isfinite(estimator.log_ratio(theta, theta.flip(0), x)).all()


def test_theta_outside_the_prior_support():
    theta, x = data(100)
    theta[7, 0] = 2.5  # the prior is U([-2, 2]^2)
    with pytest.raises(InputError, match=r"1 parameter row\(s\) lie outside the prior's support"):
        trainer().append_simulations(theta, x)


def test_invalid_trainer_options():
    with pytest.raises(InputError, match=r"mask_probability must be in \[0, 1\)"):
        dnre_core.DNRE(PROBLEM.prior, mask_probability=1.0)
    t = trainer().append_simulations(*data(100))
    with pytest.raises(InputError, match="batch_size must be at least 2"):
        t.train(max_epochs=1, batch_size=1)


def test_wrong_observation_dimension(estimator):
    posterior = RatioPosterior(estimator, PROBLEM.prior)
    with pytest.raises(InputError, match=r"x has 3 value\(s\) but the model expects 2"):
        posterior.sample((10,), x=torch.tensor([0.1, 0.2, 0.3]), num_chains=5, warmup_steps=0)


def test_nan_or_inf_observation_on_an_unmasked_model(estimator):
    posterior = RatioPosterior(estimator, PROBLEM.prior)
    with pytest.raises(InputError, match=r"NaN at position\(s\) \[1\].*trained without metric masking"):
        posterior.sample((10,), x=torch.tensor([0.1, float("nan")]), num_chains=5, warmup_steps=0)
    with pytest.raises(InputError, match=r"±inf at position\(s\) \[0\]"):
        posterior.log_prob(torch.zeros(1, 2), x=torch.tensor([float("inf"), 0.0]))


def test_prior_of_the_wrong_dimension(estimator):
    with pytest.raises(InputError, match="The prior has 3 dimensions but the estimator expects 2"):
        RatioPosterior(estimator, BoxUniform(-torch.ones(3), torch.ones(3)))


def test_unknown_sampler_and_unknown_sampler_option(estimator):
    with pytest.raises(InputError, match="Unknown sampler 'nuts'"):
        RatioPosterior(estimator, PROBLEM.prior, sampler="nuts")
    with pytest.raises(InputError, match=r"Unknown mh option\(s\) \['step_size'\]"):
        RatioPosterior(estimator, PROBLEM.prior, sampler="mh", step_size=0.1)
    with pytest.raises(InputError, match=r"Unknown hmc option\(s\) \['target_accept'\]"):
        RatioPosterior(estimator, PROBLEM.prior, sampler="hmc", target_accept=0.8)


def test_box_prior_bounds_are_checked():
    with pytest.raises(InputError,
                       match=r"high must exceed low in every dimension; it does not in dimension\(s\) \[1\]"):
        BoxUniform([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(InputError, match="low has 2 entries but high has 3"):
        BoxUniform([0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(InputError, match="the bounds must be numbers"):
        BoxUniform(["a", "b"], [1.0, 1.0])


@pytest.mark.parametrize(("options", "fragment"), [
    ({"max_epochs": 0}, "max_epochs must be a positive integer; got 0"),
    ({"max_epochs": -5}, "max_epochs must be a positive integer; got -5"),
    ({"max_epochs": 2.5}, "max_epochs must be a positive integer"),
    ({"learning_rate": 0}, "learning_rate must be a finite number greater than 0; got 0"),
    ({"learning_rate": -1e-3}, "learning_rate must be a finite number greater than 0"),
    ({"learning_rate": float("nan")}, "learning_rate must be a finite number greater than 0; got nan"),
    ({"learning_rate": float("inf")}, "learning_rate must be a finite number greater than 0; got inf"),
    ({"stop_after_epochs": 0}, "stop_after_epochs must be a positive integer"),
    ({"weight_decay": -1.0}, "weight_decay must be a finite number, 0 or more"),
    ({"clip_max_norm": 0.0}, "clip_max_norm (or None for no clipping) must be a finite number greater than 0"),
    ({"max_seconds": 0}, "max_seconds (or None for no time limit) must be a finite number greater than 0"),
])
def test_training_options_that_would_train_nothing_are_refused(options, fragment):
    """Before, max_epochs=0 returned an untrained estimator and learning_rate=0 trained nothing, silently."""
    t = trainer().append_simulations(*data(100))
    with pytest.raises(InputError, match=re.escape(fragment)):
        t.train(seed=0, **options)
    assert t.estimator is None


def test_network_options_are_input_errors():
    for options, fragment in (({"hidden_features": 0}, "hidden_features must be a positive integer"),
                              ({"num_layers": 0}, "num_layers must be a positive integer"),
                              ({"activation": "gelu"}, "activation must be one of")):
        with pytest.raises(InputError, match=fragment):
            dnre_core.DNRE(PROBLEM.prior, **options)


@pytest.mark.parametrize("transform", [True, False])
def test_initial_states_are_checked(estimator, transform):
    """Before, NaN starts gave NaN samples and a start outside the prior (transform=False) stayed outside."""
    posterior = RatioPosterior(estimator, PROBLEM.prior, transform=transform)
    x_o = torch.tensor([0.1, 0.2])
    good = torch.zeros(4, 2)
    samples = posterior.sample((8,), x=x_o, num_chains=4, warmup_steps=5, seed=0, initial=good.numpy())
    assert samples.shape == (8, 2)
    cases = [(good[:3], r"must have shape \(4, 2\), one row per chain; got \(3, 2\)"),
             (good.index_fill(0, torch.tensor([2]), float("nan")), r"chain\(s\) \[2\] contain NaN or inf"),
             (good.index_fill(0, torch.tensor([1, 3]), 2.5), r"chain\(s\) \[1, 3\] lie outside the prior's support")]
    for initial, fragment in cases:
        with pytest.raises(InputError, match=fragment):
            posterior.sample((8,), x=x_o, num_chains=4, warmup_steps=5, seed=0, initial=initial)


def test_log_prob_of_nan_theta_is_an_input_error(estimator):
    posterior = RatioPosterior(estimator, PROBLEM.prior)
    theta = torch.zeros(3, 2)
    theta[1, 0] = float("nan")
    with pytest.raises(InputError, match=r"theta row\(s\) \[1\] contain NaN or inf"):
        posterior.log_prob(theta, x=torch.tensor([0.1, 0.2]))
    assert torch.isfinite(posterior.log_prob(torch.zeros(3, 2), x=torch.tensor([0.1, 0.2]))).all()


@pytest.mark.parametrize(("build", "fragment"), [
    (lambda est: RatioPosterior(est, PROBLEM.prior, gradient="numeric"), "gradient must be one of"),
    (lambda est: RatioPosterior(est, PROBLEM.prior, ratio="odd"), "ratio must be one of"),
    (lambda est: RatioPosterior(est, PROBLEM.prior, sampler="hmc", num_leapfrog_steps=0).sample(
        (4,), x=[0.1, 0.2], num_chains=2, warmup_steps=0), "num_leapfrog_steps"),
    (lambda est: RatioPosterior(est, PROBLEM.prior, scale_spread=-1.0).sample(
        (4,), x=[0.1, 0.2], num_chains=2, warmup_steps=0), "scale_spread must be"),
    (lambda est: RatioPosterior(est, PROBLEM.prior).sample((4,), x=[0.1, 0.2], num_chains=2, thin=0),
     r"thin \(None: automatic\) must be a positive integer"),
    (lambda est: dnre_core.c2st(torch.zeros(5, 2), torch.zeros(5, 3)), "same width"),
])
def test_public_entry_points_raise_input_errors(estimator, build, fragment):
    """The same kind of error from every public entry point, not ValueError from some of them (issue 35)."""
    with pytest.raises(InputError, match=fragment):
        build(estimator)
