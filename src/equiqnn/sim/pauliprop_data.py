"""Encoded data for Pauli propagation: per-sample, per-qubit Bloch vectors of product inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

__all__ = ["PropData", "bloch_vectors"]


@dataclass
class PropData:
    """Per-sample, per-qubit Bloch vectors of a product input (the cacheable output of
    :meth:`PauliPropagationEngine.encode`).

    Attributes:
        bloch: real ``(B, n, 3)`` tensor of ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)`` per sample and qubit.
        encoding: description of the encoding that produced it (for checks and provenance).
    """

    bloch: torch.Tensor
    encoding: dict[str, Any] = field(default_factory=dict)

    @property
    def batch(self) -> int:
        return int(self.bloch.shape[0])

    @property
    def n_qubits(self) -> int:
        return int(self.bloch.shape[1])

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> PropData:
        """A copy on ``device`` and/or in the real ``dtype`` (float32 or float64)."""
        if dtype is not None and dtype not in (torch.float32, torch.float64):
            raise ValueError(
                f"PropData holds real Bloch vectors: dtype must be float32 or float64; got {dtype}."
            )
        return PropData(self.bloch.to(device=device, dtype=dtype), dict(self.encoding))

    def save(self, path: str | Path) -> None:
        """Write to ``path`` (a torch file holding tensors and plain data only)."""
        torch.save({"bloch": self.bloch.detach().cpu(), "encoding": dict(self.encoding)}, path)

    @classmethod
    def load(cls, path: str | Path) -> PropData:
        """Read what :meth:`save` wrote."""
        blob = torch.load(path, weights_only=True)
        return cls(blob["bloch"], dict(blob["encoding"]))


def bloch_vectors(
    x: torch.Tensor, rotations: list[list[tuple[str, int, float]]], init: str
) -> torch.Tensor:
    """Bloch vectors ``(B, n, 3)`` of ``∏ R_axis(scale·x[:, feature]) |init⟩`` per qubit.

    Args:
        x: real features ``(B, F)``.
        rotations: per qubit, the ``(axis, feature, scale)`` rotations in time order (may be empty).
        init: ``"zero"`` (Bloch vector ``(0, 0, 1)``) or ``"plus"`` (``(1, 0, 0)``).

    ``R_axis(a)`` rotates the Bloch vector by ``a`` about ``axis`` (right-handed), e.g.
    ``R_Y(a)|0⟩ → (sin a, 0, cos a)``.
    """
    batch = x.shape[0]
    start = [0.0, 0.0, 1.0] if init == "zero" else [1.0, 0.0, 0.0]
    out = []
    for rots in rotations:
        v = [torch.full((batch,), s, dtype=x.dtype, device=x.device) for s in start]
        for axis, feature, scale in rots:
            a = scale * x[:, feature]
            c, s = torch.cos(a), torch.sin(a)
            i, j = {"X": (1, 2), "Y": (2, 0), "Z": (0, 1)}[axis]  # rotate the (i, j) plane
            v[i], v[j] = c * v[i] - s * v[j], s * v[i] + c * v[j]
        out.append(torch.stack(v, -1))
    return torch.stack(out, 1)
