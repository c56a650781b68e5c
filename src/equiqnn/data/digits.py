"""Real 8×8 handwritten digits, offline: scikit-learn's bundled copy of the UCI optical digits.

Images follow the library convention ``(H, W)`` with row 0 at the top, as drawn. Pixel values are
scaled from ``0 .. 16`` to ``[0, 1]``. 1797 images in all, about 180 per digit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from equiqnn.data._checks import check_classes
from equiqnn.data.labels import select_classes

__all__ = ["load_digits_images"]

_DIGIT_MAX = 16.0


def load_digits_images(
    classes: Sequence[int] | None = (0, 1),
) -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 digits of the given classes, relabelled by position in ``classes``.

    Args:
        classes: distinct digits in ``0 .. 9``; ``None`` keeps all ten (labels unchanged).
    Returns:
        ``(x, y)``: ``x`` float64 ``(N, 8, 8)`` in ``[0, 1]``; ``y`` int64 ``(N,)`` in
        ``0 .. K-1``, where ``y == k`` means digit ``classes[k]`` (see ``select_classes``).

    >>> x, y = load_digits_images((3, 8))
    >>> x.shape[1:], x.dtype, sorted(set(y.tolist()))
    ((8, 8), dtype('float64'), [0, 1])
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = np.asarray(bunch.images, dtype=np.float64) / _DIGIT_MAX
    y = np.asarray(bunch.target, dtype=np.int64)
    if classes is None:
        return x, y
    return select_classes(x, y, check_classes(classes, allowed=range(10)))
