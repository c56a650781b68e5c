"""Padded sector groups of the S_n forward: where each sector's basis vectors sit, and the ops that
change between bases (full products, fixed phases, and the persymmetric fold of ``sn_basis``).

A group of sectors is zero-padded to its largest dimension ``D``. In the ``J_z`` basis every sector
is centred, so ``m`` depends on the position only and the flip of the padded axis is every
sector's flip ``p → 2j − p``; fold bases put their even vectors at ``0`` and their odd ones at
``⌈D/2⌉``; full bases are top-aligned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from equiqnn.sim.sn_basis import SectorBasis

if TYPE_CHECKING:
    from equiqnn.sim.sn_forward import SectorForward

__all__ = ["Layout", "apply_ops", "mm"]


def mm(w: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """``w @ m`` for any mix of real and complex (a real ``w`` acts on the real and imaginary parts
    of a complex ``m`` in one real product: half the work of a complex one)."""
    if not w.is_complex() and m.is_complex():
        *lead, d, k = m.shape
        out = w @ torch.view_as_real(m).reshape(*lead, d, 2 * k)
        return torch.view_as_complex(out.reshape(*lead, w.shape[-2], k, 2))
    if w.is_complex() and not m.is_complex():
        m = m.to(w.dtype)
    return w @ m


def apply_ops(ops: list[tuple], m: torch.Tensor) -> torch.Tensor:
    """Apply basis-change ops (see ``Layout.transition``) to ``M`` ``(G, D, W)``."""
    for op in ops:
        if op[0] == "mm":
            m = mm(op[1], m)
        elif op[0] == "phase":
            m = op[1] * m
        elif op[0] == "fold":
            _, f_e, f_o, h = op
            top, bot = m[:, :h], m.flip(1)[:, :h]
            m = torch.cat([mm(f_e, top + bot), mm(f_o, top - bot)], 1)
        else:  # unfold
            _, f_e, f_o, h, mid = op
            a, b = mm(f_e.mT, m[:, :h]), mm(f_o.mT, m[:, h:])
            if mid is not None:
                a = a * mid  # the middle row of F_e is halved: undo it
            m = torch.cat([a + b, (a - b)[:, : m.shape[1] - h].flip(1)], 1)
    return m


class Layout:
    """Positions of each sector's basis vectors in a group's padded axis (length ``D``): ``J_z``
    centred, fold bases ``[even | odd]`` at ``0`` and ``⌈D/2⌉``, full bases top-aligned; and the ops
    that change between two bases (see ``sn_basis``)."""

    def __init__(self, group: tuple[int, ...], fwd: SectorForward, device: torch.device) -> None:
        self.group, self.fwd, self.device = group, fwd, device
        self.dim = group[0] + 1
        self.half_up = (self.dim + 1) // 2
        self.offsets = [(group[0] - tj) // 2 for tj in group]
        self._cache: dict[tuple, Any] = {}

    def positions(self, kind: str, b: SectorBasis, i: int) -> np.ndarray:
        d = self.group[i] + 1
        if kind == "Z":
            return self.offsets[i] + np.arange(d)
        if kind == "fold":
            return np.concatenate([np.arange(b.n_even), self.half_up + np.arange(d - b.n_even)])
        return np.arange(d)

    def _phase(self, sign: float) -> tuple:
        m = (self.dim - 1) / 2 - np.arange(self.dim)  # the same m at each position (centred)
        ph = np.exp(sign * 0.5j * np.pi * m)[None, :, None]
        return ("phase", torch.as_tensor(ph, device=self.device, dtype=self.fwd.cdtype))

    def _fold(self, key: str) -> tuple:
        """``(F_e, F_o, ⌈D/2⌉, middle-row fix)`` of a fold basis (``J_y`` shares ``J_x``'s)."""
        key = "X" if key == "Y" else key
        if ("fold", key) not in self._cache:
            h, dim = self.half_up, self.dim
            f_e = np.zeros((len(self.group), h, h))
            f_o = np.zeros((len(self.group), dim // 2, h))
            for i, tj in enumerate(self.group):
                b = self.fwd.basis(tj, key)
                assert b.v is not None  # noqa: S101 - fold bases have vectors
                d, off = tj + 1, self.offsets[i]
                top = b.v[: (d + 1) // 2].copy()
                if d % 2:
                    top[-1] /= 2  # the middle row is counted twice by top + flip(top)
                f_e[i, : b.n_even, off:] = top[:, : b.n_even].T
                f_o[i, : d - b.n_even, off:] = top[:, b.n_even :].T
            mid = None
            if dim % 2:
                mid_np = np.ones((h, 1))
                mid_np[-1] = 2.0
                mid = torch.as_tensor(mid_np, device=self.device, dtype=self.fwd.dtype)
            as_t = lambda a: torch.as_tensor(a, device=self.device, dtype=self.fwd.dtype)  # noqa: E731
            self._cache[("fold", key)] = (as_t(f_e), as_t(f_o), h, mid)
        return self._cache[("fold", key)]

    def _full(self, a: str, b: str) -> tuple:
        """One product ``V_b† V_a`` (rows and columns in the two bases' layouts)."""
        if ("mm", b, a) in self._cache:  # the reverse change: its adjoint
            return ("mm", self._cache[("mm", b, a)].mH)
        ka, kb = self.fwd._kind(self.group, a), self.fwd._kind(self.group, b)
        cplx = False
        mats = []
        for i, tj in enumerate(self.group):
            ba, bb = self.fwd.basis(tj, a), self.fwd.basis(tj, b)
            w = bb.full().conj().T @ ba.full()
            cplx = cplx or bool(np.iscomplexobj(w) and np.any(w.imag))
            mats.append((w, self.positions(kb, bb, i), self.positions(ka, ba, i)))
        out = np.zeros((len(self.group), self.dim, self.dim), dtype=complex if cplx else float)
        for i, (w, rows, cols) in enumerate(mats):
            out[i][np.ix_(rows, cols)] = w if cplx else np.real(w)
        dtype = self.fwd.cdtype if cplx else self.fwd.dtype
        self._cache[("mm", a, b)] = torch.as_tensor(out, device=self.device, dtype=dtype)
        return ("mm", self._cache[("mm", a, b)])

    def transition(self, a: str, b: str) -> list[tuple]:
        """Ops taking ``M`` from basis ``a`` to basis ``b`` (``"Z"`` = ``J_z``)."""
        if a == b:
            return []
        ka, kb = self.fwd._kind(self.group, a), self.fwd._kind(self.group, b)
        if "full" in (ka, kb):
            return [self._full(a, b)]
        ops: list[tuple] = []
        if ka == "fold":
            ops.append(("unfold", *self._fold(a)))
            if self.fwd.basis(self.group[0], a).quarter:
                ops.append(self._phase(-1.0))
        if kb == "fold":
            if self.fwd.basis(self.group[0], b).quarter:
                ops.append(self._phase(1.0))
            ops.append(("fold", *self._fold(b)[:3]))
        return ops
