"""One-qubit layers of the Heisenberg density-matrix path, vectorized over qubits.

A layer holds, per qubit, a time-ordered list of one-qubit items (``dm_blocks.Item``: constant PTMs,
trainable rotations, data rotations). Qubits whose lists have the same shape — the same kinds, the
same constant matrices, the same rotation axes, in the same order — form a group and are evaluated
together: one ``(g, 4, 4)`` tensor per position instead of ``g`` small ones, so the number of torch
operations does not grow with the number of qubits.
"""

from __future__ import annotations

import numpy as np
import torch

from equiqnn.sim.dm_blocks import Item

__all__ = ["LocalLayer"]


def _signature(items: list[Item]) -> tuple:
    out = []
    for it in items:
        if it.mat is not None:
            out.append(("const", np.round(it.mat, 14).tobytes()))
        else:
            out.append((it.kind, np.round(np.stack(it.parts), 14).tobytes()))
    return tuple(out)


def _fold(items: list[Item]) -> list[tuple[str, np.ndarray, int]]:
    """Constant PTMs folded into the neighbouring rotation's ``(C, A, S)``: ``N·R(θ)·P`` is again
    ``C' + cos θ A' + sin θ S'``, so a qubit's list becomes one step per rotation.

    Returns ``(kind, (3, 4, 4) parts or (1, 4, 4) constant, position of the rotation)``.
    """
    out: list[tuple[str, np.ndarray, int]] = []
    pending = np.eye(4)  # constants before the first rotation
    for pos, it in enumerate(items):
        if it.kind == "const":
            if out:
                kind, parts, p = out[-1]
                out[-1] = (kind, it.mat @ parts, p)  # type: ignore[operator]
            else:
                pending = it.mat @ pending  # type: ignore[operator]
            continue
        parts = np.stack(it.parts)
        out.append((it.kind, parts @ pending if not out else parts, pos))
        pending = np.eye(4)
    if not out:
        return [("const", pending[None], -1)]
    return out


class LocalLayer:
    """Per-qubit one-qubit items on one device and dtype.

    Args:
        local: ``{qubit: [Item, ...]}`` in time order.
        heisenberg: build the transposed PTMs (acting on observables) instead of the PTMs.
        device, rdtype: where and in which real dtype.
    """

    def __init__(self, local: dict[int, list[Item]], heisenberg: bool, device, rdtype):
        def t(a, dtype=rdtype):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

        groups: dict[tuple, list[int]] = {}
        for q in sorted(local):
            groups.setdefault(_signature(local[q]), []).append(q)
        self.groups = []
        order: list[int] = []
        for qubits in groups.values():
            steps: list[tuple] = []
            for kind, mat, pos in _fold(local[qubits[0]]):  # Schrödinger matrices, time order
                mats = mat.transpose(0, 2, 1) if heisenberg else mat
                if kind == "const":
                    steps.append(("const", t(mats[0])))
                    continue
                its = [local[q][pos] for q in qubits]
                coeff = t([it.coeff for it in its])
                index = t([it.slot if it.kind == "rot" else it.feature for it in its], torch.long)
                steps.append((kind, t(mats), index, coeff))
            self.groups.append((qubits, steps))
            order += qubits
        self.qubits = order  # row i of matrices() / column i of evolve() is qubit order[i]

    @staticmethod
    def _rot(parts: torch.Tensor, ang: torch.Tensor) -> torch.Tensor:
        """``C + cos·A + sin·S`` as one ``(…, 3) @ (3, 16)`` product (few ops, no broadcast sums)."""
        coef = torch.stack([torch.ones_like(ang), torch.cos(ang), torch.sin(ang)], -1)
        return (coef @ parts.reshape(3, 16)).reshape(ang.shape + (4, 4))

    def matrices(self, params: torch.Tensor) -> torch.Tensor:
        """``(len(qubits), 4, 4)``: each qubit's composite in time order (Heisenberg: ``H_1 H_2 …``)."""
        out = []
        for qubits, steps in self.groups:
            m = None
            for kind, *rest in steps:
                if kind == "const":
                    step = rest[0]
                else:
                    parts, index, coeff = rest
                    step = self._rot(parts, (coeff * params.index_select(0, index)).to(parts.dtype))
                m = step if m is None else m @ step
            assert m is not None
            out.append(m.expand(len(qubits), 4, 4))
        return torch.cat(out)

    def evolve(self, v: torch.Tensor, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Schrödinger: per-qubit Bloch vectors ``v`` ``(B, len(qubits), 4)`` through the items."""
        cols, start = [], 0
        for qubits, steps in self.groups:
            w = v[:, start : start + len(qubits)]
            start += len(qubits)
            for kind, *rest in steps:
                if kind == "const":
                    w = w @ rest[0].T
                    continue
                parts, index, coeff = rest
                if kind == "rot":
                    ang = (coeff * params.index_select(0, index)).to(parts.dtype)
                    r = self._rot(parts, ang)  # (g, 4, 4)
                    w = torch.einsum("gij,bgj->bgi", r, w)
                else:
                    r = self._rot(parts, coeff * x.index_select(1, index))  # (B, g, 4, 4)
                    w = torch.einsum("bgij,bgj->bgi", r, w)
            cols.append(w)
        return torch.cat(cols, 1)
