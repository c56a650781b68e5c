"""Balanced train / validation / test splits for learning-curve studies.

Procedure, for the sorted classes ``c_0 < c_1 < ...`` of ``y`` (K classes): each class's sample
indices are shuffled once by the seeded generator; the first ``n_val_c`` go to validation, the next
``n_test_c`` to test, and the training set takes the next ``n_train / K``. ``n_val_c`` is
``n_val // K``, plus one for the first ``n_val % K`` classes (likewise for test). Validation and
test are therefore fixed by ``(x, y, n_val, n_test, seed)`` alone and never depend on
``n_train``, and a larger ``n_train`` with the same seed gives a superset of the training samples.
Each part is finally shuffled (classes interleaved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equiqnn.data._checks import check_int, check_labels, check_rng

__all__ = ["Split", "balanced_split"]


@dataclass(frozen=True, eq=False, repr=False)
class Split:
    """Train / validation / test arrays; ``x_*`` shaped ``(n, ...)``, ``y_*`` int64 ``(n,)``.

    ``idx_*`` are the row indices into the pool the split was drawn from (int64), when known.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    idx_train: np.ndarray | None = None
    idx_val: np.ndarray | None = None
    idx_test: np.ndarray | None = None

    @property
    def n_classes(self) -> int:
        """Number of distinct labels over all three parts."""
        return int(np.unique(np.concatenate([self.y_train, self.y_val, self.y_test])).size)

    def __repr__(self) -> str:
        return (
            f"Split(train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, "
            f"classes={self.n_classes}, shape={tuple(self.x_train.shape[1:])})"
        )


def _per_class(total: int, k: int) -> list[int]:
    return [total // k + (i < total % k) for i in range(k)]


def balanced_split(
    x: np.ndarray,
    y: np.ndarray,
    n_train: int,
    *,
    n_val: int,
    n_test: int,
    seed: int | np.random.Generator,
) -> Split:
    """Draw fixed validation and test sets and a class-balanced training set from a pool.

    Args:
        x: pool of samples ``(N, ...)``, any dtype.
        y: integer labels ``(N,)``.
        n_train: training samples, ``>= 0`` and divisible by the number of classes K.
        n_val: validation samples, ``>= 0`` (spread over classes as evenly as possible).
        n_test: test samples, ``>= 0`` (likewise).
        seed: integer seed or ``numpy.random.Generator``.
    Returns:
        A ``Split``; arrays keep ``x``'s dtype, labels are int64 and keep their values.

    >>> x = np.arange(100.0).reshape(50, 2); y = np.arange(50) % 2
    >>> balanced_split(x, y, 10, n_val=10, n_test=20, seed=0)
    Split(train=10, val=10, test=20, classes=2, shape=(2,))
    """
    x = np.asarray(x)
    if x.ndim < 1:
        raise ValueError(f"x must have a leading sample axis, shape (N, ...); got {x.shape}.")
    y = check_labels(y, x.shape[0])
    n_train = check_int(n_train, "n_train")
    n_val = check_int(n_val, "n_val")
    n_test = check_int(n_test, "n_test")
    rng = check_rng(seed)
    classes = np.unique(y)
    k = classes.size
    if k == 0:
        raise ValueError("the pool is empty: x and y hold no samples.")
    if n_train % k:
        lower, upper = n_train - n_train % k, n_train - n_train % k + k
        raise ValueError(
            f"n_train must be divisible by the number of classes ({k}) for a balanced training "
            f"set; got {n_train}. Use {lower} or {upper}."
        )
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for c, v, t in zip(classes, _per_class(n_val, k), _per_class(n_test, k), strict=True):
        idx = np.flatnonzero(y == c)
        need = v + t + n_train // k
        if idx.size < need:
            raise ValueError(
                f"class {c} has {idx.size} samples, but the split needs {n_train // k} (train) + "
                f"{v} (val) + {t} (test) = {need} of it. Lower n_train, n_val or n_test, or use a "
                "larger pool."
            )
        perm = rng.permutation(idx)
        for part, chunk in zip(parts, (perm[:v], perm[v : v + t], perm[v + t : need]), strict=True):
            part.append(chunk)
    idx_val, idx_test, idx_train = (rng.permutation(np.concatenate(p)) for p in parts)
    return Split(
        x[idx_train],
        y[idx_train],
        x[idx_val],
        y[idx_val],
        x[idx_test],
        y[idx_test],
        idx_train=idx_train,
        idx_val=idx_val,
        idx_test=idx_test,
    )
