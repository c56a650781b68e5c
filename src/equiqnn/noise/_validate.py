"""Checks for the scalar parameters of noise channels (Python floats; tensors are refused)."""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["real_scalar", "probability", "nonnegative", "positive_time", "qubit_index"]


def real_scalar(value: object, name: str, *, allow_inf: bool = False) -> float:
    """Return ``value`` as a Python float after checking it is a real (non-bool) number.

    >>> real_scalar(1, "p")
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        hint = (
            " Tensor- or array-valued strengths are not supported yet; pass a Python float, "
            f"e.g. float({name})."
            if kind in ("Tensor", "ndarray", "Parameter")
            else ""
        )
        raise TypeError(f"{name} must be a real number (a Python float); got {kind}.{hint}")
    out = float(value)
    if math.isnan(out) or (math.isinf(out) and not allow_inf):
        raise ValueError(f"{name} must be a finite real number; got {out!r}.")
    return out


def probability(value: object, name: str) -> float:
    """Return ``value`` as a float after checking it lies in ``[0, 1]``.

    >>> probability(0.25, "p")
    0.25
    """
    out = real_scalar(value, name)
    if not 0.0 <= out <= 1.0:
        raise ValueError(
            f"{name} must be a probability in [0, 1]; got {out!r}. Pass a value between 0 "
            "(no error) and 1."
        )
    return out


def nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a float after checking it is finite and ``>= 0``."""
    out = real_scalar(value, name)
    if out < 0.0:
        raise ValueError(f"{name} must be >= 0; got {out!r}.")
    return out


def positive_time(value: object, name: str) -> float:
    """Return ``value`` as a float after checking it is ``> 0`` (``math.inf`` allowed)."""
    out = real_scalar(value, name, allow_inf=True)
    if out <= 0.0:
        raise ValueError(
            f"{name} must be a positive time (> 0, math.inf for 'never'); got {out!r}."
        )
    return out


def qubit_index(q: object, what: str) -> int:
    """Return ``q`` as an int after checking it is a non-negative (non-bool) integer."""
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 0:
        raise ValueError(f"{what} must be a non-negative integer qubit index; got {q!r}.")
    return int(q)
