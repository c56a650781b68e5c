"""The generalized McNemar–Bowker test of symmetry between predictions on ``x`` and on ``g·x``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import stats

from equiqnn.groups import PermutationGroup
from equiqnn.train._orbits import _as_labels, _orbit_logits

__all__ = ["BowkerTest", "ElementBowker", "mcnemar_bowker", "mcnemar_bowker_model"]


@dataclass(frozen=True, eq=False)
class BowkerTest:
    """Result of a McNemar–Bowker test of symmetry.

    Attributes:
        statistic: ``Σ_{i<j} (n_ij − n_ji)² / (n_ij + n_ji)`` over pairs with ``n_ij + n_ji > 0``.
        dof: number of those pairs.
        p_value: ``chi2.sf(statistic, dof)``; 1.0 when ``dof == 0``.
        table: read-only int64 ``(K, K)``; ``table[i, j]`` counts inputs labelled ``i`` on ``x`` and
            ``j`` on ``g·x``.
    """

    statistic: float
    dof: int
    p_value: float
    table: np.ndarray

    @property
    def n(self) -> int:
        """Number of pairs of labels counted."""
        return int(self.table.sum())

    @property
    def discordant(self) -> int:
        """Number of off-diagonal counts (inputs whose label changed)."""
        return int(self.table.sum() - np.trace(self.table))

    def __repr__(self) -> str:
        return (
            f"BowkerTest(statistic={self.statistic:.4g}, dof={self.dof}, p={self.p_value:.4g}, "
            f"n={self.n}, discordant={self.discordant})"
        )


@dataclass(frozen=True, eq=False)
class ElementBowker:
    """McNemar–Bowker tests of a model's predictions on ``x`` against ``g·x``, one per element.

    Attributes:
        per_element: ``{element name: BowkerTest}`` in ``group.names`` order (identity included;
            its table is diagonal, so its p-value is 1).
        n_tests: number of non-identity elements, ``|G| − 1``.
        min_p_value: smallest p-value over the non-identity elements (1.0 if there are none).
        bonferroni_p_value: ``min(1, n_tests · min_p_value)``; rejecting "no element changes the
            label distribution" when it is below α keeps the family-wise error rate at most α.
        worst: name of the first non-identity element attaining ``min_p_value`` (None if none).
    """

    per_element: dict[str, BowkerTest]
    n_tests: int
    min_p_value: float
    bonferroni_p_value: float
    worst: str | None

    def __repr__(self) -> str:
        return (
            f"ElementBowker(min_p={self.min_p_value:.4g} at {self.worst!r}, "
            f"bonferroni_p={self.bonferroni_p_value:.4g}, tests={self.n_tests})"
        )


# -- orbit passes -------------------------------------------------------------------------------
def _bowker_from_table(table: np.ndarray) -> BowkerTest:
    """The test for one ``(K, K)`` int64 table (which it stores read-only)."""
    iu = np.triu_indices(table.shape[0], k=1)
    upper, lower = table[iu].astype(np.float64), table.T[iu].astype(np.float64)
    total = upper + lower
    used = total > 0
    statistic = float(np.sum((upper[used] - lower[used]) ** 2 / total[used]))
    dof = int(np.count_nonzero(used))
    p_value = float(stats.chi2.sf(statistic, dof)) if dof > 0 else 1.0
    table = table.copy()
    table.setflags(write=False)
    return BowkerTest(statistic=statistic, dof=dof, p_value=p_value, table=table)


def mcnemar_bowker(labels_x: Any, labels_gx: Any, n_classes: int) -> BowkerTest:
    """McNemar–Bowker test of symmetry of the table of labels on ``x`` against labels on ``g·x``.

    Under the null hypothesis ``P(label i on x, j on g·x) = P(j on x, i on g·x)`` for all i ≠ j
    the statistic ``Σ_{i<j} (n_ij − n_ji)² / (n_ij + n_ji)``, summed over the pairs with
    ``n_ij + n_ji > 0``, is asymptotically chi-squared with ``dof`` = number of those pairs (pairs
    with no discordant counts carry no information and are dropped, rather than counted in the
    textbook ``K(K−1)/2``). An all-diagonal table (no label changed) is defined to give statistic
    0, dof 0 and p-value 1. ``K = 2`` is McNemar's test without continuity correction.

    The test detects *directional* label changes (more i→j than j→i); a model that swaps labels
    symmetrically (as many i→j as j→i) passes it however often it swaps: read it together with
    ``label_misassignment``.

    Args:
        labels_x: integer labels ``(N,)`` in ``[0, n_classes)`` predicted on ``x``.
        labels_gx: integer labels ``(N,)`` predicted on ``g·x`` for the same inputs, same order.
        n_classes: number of classes K >= 2.

    Returns:
        A ``BowkerTest``.

    >>> mcnemar_bowker([0, 0, 0, 1, 1], [1, 1, 0, 1, 1], n_classes=2)
    BowkerTest(statistic=2, dof=1, p=0.1573, n=5, discordant=2)
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(
            f"n_classes must be an integer >= 2; got {type(n_classes).__name__} {n_classes!r}."
        )
    if n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes}.")
    k = int(n_classes)
    a, b = _as_labels(labels_x, "labels_x"), _as_labels(labels_gx, "labels_gx")
    if a.shape != b.shape:
        raise ValueError(
            f"labels_x and labels_gx must pair up one-to-one (same shape); got {a.shape} and "
            f"{b.shape}. Predict on x and on g·x for the same inputs."
        )
    for name, arr in (("labels_x", a), ("labels_gx", b)):
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= k):
            raise ValueError(
                f"{name} must be in [0, n_classes) = [0, {k}); got values in "
                f"[{int(arr.min())}, {int(arr.max())}]. Pass the model's number of classes."
            )
    table = np.bincount(a * k + b, minlength=k * k).reshape(k, k).astype(np.int64)
    return _bowker_from_table(table)


