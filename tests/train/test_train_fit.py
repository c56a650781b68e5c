"""fit: learning, early stopping, best restore, determinism, augmentation, checkpoints, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from train_toys import Logistic, make_data

from equiqnn.train import EPOCH_KEYS, GroupAugmentation, evaluate, fit, load_model


class Frozen(torch.nn.Module):
    """A trainable parameter that does not affect the logits: validation loss never improves."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], 2) * self.w


class Exploding(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 2), math.nan) * self.w


def noisy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random labels: a logistic model memorises the training set and overfits validation."""
    x, _ = make_data(n, seed)
    return x, np.random.default_rng(seed + 100).integers(0, 2, size=n)


def overfit_run(**kwargs):
    model = Logistic(16, seed=3)
    kw = {"epochs": 60, "lr": 0.1, "patience": 3, "progress": False, **kwargs}
    return model, fit(model, noisy(40, 1), noisy(40, 2), **kw)


def without_time(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def test_training_lowers_the_loss_on_a_separable_set(splits):
    model = Logistic(16)
    result = fit(model, splits["train"], splits["val"], epochs=25, patience=None, progress=False)
    losses = result.column("train_loss")
    assert losses[-1] < 0.5 * losses[0]
    assert result.best["val_acc"] >= 0.85
    assert [set(row) for row in result.history] == [set(EPOCH_KEYS)] * 25
    assert result.stop_reason == "max_epochs" and not result.stopped_early
    assert not model.training
    assert repr(result).startswith("FitResult(best_epoch=") and "\n" not in repr(result)


def test_default_batch_size_is_a_tenth_of_the_training_set(splits):
    steps = []
    model = Logistic(16)
    model.register_forward_hook(
        lambda m, inp, out: steps.append(inp[0].shape[0]) if m.training else None
    )
    fit(model, splits["train"], splits["val"], epochs=1, progress=False)
    assert steps == [8] * 10


@pytest.mark.parametrize("patience", [1, 4])
def test_early_stopping_stops_when_validation_cannot_improve(splits, patience):
    result = fit(
        Frozen(), splits["train"], splits["val"], epochs=50, patience=patience, progress=False
    )
    assert result.stopped_early and result.stop_reason == "patience"
    assert result.best_epoch == 1
    assert result.stopped_epoch == len(result.history) == patience + 1


def test_min_delta_requires_a_real_improvement(splits):
    result = fit(
        Logistic(16),
        splits["train"],
        splits["val"],
        epochs=30,
        patience=2,
        min_delta=10.0,
        progress=False,
    )
    assert (result.best_epoch, result.stopped_epoch) == (1, 3)


def test_patience_none_runs_every_epoch(splits):
    result = fit(Frozen(), splits["train"], splits["val"], epochs=7, patience=None, progress=False)
    assert result.stopped_epoch == 7 and not result.stopped_early


def test_overfitting_stops_patience_epochs_after_the_best():
    _, result = overfit_run()
    assert result.stopped_early
    assert result.best_epoch < result.stopped_epoch == result.best_epoch + 3
    assert result.best_val_loss == min(result.column("val_loss"))
    assert (
        result.final == result.history[-1] and result.best == result.history[result.best_epoch - 1]
    )


def test_best_validation_parameters_are_restored():
    model, result = overfit_run()
    x_val, y_val = noisy(40, 2)
    assert evaluate(model, x_val, y_val).loss == pytest.approx(result.best_val_loss, abs=1e-6)
    final = result.model_at(model, "final")
    assert evaluate(final, x_val, y_val).loss == pytest.approx(result.final["val_loss"], abs=1e-6)
    assert result.final["val_loss"] > result.best_val_loss
    # model_at leaves the fitted model untouched
    assert evaluate(model, x_val, y_val).loss == pytest.approx(result.best_val_loss, abs=1e-6)


def test_restore_best_false_keeps_the_final_parameters():
    model, result = overfit_run(restore_best=False)
    x_val, y_val = noisy(40, 2)
    assert evaluate(model, x_val, y_val).loss == pytest.approx(result.final["val_loss"], abs=1e-6)
    assert not result.restored_best


def test_same_seed_gives_identical_history(splits, d4):
    kw = {"epochs": 5, "patience": None, "progress": False, "augment": GroupAugmentation(d4)}
    a = fit(Logistic(16), splits["train"], splits["val"], seed=7, **kw)
    b = fit(Logistic(16), splits["train"], splits["val"], seed=7, **kw)
    c = fit(Logistic(16), splits["train"], splits["val"], seed=8, **kw)
    assert without_time(a.history) == without_time(b.history)
    assert without_time(a.history) != without_time(c.history)
    for k in a.final_state:
        assert torch.equal(a.final_state[k], b.final_state[k])


def test_fit_draws_nothing_from_the_global_rng(splits, d4):
    model = Logistic(16)  # nn.Linear's own init draws from the global RNG
    before = torch.random.get_rng_state()
    fit(
        model,
        splits["train"],
        splits["val"],
        epochs=2,
        progress=False,
        augment=GroupAugmentation(d4),
    )
    assert torch.equal(before, torch.random.get_rng_state())


def test_double_model_trains_in_float64_from_float32_arrays(splits):
    model = Logistic(16).double()
    seen = []
    model.register_forward_hook(lambda m, inp, out: seen.append(inp[0].dtype))
    result = fit(model, splits["train"], splits["val"], epochs=3, progress=False)
    assert set(seen) == {torch.float64}
    assert model.linear.weight.dtype == torch.float64 and math.isfinite(result.best_val_loss)


def test_tensor_inputs_class_weights_and_progress_bar(splits):
    x, y = (torch.as_tensor(a) for a in splits["train"])
    result = fit(
        Logistic(16), (x, y), splits["val"], epochs=2, class_weights="balanced", progress=True
    )
    assert result.stopped_epoch == 2
    result = fit(
        Logistic(16), (x, y), splits["val"], epochs=2, class_weights=[1.0, 3.0], progress=False
    )
    assert math.isfinite(result.best_val_loss)


def test_non_finite_loss_stops_training(splits):
    result = fit(Exploding(), splits["train"], splits["val"], epochs=10, progress=False)
    assert result.stop_reason == "non_finite_loss" and result.stopped_epoch == 1
    assert result.stopped_early and result.best_epoch == 1


def test_checkpoint_dir_holds_best_model_and_history(tmp_path):
    model, result = overfit_run(checkpoint_dir=tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "history.json").read_text())
    assert saved["status"] == "done" and saved["best_epoch"] == result.best_epoch
    assert len(saved["history"]) == result.stopped_epoch
    best = load_model(tmp_path / "run" / "best.pt")
    last = load_model(tmp_path / "run" / "last.pt")
    x = torch.as_tensor(noisy(40, 2)[0])
    with torch.no_grad():
        assert torch.equal(best(x), model(x))
        assert torch.equal(last(x), result.model_at(model, "final")(x))


def test_augment_must_keep_the_batch_shape(splits, d4):
    with pytest.raises(ValueError, match="batch's shape"):
        fit(
            Logistic(16),
            splits["train"],
            splits["val"],
            epochs=1,
            progress=False,
            augment=lambda x, g: d4.act_all(x),
        )
    with pytest.raises(TypeError, match="augment must be None or a callable"):
        fit(Logistic(16), splits["train"], splits["val"], augment="d4", progress=False)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"train": "xy"}, TypeError, "train must be a pair"),
        ({"train": (np.zeros((0, 4, 4)), np.zeros(0, dtype=int))}, ValueError, "empty"),
        (
            {"train": (np.zeros((5, 4, 4)), np.zeros(4, dtype=int))},
            ValueError,
            "one label per input",
        ),
        ({"train": (np.zeros((5, 4, 4)), np.zeros(5))}, TypeError, "labels y must be integers"),
        ({"train": (np.zeros((5, 4, 4)), np.full(5, 2))}, ValueError, r"\[0, 2\) for a model"),
        ({"val": (np.zeros((5, 4, 4)), np.full(5, -1))}, ValueError, r"val labels y must be in"),
        ({"val": (np.zeros((5, 16)), np.zeros(5, dtype=int))}, ValueError, "training input shape"),
        ({"val": None}, ValueError, "never off the test set"),
        ({"train": (np.full((5, 4, 4), np.nan), np.zeros(5, dtype=int))}, ValueError, "finite"),
        ({"epochs": 0}, ValueError, "epochs must be an integer >= 1"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
        ({"lr": -1.0}, ValueError, "lr must be a finite number > 0"),
        ({"betas": (0.9,)}, ValueError, "betas must be two numbers"),
        ({"patience": 0}, ValueError, "None to disable"),
        ({"min_delta": -0.1}, ValueError, "min_delta"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"seed": 1.5}, TypeError, "seed must be a non-negative integer"),
        ({"class_weights": [1.0]}, ValueError, "class_weights must be K=2"),
        ({"class_weights": "inverse"}, ValueError, "'balanced'"),
        ({"model": "logistic"}, TypeError, "model must be a torch.nn.Module"),
        ({"model": torch.nn.Identity()}, ValueError, "no trainable parameters"),
        (
            {"model": torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 1))},
            ValueError,
            "K >= 2 logits",
        ),
        ({"model": torch.nn.Linear(4, 2)}, ValueError, "logits shaped"),
    ],
)
def test_clear_errors(splits, change, error, match):
    args = {"model": Logistic(16), "train": splits["train"], "val": splits["val"], **change}
    model, train, val = args.pop("model"), args.pop("train"), args.pop("val")
    with pytest.raises(error, match=match):
        fit(model, train, val, progress=False, **args)
