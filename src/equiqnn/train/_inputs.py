"""Shared input checks for the train layer: data pairs, model dtype, logits, labels (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__: list[str] = []


def check_model(model: Any) -> torch.nn.Module:
    """Return ``model`` after checking it is a ``torch.nn.Module``."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch.nn.Module returning logits (batch, n_classes); got "
            f"{type(model).__name__}. Build one with equiqnn.models.registry.build_model(config)."
        )
    return model


def model_dtype(model: torch.nn.Module) -> torch.dtype:
    """Dtype of the model's first floating parameter, else ``torch.get_default_dtype()``."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def model_device(model: torch.nn.Module) -> torch.device:
    """Device of the model's first parameter, else the CPU."""
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def unpack_pair(data: Any, name: str) -> tuple[Any, Any]:
    """``(x, y)`` from a pair or from an object with ``.x`` and ``.y`` attributes."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    if hasattr(data, "x") and hasattr(data, "y"):
        return data.x, data.y
    raise TypeError(
        f"{name} must be a pair (x, y) of arrays or tensors (or an object with .x and .y); "
        f"got {type(data).__name__}. Pass {name}=(x_{name}, y_{name})."
    )


def split_parts(data: Any, parts: tuple[str, ...]) -> list[tuple[Any, Any]] | None:
    """``[(x_p, y_p) for p in parts]`` from a split object with ``x_<p>``/``y_<p>``, else None.

    Duck-typed for ``equiqnn.data.Split`` (``x_train, y_train, x_val, y_val, x_test, y_test``).
    """
    names = [f"{a}_{p}" for p in parts for a in ("x", "y")]
    if isinstance(data, (tuple, list)) or not all(hasattr(data, n) for n in names):
        return None
    return [(getattr(data, f"x_{p}"), getattr(data, f"y_{p}")) for p in parts]


def as_xy(data: Any, name: str, model: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Convert a ``(x, y)`` pair (or an object with ``.x`` and ``.y``) to checked tensors.

    Returns:
        ``x`` as a tensor ``(N, *shape)`` in the model's dtype and device; ``y`` int64 ``(N,)``.
    """
    x, y = unpack_pair(data, name)
    xt = as_x(x, name, model)
    return xt, as_y(y, name, int(xt.shape[0]))


def as_x(x: Any, name: str, model: torch.nn.Module) -> torch.Tensor:
    """``x`` as a finite tensor ``(N, *shape)``, N >= 1, in the model's dtype and device."""
    if isinstance(x, torch.Tensor):
        kind_ok = x.is_floating_point() or (not x.is_complex() and x.dtype != torch.bool)
    else:
        x = np.asarray(x)
        kind_ok = x.dtype.kind in "iuf"
    if not kind_ok:
        raise TypeError(
            f"{name} inputs x must be real numbers (float or int); got dtype {x.dtype}. "
            "Convert with x.astype(np.float32)."
        )
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(
            f"{name} inputs x must be shaped (N, *shape) with N >= 1; got shape {tuple(x.shape)}. "
            f"The {name} set is empty: check the split that produced it."
        )
    t = torch.as_tensor(x, dtype=model_dtype(model), device=model_device(model))
    if not bool(torch.isfinite(t).all()):
        raise ValueError(
            f"{name} inputs x must be finite; got {int((~torch.isfinite(t)).sum())} NaN/inf "
            "entries. Clean or impute them before training."
        )
    return t


def as_y(y: Any, name: str, n: int) -> torch.Tensor:
    """``y`` as an int64 tensor ``(n,)`` of non-negative class labels."""
    if isinstance(y, torch.Tensor):
        is_int = not (y.is_floating_point() or y.is_complex() or y.dtype == torch.bool)
    else:
        y = np.asarray(y)
        is_int = y.dtype.kind in "iu"
    if not is_int:
        raise TypeError(
            f"{name} labels y must be integers 0..K-1; got dtype {y.dtype}. "
            "Convert with y.astype(np.int64)."
        )
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"{name} labels y must be 1-D with one label per input, shape ({n},); got shape "
            f"{tuple(y.shape)}. Check that x and y come from the same split."
        )
    t = torch.as_tensor(y).to(dtype=torch.int64, device="cpu")
    if int(t.min()) < 0:
        raise ValueError(
            f"{name} labels y must be in [0, K); got minimum {int(t.min())}. "
            "Map labels to 0..K-1 first."
        )
    return t


def logits_of(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)`` checked to be logits shaped ``(len(x), K)`` with K >= 2."""
    out = model(x)
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != x.shape[0]:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"model must return logits shaped (batch, n_classes) = ({x.shape[0]}, K); got {got}. "
            "Binary models return two logits per input, e.g. [0, z]."
        )
    if out.shape[1] < 2:
        raise ValueError(
            f"model must return K >= 2 logits per input; got shape {tuple(out.shape)}. "
            "Binary models return two logits per input, e.g. torch.stack([0 * z, z], dim=1)."
        )
    return out


def n_classes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Number of logits K, from one forward pass on ``x[:1]`` without gradients."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return int(logits_of(model, x[:1]).shape[1])
    finally:
        model.train(was_training)


def check_labels(y: torch.Tensor, k: int, name: str) -> None:
    """Raise unless every label is in ``[0, k)``."""
    top = int(y.max())
    if top >= k:
        raise ValueError(
            f"{name} labels y must be in [0, K) = [0, {k}) for a model with {k} logits; got label "
            f"{top}. Use a model with more outputs or remap the labels."
        )


def loss_and_accuracy(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int,
    weight: torch.Tensor | None = None,
) -> tuple[float, float]:
    """Mean cross-entropy (class-weighted if ``weight``) and accuracy; eval mode, no gradients."""
    was_training = model.training
    model.eval()
    nll, wsum, correct = 0.0, 0.0, 0
    try:
        with torch.no_grad():
            for start in range(0, x.shape[0], batch_size):
                logits = logits_of(model, x[start : start + batch_size])
                yb = y[start : start + batch_size].to(logits.device)
                w = None if weight is None else weight.to(device=logits.device, dtype=logits.dtype)
                ce = torch.nn.functional.cross_entropy(logits, yb, weight=w, reduction="sum")
                nll += float(ce)
                wsum += float(yb.numel() if w is None else w[yb].sum())
                correct += int((logits.argmax(dim=1) == yb).sum())
    finally:
        model.train(was_training)
    return nll / wsum if wsum > 0 else float("nan"), correct / int(x.shape[0])
