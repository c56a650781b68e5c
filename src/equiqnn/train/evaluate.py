"""``evaluate``: loss and accuracy, plus orbit metrics over every transformed copy ``g·x``, g in G.

Orbit accuracy is the accuracy over all ``|G|·N`` inputs ``g·x`` (each test input moved by every
group element), not over one random copy; an exactly invariant model has orbit accuracy equal to its
clean accuracy. ``evaluate`` never changes the model and selects nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from equiqnn.groups import PermutationGroup
from equiqnn.train._inputs import (
    as_x,
    as_y,
    check_labels,
    check_model,
    logits_of,
    loss_and_accuracy,
    n_classes,
)

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """Metrics of one model on one labelled set.

    Attributes:
        n: number of inputs.
        loss: mean cross-entropy of the logits (unweighted).
        accuracy: clean accuracy on the inputs as given.
        group: repr of the group used for the orbit metrics, or None (then all below are None).
        group_order: |G|.
        orbit_accuracy: accuracy over all |G|·n transformed inputs ``g·x``.
        invariance_gap: ``accuracy - orbit_accuracy``.
        max_output_deviation: ``max over g, x, k of |logits(g·x)_k - logits(x)_k|``.
        label_misassignment: fraction of inputs whose predicted label changes under some g.
        per_element_accuracy: ``{element name: accuracy on g·x}`` in ``G.names`` order.
    """

    n: int
    loss: float
    accuracy: float
    group: str | None = None
    group_order: int | None = None
    orbit_accuracy: float | None = None
    invariance_gap: float | None = None
    max_output_deviation: float | None = None
    label_misassignment: float | None = None
    per_element_accuracy: dict[str, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        """All fields as a dict (``per_element_accuracy`` stays a nested dict)."""
        out = asdict(self)
        if self.per_element_accuracy is not None:
            out["per_element_accuracy"] = dict(self.per_element_accuracy)
        return out

    def flat(self, prefix: str = "") -> dict[str, Any]:
        """Flat dict with short keys (``loss``, ``acc``, ``orbit_acc``, ``acc[g]``, ...)."""
        out: dict[str, Any] = {
            "n": self.n,
            "loss": self.loss,
            "acc": self.accuracy,
            "group": self.group,
            "orbit_acc": self.orbit_accuracy,
            "invariance_gap": self.invariance_gap,
            "max_output_deviation": self.max_output_deviation,
            "label_misassignment": self.label_misassignment,
        }
        for name, acc in (self.per_element_accuracy or {}).items():
            out[f"acc[{name}]"] = acc
        return {prefix + k: v for k, v in out.items()}

    def __repr__(self) -> str:
        head = f"Evaluation(n={self.n}, loss={self.loss:.4g}, acc={self.accuracy:.4f}"
        if self.orbit_accuracy is None:
            return head + ", no group)"
        return (
            f"{head}, orbit_acc={self.orbit_accuracy:.4f} over {self.group}, "
            f"max_dev={self.max_output_deviation:.3g}, misassigned={self.label_misassignment:.4f})"
        )


def _resolve_group(model: torch.nn.Module, group: Any) -> PermutationGroup | None:
    g = group if group is not None else getattr(model, "group", None)
    if g is not None and not isinstance(g, PermutationGroup):
        source = "group" if group is not None else "model.group"
        raise TypeError(
            f"{source} must be an equiqnn.groups.PermutationGroup or None; got "
            f"{type(g).__name__}. Pass e.g. group=equiqnn.groups.grid_d4(side)."
        )
    return g


def evaluate(
    model: torch.nn.Module,
    x: Any,
    y: Any,
    *,
    group: PermutationGroup | None = None,
    batch_size: int = 1024,
) -> Evaluation:
    """Evaluate ``model`` on ``(x, y)``, with orbit metrics under ``group`` (or ``model.group``).

    Args:
        model: module mapping float ``(B, *shape)`` to logits ``(B, K)``, K >= 2; run in eval mode
            without gradients and restored to its previous mode.
        x: float array or tensor ``(N, *shape)``; cast to the model's parameter dtype.
        y: integer labels ``(N,)`` in ``[0, K)``.
        group: the group for the orbit metrics; default ``model.group`` if the model has one; if
            neither, the orbit fields are None. Its ``shape`` must match the trailing dims of ``x``.
        batch_size: at most this many rows per forward pass (orbit passes hold
            ``max(1, batch_size // |G|)`` inputs times all |G| copies).

    Returns:
        An ``Evaluation``.
    """
    return _evaluate(model, x, y, group=group, batch_size=batch_size, name="evaluation")


def _evaluate(
    model: torch.nn.Module, x: Any, y: Any, *, group: Any, batch_size: Any, name: str
) -> Evaluation:
    check_model(model)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}.")
    xt = as_x(x, name, model)
    yt = as_y(y, name, int(xt.shape[0]))
    check_labels(yt, n_classes(model, xt), name)
    g = _resolve_group(model, group)
    if g is not None:
        nd = len(g.shape)
        if xt.ndim < nd + 1 or tuple(xt.shape[xt.ndim - nd :]) != g.shape:
            raise ValueError(
                f"x must be shaped (N, ..., {', '.join(map(str, g.shape))}) for the group {g!r}; "
                f"got {tuple(xt.shape)}. Pass the group built for this data shape."
            )
    loss, acc = loss_and_accuracy(model, xt, yt, batch_size=int(batch_size))
    n = int(xt.shape[0])
    if g is None:
        return Evaluation(n=n, loss=loss, accuracy=acc)

    order = g.order
    chunk = max(1, int(batch_size) // order)
    per_element = torch.zeros(order, dtype=torch.int64)
    changed, max_dev = 0, 0.0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, n, chunk):
                xb, yb = xt[start : start + chunk], yt[start : start + chunk]
                b = int(xb.shape[0])
                copies = g.act_all(xb).reshape(order * b, *xb.shape[1:])
                logits = logits_of(model, copies).reshape(order, b, -1).cpu()
                pred = logits.argmax(dim=-1)  # (order, b)
                per_element += (pred == yb.unsqueeze(0)).sum(dim=1)
                changed += int((pred != pred[0:1]).any(dim=0).sum())
                max_dev = max(max_dev, float((logits - logits[0:1]).abs().max()))
    finally:
        model.train(was_training)
    orbit_acc = float(per_element.sum()) / (order * n)
    return Evaluation(
        n=n,
        loss=loss,
        accuracy=acc,
        group=repr(g),
        group_order=order,
        orbit_accuracy=orbit_acc,
        invariance_gap=acc - orbit_acc,
        max_output_deviation=max_dev,
        label_misassignment=changed / n,
        per_element_accuracy={
            name: int(c) / n for name, c in zip(g.names, per_element.tolist(), strict=True)
        },
    )
