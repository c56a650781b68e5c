"""Internal pieces of the classical models: argument checks, the conv backbone, the base class.

The public models live in ``equiqnn.models.classical``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from equiqnn.groups import PermutationGroup

__all__ = ["ClassicalModel", "as_int", "as_ints", "as_n_classes", "conv_backbone", "fmt_shape"]


# -- argument checks ------------------------------------------------------------------------------
def as_int(value: Any, name: str, minimum: int | None = None) -> int:
    """``value`` as a Python int (bools rejected), checked ``>= minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def as_ints(values: Any, name: str, *, allow_empty: bool) -> tuple[int, ...]:
    """A sequence of positive ints (or one int) as a tuple."""
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = (values,)
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of ints such as (8, 8); got {values!r}.")
    out = tuple(as_int(v, f"each entry of {name}", 1) for v in values)
    if not out and not allow_empty:
        raise ValueError(f"{name} must have at least one entry; got {tuple(values)!r}.")
    return out


def as_n_classes(n_classes: Any) -> int:
    """The number of classes, an int >= 2."""
    n = as_int(n_classes, "n_classes")
    if n < 2:
        raise ValueError(
            f"n_classes must be >= 2 (models return one logit per class; binary tasks use "
            f"n_classes=2); got {n}."
        )
    return n


def fmt_shape(shape: tuple[int, ...]) -> str:
    """``(8, 8)`` -> ``"8x8"``."""
    return "x".join(map(str, shape))


def conv_backbone(n_dims: int, channels: tuple[int, ...]) -> nn.Sequential:
    """3-wide convolutions (padding 1, so any input size ≥ 1 works) + ReLU, then global mean pool.

    Maps ``(N, 1, *spatial)`` to ``(N, channels[-1])``.
    """
    conv = nn.Conv1d if n_dims == 1 else nn.Conv2d
    layers: list[nn.Module] = []
    c_in = 1
    for c_out in channels:
        layers += [conv(c_in, c_out, kernel_size=3, padding=1), nn.ReLU()]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool1d(1) if n_dims == 1 else nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


# -- shared base ----------------------------------------------------------------------------------
class ClassicalModel(nn.Module):
    """Base of the classical models: contract properties, input checks and the one-line repr."""

    kind: str = ""

    def __init__(self, input_shape: int | Sequence[int], n_classes: int, seed: int) -> None:
        super().__init__()
        self._input_shape = as_ints(input_shape, "input_shape", allow_empty=False)
        self._n_classes = as_n_classes(n_classes)
        self._seed = as_int(seed, "seed", 0)
        self.group: PermutationGroup | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. ``(8, 8)`` for images or ``(n,)`` for feature vectors."""
        return self._input_shape

    @property
    def n_classes(self) -> int:
        """Number of logits returned per sample (≥ 2)."""
        return self._n_classes

    @property
    def n_params(self) -> int:
        """Number of trainable scalar parameters."""
        return int(sum(p.numel() for p in self.parameters() if p.requires_grad))

    @property
    def gate_count(self) -> None:
        """Always None: classical models have no circuit."""
        return None

    @property
    def config(self) -> dict[str, Any]:
        """JSON-able ``{"kind": ..., **kwargs}``; ``build_model`` rebuilds an untrained copy."""
        return {"kind": self.kind, **self._config_kwargs()}

    def _config_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    def _check_input(self, x: Any) -> torch.Tensor:
        """Check ``x`` is ``(B, *input_shape)`` and real; return it in the parameters' dtype."""
        name = type(self).__name__
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"{name} takes a torch.Tensor; got {type(x).__name__}. Convert with "
                "torch.as_tensor(x, dtype=torch.float32)."
            )
        if x.is_complex():
            raise TypeError(f"{name} takes real-valued input; got dtype {x.dtype}.")
        expected = self._input_shape
        if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
            hint = " Add a batch dimension: x.unsqueeze(0)." if tuple(x.shape) == expected else ""
            raise ValueError(
                f"{name} expects x shaped (batch, {', '.join(map(str, expected))}); "
                f"got {tuple(x.shape)}.{hint}"
            )
        dtype = next(self.parameters()).dtype
        return x if x.dtype == dtype else x.to(dtype)

    def _describe(self) -> str:
        shape = fmt_shape(self._input_shape)
        return f"{shape} -> {self._n_classes} classes | {self.n_params} params"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"
