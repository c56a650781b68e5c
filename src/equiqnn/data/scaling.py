"""Preprocessing that keeps a symmetry: global scaling and group-averaged standardization.

Per-pixel statistics break invariance: standardizing pixel ``i`` with its own mean and spread
makes the transform differ from one pixel to its image under ``g``. Two safe choices:

- ``scale_to_unit``: one global affine map to ``[0, 1]``; it commutes with every site permutation
  (not with sign flips, which need 0 to stay 0);
- ``SymmetricStandardizer``: per-site mean and standard deviation of the G-augmented training
  set, so that ``mean_`` is fixed by every ``g`` (signs included) and ``std_`` by every site
  permutation, hence ``transform(g·x) == g·transform(x)``.
"""

from __future__ import annotations

import numpy as np

from equiqnn.data._checks import check_images
from equiqnn.groups import PermutationGroup

__all__ = ["SymmetricStandardizer", "scale_to_unit"]


def scale_to_unit(x: np.ndarray, *, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """``(x - lo) / (hi - lo)`` with one global ``lo``, ``hi`` (defaults: min and max of ``x``).

    Args:
        x: real array of any shape.
        lo, hi: the values mapped to 0 and 1; pass the training set's to scale test data alike.
    Returns:
        float64, same shape as ``x``.

    >>> scale_to_unit(np.array([2.0, 4.0, 6.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.size == 0:
        raise ValueError("x is empty; there is nothing to scale.")
    lo = float(np.min(arr)) if lo is None else float(lo)
    hi = float(np.max(arr)) if hi is None else float(hi)
    if not hi > lo:
        raise ValueError(
            f"hi must be greater than lo; got lo={lo}, hi={hi}. A constant array cannot be scaled "
            "to [0, 1]: pass lo and hi explicitly."
        )
    return (arr - lo) / (hi - lo)


class SymmetricStandardizer:
    """Per-site standardization with statistics averaged over the group (scikit-learn style).

    Args:
        group: the symmetry the transform must respect.
    Attributes (after ``fit``):
        mean_: float64 ``group.shape``, the mean of the augmented set (``g·mean_ == mean_``).
        std_: float64 ``group.shape``, its standard deviation; sites with zero spread get 1.
    """

    def __init__(self, group: PermutationGroup) -> None:
        self.group = group

    def fit(self, x: np.ndarray) -> SymmetricStandardizer:
        """Learn ``mean_`` and ``std_`` from ``x`` ``(N, *group.shape)``; returns ``self``."""
        x = self._check(x)
        if x.shape[0] == 0:
            raise ValueError("x holds no samples; fit needs at least one.")
        m1 = x.mean(axis=0)
        m2 = (x**2).mean(axis=0)
        self.mean_ = self.group.act_all(m1).mean(axis=0)
        second = np.abs(self.group.act_all(m2)).mean(axis=0)  # signs square away
        var = np.clip(second - self.mean_**2, 0.0, None)
        std = np.sqrt(var)
        self.std_ = np.where(std > 1e-12 * max(1.0, float(np.max(std))), std, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """``(x - mean_) / std_`` as float64, same shape as ``x``."""
        if not hasattr(self, "mean_"):
            raise ValueError(
                "this SymmetricStandardizer is not fitted yet; call fit(x_train) first."
            )
        return (self._check(x) - self.mean_) / self.std_

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def _check(self, x: np.ndarray) -> np.ndarray:
        arr = check_images(x) if len(self.group.shape) == 2 else np.asarray(x)
        if arr.ndim != len(self.group.shape) + 1 or arr.shape[1:] != self.group.shape:
            raise ValueError(
                f"x must have shape (N, {', '.join(map(str, self.group.shape))}) for "
                f"{self.group!r}; got {arr.shape}."
            )
        return arr.astype(np.float64)

    def __repr__(self) -> str:
        return f"SymmetricStandardizer({self.group!r})"
