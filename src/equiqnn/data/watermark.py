"""Shortcut ("watermark") transform: a small corner block that reveals the class.

Used on training images only, to test whether a model learns the shortcut instead of the content:
an evaluation on clean (unmarked) test images exposes a model that relied on it. Corners follow the
image convention (row 0 at the top): ``top_left`` is ``x[..., :size, :size]``, ``bottom_right``
is ``x[..., -size:, -size:]``. Note that D4 permutes the corners, so a D4-invariant model sees the
block but cannot tell which corner it is in.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from equiqnn.data._checks import check_images, check_int, check_labels

__all__ = ["CORNERS", "watermark"]

CORNERS: tuple[str, ...] = ("top_left", "bottom_right", "top_right", "bottom_left")


def _default_corners(classes: list[int]) -> dict[int, str]:
    if len(classes) > len(CORNERS):
        raise ValueError(
            f"the default corner_by_class marks at most {len(CORNERS)} classes; y has "
            f"{len(classes)}. Pass corner_by_class={{class: corner}} for the classes to mark."
        )
    return dict(zip(classes, CORNERS[: len(classes)], strict=True))


def _slices(corner: str, size: int) -> tuple[slice, slice]:
    rows = slice(None, size) if corner.startswith("top") else slice(-size, None)
    cols = slice(None, size) if corner.endswith("left") else slice(-size, None)
    return rows, cols


def watermark(
    x: np.ndarray,
    y: np.ndarray,
    *,
    size: int = 2,
    value: float = 1.0,
    corner_by_class: Mapping[int, str] | None = None,
) -> np.ndarray:
    """A copy of ``x`` with a ``size × size`` block of ``value`` in its class's corner.

    Args:
        x: images, shape ``(N, H, W)``, real dtype.
        y: integer labels ``(N,)``.
        size: block side, ``1 <= size <= min(H, W) // 2`` (so blocks of different corners never
            overlap).
        value: the value written into the block.
        corner_by_class: ``{class: corner}`` with corners from ``CORNERS``; samples of classes not
            in it are left unmarked. Default: the sorted classes of ``y`` take ``top_left``,
            ``bottom_right``, ``top_right``, ``bottom_left`` in that order (class 0 top-left and
            class 1 bottom-right for a binary task).
    Returns:
        float64 ``(N, H, W)``; ``x`` itself is not modified.

    >>> out = watermark(np.zeros((2, 4, 4)), np.array([0, 1]), size=1)
    >>> float(out[0, 0, 0]), float(out[1, 3, 3]), float(out.sum())
    (1.0, 1.0, 2.0)
    """
    x = check_images(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (N, H, W); got {x.shape}.")
    y = check_labels(y, x.shape[0])
    limit = min(x.shape[1:]) // 2
    size = check_int(size, "size", minimum=1)
    if size > limit:
        raise ValueError(
            f"size must be an integer in [1, min(H, W) // 2] = [1, {limit}] for images of shape "
            f"{x.shape[1:]}; got {size}. Use a smaller block."
        )
    if corner_by_class is None:
        corners = _default_corners(sorted(np.unique(y).tolist()))
    else:
        corners = {int(k): str(v) for k, v in corner_by_class.items()}
        bad = {k: v for k, v in corners.items() if v not in CORNERS}
        if bad:
            raise ValueError(f"corner_by_class values must be among {CORNERS}; got {bad}.")
    out = x.astype(np.float64, copy=True)
    for cls, corner in corners.items():
        rows, cols = _slices(corner, size)
        out[y == cls, rows, cols] = float(value)
    return out
