"""Encoding for the S_n sector engine: product inputs → reduced total-spin sector blocks.

See ``sn_sector`` and ``SN_SECTOR.md``: adding qubits one at a time with spin-½ Clebsch–Gordan
isometries gives the exact blocks ``ρ_j = Tr_{M_j}(Π_j ρ Π_j)`` of a product state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

__all__ = ["SnData", "encode_product_sectors"]


@dataclass
class SnData:
    """Sector-reduced input states of a batch (the cacheable output of ``SnSectorEngine.encode``).

    Attributes:
        n_qubits: number of qubits ``n``.
        two_j: ``2j`` of each kept sector, descending (sector ``s`` has dimension ``two_j[s] + 1``).
        blocks: one real tensor ``(B, w, w)`` per kept sector (``w = 2j+1`` on the exact path): ``ρ_j``
            in the data frame (basis ``m = j − p``), symmetric positive semidefinite.
        weights: ``(B, S)`` sector weights ``Tr ρ_j`` (sum to ``1 − dropped``).
        dropped: ``(B,)`` total weight removed by the truncation (0 when exact), so that
            ``weights.sum(1) + dropped = 1``.
        encoding: ``{"axis", "init", "scale"}`` of the angle encoding that produced the data.
        frame: ``α``: blocks are stored in the frame where each qubit is ``R_Y(a_i − α)|0⟩`` (the
            fast path aligns it with the data's mean Bloch vector; 0 for the exact path). With
            ``α ≠ 0`` a block may be only the top-left ``w × w`` corner, ``w ≤ 2j+1``.
        error: ``(B,)`` bound on ``|exact − computed|`` per unit observable norm (``None``: equal
            to ``dropped``, the bound of a pure sector cut).
        factors: a cache of the engine's (small batches, fast path): per sector ``F`` ``(B, w, r)``
            with ``F Fᵀ`` the block up to a dropped eigenvalue mass, and that mass ``(B,)`` (not
            saved; recomputed).
    """

    n_qubits: int
    two_j: tuple[int, ...]
    blocks: list[torch.Tensor]
    weights: torch.Tensor
    dropped: torch.Tensor
    encoding: dict[str, Any] = field(default_factory=dict)
    frame: float = 0.0
    error: torch.Tensor | None = None
    factors: tuple[list[torch.Tensor], torch.Tensor] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.error is None:
            self.error = self.dropped

    @property
    def error_bound(self) -> torch.Tensor:
        """``(B,)`` error bound per unit observable norm."""
        return self.dropped if self.error is None else self.error

    @property
    def batch_size(self) -> int:
        return int(self.weights.shape[0])

    def __len__(self) -> int:
        return self.batch_size

    @property
    def device(self) -> torch.device:
        return self.weights.device

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> SnData:
        """A copy on ``device`` and/or in the real ``dtype`` (float32 or float64)."""
        if dtype is not None and dtype not in (torch.float32, torch.float64):
            raise ValueError(
                f"SnData holds real blocks: dtype must be float32 or float64; got {dtype}."
            )
        return SnData(
            self.n_qubits,
            self.two_j,
            [b.to(device=device, dtype=dtype) for b in self.blocks],
            self.weights.to(device=device, dtype=dtype),
            self.dropped.to(device=device, dtype=dtype),
            dict(self.encoding),
            self.frame,
            self.error_bound.to(device=device, dtype=dtype),
        )

    def select(self, index: slice | Sequence[int] | torch.Tensor) -> SnData:
        """The samples at ``index`` (a slice, a list of ints, or an index/bool tensor), e.g. a minibatch."""
        idx = index if isinstance(index, slice) else torch.as_tensor(index, device=self.device)
        return SnData(
            self.n_qubits,
            self.two_j,
            [b[idx] for b in self.blocks],
            self.weights[idx],
            self.dropped[idx],
            dict(self.encoding),
            self.frame,
            self.error_bound[idx],
        )

    def save(self, path: str | Path) -> None:
        """Store with ``torch.save`` (tensors moved to CPU)."""
        cpu = self.to("cpu")
        torch.save(
            {
                "format": "equiqnn.SnData/2",
                "n_qubits": cpu.n_qubits,
                "two_j": list(cpu.two_j),
                "blocks": cpu.blocks,
                "weights": cpu.weights,
                "dropped": cpu.dropped,
                "encoding": cpu.encoding,
                "frame": cpu.frame,
                "error": cpu.error_bound,
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str | None = None) -> SnData:
        """Read what :meth:`save` wrote (``weights_only`` loading: tensors, lists and dicts only)."""
        obj = torch.load(path, map_location=device, weights_only=True)
        if not isinstance(obj, dict) or obj.get("format") not in (
            "equiqnn.SnData/1",
            "equiqnn.SnData/2",
        ):
            raise ValueError(f"{path} does not hold SnData saved by SnData.save.")
        return cls(
            int(obj["n_qubits"]),
            tuple(int(t) for t in obj["two_j"]),
            list(obj["blocks"]),
            obj["weights"],
            obj["dropped"],
            dict(obj["encoding"]),
            float(obj.get("frame", 0.0)),
            obj.get("error"),
        )


def encode_product_sectors(
    angles: torch.Tensor, *, tail_weight: float = 0.0
) -> tuple[tuple[int, ...], list[torch.Tensor], torch.Tensor]:
    """Sector blocks of the product states ``⊗_i R_Y(a_i)|0⟩`` by Clebsch–Gordan recursion.

    Args:
        angles: ``(B, n)`` real angles ``a_i`` (float32 or float64; the blocks take this dtype).
        tail_weight: total weight per sample that may be dropped: after adding qubit ``k`` the
            lightest sectors are dropped while every sample's dropped weight stays within
            ``tail_weight · k / n`` (their descendants would carry exactly that weight).

    Returns:
        ``(two_j, blocks, dropped)``: ``2j`` descending, real blocks ``(B, 2j+1, 2j+1)``, and the
        dropped weight ``(B,)``.
    """
    batch, n = angles.shape
    dtype, device = angles.dtype, angles.device
    c = torch.cos(angles / 2)  # amplitude of |0⟩ = |↑⟩
    s = torch.sin(angles / 2)  # amplitude of |1⟩ = |↓⟩
    two_j: list[int] = [1]
    blocks = [
        torch.stack(
            [
                torch.stack([c[:, 0] ** 2, c[:, 0] * s[:, 0]], -1),
                torch.stack([c[:, 0] * s[:, 0], s[:, 0] ** 2], -1),
            ],
            -2,
        )
    ]
    dropped = torch.zeros(batch, dtype=dtype, device=device)
    coeff_cache: dict[int, tuple[torch.Tensor, ...]] = {}

    def coeffs(tj: int) -> tuple[torch.Tensor, ...]:
        # CG for V_j ⊗ V_½ → V_{j±½}, d = 2j+1, rows p' of the new sector:
        #   |j+½, p'⟩ = α_p' |j, p'⟩|↑⟩ + β_p' |j, p'−1⟩|↓⟩,   α = √((d−p')/d), β = √(p'/d)
        #   |j−½, p'⟩ = −β̃_p' |j, p'+1⟩|↑⟩ + α̃_p' |j, p'⟩|↓⟩,  β̃ = √((p'+1)/d), α̃ = √((d−1−p')/d)
        if tj not in coeff_cache:
            d = tj + 1
            pp = torch.arange(d + 1, dtype=dtype, device=device)
            pm = torch.arange(d - 1, dtype=dtype, device=device)
            coeff_cache[tj] = (
                torch.sqrt((d - pp) / d),
                torch.sqrt(pp / d),
                torch.sqrt((pm + 1) / d),
                torch.sqrt((d - 1 - pm) / d),
            )
        return coeff_cache[tj]

    for k in range(1, n):
        ck, sk = c[:, k, None], s[:, k, None]  # (B, 1)
        # parents in descending 2j: the j−½ child of parent 2j creates the buffer of sector 2j−1,
        # which the j+½ child of parent 2j−2 (next-but-one iteration) then accumulates into
        new: dict[int, torch.Tensor] = {}
        for tj, rho in zip(two_j, blocks, strict=True):
            d = tj + 1
            al, be, bt, at = coeffs(tj)
            # j + ½: rows then columns with the bidiagonal map (a on the diagonal, b below it)
            a, b = al * ck, be * sk  # (B, d+1)
            y = rho.new_empty(batch, d + 1, d)
            torch.mul(a[:, :d, None], rho, out=y[:, :d])
            y[:, d] = 0
            y[:, 1:].addcmul_(b[:, 1:, None], rho)
            if tj + 1 not in new:
                new[tj + 1] = rho.new_zeros(batch, d + 1, d + 1)
            z = new[tj + 1]
            z[:, :, :d].addcmul_(a[:, None, :d], y)
            z[:, :, 1:].addcmul_(b[:, None, 1:], y)
            if tj >= 1:  # j − ½: u on the super-diagonal, v on the diagonal
                u, v = -bt * ck, at * sk  # (B, d−1)
                y2 = torch.mul(u[:, :, None], rho[:, 1:])
                y2.addcmul_(v[:, :, None], rho[:, :-1])
                z2 = torch.mul(u[:, None, :], y2[:, :, 1:])
                z2.addcmul_(v[:, None, :], y2[:, :, :-1])
                new[tj - 1] = z2
        two_j = sorted(new, reverse=True)
        blocks = [new[t] for t in two_j]
        if tail_weight > 0 or k == n - 1:
            two_j, blocks, dropped = _truncate(two_j, blocks, dropped, tail_weight * (k + 1) / n)
    return tuple(two_j), blocks, dropped


def _truncate(
    two_j: list[int], blocks: list[torch.Tensor], dropped: torch.Tensor, budget: float
) -> tuple[list[int], list[torch.Tensor], torch.Tensor]:
    """Drop the lightest sectors while every sample's total dropped weight stays ``≤ budget``
    (with ``budget = 0`` only sectors of exactly zero weight go)."""
    w = torch.stack([b.diagonal(dim1=-2, dim2=-1).sum(-1) for b in blocks], -1).abs()  # (B, S)
    order = torch.argsort(w.max(0).values)
    cum = dropped[:, None] + torch.cumsum(w[:, order], -1)  # (B, S)
    ok = (cum <= budget).all(0)
    n_drop = int(ok.long().cumprod(0).sum())
    n_drop = min(n_drop, len(blocks) - 1)  # keep at least one sector
    if n_drop == 0:
        return two_j, blocks, dropped
    gone = set(order[:n_drop].tolist())
    dropped = dropped + w[:, order[:n_drop]].sum(-1)
    keep = [i for i in range(len(blocks)) if i not in gone]
    return [two_j[i] for i in keep], [blocks[i] for i in keep], dropped
