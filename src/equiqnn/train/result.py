"""``FitResult``: what ``fit`` did, epoch by epoch, with best-validation and final figures apart."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

__all__ = ["FitResult", "EPOCH_KEYS"]

#: Keys of every ``FitResult.history`` row.
EPOCH_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")


@dataclass(repr=False)
class FitResult:
    """The record of one ``fit`` run.

    Attributes:
        history: one dict per epoch run, keys ``EPOCH_KEYS``: ``epoch`` (1-based), ``train_loss``
            and ``train_acc`` (running means over the epoch's batches as trained: parameters
            changing, augmentation and class weights applied), ``val_loss`` (class-weighted like
            training) and ``val_acc`` (evaluated after the epoch, eval mode), ``seconds`` (wall
            time).
        best_epoch: the epoch of lowest validation loss (model selection uses validation only).
        stopped_epoch: the last epoch run.
        stopped_early: True when training ended before ``epochs`` (patience or non-finite loss).
        stop_reason: ``"max_epochs"``, ``"patience"`` or ``"non_finite_loss"``.
        best_val_loss: ``history[best_epoch - 1]["val_loss"]``.
        final: the history row of ``stopped_epoch``.
        best: the history row of ``best_epoch``.
        seconds: total wall time of ``fit``.
        restored_best: True when the model was left holding the best-epoch parameters.
        best_state: CPU copy of the best-epoch ``state_dict``.
        final_state: CPU copy of the ``state_dict`` after the last epoch.
    """

    history: list[dict[str, float]]
    best_epoch: int
    stopped_epoch: int
    stopped_early: bool
    stop_reason: str
    best_val_loss: float
    final: dict[str, float]
    best: dict[str, float]
    seconds: float
    restored_best: bool
    best_state: dict[str, torch.Tensor] = field(default_factory=dict)
    final_state: dict[str, torch.Tensor] = field(default_factory=dict)

    def column(self, key: str) -> list[float]:
        """One history column across epochs, e.g. ``column("val_loss")``."""
        if key not in EPOCH_KEYS:
            raise ValueError(f"key must be one of {EPOCH_KEYS}; got {key!r}.")
        return [row[key] for row in self.history]

    def model_at(self, model: torch.nn.Module, which: Literal["best", "final"]) -> torch.nn.Module:
        """A deep copy of ``model`` holding the ``"best"`` or ``"final"`` epoch's parameters.

        ``model`` is not changed. Use it to evaluate the final-epoch model when ``fit`` restored the
        best one (or the other way round), so both figures can be reported separately.
        """
        if which not in ("best", "final"):
            raise ValueError(f"which must be 'best' or 'final'; got {which!r}.")
        state = self.best_state if which == "best" else self.final_state
        if not state:
            raise ValueError(
                f"this FitResult holds no {which}_state (it was built by hand or stripped); "
                "use the model returned by fit instead."
            )
        out = copy.deepcopy(model)
        out.load_state_dict(state, strict=True)
        return out.eval()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary and history (no parameter tensors)."""
        return {
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "stopped_early": self.stopped_early,
            "stop_reason": self.stop_reason,
            "best_val_loss": self.best_val_loss,
            "seconds": self.seconds,
            "restored_best": self.restored_best,
            "best": dict(self.best),
            "final": dict(self.final),
            "history": [dict(r) for r in self.history],
        }

    def __repr__(self) -> str:
        def f(v: float) -> str:
            return f"{v:.4g}" if math.isfinite(v) else str(v)

        return (
            f"FitResult(best_epoch={self.best_epoch}, stopped={self.stopped_epoch} "
            f"({self.stop_reason}), best val_loss={f(self.best_val_loss)} "
            f"val_acc={f(self.best['val_acc'])}, final val_loss={f(self.final['val_loss'])} "
            f"val_acc={f(self.final['val_acc'])}, {self.seconds:.1f}s)"
        )
