"""Resizing square images so that the result commutes exactly with the point group D4.

Method: area averaging. Output pixel ``i`` covers the interval ``[i·H/s, (i+1)·H/s)`` of the input
axis; its weight on input pixel ``j`` is the overlap of that interval with ``[j, j+1)`` divided
by ``H/s``. The weights are computed from integer overlaps, so the matrix ``A`` (``s × H``) is
exactly reverse-symmetric (``A[::-1, ::-1] == A``) and its rows sum to 1. The resized image is
``A x Aᵀ``: one matrix on both axes commutes with the transpose, and reverse symmetry makes it
commute with both flips, hence with all eight elements of D4 (up to floating-point rounding).
"""

from __future__ import annotations

import numpy as np

from equiqnn.data._checks import check_images, check_int

__all__ = ["area_weights", "resize_symmetric"]


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """Area-averaging matrix from ``n_in`` to ``n_out`` pixels along one axis.

    Returns:
        float64 ``(n_out, n_in)``; rows sum to 1; ``A[::-1, ::-1] == A`` exactly.

    >>> area_weights(4, 2)
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    """
    n_in = check_int(n_in, "n_in", minimum=1)
    n_out = check_int(n_out, "n_out", minimum=1)
    # In units of 1/n_out of an input pixel: output i spans [i*n_in, (i+1)*n_in),
    # input j spans [j*n_out, (j+1)*n_out). Integer overlaps keep the symmetry exact.
    i = np.arange(n_out)[:, None]
    j = np.arange(n_in)[None, :]
    lo = np.maximum(i * n_in, j * n_out)
    hi = np.minimum((i + 1) * n_in, (j + 1) * n_out)
    overlap = np.clip(hi - lo, 0, None)
    return overlap.astype(np.float64) / float(n_in)


def resize_symmetric(x: np.ndarray, side: int) -> np.ndarray:
    """Resize square images ``(..., H, H)`` to ``(..., side, side)``, commuting with D4.

    Args:
        x: real images, shape ``(..., H, H)``, any real dtype.
        side: output side length, ``>= 1`` (smaller, equal or larger than ``H``).
    Returns:
        float64 ``(..., side, side)``. ``side == H`` returns a float64 copy of ``x``. Constant
        images stay constant; the mean pixel value is preserved.

    >>> x = np.arange(16.0).reshape(4, 4)
    >>> resize_symmetric(x, 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    x = check_images(x, square=True)
    side = check_int(side, "side", minimum=1)
    x = x.astype(np.float64)
    n = x.shape[-1]
    if side == n:
        return x.copy()
    a = area_weights(n, side)
    return np.matmul(np.matmul(a, x), a.T)
