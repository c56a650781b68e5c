"""Checkpoints: weights_only round trip to identical predictions, dtype kept, clear errors."""

from __future__ import annotations

import pytest
import torch
from train_toys import Constant, Logistic, make_data

from equiqnn.train import load_checkpoint, load_model, save_checkpoint


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_round_trip_gives_identical_predictions(tmp_path, dtype):
    model = Logistic(16, n_classes=3, seed=9)
    with torch.no_grad():
        model.linear.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    model = model.to(dtype)
    path = save_checkpoint(model, tmp_path / "sub" / "m.pt", extra={"epoch": 4, "note": "x"})
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"state_dict", "config", "equiqnn_version", "extra"}
    loaded = load_model(path)
    assert isinstance(loaded, Logistic) and not loaded.training
    assert loaded.linear.weight.dtype == dtype
    x = torch.as_tensor(make_data(20, 1)[0], dtype=dtype)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    ckpt = load_checkpoint(path)
    assert ckpt["config"] == model.config and ckpt["extra"] == {"epoch": 4, "note": "x"}


def test_model_without_config_is_refused(tmp_path):
    with pytest.raises(TypeError, match="config"):
        save_checkpoint(Constant(), tmp_path / "c.pt")


def test_extra_must_be_plain_json(tmp_path):
    with pytest.raises(TypeError, match="extra must hold plain JSON types"):
        save_checkpoint(Logistic(16), tmp_path / "m.pt", extra={"w": torch.ones(2)})


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        load_model(tmp_path / "missing.pt")
    torch.save({"weights": torch.ones(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an equiqnn checkpoint"):
        load_model(tmp_path / "other.pt")
    path = save_checkpoint(Logistic(16), tmp_path / "m.pt")
    raw = torch.load(path, weights_only=True)
    raw["config"] = raw["config"].replace('"n_features": 16', '"n_features": 9')
    torch.save(raw, tmp_path / "mismatch.pt")
    with pytest.raises(ValueError, match="do not fit the model rebuilt from its config"):
        load_model(tmp_path / "mismatch.pt")
