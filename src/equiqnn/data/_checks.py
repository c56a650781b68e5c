"""Boundary checks shared by the data modules (private): integers, seeds, images, labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_int",
    "check_rng",
    "check_images",
    "check_labels",
    "check_classes",
]


def check_int(value: Any, name: str, minimum: int = 0) -> int:
    """``value`` as an ``int`` after checking it is an integer (not a bool) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}.")
    return int(value)


def check_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` from an integer seed or an existing generator (used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer or a numpy.random.Generator; got {type(seed).__name__} "
            f"{seed!r}. Pass e.g. {name}=0 (there is no global seeding in equiqnn)."
        )
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {seed}.")
    return np.random.default_rng(int(seed))


def check_images(x: Any, name: str = "x", *, square: bool = False) -> np.ndarray:
    """``x`` as a real numpy array with at least two trailing image dimensions ``(..., H, W)``."""
    if not isinstance(x, np.ndarray):
        if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
            raise TypeError(
                f"{name} must be a numpy array; got a torch tensor. The data layer works on numpy: "
                f"pass {name}.detach().cpu().numpy()."
            )
        x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {x.dtype}.")
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (..., H, W); got {x.shape}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{name} must hold square images (..., H, H); got {x.shape}. Crop or pad the images to "
            "a square first: the point group D4 only maps a square grid to itself."
        )
    return x


def check_labels(y: Any, n: int, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D int64 array of length ``n`` (integer-valued floats are accepted)."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"{name} must be a 1-D array of {n} labels (one per sample); got shape {arr.shape}."
        )
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels; got dtype {arr.dtype}.")
    return arr.astype(np.int64)


def check_classes(classes: Any, allowed: Sequence[int] | None = None) -> list[int]:
    """``classes`` as a non-empty list of distinct ints, each in ``allowed`` when that is given."""
    if isinstance(classes, (int, np.integer)) or isinstance(classes, str):
        raise TypeError(
            f"classes must be a sequence of integer labels, e.g. (0, 1); got {classes!r}."
        )
    out = [check_int(c, "each class", minimum=-(2**62)) for c in classes]
    if not out:
        raise ValueError("classes must name at least one class; got an empty sequence.")
    if len(set(out)) != len(out):
        raise ValueError(f"classes must be distinct; got {tuple(out)}.")
    if allowed is not None:
        bad = [c for c in out if c not in set(allowed)]
        if bad:
            raise ValueError(
                f"classes must be among {sorted(allowed)}; got {tuple(out)} ({bad} not present)."
            )
    return out
