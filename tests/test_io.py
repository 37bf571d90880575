"""Model files: identical round trips, clear ModelFileError for anything else, atomic writes."""

import io
import json
import pickle
import resource
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import dnre_core
from benchmarks.problems import LinearGaussian
from dnre_core import ModelFileError, load_estimator
from dnre_core.io import FORMAT, FORMAT_VERSION, LIMITS, model_digest

SHIPPED_MODEL = Path(__file__).parent.parent / "models" / "default_dnre.pt"


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


def rewritten(source, target, config_changes=None, state=None, digest=True):
    """``source``'s payload with config keys changed and/or other weights, saved to ``target`` with a digest that
    matches (so that only the check under test can refuse it) unless ``digest`` is False."""
    payload = torch.load(source, weights_only=True)
    config = json.loads(payload["config_json"]) | (config_changes or {})
    payload["config_json"] = json.dumps(config)
    payload["state_dict"] = state if state is not None else payload["state_dict"]
    if digest:
        payload["sha256"] = model_digest(payload["config_json"], payload["state_dict"])
    torch.save(payload, target)
    return target


def test_weights_that_disagree_with_the_config(tmp_path, small_model_path):
    edited = rewritten(small_model_path, tmp_path / "edited.pt", {"hidden_features": 32})
    expect_error(edited, "weights do not match the model's configuration")


def peak_rss_growth_mb(action) -> float:
    """How far ``action()`` raised this process's peak resident memory (MB; Linux reports KB)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    action()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


@pytest.mark.parametrize(("hidden", "layers", "fragment"), [
    (16_000, 3, "weights do not match the model's configuration"),  # within the limits: refused by the shapes
    (100_000, 5, f"hidden_features is 100000; it must be an integer from 1 to {LIMITS['hidden_features']:,}"),
])
def test_a_config_asking_for_a_huge_network_is_refused_before_anything_is_built(tmp_path, small_model_path, hidden,
                                                                               layers, fragment):
    """A file of a few KB whose config asks for a network of GBs (issue 36: 2.4 GB and 40 GB) costs no memory."""
    hostile = rewritten(small_model_path, tmp_path / "huge.pt", {"hidden_features": hidden, "num_layers": layers})
    assert hostile.stat().st_size < 20_000
    # 16,000 × 3 hidden units hold 16,000² · 2 ≈ 5·10⁸ weights, 2 GB in float32: a tenth of that is the bound.
    assert peak_rss_growth_mb(lambda: expect_error(hostile, fragment)) < 200


@pytest.mark.parametrize("change", [{"num_layers": 0}, {"theta_dim": True}, {"x_dim": "2"}, {"activation": "gelu"},
                                    {"masked": "yes"}, {"head": "siamese"}, {"theta_mean": [0.0, None]},
                                    {"kind": "VAE"}, {"metadata": {"prior": {"type": "BoxUniform", "low": [0.0],
                                                                            "high": [1.0]}}}])
def test_malformed_configs_are_model_file_errors(tmp_path, small_model_path, change):
    with pytest.raises(ModelFileError, match="re-download or re-save the model"):
        load_estimator(rewritten(small_model_path, tmp_path / "m.pt", change))


def test_a_flipped_byte_inside_the_weights_fails_the_digest(tmp_path, small_model_path):
    """torch's archive reader checks no checksum: one changed byte in a weight would load silently."""
    data = bytearray(small_model_path.read_bytes())
    with zipfile.ZipFile(small_model_path) as archive:
        entry = max((info for info in archive.infolist() if "/data/" in info.filename), key=lambda info: info.file_size)
    # The storage is stored uncompressed after its local header (30 bytes + name + extra field).
    name_length = int.from_bytes(data[entry.header_offset + 26:entry.header_offset + 28], "little")
    extra_length = int.from_bytes(data[entry.header_offset + 28:entry.header_offset + 30], "little")
    start = entry.header_offset + 30 + name_length + extra_length
    data[start + entry.file_size // 2] ^= 0x10
    (tmp_path / "flipped.pt").write_bytes(bytes(data))
    expect_error(tmp_path / "flipped.pt", "do not match the file's SHA-256 digest")


def test_an_edited_config_fails_the_digest(tmp_path, small_model_path):
    edited = rewritten(small_model_path, tmp_path / "edited.pt", {"metadata": {"parameter_names": ["p", "q"]}},
                       digest=False)
    expect_error(edited, "do not match the file's SHA-256 digest")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(tmp_path, small_model_path, bad):
    state = torch.load(small_model_path, weights_only=True)["state_dict"]
    state["net.0.weight"][0, 0] = bad
    expect_error(rewritten(small_model_path, tmp_path / "nan.pt", state=state), "NaN or inf (in net.0.weight)")


def test_format_version_1_without_a_digest_still_loads(tmp_path, small_model_path):
    payload = torch.load(small_model_path, weights_only=True)
    del payload["sha256"]
    buffer = io.BytesIO()
    torch.save({**payload, "format_version": 1}, buffer)
    (tmp_path / "v1.pt").write_bytes(buffer.getvalue())
    reference = load_estimator(small_model_path)
    assert all(torch.equal(a, b) for a, b in zip(load_estimator(tmp_path / "v1.pt").state_dict().values(),
                                                 reference.state_dict().values(), strict=True))


def test_the_shipped_model_carries_a_digest_that_verifies():
    assert torch.load(SHIPPED_MODEL, weights_only=True)["format_version"] == FORMAT_VERSION == 2
    assert load_estimator(SHIPPED_MODEL).kind == "DNRE"


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
