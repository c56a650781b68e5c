"""Metrics of noisy-symmetry studies, computed from model outputs on ``x`` and on every ``g·x``.

* ``output_deviation``: per group element ``g``, ``max over inputs and outputs of |f(g·x) − f(x)|``,
  and the maximum over elements (the ``max_output_deviation`` of ``evaluate``).
* ``label_misassignment``: per element, the fraction of inputs whose predicted label (argmax of the
  logits) differs between ``x`` and ``g·x``; the maximum over elements; and the fraction changed
  under at least one element (the ``label_misassignment`` of ``evaluate``).
* ``mcnemar_bowker``: the McNemar–Bowker test of symmetry of the ``K×K`` table of predictions on
  ``x`` (rows) against predictions on ``g·x`` (columns); ``mcnemar_bowker_model`` runs it for every
  element with a Bonferroni-adjusted minimum p-value.
* ``readout_mean_shift``: the shift of the readout's mean (per output) under noise.
* ``adaptive_threshold`` / ``apply_threshold``: a binary decision threshold re-estimated on training
  outputs under the same noise (mitigates a readout mean shift), and its application.

Model contract (as in ``evaluate``): ``model(x)`` returns logits ``(B, K)``, K >= 2, for float
``x`` ``(B, *group.shape)``; models run in eval mode without gradients and are restored to their
previous mode. Orbit passes hold at most ``max(1, batch_size // |G|)`` inputs times all ``|G|``
copies at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from equiqnn.groups import PermutationGroup
from equiqnn.train._orbits import _argmax_first, _orbit_logits
from equiqnn.train.bowker import BowkerTest, ElementBowker, mcnemar_bowker, mcnemar_bowker_model
from equiqnn.train.thresholds import adaptive_threshold, apply_threshold, readout_mean_shift

__all__ = [
    "OutputDeviation",
    "LabelMisassignment",
    "BowkerTest",
    "ElementBowker",
    "output_deviation",
    "label_misassignment",
    "mcnemar_bowker",
    "mcnemar_bowker_model",
    "readout_mean_shift",
    "adaptive_threshold",
    "apply_threshold",
]


# -- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutputDeviation:
    """``|f(g·x) − f(x)|`` maxima over a set of inputs.

    Attributes:
        per_element: ``{element name: max over inputs and outputs of |f(g·x) − f(x)|}`` in
            ``group.names`` order (the identity ``"e"`` gives 0).
        max: the maximum over elements.
        worst: name of the first element attaining ``max``.
        n: number of inputs.
        group: repr of the group.
    """

    per_element: dict[str, float]
    max: float
    worst: str
    n: int
    group: str

    def __repr__(self) -> str:
        return f"OutputDeviation(max={self.max:.3g} at {self.worst!r}, n={self.n}, {self.group})"


@dataclass(frozen=True)
class LabelMisassignment:
    """Fractions of inputs whose predicted label changes under the group.

    Attributes:
        per_element: ``{element name: fraction of inputs with argmax f(g·x) ≠ argmax f(x)}``.
        max: the maximum over elements.
        worst: name of the first element attaining ``max``.
        any: fraction of inputs whose label changes under at least one element (>= ``max``).
        n: number of inputs.
        group: repr of the group.
    """

    per_element: dict[str, float]
    max: float
    worst: str
    any: float
    n: int
    group: str

    def __repr__(self) -> str:
        return (
            f"LabelMisassignment(max={self.max:.4f} at {self.worst!r}, any={self.any:.4f}, "
            f"n={self.n}, {self.group})"
        )


def output_deviation(
    model: torch.nn.Module,
    x: Any,
    group: PermutationGroup | None = None,
    *,
    batch_size: int = 1024,
) -> OutputDeviation:
    """Per-element ``max |f(g·x) − f(x)|`` over inputs and outputs, and the maximum over elements.

    Args:
        model: module mapping float ``(B, *shape)`` to logits ``(B, K)``.
        x: real array or tensor ``(N, *shape)``, N >= 1; cast to the model's dtype.
        group: the group; default ``model.group``.
        batch_size: at most this many rows per forward pass.

    Returns:
        An ``OutputDeviation`` (floats computed in float64 from the model's outputs).
    """
    g, n, chunks = _orbit_logits(model, x, group, batch_size, "output_deviation")
    dev = torch.zeros(g.order, dtype=torch.float64)
    for logits in chunks:
        dev = torch.maximum(dev, (logits - logits[0:1]).abs().amax(dim=(1, 2)))
    values = dev.tolist()
    worst = _argmax_first(values)
    names = g.names
    return OutputDeviation(
        per_element=dict(zip(names, values, strict=True)),
        max=values[worst],
        worst=names[worst],
        n=n,
        group=repr(g),
    )


def label_misassignment(
    model: torch.nn.Module,
    x: Any,
    group: PermutationGroup | None = None,
    *,
    batch_size: int = 1024,
) -> LabelMisassignment:
    """Per element, the fraction of inputs whose predicted label changes under ``g``.

    Labels are ``argmax`` of the logits (first index on ties, as ``torch.argmax``).

    Args:
        model: module mapping float ``(B, *shape)`` to logits ``(B, K)``.
        x: real array or tensor ``(N, *shape)``, N >= 1; cast to the model's dtype.
        group: the group; default ``model.group``.
        batch_size: at most this many rows per forward pass.

    Returns:
        A ``LabelMisassignment``.
    """
    g, n, chunks = _orbit_logits(model, x, group, batch_size, "label_misassignment")
    changed = torch.zeros(g.order, dtype=torch.int64)
    changed_any = 0
    for logits in chunks:
        pred = logits.argmax(dim=-1)  # (order, b)
        diff = pred != pred[0:1]
        changed += diff.sum(dim=1)
        changed_any += int(diff.any(dim=0).sum())
    values = [c / n for c in changed.tolist()]
    worst = _argmax_first(values)
    names = g.names
    return LabelMisassignment(
        per_element=dict(zip(names, values, strict=True)),
        max=values[worst],
        worst=names[worst],
        any=changed_any / n,
        n=n,
        group=repr(g),
    )


# -- McNemar–Bowker -----------------------------------------------------------------------------
