"""Shared plumbing of the symmetry metrics: batch sizes, the group to use, and orbit logits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from equiqnn.groups import PermutationGroup
from equiqnn.train._inputs import as_x, check_model, logits_of

__all__: list[str] = []


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
