"""One cell of a study: build the split, the model, train on train/validation, evaluate on test.

Protocol (the honest one): the validation and test pools are drawn once from ``data.split_seed`` and
are the same for every training size and seed; the training set is a class-balanced draw of N from
the rest, which varies with the seed. ``fit`` selects the best epoch on validation only; the test set
is measured afterwards, on the clean images and on all |G| transformed copies (orbit accuracy).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from equiqnn.data import balanced_split, load_digits_images, resize_symmetric
from equiqnn.experiments.spec import StudySpec
from equiqnn.groups import PermutationGroup, grid_d4
from equiqnn.models import (
    MLP,
    GroupInvariantCNN,
    LogisticRegression,
    SmallCNN,
    baseline_qnn,
    control_qnn,
    invariant_qnn,
)
from equiqnn.models.symmetrized import symmetrized
from equiqnn.train import evaluate, fit

QUANTUM = ("invariant", "control", "symmetrized", "baseline")

__all__ = ["QUANTUM", "Cell", "Pool", "make_pool", "expand_cells", "run_cell", "build_model"]


@dataclass(frozen=True)
class Cell:
    """One (model, training size, seed) combination."""

    model: str
    n_train: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.model}|N={self.n_train}|seed={self.seed}"


@dataclass(frozen=True)
class Pool:
    """Images resized to the study's side, labels, the group, and the fixed val/test indices."""

    x: np.ndarray
    y: np.ndarray
    group: PermutationGroup
    idx_val: np.ndarray
    idx_test: np.ndarray
    idx_rest: np.ndarray


def make_pool(spec: StudySpec) -> Pool:
    x, y = load_digits_images(classes=tuple(spec.data.classes))
    if x.shape[-1] != spec.data.side:
        x = resize_symmetric(x, spec.data.side)
    fixed = balanced_split(
        x, y, 0, n_val=spec.data.n_val, n_test=spec.data.n_test, seed=spec.data.split_seed
    )
    used = np.concatenate([fixed.idx_val, fixed.idx_test])
    rest = np.setdiff1d(np.arange(len(y)), used)
    k = len(spec.data.classes)
    for n in spec.data.n_train:
        if n % k:
            raise ValueError(
                f"data.n_train={n} must be divisible by the {k} classes (balanced draws)."
            )
        short = [c for c in range(k) if np.sum(y[rest] == c) < n // k]
        if short:
            raise ValueError(
                f"data.n_train={n} needs {n // k} training images per class, but class(es) {short} "
                f"have only {min(np.sum(y[rest] == c) for c in short)} left after the validation and "
                "test pools. Lower n_train or n_val/n_test."
            )
    idx_val, idx_test = np.asarray(fixed.idx_val), np.asarray(fixed.idx_test)
    return Pool(x, y, grid_d4(spec.data.side), idx_val, idx_test, rest)


def expand_cells(spec: StudySpec) -> list[Cell]:
    return [Cell(m, n, s) for m in spec.models for n in spec.data.n_train for s in spec.seeds]


def _train_indices(pool: Pool, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, n])
    k = int(pool.y.max()) + 1
    picks = [
        rng.choice(pool.idx_rest[pool.y[pool.idx_rest] == c], n // k, replace=False)
        for c in range(k)
    ]
    return np.sort(np.concatenate(picks))


def build_model(name: str, spec: StudySpec, group: PermutationGroup, seed: int) -> torch.nn.Module:
    k = len(spec.data.classes)
    q = spec.qnn
    shape = (spec.data.side, spec.data.side)
    if name in QUANTUM:
        kw: dict[str, Any] = {
            "encoding": q.encoding,
            "layers": q.layers,
            "n_classes": k,
            "seed": seed,
        }
        if q.encoding == "register":
            kw["frame"] = q.frame
        if name == "invariant":
            return invariant_qnn(group, **kw)
        if name == "control":
            return control_qnn(group, **kw)
        if name == "symmetrized":
            return symmetrized(control_qnn(group, **kw))
        match = invariant_qnn(group, **kw).ansatz.n_params
        return baseline_qnn(group, n_params=match, **kw)
    if name == "logistic":
        return LogisticRegression(shape, k, seed=seed)
    if name == "mlp":
        return MLP(shape, k, seed=seed)
    if name == "cnn":
        return SmallCNN(shape, k, seed=seed)
    return GroupInvariantCNN(group, k, seed=seed)


def run_cell(cell: Cell, spec: StudySpec, pool: Pool) -> dict[str, Any]:
    """Train and evaluate one cell; returns a flat row of metrics."""
    t0 = time.perf_counter()
    idx = _train_indices(pool, cell.n_train, cell.seed)
    xt, yt = pool.x[idx], pool.y[idx]
    xv, yv = pool.x[pool.idx_val], pool.y[pool.idx_val]
    xs, ys = pool.x[pool.idx_test], pool.y[pool.idx_test]
    model = build_model(cell.model, spec, pool.group, cell.seed)
    base = getattr(model, "base", model)
    standardize = getattr(base, "standardize", None)
    if spec.qnn.standardize and callable(standardize):
        standardize(torch.as_tensor(xt, dtype=torch.float32))
    tr = spec.train
    lr = tr.lr if cell.model in QUANTUM else tr.classical_lr
    result = fit(
        model,
        (xt, yt),
        (xv, yv),
        epochs=tr.epochs,
        lr=lr,
        betas=(tr.betas[0], tr.betas[1]),
        patience=tr.patience,
        batch_size=tr.batch_size,
        seed=cell.seed,
        progress=False,
    )
    best = evaluate(model, xs, ys, group=pool.group)
    train_eval = evaluate(model, xt, yt, group=None)
    final_model = result.model_at(model, "final")
    final = evaluate(final_model, xs, ys, group=pool.group)
    return {
        "model": cell.model,
        "n_train": cell.n_train,
        "seed": cell.seed,
        "test_acc": best.accuracy,
        "orbit_acc": best.orbit_accuracy,
        "invariance_gap": best.invariance_gap,
        "max_output_deviation": best.max_output_deviation,
        "train_acc": train_eval.accuracy,
        "train_test_gap": train_eval.accuracy - best.accuracy,
        "val_acc": result.best.get("val_acc"),
        "final_test_acc": final.accuracy,
        "final_orbit_acc": final.orbit_accuracy,
        "best_epoch": result.best_epoch,
        "stopped_epoch": result.stopped_epoch,
        "n_params": int(getattr(model, "n_params", 0)),
        "gate_count": getattr(model, "gate_count", None),
        "seconds": time.perf_counter() - t0,
        "history": result.history,  # moved into the store by the executor, not into results.csv
    }
