"""Classical baselines: logistic regression, an MLP, a small CNN and a group-invariant CNN.

All follow the equiqnn model contract: ``forward(x)`` takes ``x`` shaped ``(B, *input_shape)`` and
returns logits ``(B, n_classes)``; ``n_params``, ``gate_count`` (None here), ``config``,
``input_shape``, ``n_classes`` and ``group`` describe the model; ``build_model(model.config)``
rebuilds an untrained copy with the same seeded initialisation.

>>> LogisticRegression((8, 8), 2)
LogisticRegression(8x8 -> 2 classes | 130 params)
>>> GroupInvariantCNN(["grid_d4", 8], 2)
GroupInvariantCNN(D4 | 8x8 -> 2 classes | 1282 params)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from equiqnn.groups import PermutationGroup, group_from_spec
from equiqnn.models.classical_base import ClassicalModel, as_ints, conv_backbone
from equiqnn.models.registry import register_model

__all__ = ["LogisticRegression", "MLP", "SmallCNN", "GroupInvariantCNN"]

_POOLS = ("mean", "max")


# -- models ---------------------------------------------------------------------------------------
class LogisticRegression(ClassicalModel):
    """Multinomial logistic regression: flatten, then one linear layer.

    Args:
        input_shape: shape of one sample, e.g. ``(8, 8)`` or ``(n,)`` (an int ``n`` means ``(n,)``).
        n_classes: number of classes K ≥ 2.
        seed: seeds the weight initialisation (the global torch RNG is left untouched).

    ``forward(x)``: real tensor ``(B, *input_shape)`` (cast to the parameters' dtype, float32 by
    default) -> logits ``(B, K)``. Parameters: ``prod(input_shape)·K + K``.
    """

    kind = "logistic"

    def __init__(self, input_shape: int | Sequence[int], n_classes: int, seed: int = 0) -> None:
        super().__init__(input_shape, n_classes, seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            self.linear = nn.Linear(int(np.prod(self._input_shape)), self._n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_input(x)
        return self.linear(x.flatten(1))

    def _config_kwargs(self) -> dict[str, Any]:
        return {
            "input_shape": list(self._input_shape),
            "n_classes": self._n_classes,
            "seed": self._seed,
        }


class MLP(ClassicalModel):
    """Multilayer perceptron: flatten, ``Linear + ReLU`` per hidden width, linear head.

    Args:
        input_shape: shape of one sample, e.g. ``(8, 8)`` or ``(n,)``.
        n_classes: number of classes K ≥ 2.
        hidden: hidden-layer widths, e.g. ``(32,)`` or ``(64, 32)``; ``()`` is logistic regression.
        seed: seeds the weight initialisation.

    ``forward(x)``: real tensor ``(B, *input_shape)`` -> logits ``(B, K)``.
    """

    kind = "mlp"

    def __init__(
        self,
        input_shape: int | Sequence[int],
        n_classes: int,
        hidden: Sequence[int] = (32,),
        seed: int = 0,
    ) -> None:
        super().__init__(input_shape, n_classes, seed)
        self.hidden = as_ints(hidden, "hidden", allow_empty=True)
        layers: list[nn.Module] = [nn.Flatten()]
        width = int(np.prod(self._input_shape))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            for h in self.hidden:
                layers += [nn.Linear(width, h), nn.ReLU()]
                width = h
            layers.append(nn.Linear(width, self._n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self._check_input(x))

    def _config_kwargs(self) -> dict[str, Any]:
        return {
            "input_shape": list(self._input_shape),
            "n_classes": self._n_classes,
            "hidden": list(self.hidden),
            "seed": self._seed,
        }


class SmallCNN(ClassicalModel):
    """Small image CNN: 3×3 convolutions (padding 1) + ReLU, global average pooling, linear head.

    Padding keeps the spatial size, so 3×3 boards work as well as 8×8 or 16×16 images.

    Args:
        input_shape: image shape ``(H, W)``.
        n_classes: number of classes K ≥ 2.
        channels: output channels of each convolution, e.g. ``(8, 16)``.
        seed: seeds the weight initialisation.

    ``forward(x)``: real tensor ``(B, H, W)`` -> logits ``(B, K)``. Parameters: the sum of
    ``9·c_in·c_out + c_out`` over the convolutions (``c_in`` = 1 first), plus
    ``channels[-1]·K + K``.
    Not invariant under any group (``group`` is None); compare ``GroupInvariantCNN``.
    """

    kind = "cnn"

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int,
        channels: Sequence[int] = (8, 16),
        seed: int = 0,
    ) -> None:
        super().__init__(input_shape, n_classes, seed)
        if len(self._input_shape) != 2:
            raise ValueError(
                f"SmallCNN needs an image input_shape (H, W); got {self._input_shape}. For feature "
                "vectors use MLP or LogisticRegression."
            )
        self.channels = as_ints(channels, "channels", allow_empty=False)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            self.features = conv_backbone(2, self.channels)
            self.head = nn.Linear(self.channels[-1], self._n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_input(x)
        return self.head(self.features(x.unsqueeze(1)))

    def _config_kwargs(self) -> dict[str, Any]:
        return {
            "input_shape": list(self._input_shape),
            "n_classes": self._n_classes,
            "channels": list(self.channels),
            "seed": self._seed,
        }


class GroupInvariantCNN(ClassicalModel):
    """CNN made exactly invariant by pooling its features over a finite group.

    ``f(x) = head(pool_{g ∈ G} φ(g·x))`` where ``φ`` is the ``SmallCNN`` feature extractor (3-wide
    convolutions + ReLU + global average pooling; 1-D convolutions when the group acts on vectors)
    and ``pool`` is the mean or the maximum over the |G| transformed copies. Since ``{g·h·x}`` is
    ``{g·x}`` reordered, ``f(h·x) == f(x)`` for every ``h ∈ G`` up to float rounding.

    Args:
        group: a ``PermutationGroup`` (data shape ``group.shape``, e.g. ``grid_d4(8)``), or its
            ``spec`` such as ``["grid_d4", 8]``.
        n_classes: number of classes K ≥ 2.
        channels: output channels of each convolution, e.g. ``(8, 16)``.
        pool: ``"mean"`` or ``"max"`` over the group.
        seed: seeds the weight initialisation.

    ``forward(x)``: real tensor ``(B, *group.shape)`` -> logits ``(B, K)``. Cost and memory grow
    with |G|·B. Same parameter count as ``SmallCNN`` with the same channels. ``config`` needs a
    catalogue group (one with a ``spec``).
    """

    kind = "invariant_cnn"
    _src: torch.Tensor  # (|G|, n_sites) int64: site each copy reads from
    _sign: torch.Tensor  # (|G|, n_sites) float: sign applied to it

    def __init__(
        self,
        group: PermutationGroup | Sequence[Any],
        n_classes: int,
        channels: Sequence[int] = (8, 16),
        pool: str = "mean",
        seed: int = 0,
    ) -> None:
        if isinstance(group, (list, tuple)):
            group = group_from_spec(group)
        if not isinstance(group, PermutationGroup):
            raise TypeError(
                "group must be a PermutationGroup (e.g. equiqnn.groups.grid_d4(8)) or its spec "
                f"(e.g. ['grid_d4', 8]); got {type(group).__name__} {group!r}."
            )
        super().__init__(group.shape, n_classes, seed)
        if len(group.shape) not in (1, 2):
            raise ValueError(
                f"GroupInvariantCNN needs a group acting on vectors (n,) or images (H, W); "
                f"{group!r} acts on data shaped {group.shape}."
            )
        if pool not in _POOLS:
            raise ValueError(f"pool must be one of {_POOLS}; got {pool!r}.")
        self.group = group
        self.pool = pool
        self.channels = as_ints(channels, "channels", allow_empty=False)
        # Copy k of a sample is flat[src[k]] * sign[k]; read off G.act_all on the labels 1..n.
        labels = np.arange(1, group.n_sites + 1, dtype=np.float64).reshape(group.shape)
        moved = np.asarray(group.act_all(labels)).reshape(group.order, group.n_sites)
        src = torch.as_tensor(np.rint(np.abs(moved)).astype(np.int64) - 1)
        self.register_buffer("_src", src, persistent=False)
        self.register_buffer(
            "_sign", torch.as_tensor(np.sign(moved), dtype=torch.float32), persistent=False
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            self.features = conv_backbone(len(group.shape), self.channels)
            self.head = nn.Linear(self.channels[-1], self._n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_input(x)
        b, order = x.shape[0], self._src.shape[0]
        flat = x.reshape(b, -1)
        copies = flat[:, self._src] * self._sign.to(x.dtype)  # (B, |G|, n_sites)
        feats = self.features(copies.reshape(b * order, 1, *self._input_shape))
        feats = feats.reshape(b, order, -1)
        pooled = feats.mean(dim=1) if self.pool == "mean" else feats.amax(dim=1)
        return self.head(pooled)

    def _config_kwargs(self) -> dict[str, Any]:
        if self.group is None or self.group.spec is None:
            raise ValueError(
                f"GroupInvariantCNN.config needs a group built by an equiqnn.groups factory (one "
                f"with a spec); {self.group!r} has none. Build the group with a catalogue factory "
                "such as grid_d4(side) to save or rebuild this model."
            )
        return {
            "group": copy.deepcopy(self.group.spec),
            "n_classes": self._n_classes,
            "channels": list(self.channels),
            "pool": self.pool,
            "seed": self._seed,
        }

    def __repr__(self) -> str:
        name = self.group.name if self.group is not None else "?"
        return f"GroupInvariantCNN({name} | {self._describe()})"


register_model("logistic")(LogisticRegression)
register_model("mlp")(MLP)
register_model("cnn")(SmallCNN)
register_model("invariant_cnn")(GroupInvariantCNN)
