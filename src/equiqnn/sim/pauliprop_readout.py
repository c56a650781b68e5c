"""Read-out of propagated Pauli sums on product states, and the folding of leading single-qubit
gates into the product state (see ``pauli_propagation`` for the conventions).

``⟨ψ| Q |ψ⟩ = ∏_{q ∈ supp Q} b[q, Q_q]`` with ``b[q]`` the Bloch vector of qubit ``q``. Strings are
grouped by weight, so each group is a dense ``(w, S_w)`` table of indices into the flattened per-qubit
table ``[1, ⟨X⟩, ⟨Z⟩, ⟨Y⟩]`` (no padding). The read-out is a custom autograd function: the gradient in
the coefficients is ``Eᵀ g`` and the gradient in the Bloch vectors (needed when parameterised
single-qubit gates are folded into them) uses prefix and suffix products, so nothing of size
``(w, B, S)`` is kept between forward and backward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from equiqnn.sim.pauliprop_strings import _unpack, _weight

__all__: list[str] = []

_BUDGET = 1 << 15  # elements of one (chunk, B) product block: stays in cache


def _readout_groups(x: np.ndarray, z: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per weight ``w``: the rows of the strings of that weight and their ``(w, S_w)`` indices
    ``4 q + code`` (code: X=1, Z=2, Y=3) into the flattened per-qubit table."""
    weight = _weight(x, z)
    code = (_unpack(x)[:, :n] + 2 * _unpack(z)[:, :n]).astype(np.int64)
    out = []
    for w in np.unique(weight):
        rows = np.flatnonzero(weight == w)
        sub = code[rows]
        r, q = np.nonzero(sub)  # row-major: each row's support in qubit order
        index = (4 * q + sub[r, q]).reshape(len(rows), int(w)).T.copy()
        out.append((rows, index))
    return out


def _table(bloch: torch.Tensor) -> torch.Tensor:
    """``(B, 4 n)`` flattened per-qubit ``[1, ⟨X⟩, ⟨Z⟩, ⟨Y⟩]`` (the order of the 2-bit codes)."""
    ones = torch.ones_like(bloch[:, :, :1])
    table = torch.cat([ones, bloch[:, :, 0:1], bloch[:, :, 2:3], bloch[:, :, 1:2]], -1)
    return table.reshape(bloch.shape[0], -1)