def mcnemar_bowker_model(
    model: torch.nn.Module,
    x: Any,
    group: PermutationGroup | None = None,
    *,
    batch_size: int = 1024,
) -> ElementBowker:
    """``mcnemar_bowker`` of ``argmax f(x)`` against ``argmax f(g·x)`` for every element ``g``.

    The minimum p-value over the ``|G| − 1`` non-identity elements is Bonferroni-adjusted,
    ``min(1, (|G| − 1) · min_g p_g)``: a conservative family-wise test that no element changes the
    distribution of predicted labels.

    Args:
        model: module mapping float ``(B, *shape)`` to logits ``(B, K)``.
        x: real array or tensor ``(N, *shape)``, N >= 1; cast to the model's dtype.
        group: the group; default ``model.group``.
        batch_size: at most this many rows per forward pass.

    Returns:
        An ``ElementBowker``.
    """
    g, _, chunks = _orbit_logits(model, x, group, batch_size, "mcnemar_bowker_model")
    order = g.order
    tables: np.ndarray | None = None
    for logits in chunks:
        k = int(logits.shape[-1])
        pred = logits.argmax(dim=-1).numpy()  # (order, b)
        flat = np.arange(order)[:, None] * (k * k) + pred[0:1] * k + pred
        counts = np.bincount(flat.ravel(), minlength=order * k * k).reshape(order, k, k)
        tables = counts if tables is None else tables + counts
    assert tables is not None  # x has N >= 1 rows, so at least one chunk ran
    names = g.names
    tests = {name: _bowker_from_table(tables[i].astype(np.int64)) for i, name in enumerate(names)}
    rest = [(tests[name].p_value, name) for name in names[1:]]
    if rest:
        ps = [p for p, _ in rest]
        i = int(np.argmin(np.asarray(ps)))
        min_p, worst = ps[i], rest[i][1]
    else:
        min_p, worst = 1.0, None
    return ElementBowker(
        per_element=tests,
        n_tests=len(rest),
        min_p_value=min_p,
        bonferroni_p_value=min(1.0, len(rest) * min_p),
        worst=worst,
    )


# -- readout shift and thresholds ---------------------------------------------------------------
