"""Model files: identical round trips, clear ModelFileError for anything else, atomic writes."""

import json
import pickle

import numpy as np
import pytest
import torch

import dnre_core
from benchmarks.problems import LinearGaussian
from dnre_core import ModelFileError, load_estimator
from dnre_core.io import FORMAT, FORMAT_VERSION


class Opaque:
    """A user class: pickling it stores a reference to code."""


@pytest.fixture(scope="module")
def small_model_path(tmp_path_factory):
    problem = LinearGaussian(dim=2)
    theta, x = problem.sample_joint(500, seed=0)
    trainer = dnre_core.DNRE(problem.prior, hidden_features=16, num_layers=2).append_simulations(theta, x)
    path = tmp_path_factory.mktemp("io") / "model.pt"
    trainer.train(max_epochs=1, seed=0).save(path)
    return path


@pytest.mark.parametrize("kind", ["DNRE", "NRE", "BNRE"])
@pytest.mark.parametrize("masked", [False, True])
def test_round_trip_gives_identical_outputs_and_config(tmp_path, kind, masked):
    problem = LinearGaussian(dim=3)
    theta, x = problem.sample_joint(600, seed=1)
    trainer = getattr(dnre_core, kind)(problem.prior, hidden_features=16, num_layers=2,
                                       mask_probability=0.3 if masked else 0.0, parameter_names=["a", "b", "c"],
                                       metric_names=["u", "v", "w"]).append_simulations(theta, x)
    estimator = trainer.train(max_epochs=2, seed=0)
    estimator.save(tmp_path / "m.pt")
    loaded = load_estimator(tmp_path / "m.pt")
    assert type(loaded) is type(estimator) and loaded.masked == masked
    assert json.dumps(loaded.config()) == json.dumps(estimator.config())
    pairs = zip(estimator.state_dict().values(), loaded.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    t1, t2 = problem.sample_prior(50, seed=2), problem.sample_prior(50, seed=3)
    x_o = problem.simulate(t1, seed=4)
    if masked:
        x_o[::2, 1] = float("nan")
    with torch.no_grad():
        assert torch.equal(estimator.log_ratio(t1, t2, x_o), loaded.log_ratio(t1, t2, x_o))
    # The prior and the names travel with the model: a posterior needs nothing else.
    posterior = dnre_core.RatioPosterior(loaded)
    assert posterior.parameter_names == ["a", "b", "c"]
    assert torch.equal(posterior.prior.low, problem.prior.low)


def expect_error(path, fragment: str) -> None:
    with pytest.raises(ModelFileError) as info:
        load_estimator(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    expect_error(tmp_path / "absent.pt", "no such model file")


def test_foreign_torch_file_without_our_header(tmp_path):
    torch.save({"state_dict": {"w": torch.ones(2)}}, tmp_path / "f.pt")
    expect_error(tmp_path / "f.pt", f"not a dnre-quad model (no '{FORMAT}' header)")


def test_torch_file_holding_a_custom_object_is_refused_unread(tmp_path):
    torch.save({"format": FORMAT, "payload": Opaque()}, tmp_path / "obj.pt")
    expect_error(tmp_path / "obj.pt", "contains pickled Python objects")


def test_plain_pickle_is_refused(tmp_path):
    (tmp_path / "p.pkl").write_bytes(pickle.dumps(Opaque()))
    expect_error(tmp_path / "p.pkl", "could run code")


def test_truncated_model_file(tmp_path, small_model_path):
    data = small_model_path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    expect_error(tmp_path / "cut.pt", "not a readable model file")


def test_empty_file(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    expect_error(tmp_path / "empty.pt", "not a readable model file")


def test_random_bytes_always_give_a_model_file_error(tmp_path):
    """Random content trips different parsers (zip, legacy pickle) into different exceptions; all are reported."""
    for seed in range(40):
        path = tmp_path / f"r{seed}.pt"
        path.write_bytes(np.random.default_rng(seed).bytes(1000))
        with pytest.raises(ModelFileError, match=f"r{seed}.pt"):
            load_estimator(path)


def test_weights_that_disagree_with_the_config(tmp_path, small_model_path):
    payload = torch.load(small_model_path, weights_only=True)
    config = json.loads(payload["config_json"])
    config["hidden_features"] = 32
    torch.save({**payload, "config_json": json.dumps(config)}, tmp_path / "edited.pt")
    expect_error(tmp_path / "edited.pt", "weights do not match the model's configuration")


def test_unsupported_format_version(tmp_path, small_model_path):
    payload = torch.load(small_model_path, weights_only=True)
    torch.save({**payload, "format_version": FORMAT_VERSION + 1}, tmp_path / "future.pt")
    expect_error(tmp_path / "future.pt", "is not supported")


def test_failed_write_leaves_the_old_file_intact_and_no_temporary(tmp_path, small_model_path, monkeypatch):
    target = tmp_path / "model.pt"
    target.write_bytes(small_model_path.read_bytes())
    before = target.read_bytes()
    estimator = load_estimator(target)

    def save_half_then_fail(obj, f):
        f.write(b"PK\x03\x04 half a zip archive")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", save_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        estimator.save(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    load_estimator(target)
