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

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import stats

from equiqnn.groups import PermutationGroup
from equiqnn.train._inputs import as_x, check_model, logits_of

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
def _check_batch_size(batch_size: Any) -> int:
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}.")
    return int(batch_size)


def _resolve_group(model: torch.nn.Module, group: Any) -> PermutationGroup:
    g = group if group is not None else getattr(model, "group", None)
    if not isinstance(g, PermutationGroup):
        source = "group" if group is not None else "model.group"
        raise TypeError(
            f"{source} must be an equiqnn.groups.PermutationGroup; got {type(g).__name__}. "
            "Pass e.g. group=equiqnn.groups.grid_d4(side)."
        )
    return g


def _orbit_logits(
    model: Any, x: Any, group: Any, batch_size: Any, name: str
) -> tuple[PermutationGroup, int, Iterator[torch.Tensor]]:
    """``(group, n, chunks)``; each chunk is float64 CPU logits ``(|G|, b, K)``, copy 0 = ``x``."""
    check_model(model)
    bs = _check_batch_size(batch_size)
    xt = as_x(x, name, model)
    g = _resolve_group(model, group)
    nd = len(g.shape)
    if xt.ndim < nd + 1 or tuple(xt.shape[xt.ndim - nd :]) != g.shape:
        raise ValueError(
            f"x must be shaped (N, ..., {', '.join(map(str, g.shape))}) for the group {g!r}; "
            f"got {tuple(xt.shape)}. Pass the group built for this data shape."
        )
    order, n = g.order, int(xt.shape[0])
    chunk = max(1, bs // order)

    def chunks() -> Iterator[torch.Tensor]:
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                for start in range(0, n, chunk):
                    xb = xt[start : start + chunk]
                    b = int(xb.shape[0])
                    copies = g.act_all(xb).reshape(order * b, *xb.shape[1:])
                    logits = logits_of(model, copies)
                    yield logits.reshape(order, b, -1).to(device="cpu", dtype=torch.float64)
        finally:
            model.train(was_training)

    return g, n, chunks()


def _argmax_first(values: list[float]) -> int:
    return int(np.argmax(np.asarray(values)))


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
def _as_labels(labels: Any, name: str) -> np.ndarray:
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integer class labels 0..K-1; got dtype {arr.dtype}. "
            "Convert with labels.astype(np.int64) (or logits.argmax(1))."
        )
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per input); got shape {arr.shape}.")
    return arr.astype(np.int64)


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
def _as_real(values: Any, name: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be real numbers; got dtype {arr.dtype}. Pass real readouts or logits."
        )
    arr = arr.astype(np.float64)
    if arr.ndim < 1 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be shaped (N, ...) with N >= 1; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} must be finite; got {int(np.sum(~np.isfinite(arr)))} NaN/inf entries."
        )
    return arr


def readout_mean_shift(outputs_noisy: Any, outputs_clean: Any) -> np.ndarray:
    """Shift of the readout's mean under noise, per output: ``mean(noisy) − mean(clean)``.

    Args:
        outputs_noisy: real ``(N, *out)`` readouts (or logits) under noise.
        outputs_clean: real ``(M, *out)`` readouts of the same model without noise; usually the
            same inputs (M = N), but only the means are compared.

    Returns:
        float64 array ``out`` (``()`` for 1-D inputs).

    >>> readout_mean_shift([[0.4], [0.2]], [[0.5], [0.3]]).round(12).tolist()
    [-0.1]
    """
    noisy = _as_real(outputs_noisy, "outputs_noisy")
    clean = _as_real(outputs_clean, "outputs_clean")
    if noisy.shape[1:] != clean.shape[1:]:
        raise ValueError(
            f"outputs_noisy and outputs_clean must have the same trailing shape (one value per "
            f"output); got {noisy.shape} and {clean.shape}."
        )
    return np.asarray(noisy.mean(axis=0) - clean.mean(axis=0))