def _chunks(groups: list[tuple[torch.Tensor, torch.Tensor]], batch: int):
    """``(lo, hi, index (w, hi - lo))`` blocks of the weight groups, at most ``_BUDGET`` products."""
    lo = 0
    for _, index in groups:
        s = index.shape[1]
        step = max(1, _BUDGET // max(batch, 1))
        for a in range(0, s, step):
            yield lo + a, lo + min(s, a + step), index[:, a : a + step]
        lo += s


def _product(rows: torch.Tensor, index: torch.Tensor, buf: torch.Tensor) -> torch.Tensor:
    """``(S, B)`` products of the gathered rows; ``rows`` is ``(4 n, B)`` so every gather copies
    contiguous rows; ``buf`` is scratch of at least ``(w + 1) S B`` elements (no allocations)."""
    w, s = index.shape
    batch = rows.shape[1]
    prod = buf[: s * batch].view(s, batch)
    if w == 0:
        return prod.fill_(1.0)
    torch.index_select(rows, 0, index[0], out=prod)
    if w > 1:
        gathered = buf[s * batch : s * batch * w].view(w - 1, s, batch)
        torch.index_select(rows, 0, index[1:].reshape(-1), out=gathered.view(-1, batch))
        for j in range(w - 1):
            prod.mul_(gathered[j])
    return prod


def _scratch(rows: torch.Tensor, groups: list, factor: int) -> torch.Tensor:
    wmax = max((int(index.shape[0]) for _, index in groups), default=0)
    chunk = max(1, _BUDGET // max(rows.shape[1], 1))
    return rows.new_empty(factor * (wmax + 1) * chunk * rows.shape[1])


class _Readout(torch.autograd.Function):
    """``out (B, K) = Σ_s (∏_j table[b, index[j, s]]) · c[s, k]`` over weight-sorted strings."""

    @staticmethod
    def forward(ctx: Any, table: torch.Tensor, c: torch.Tensor, groups: list) -> torch.Tensor:
        ctx.save_for_backward(table, c)
        ctx.groups = groups
        batch = table.shape[0]
        rows = table.T.contiguous()
        buf = _scratch(rows, groups, 1)
        out = table.new_zeros(batch, c.shape[1])
        for lo, hi, index in _chunks(groups, batch):
            out.addmm_(_product(rows, index, buf).T, c[lo:hi])
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(
        ctx: Any, grad: torch.Tensor
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, None]:
        table, c = ctx.saved_tensors
        need_table, need_c = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        batch = table.shape[0]
        rows = table.T.contiguous()  # (4 n, B)
        g_rows = torch.zeros_like(rows) if need_table else None
        g_c = torch.zeros_like(c) if need_c else None
        buf = _scratch(rows, ctx.groups, 2)
        half = len(buf) // 2
        for lo, hi, index in _chunks(ctx.groups, batch):
            w, s = index.shape
            if g_rows is not None and w > 0:
                factors = buf[: w * s * batch].view(w, s, batch)
                torch.index_select(rows, 0, index.reshape(-1), out=factors.view(-1, batch))
                part = buf[half : half + w * s * batch].view(w, s, batch)
                part[w - 1].fill_(1.0)
                for j in range(w - 2, -1, -1):  # suffix products
                    torch.mul(part[j + 1], factors[j + 1], out=part[j])
                prod = buf[half + w * s * batch : half + (w + 1) * s * batch].view(s, batch)
                prod.fill_(1.0)
                for j in range(w):  # times prefix products: ∏_{i != j}
                    part[j].mul_(prod)
                    prod.mul_(factors[j])
                part.mul_(torch.mm(c[lo:hi], grad.T))  # (S, B): how much each string matters
                g_rows.index_add_(0, index.reshape(-1), part.view(-1, batch))
            else:
                prod = _product(rows, index, buf)
            if g_c is not None:
                g_c[lo:hi] = prod @ grad
        return (None if g_rows is None else g_rows.T), g_c, None


def _readout(table: torch.Tensor, c: torch.Tensor, groups: list) -> torch.Tensor:
    return _Readout.apply(table, c, groups)


# -- folding leading single-qubit gates into the product state ------------------------------------


@dataclass
class _Fold:
    """Single-qubit gates applied to the product state before any other gate touches their qubit,
    in time order: qubit, axis (0, 1, 2 for X, Y, Z), slot (-1: a fixed Pauli, a rotation by π)
    and angle coefficient."""

    qubit: np.ndarray
    axis: np.ndarray
    slot: np.ndarray
    coeff: np.ndarray

    def __len__(self) -> int:
        return len(self.qubit)


_PLANE = {0: (1, 2), 1: (2, 0), 2: (0, 1)}  # rotation about X turns (Y, Z), and so on


def _fold(bloch: torch.Tensor, fold: _Fold, params: torch.Tensor) -> torch.Tensor:
    """Bloch vectors ``(B, n, 3)`` after the folded gates; differentiable in ``params``.

    ``exp(−i a P / 2)`` rotates the Bloch vector by ``a`` about axis ``P`` (right-handed); a fixed
    Pauli ``P`` is the rotation by π (exactly: the two other components change sign)."""
    if not len(fold):
        return bloch
    stage = np.zeros(len(fold), dtype=np.int64)
    seen: dict[int, int] = {}
    for i, q in enumerate(fold.qubit):  # the i-th folded gate of its qubit
        stage[i] = seen.get(int(q), 0)
        seen[int(q)] = stage[i] + 1
    for s in range(int(stage.max()) + 1):
        for axis in range(3):
            sel = np.flatnonzero((stage == s) & (fold.axis == axis))
            if not len(sel):
                continue
            qs = torch.as_tensor(fold.qubit[sel], device=bloch.device)
            slots = fold.slot[sel]
            coeff = torch.as_tensor(fold.coeff[sel], dtype=bloch.dtype, device=bloch.device)
            ang = coeff * params[torch.as_tensor(np.maximum(slots, 0), device=bloch.device)]
            fixed = torch.as_tensor(slots < 0, device=bloch.device)
            cos = torch.where(fixed, -torch.ones_like(ang), torch.cos(ang))
            sin = torch.where(fixed, torch.zeros_like(ang), torch.sin(ang))
            i, j = _PLANE[axis]
            v = bloch.index_select(1, qs)
            vi, vj = v[:, :, i], v[:, :, j]
            new = [v[:, :, 0], v[:, :, 1], v[:, :, 2]]
            new[i], new[j] = cos * vi - sin * vj, sin * vi + cos * vj
            bloch = bloch.index_copy(1, qs, torch.stack(new, -1))
    return bloch
