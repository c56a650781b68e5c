"""Class selection: keep the samples of some classes and relabel them ``0 .. K-1``.

Convention (used by every loader in ``equiqnn.data``): the new label of a sample is the position of
its original class in ``classes``, so ``classes=(3, 5)`` maps 3 -> 0 and 5 -> 1, and
``classes=(5, 3)`` maps 5 -> 0 and 3 -> 1. Samples keep their original order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from equiqnn.data._checks import check_classes, check_labels

__all__ = ["select_classes"]


def select_classes(
    x: np.ndarray, y: np.ndarray, classes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the samples whose label is in ``classes``; relabel them by position in ``classes``.

    Args:
        x: samples, any dtype, shape ``(N, ...)``.
        y: integer labels, shape ``(N,)``.
        classes: distinct original labels, each present in ``y``.
    Returns:
        ``(x_sel, y_sel)``: ``x_sel`` of shape ``(M, ...)`` (same dtype as ``x``), ``y_sel`` int64
        ``(M,)`` with values ``0 .. len(classes)-1``.

    >>> x = np.arange(5.0); y = np.array([3, 5, 7, 5, 3])
    >>> xs, ys = select_classes(x, y, (5, 3))
    >>> xs.tolist(), ys.tolist()
    ([0.0, 1.0, 3.0, 4.0], [1, 0, 0, 1])
    """
    x = np.asarray(x)
    if x.ndim < 1:
        raise ValueError(f"x must have a leading sample axis, shape (N, ...); got {x.shape}.")
    y = check_labels(y, x.shape[0])
    chosen = check_classes(classes, allowed=np.unique(y).tolist())
    keep = np.isin(y, chosen)
    y_kept = y[keep]
    y_new = np.empty_like(y_kept)
    for k, c in enumerate(chosen):
        y_new[y_kept == c] = k
    return x[keep], y_new