def _scores(outputs: Any, name: str) -> np.ndarray:
    """Scalar scores ``(N,)``: 1-D as given, ``(N, 1)`` squeezed, ``(N, 2)`` logits ``l1 − l0``."""
    arr = _as_real(outputs, name)
    if arr.ndim == 1:
        return arr
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr[:, 0]
    if arr.ndim == 2 and arr.shape[1] == 2:
        return arr[:, 1] - arr[:, 0]
    raise ValueError(
        f"{name} must be scores (N,), a readout (N, 1) or binary logits (N, 2); got shape "
        f"{arr.shape}. Thresholds are for binary classifiers."
    )


def adaptive_threshold(train_outputs: Any, train_labels: Any) -> float:
    """The threshold on a scalar score maximizing training accuracy of ``label = 1 iff score > t``.

    Mitigates a shift of the readout mean under noise: evaluate the model *under the same noise* on
    its training inputs and re-estimate the threshold there. Candidate thresholds lie in the gaps
    between consecutive distinct training scores (and below the lowest or above the highest). Ties
    → the midpoint of the widest accuracy-maximizing gap (first such gap if several are equally
    wide); if only "all 1" or "all 0" maximizes the accuracy, the threshold lies half the score
    range (0.5 if all scores are equal) below the lowest or above the highest score ("all 1"
    preferred on a tie).

    Args:
        train_outputs: scores ``(N,)``, a readout ``(N, 1)``, or binary logits ``(N, 2)`` (score
            ``l1 − l0``, for which threshold 0 is the argmax rule).
        train_labels: integer labels ``(N,)`` in {0, 1}.

    Returns:
        The threshold, a float.

    >>> adaptive_threshold([0.1, 0.2, 0.6, 0.9], [0, 0, 1, 1])
    0.4
    """
    s = _scores(train_outputs, "train_outputs")
    y = _as_labels(train_labels, "train_labels")
    if y.shape != s.shape:
        raise ValueError(
            f"train_labels must have one label per output, shape {s.shape}; got {y.shape}."
        )
    if y.size and (int(y.min()) < 0 or int(y.max()) > 1):
        raise ValueError(
            f"train_labels must be binary (0 or 1); got values in [{int(y.min())}, "
            f"{int(y.max())}]. Thresholds are for binary classifiers."
        )
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    n = s.size
    # cut i: the i lowest scores are predicted 0, the rest 1
    zeros_below = np.concatenate([[0], np.cumsum(y == 0)])
    ones_below = np.concatenate([[0], np.cumsum(y == 1)])
    correct = zeros_below + (ones_below[-1] - ones_below)  # (n + 1,)
    valid = np.ones(n + 1, dtype=bool)
    valid[1:n] = s[1:] > s[:-1]
    best = int(correct[valid].max())
    optimal = valid & (correct == best)
    interior = np.flatnonzero(optimal[1:n]) + 1
    if interior.size:
        widths = s[interior] - s[interior - 1]
        i = int(interior[int(np.argmax(widths))])
        lo, hi = float(s[i - 1]), float(s[i])
        mid = lo + (hi - lo) / 2
        return mid if mid < hi else lo
    spread = float(s[-1] - s[0])
    margin = spread / 2 if spread > 0 else 0.5
    return float(s[0] - margin) if optimal[0] else float(s[-1] + margin)


def apply_threshold(scores: Any, threshold: float) -> np.ndarray:
    """Labels ``1 if score > threshold else 0``, int64 ``(N,)``.

    Args:
        scores: scores ``(N,)``, a readout ``(N, 1)`` or binary logits ``(N, 2)`` (score ``l1 − l0``),
            the same kind as passed to ``adaptive_threshold``.
        threshold: a finite real number.

    >>> apply_threshold([0.1, 0.5, 0.9], 0.4).tolist()
    [0, 1, 1]
    """
    if isinstance(threshold, bool) or not isinstance(
        threshold, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"threshold must be a real number; got {type(threshold).__name__}. Pass the float "
            "returned by adaptive_threshold."
        )
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite; got {threshold}.")
    s = _scores(scores, "scores")
    return (s > float(threshold)).astype(np.int64)
