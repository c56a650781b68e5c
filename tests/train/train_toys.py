"""Tiny models following the equiqnn model contract, and small synthetic data, for train tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from equiqnn.groups import PermutationGroup
from equiqnn.models.registry import register_model, registered_kinds


class Logistic(torch.nn.Module):
    """Multinomial logistic regression on the flattened input; deterministic init from ``seed``."""

    def __init__(self, n_features: int, n_classes: int = 2, seed: int = 0) -> None:
        super().__init__()
        self.n_features, self.n_classes, self.seed = n_features, n_classes, seed
        self.linear = torch.nn.Linear(n_features, n_classes)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.linear.weight.copy_(0.1 * torch.randn(n_classes, n_features, generator=gen))
            self.linear.bias.zero_()
        self.gate_count = None
        self.group: PermutationGroup | None = None

    @property
    def config(self) -> dict[str, Any]:
        return {
            "kind": "test_logistic",
            "n_features": self.n_features,
            "n_classes": self.n_classes,
            "seed": self.seed,
        }

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.reshape(x.shape[0], -1))


class Pooled(torch.nn.Module):
    """Exactly invariant model: mean of a base model's logits over the whole orbit ``G·x``."""

    def __init__(self, base: torch.nn.Module, group: PermutationGroup) -> None:
        super().__init__()
        self.base, self.group = base, group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        copies = self.group.act_all(x)  # (order, B, *shape)
        order, b = copies.shape[:2]
        logits = self.base(copies.reshape(order * b, *x.shape[1:]))
        return logits.reshape(order, b, -1).mean(dim=0)


class Constant(torch.nn.Module):
    """Logits that ignore the input: validation loss cannot improve once the bias has settled."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(2))
        self.group = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bias.expand(x.shape[0], 2)


if "test_logistic" not in registered_kinds():
    register_model("test_logistic")(Logistic)


def make_data(n: int, seed: int, *, label: str = "sum") -> tuple[np.ndarray, np.ndarray]:
    """``x`` float32 ``(n, 4, 4)``; ``y`` = sign of the pixel sum (D4-invariant) or a corner."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4, 4)).astype(np.float32)
    score = x.sum(axis=(1, 2)) if label == "sum" else x[:, 0, 0] + 0.1 * x[:, 0, 1]
    return x, (score > 0).astype(np.int64)
