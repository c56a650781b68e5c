"""evaluate_split and report: train vs test, best-validation and final figures kept apart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from train_toys import Logistic, make_data

from equiqnn.train import SplitReport, evaluate, evaluate_split, fit, report


def noisy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    x, _ = make_data(n, seed)
    return x, np.random.default_rng(seed + 100).integers(0, 2, size=n)


def test_evaluate_split_reports_train_test_gap(d4):
    train, test = make_data(40, 1), make_data(30, 2)
    split = evaluate_split(Logistic(16, seed=4), train, test, group=d4)
    assert isinstance(split, SplitReport)
    assert split.train.n == 40 and split.test.n == 30
    assert split.train_test_gap == split.train.accuracy - split.test.accuracy
    assert split.orbit_train_test_gap == split.train.orbit_accuracy - split.test.orbit_accuracy
    flat = split.flat("best.")
    assert flat["best.train_acc"] == split.train.accuracy
    assert flat["best.test_orbit_acc"] == split.test.orbit_accuracy
    assert flat["best.train_test_gap"] == split.train_test_gap


def test_split_errors_name_the_split():
    with pytest.raises(ValueError, match=r"test labels y must be in \[0, K\)"):
        evaluate_split(Logistic(16), make_data(5, 1), (make_data(5, 2)[0], np.full(5, 3)))
    with pytest.raises(TypeError, match="train must be a pair"):
        evaluate_split(Logistic(16), None, make_data(5, 2))


def test_report_keeps_best_and_final_figures_apart():
    model = Logistic(16, seed=3)
    train, val, test = noisy(40, 1), noisy(40, 2), noisy(40, 3)
    result = fit(model, train, val, epochs=60, lr=0.1, patience=3, progress=False)
    assert result.best_epoch < result.stopped_epoch
    best = evaluate_split(model, train, test)
    final = evaluate_split(result.model_at(model, "final"), train, test)
    row = report(result, best, final)
    assert row["best.epoch"] == row["best_epoch"] == result.best_epoch
    assert row["final.epoch"] == row["stopped_epoch"] == result.stopped_epoch
    assert row["best.val_loss"] == result.best_val_loss < row["final.val_loss"]
    assert row["best.test_acc"] == best.test.accuracy
    assert row["final.train_acc"] == final.train.accuracy
    assert row["final.train_test_gap"] == final.train_test_gap
    assert row["best.train_acc"] != row["final.train_acc"]  # the final model fits train better


def test_report_with_test_evaluations_only():
    model = Logistic(16)
    result = fit(model, make_data(40, 1), make_data(20, 2), epochs=2, progress=False)
    row = report(result, evaluate(model, *make_data(20, 3)))
    assert "best.test_acc" in row and "final.test_acc" not in row and "final.val_acc" in row
    with pytest.raises(TypeError, match="must be a SplitReport"):
        report(result, {"acc": 1.0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="FitResult"):
        report(row, evaluate(model, *make_data(20, 3)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class FakeSplit:
    """Duck-types equiqnn.data.Split; its test part must never reach fit."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def test_split_objects_are_accepted_and_fit_ignores_their_test_part():
    (xtr, ytr), (xva, yva), (xte, yte) = make_data(40, 1), make_data(20, 2), make_data(20, 3)
    split = FakeSplit(xtr, ytr, xva, yva, np.full_like(xte, np.nan), np.full_like(yte, 99))
    a = fit(Logistic(16), split, epochs=3, progress=False)
    b = fit(Logistic(16), (xtr, ytr), (xva, yva), epochs=3, progress=False)
    assert [r["val_loss"] for r in a.history] == [r["val_loss"] for r in b.history]
    model = Logistic(16)
    good = FakeSplit(xtr, ytr, xva, yva, xte, yte)
    assert evaluate_split(model, good) == evaluate_split(model, (xtr, ytr), (xte, yte))
    with pytest.raises(TypeError, match="or one split object"):
        evaluate_split(model, (xtr, ytr))
