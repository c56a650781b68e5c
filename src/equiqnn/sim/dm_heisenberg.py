"""Run a ``HeisenbergPlan``: evolve the observables backwards, then contract with the input states.

``Tr(O ℰ(ρ(x))) = Tr(ℰ†(O) ρ(x))``: the data-free part of the circuit acts on the ``K`` observables
(real Pauli coefficients ``(K, 4**n)``, see ``dm_pauli``) instead of on ``B`` density matrices, so a
step costs ``K/B`` of a Schrödinger one plus one contraction with the inputs — a product state
``(B, n, 4)`` (one Bloch vector per qubit after the prefix) or amplitude vectors ``(B, 2**n)``.
Autograd runs backwards through the same ``K``-batch chain; long chains are checkpointed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.checkpoint import checkpoint

from equiqnn.sim.dm_blocks import Block, HeisenbergPlan
from equiqnn.sim.dm_local import LocalLayer
from equiqnn.sim.dm_pauli import pauli_basis

__all__ = ["HeisenbergRunner"]

_ZERO = (1.0, 1.0, 0.0, 0.0)  # Tr(P|0⟩⟨0|) for P = I, Z, X, Y
_PLUS = (1.0, 0.0, 1.0, 0.0)


class _SignedGather(torch.autograd.Function):
    """``val ⊙ o[:, perm]`` for a permutation ``perm``; the backward scatters (no inverse stored)."""

    @staticmethod
    def forward(ctx, o, perm, val):  # type: ignore[override]
        ctx.save_for_backward(perm, val)
        return torch.index_select(o, 1, perm) * val

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        perm, val = ctx.saved_tensors
        out = torch.empty_like(grad)
        out.index_copy_(1, perm, grad * val)
        return out, None, None


def _mode1(o: torch.Tensor, h: torch.Tensor, q: int, n: int) -> torch.Tensor:
    """``h`` (4×4) on qubit ``q``'s Pauli axis of ``o`` ``(K, 4**n)``, without moving axes."""
    k = o.shape[0]
    if q == n - 1:
        return (o.reshape(-1, 4) @ h.T).reshape(k, -1)
    return torch.matmul(h, o.reshape(k * 4**q, 4, 4 ** (n - 1 - q))).reshape(k, -1)


def _local(o: torch.Tensor, h: torch.Tensor, qs: tuple[int, ...], n: int) -> torch.Tensor:
    """``h`` (4**k × 4**k) on the Pauli axes ``qs`` (first listed most significant)."""
    if len(qs) == 1:
        return _mode1(o, h, qs[0], n)
    k = o.shape[0]
    t = o.reshape((k,) + (4,) * n)
    src = [q + 1 for q in qs]
    dst = list(range(n + 1 - len(qs), n + 1))
    t = torch.movedim(t, src, dst)
    shape = t.shape
    t = (t.reshape(-1, h.shape[0]) @ h.T).reshape(shape)
    return torch.movedim(t, dst, src).reshape(k, -1)


def _layer(o: torch.Tensor, mats: torch.Tensor, n: int) -> torch.Tensor:
    """``⊗_q mats[q]`` (``mats`` ``(n, 4, 4)``) on all Pauli axes: qubits in pairs, each pair one
    16×16 GEMM that also rotates its axes to the end, so after the last pair the order is restored
    and no transpose is ever materialized."""
    k = o.shape[0]
    pairs = torch.einsum("pij,pkl->pikjl", mats[0 : n - 1 : 2], mats[1:n:2]).reshape(-1, 16, 16)
    hs = list(pairs) + ([mats[n - 1]] if n % 2 else [])
    t = o.reshape(k, -1)
    for h in hs:
        d = h.shape[0]
        if k == 1:  # one 2-D GEMM with a transposed operand: no copy
            t = (t.reshape(d, -1).T @ h.T).reshape(1, -1)
        else:
            t = (t.reshape(k, d, -1).transpose(1, 2) @ h.T).reshape(k, -1)
    return t


