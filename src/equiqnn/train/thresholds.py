"""Readout mean shift under noise, and the adaptive decision threshold that mitigates it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from equiqnn.train._orbits import _as_labels

__all__ = ["readout_mean_shift", "adaptive_threshold", "apply_threshold"]


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
