"""``fit``: Adam on cross-entropy with seeded shuffling, validation early stopping, best restore.

Model selection (early stopping, the best epoch, the restored parameters, ``best.pt``) uses the
validation set only. ``fit`` never sees test data: evaluate on test afterwards with
``equiqnn.train.evaluate`` / ``evaluate_split`` and report both the best-validation and the
final-epoch figures (``FitResult.model_at(model, "final")``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from equiqnn.train._inputs import (
    as_xy,
    check_labels,
    check_model,
    logits_of,
    loss_and_accuracy,
    n_classes,
    split_parts,
)
from equiqnn.train.checkpoint import model_config, save_state, write_json
from equiqnn.train.result import FitResult
from equiqnn.train.seeding import make_generator

__all__ = ["fit"]

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _positive_int(value: Any, name: str, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}. Pass e.g. {example}.")
    return int(value)


def _check_hyper(lr: float, betas: Sequence[float], min_delta: float) -> tuple[float, float]:
    ok = isinstance(lr, (int, float)) and not isinstance(lr, bool)
    if not (ok and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0; got {lr!r}. Pass e.g. lr=0.05.")
    if (
        not isinstance(betas, (tuple, list))
        or len(betas) != 2
        or not all(isinstance(b, (int, float)) and 0.0 <= b < 1.0 for b in betas)
    ):
        raise ValueError(
            f"betas must be two numbers in [0, 1); got {betas!r}. Pass e.g. betas=(0.5, 0.999)."
        )
    if not isinstance(min_delta, (int, float)) or not (math.isfinite(min_delta) and min_delta >= 0):
        raise ValueError(f"min_delta must be a finite number >= 0; got {min_delta!r}.")
    return float(betas[0]), float(betas[1])


def _class_weights(
    class_weights: Any, y: torch.Tensor, k: int, dtype: torch.dtype
) -> torch.Tensor | None:
    if class_weights is None:
        return None
    if isinstance(class_weights, str):
        if class_weights != "balanced":
            raise ValueError(
                f"class_weights must be None, 'balanced' or K={k} non-negative numbers; got "
                f"{class_weights!r}."
            )
        counts = torch.bincount(y, minlength=k).to(torch.float64)
        w = y.numel() / (k * counts.clamp(min=1.0))
        return w.to(dtype)
    w = torch.as_tensor(np.asarray(class_weights, dtype=np.float64))
    valid = w.shape == (k,) and bool(torch.isfinite(w).all()) and bool((w >= 0).all())
    if not (valid and float(w.sum()) > 0):
        raise ValueError(
            f"class_weights must be K={k} finite non-negative numbers, not all zero (one per "
            f"logit); got {class_weights!r}. Pass class_weights='balanced' to weight by inverse "
            "class frequency."
        )
    return w.to(dtype)


def fit(
    model: torch.nn.Module,
    train: Any,
    val: Any = None,
    *,
    epochs: int = 100,
    batch_size: int | None = None,
    lr: float = 0.05,
    betas: tuple[float, float] = (0.5, 0.999),
    seed: int = 0,
    patience: int | None = 10,
    min_delta: float = 0.0,
    restore_best: bool = True,
    progress: bool = True,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    augment: Augment | None = None,
    class_weights: Any = None,
) -> FitResult:
    """Train ``model`` in place with Adam on the cross-entropy of its logits.

    Args:
        model: a ``torch.nn.Module`` mapping float ``(B, *shape)`` to logits ``(B, K)``, K >= 2.
        train: ``(x, y)``: ``x`` float ``(N, *shape)`` (numpy or torch; cast to the dtype of the
            model's first floating parameter), ``y`` integer ``(N,)`` in ``[0, K)``.
        val: ``(x, y)`` validation pair in the same format; it drives early stopping and the
            choice of the best epoch. Never pass the test set here. If None, ``train`` must be a
            split object (e.g. ``equiqnn.data.Split``) whose ``x_train, y_train, x_val, y_val``
            are used; its test part is never read.
        epochs: maximum number of epochs.
        batch_size: examples per Adam step; default ``max(1, N // 10)`` (ten steps per epoch).
        lr, betas: Adam's learning rate and betas.
        seed: seeds the ``torch.Generator`` used for shuffling and passed to ``augment``.
        patience: stop after this many consecutive epochs whose validation loss does not improve
            on the best by more than ``min_delta``; ``None`` always runs ``epochs`` epochs.
        min_delta: the improvement in validation loss that resets the patience counter.
        restore_best: leave the model holding the best-validation parameters (else the final ones).
        progress: show a tqdm progress bar (epoch, losses) on stderr.
        checkpoint_dir: if given, write ``best.pt`` (on every improvement), ``last.pt`` (at the end)
            and ``history.json`` (every epoch) there.
        augment: optional ``augment(x_batch, generator) -> x_batch`` applied to every training
            batch, e.g. ``GroupAugmentation(G)``; it must keep the shape.
        class_weights: ``None``, ``"balanced"`` (inverse training class frequency) or K weights for
            the training and validation losses.

    Returns:
        A ``FitResult``; the model ends in eval mode. Results are deterministic given the model's
        initial parameters and ``seed`` (for models whose forward pass draws no global randomness).
    """
    check_model(model)
    n_epochs = _positive_int(epochs, "epochs", "epochs=100")
    b1, b2 = _check_hyper(lr, betas, min_delta)
    if patience is not None:
        patience = _positive_int(patience, "patience", "patience=10 (or None to disable)")
    if augment is not None and not callable(augment):
        raise TypeError(
            f"augment must be None or a callable augment(x_batch, generator); got "
            f"{type(augment).__name__}. Pass e.g. augment=GroupAugmentation(G)."
        )
    if val is None:
        parts = split_parts(train, ("train", "val"))
        if parts is None:
            raise ValueError(
                "fit needs a validation pair val=(x_val, y_val) (or a split object with "
                "x_train, y_train, x_val, y_val as train) for early stopping and model selection; "
                "split it off the training data, never off the test set."
            )
        train, val = parts
    x, y = as_xy(train, "train", model)
    xv, yv = as_xy(val, "val", model)
    if xv.shape[1:] != x.shape[1:]:
        raise ValueError(
            f"val inputs must have the training input shape (N, {', '.join(map(str, x.shape[1:]))})"
            f"; got {tuple(xv.shape)}. Preprocess both splits the same way."
        )
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(
            f"model {type(model).__name__} has no trainable parameters (requires_grad=True); "
            "nothing to fit."
        )
    k = n_classes(model, x)
    check_labels(y, k, "train")
    check_labels(yv, k, "val")
    n = int(x.shape[0])
    bs = max(1, n // 10) if batch_size is None else _positive_int(batch_size, "batch_size", "32")
    weight = _class_weights(class_weights, y, k, x.dtype)
    eval_bs = max(bs, 256)
    ckpt_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
    config = model_config(model) if ckpt_dir is not None else {}

    gen = make_generator(seed)
    optimizer = torch.optim.Adam(params, lr=float(lr), betas=(b1, b2))
    device_w = None if weight is None else weight.to(x.device)
    history: list[dict[str, float]] = []
    best_epoch, best_loss, wait, stop_reason = 0, math.nan, 0, "max_epochs"
    best_state: dict[str, torch.Tensor] = {}
    t_start = time.perf_counter()
    bar = tqdm(range(1, n_epochs + 1), desc="fit", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        t0 = time.perf_counter()
        model.train()
        loss_sum, correct = 0.0, 0
        order = torch.randperm(n, generator=gen).to(x.device)
        for start in range(0, n, bs):
            idx = order[start : start + bs]
            xb, yb = x[idx], y[idx].to(x.device)
            if augment is not None:
                xb = _augmented(augment, xb, gen)
            logits = logits_of(model, xb)
            w = None if device_w is None else device_w.to(logits.dtype)
            loss = torch.nn.functional.cross_entropy(logits, yb, weight=w)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.detach()) * int(idx.numel())
            correct += int((logits.detach().argmax(dim=1) == yb).sum())
        val_loss, val_acc = loss_and_accuracy(model, xv, yv, batch_size=eval_bs, weight=weight)
        row = {
            "epoch": epoch,
            "train_loss": loss_sum / n,
            "train_acc": correct / n,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "seconds": time.perf_counter() - t0,
        }
        history.append(row)
        if _improved(val_loss, best_loss, best_epoch, float(min_delta)):
            best_epoch, best_loss, wait = epoch, val_loss, 0
            best_state = {k_: v.detach().to("cpu").clone() for k_, v in model.state_dict().items()}
            if ckpt_dir is not None:
                extra = {"epoch": epoch, "val_loss": _finite(val_loss), "val_acc": val_acc}
                save_state(best_state, config, ckpt_dir / "best.pt", extra=extra)
        else:
            wait += 1
        bar.set_postfix(
            train_loss=f"{row['train_loss']:.4f}", val_loss=f"{val_loss:.4f}", best=best_epoch
        )
        if ckpt_dir is not None:
            write_json(
                {"status": "running", "best_epoch": best_epoch, "history": history},
                ckpt_dir / "history.json",
            )
        if not math.isfinite(row["train_loss"]):
            stop_reason = "non_finite_loss"
            break
        if patience is not None and wait >= patience:
            stop_reason = "patience"
            break
    bar.close()

    final_state = {k_: v.detach().to("cpu").clone() for k_, v in model.state_dict().items()}
    if restore_best and best_state:
        model.load_state_dict(best_state, strict=True)
    model.eval()
    result = FitResult(
        history=history,
        best_epoch=best_epoch,
        stopped_epoch=int(history[-1]["epoch"]),
        stopped_early=len(history) < n_epochs,
        stop_reason=stop_reason,
        best_val_loss=best_loss,
        final=dict(history[-1]),
        best=dict(history[best_epoch - 1]),
        seconds=time.perf_counter() - t_start,
        restored_best=bool(restore_best),
        best_state=best_state,
        final_state=final_state,
    )
    if ckpt_dir is not None:
        save_state(final_state, config, ckpt_dir / "last.pt", extra={"epoch": result.stopped_epoch})
        write_json({"status": "done", **result.to_dict()}, ckpt_dir / "history.json")
    return result


def _improved(val_loss: float, best_loss: float, best_epoch: int, min_delta: float) -> bool:
    """The first epoch is always the best so far; later ones must beat it by > ``min_delta``."""
    if best_epoch == 0:
        return True
    if not math.isfinite(val_loss):
        return False
    if not math.isfinite(best_loss):
        return True
    return val_loss < best_loss - min_delta


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _augmented(augment: Augment, xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    out = augment(xb, gen)
    if not isinstance(out, torch.Tensor) or out.shape != xb.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"augment(x_batch, generator) must return a tensor of the batch's shape "
            f"{tuple(xb.shape)}; got {got}. Return the transformed batch, not a stack of copies."
        )
    return out.to(xb.dtype)