class HeisenbergRunner:
    """Tensors of a plan on one device and dtype, and the forward pass.

    Args:
        plan: the compiled blocks.
        obs: ``(K, 4**n)`` float64 observable coefficients.
        device, rdtype: where and in which real dtype to run.
    """

    def __init__(self, plan: HeisenbergPlan, obs: np.ndarray, device, rdtype: torch.dtype):
        self.plan, self.n, self.rd, self.device = plan, plan.n, rdtype, device
        self.obs = self._t(obs)
        self.blocks = [self._block(b) for b in plan.blocks]
        self.prefix = (
            None if plan.prefix is None else LocalLayer(plan.prefix.local, False, device, rdtype)
        )
        self._pb: torch.Tensor | None = None
        # the data- and parameter-free end of the circuit acts on the observables once, here
        self.steps = self.blocks[::-1]
        o = self.obs
        with torch.no_grad():
            while self.steps and self.steps[0][0] in ("C", "const"):
                o = self._apply(self.steps[0], o, None)
                self.steps = self.steps[1:]
        self.obs = o
        del self.blocks  # what is left to run is self.steps
        # a few Pauli strings through a one-qubit layer stay products: no 4**n layer pass
        nz = torch.nonzero(o).tolist()
        self.terms = None
        if self.steps and self.steps[0][0] == "L" and len(nz) <= 8:
            self.terms = [
                (k, self._t([4 * q + ((i >> (2 * (self.n - 1 - q))) & 3) for q in range(self.n)],
                            torch.long), o[k, i])
                for k, i in nz
            ]  # fmt: skip

    def _t(self, a, dtype=None) -> torch.Tensor:
        a = np.ascontiguousarray(a)
        return torch.as_tensor(a, dtype=dtype or self.rd, device=self.device)

    def _block(self, blk: Block) -> tuple:
        n = self.n
        if blk.kind == "L":
            layer = LocalLayer(blk.local, True, self.device, self.rd)
            missing = [q for q in range(n) if q not in blk.local]
            order = torch.as_tensor(np.argsort(layer.qubits + missing), device=self.device)
            return ("L", layer, order, len(missing))
        if blk.kind == "C":
            return ("C", self._t(blk.perm, torch.long), self._t(blk.val))
        (it,) = blk.items
        if it.kind == "flip":
            mask, sign, flip = it.parts
            shape = [1] * (2 * n)
            for q in it.qubits:
                shape[2 * q] = shape[2 * q + 1] = 2
            dims = [
                1 + 2 * q + b
                for q, f in zip(it.qubits, flip, strict=True)
                for b in (0, 1)
                if (int(f) >> (1 - b)) & 1
            ]
            return ("flip", self._t(mask).reshape(shape), self._t(sign).reshape(shape), dims, it)
        if it.kind == "gen":
            lam, vec = it.parts
            cd = torch.complex128 if self.rd == torch.float64 else torch.complex64
            pb = self._t(pauli_basis(len(it.qubits)), cd)
            return ("gen", self._t(lam), self._t(vec, cd), pb, it)
        return ("const", self._t(it.mat.T), it.qubits)  # type: ignore[union-attr]

    # ---------------------------------------------------------------- forward pieces
    def product_state(self, params, x, batch: int, initial: str) -> torch.Tensor:
        """Per-qubit Pauli vectors ``(B, n, 4)`` after the prefix (Schrödinger)."""
        init = self._t(_ZERO if initial == "zero" else _PLUS)
        if self.prefix is None:
            return init.expand(batch, self.n, 4)
        qs = self.prefix.qubits
        w = self.prefix.evolve(init.expand(batch, len(qs), 4), params, x)
        if len(qs) < self.n:
            missing = [q for q in range(self.n) if q not in qs]
            w = torch.cat([w, init.expand(batch, len(missing), 4)], 1)
            w = w[:, np.argsort(qs + missing)]
        elif qs != sorted(qs):
            w = w[:, np.argsort(qs)]
        return w

    def _apply(self, blk: tuple, o: torch.Tensor, params) -> torch.Tensor:
        n = self.n
        kind = blk[0]
        if kind == "L":
            _, layer, order, n_missing = blk
            mats = layer.matrices(params)
            if len(layer.qubits) == 1:  # one qubit: one mode product
                for i, q in enumerate(layer.qubits):
                    o = _mode1(o, mats[i], q, n)
                return o
            return _layer(o, self._full(mats, order, n_missing), n)
        if kind == "C":
            return _SignedGather.apply(o, blk[1], blk[2])
        if kind == "const":
            return _local(o, blk[1], blk[2], n)
        it = blk[-1]
        ang = (it.coeff * params[it.slot]).to(self.rd)
        if kind == "flip":
            _, mask, sign, dims, _ = blk
            t = o.reshape((o.shape[0],) + (2,) * (2 * n))
            out = t * (1 + (torch.cos(ang) - 1) * mask) + torch.flip(t, dims) * (
                torch.sin(ang) * sign
            )
            return out.reshape(o.shape[0], -1)
        _, lam, vec, pb, _ = blk  # generator rotation: Heisenberg PTM U† P_i U on its support
        u = (vec * torch.exp(-0.5j * ang * lam)) @ vec.conj().T
        conj = torch.einsum("ab,qbc,cd->qad", u.conj().T, pb, u)  # U† P_q U
        h = torch.einsum("rba,qab->rq", pb, conj).real / 2 ** len(it.qubits)
        return _local(o, h.to(self.rd), it.qubits, n)

    @staticmethod
    def _full(mats: torch.Tensor, order: torch.Tensor, n_missing: int) -> torch.Tensor:
        """``(n, 4, 4)`` in qubit order, identity for the qubits the layer does not touch."""
        if n_missing:
            eye = torch.eye(4, dtype=mats.dtype, device=mats.device)
            mats = torch.cat([mats, eye.expand(n_missing, 4, 4)])
        return mats.index_select(0, order)

    def _product_layer(self, blk: tuple, params) -> torch.Tensor:
        """The first layer applied to the observables' few Pauli strings: ``⊗_q M_q[:, a_q]``."""
        _, layer, order, n_missing = blk
        mats = self._full(layer.matrices(params), order, n_missing)
        rows: list[torch.Tensor | None] = [None] * self.obs.shape[0]
        flat = mats.transpose(1, 2).reshape(-1, 4)  # row 4q + a: column a of qubit q's matrix
        for k, rows_idx, c in self.terms:  # type: ignore[union-attr]
            cols = flat.index_select(0, rows_idx)  # (n, 4)
            v = c * cols[0]
            for q in range(1, self.n):
                v = (v[:, None] * cols[q]).reshape(-1)
            rows[k] = v if rows[k] is None else rows[k] + v
        zero = torch.zeros(4**self.n, dtype=mats.dtype, device=mats.device)
        full = [zero if r is None else r for r in rows]
        return full[0][None] if len(full) == 1 else torch.stack(full)

    def observables(self, params, grad: bool, segments: int) -> torch.Tensor:
        """``ℰ†(O_k)`` as ``(K, 4**n)`` Pauli coefficients (checkpointed when ``segments > 1``)."""
        o, steps = self.obs, self.steps
        if self.terms is not None:
            o, steps = self._product_layer(steps[0], params), steps[1:]
        if not grad or segments <= 1 or len(steps) <= 1:
            for blk in steps:
                o = self._apply(blk, o, params)
            return o
        size = math.ceil(len(steps) / segments)
        for start in range(0, len(steps), size):
            chunk = steps[start : start + size]
            o = checkpoint(self._run_chunk, o, params, chunk, use_reentrant=False)
        return o

    def _run_chunk(self, o, params, chunk):
        for blk in chunk:
            o = self._apply(blk, o, params)
        return o

    @staticmethod
    def contract_product(o: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """``f[b, k] = Σ_R o[k, R] Π_q r[b, q, R_q]`` for ``o`` ``(K, 4**n)``, ``r`` ``(B, n, 4)``.

        The first ``⌈n/2⌉`` qubits' vectors are multiplied out into ``(B, 4**g)`` and contracted with
        ``o`` in one GEMM of inner size ``4**g`` (compute-bound, not a pass per qubit); the rest is
        one elementwise product with the other qubits' multiplied-out vectors.
        """
        k, (b, n, _) = o.shape[0], r.shape
        g = (n + 1) // 2

        def kron(qs: range) -> torch.Tensor:
            out = torch.ones(b, 1, dtype=r.dtype, device=r.device)
            for q in qs:
                out = (out[:, :, None] * r[:, q, None, :]).reshape(b, -1)
            return out

        head, tail = kron(range(g)), kron(range(g, n))
        t = torch.matmul(head, o.reshape(k, 4**g, 4 ** (n - g)))  # (K, B, 4^{n-g})
        return (t * tail).sum(-1).T

    def contract_amplitude(self, o: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
        """``f[b, k] = Re ψ_b† (Σ_R o[k, R] P_R) ψ_b`` for amplitude vectors ``ψ`` ``(B, 2**n)``."""
        n, k = self.n, o.shape[0]
        if self._pb is None or self._pb.dtype != psi.dtype:
            self._pb = self._t(pauli_basis(1).reshape(4, 4).T, psi.dtype)  # (ij, a)
        t = _layer(o.to(psi.dtype), self._pb.expand(n, 4, 4), n)  # axis q: a → (i_q, j_q)
        t = t.reshape((k,) + (2,) * (2 * n))
        perm = [0] + [1 + 2 * q for q in range(n)] + [2 + 2 * q for q in range(n)]
        mat = t.permute(perm).reshape(k, 2**n, 2**n)  # O'_k[i, j]
        out = torch.einsum("bi,kij,bj->bk", psi.conj(), mat, psi)
        return out.real
