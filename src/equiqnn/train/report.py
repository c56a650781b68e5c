"""Train-vs-test figures and one flat report row, best-validation and final epoch kept apart.

The protocol, in which the test set never selects anything::

    result = fit(model, train, val)                 # early stopping / best epoch: validation only
    best = evaluate_split(model, train, test)       # model holds the best-validation parameters
    final = evaluate_split(result.model_at(model, "final"), train, test)
    row = report(result, best, final)               # flat dict for a results table

``evaluate_split`` and ``report`` only measure and merge; no function here takes test data and
returns a choice of epoch, model or hyper-parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from equiqnn.groups import PermutationGroup
from equiqnn.train._inputs import check_model, split_parts, unpack_pair
from equiqnn.train.evaluate import Evaluation, _evaluate
from equiqnn.train.result import FitResult

__all__ = ["SplitReport", "evaluate_split", "report"]


@dataclass(frozen=True)
class SplitReport:
    """The same model evaluated on its training set and on a held-out test set."""

    train: Evaluation
    test: Evaluation

    @property
    def train_test_gap(self) -> float:
        """``train.accuracy - test.accuracy`` (clean)."""
        return self.train.accuracy - self.test.accuracy

    @property
    def orbit_train_test_gap(self) -> float | None:
        """``train.orbit_accuracy - test.orbit_accuracy``, or None without a group."""
        if self.train.orbit_accuracy is None or self.test.orbit_accuracy is None:
            return None
        return self.train.orbit_accuracy - self.test.orbit_accuracy

    def flat(self, prefix: str = "") -> dict[str, Any]:
        """Flat dict: ``train_*`` and ``test_*`` metrics (see ``Evaluation.flat``) and the gaps."""
        out = {**self.train.flat("train_"), **self.test.flat("test_")}
        out["train_test_gap"] = self.train_test_gap
        out["orbit_train_test_gap"] = self.orbit_train_test_gap
        return {prefix + k: v for k, v in out.items()}


def evaluate_split(
    model: torch.nn.Module,
    train: Any,
    test: Any = None,
    *,
    group: PermutationGroup | None = None,
    batch_size: int = 1024,
) -> SplitReport:
    """Evaluate ``model`` on ``train=(x, y)`` and ``test=(x, y)`` (see ``evaluate``).

    ``evaluate_split(model, split)`` with one split object (``x_train, y_train, x_test, y_test``
    attributes, e.g. ``equiqnn.data.Split``) is the same as passing its two parts.
    Measures only: call it after ``fit`` has chosen the parameters using the validation set.
    """
    check_model(model)
    if test is None:
        parts = split_parts(train, ("train", "test"))
        if parts is None:
            raise TypeError(
                "evaluate_split needs train=(x, y) and test=(x, y), or one split object with "
                f"x_train, y_train, x_test, y_test; got train={type(train).__name__} and no test."
            )
        train, test = parts
    (x_tr, y_tr), (x_te, y_te) = unpack_pair(train, "train"), unpack_pair(test, "test")
    return SplitReport(
        train=_evaluate(model, x_tr, y_tr, group=group, batch_size=batch_size, name="train"),
        test=_evaluate(model, x_te, y_te, group=group, batch_size=batch_size, name="test"),
    )


def _fit_row(row: dict[str, float], prefix: str) -> dict[str, Any]:
    return {
        f"{prefix}epoch": int(row["epoch"]),
        f"{prefix}val_loss": row["val_loss"],
        f"{prefix}val_acc": row["val_acc"],
        f"{prefix}running_train_loss": row["train_loss"],
        f"{prefix}running_train_acc": row["train_acc"],
    }


def report(
    result: FitResult,
    best: SplitReport | Evaluation,
    final: SplitReport | Evaluation | None = None,
) -> dict[str, Any]:
    """Merge a ``FitResult`` and post-hoc evaluations into one flat dict.

    Args:
        result: from ``fit``.
        best: ``evaluate_split`` (or ``evaluate`` on test) of the best-validation model.
        final: the same for the final-epoch model (``result.model_at(model, "final")``); if
            omitted, the ``final.*`` keys hold only the fit-history figures.

    Returns:
        ``{"best_epoch", "stopped_epoch", "stopped_early", "stop_reason", "fit_seconds",
        "best.epoch", "best.val_loss", "best.val_acc", "best.running_train_*", "best.train_acc",
        "best.test_acc", "best.train_test_gap", "best.test_orbit_acc", ..., "final.*": same}``.
        An ``Evaluation`` is taken to be on test data (keys ``test_*``).
    """
    if not isinstance(result, FitResult):
        raise TypeError(f"result must be the FitResult from fit; got {type(result).__name__}.")
    out: dict[str, Any] = {
        "best_epoch": result.best_epoch,
        "stopped_epoch": result.stopped_epoch,
        "stopped_early": result.stopped_early,
        "stop_reason": result.stop_reason,
        "fit_seconds": result.seconds,
    }
    for prefix, row, ev in (("best.", result.best, best), ("final.", result.final, final)):
        out.update(_fit_row(row, prefix))
        if ev is None:
            continue
        if isinstance(ev, SplitReport):
            out.update(ev.flat(prefix))
        elif isinstance(ev, Evaluation):
            out.update(ev.flat(prefix + "test_"))
        else:
            raise TypeError(
                f"{prefix.rstrip('.')} must be a SplitReport (evaluate_split) or an Evaluation "
                f"(evaluate on the test set); got {type(ev).__name__}."
            )
    return out
