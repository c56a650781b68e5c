"""Run a fused plan (``sim/sv_fuse.py``) on a batch of states, with adjoint gradients.

A Kronecker segment multiplies the state by ``⊗_g K_g``, each ``K_g`` the Kronecker product of the
2×2 chain products of a group of qubits, applied as one matrix product on a reshaped view (up to
``SMALL_N`` qubits: one group, the whole register, with the following permutation folded into the
matrix). The gradient of a one-qubit rotation ``t`` on qubit ``q`` of a segment whose output states
are ``ψ`` and adjoint states ``λ`` is ``coeff_t · Im tr(Ĝ_t R_q)``: ``Ĝ_t = Y_t P_t Y_t†`` (``Y_t``:
the later gates of its chain) and ``R_q = Σ_b tr_{¬q} |ψ_b⟩⟨λ_b|``, the partial trace of the group's
cross matrix ``Σ_b tr_{¬g} |ψ_b⟩⟨λ_b|`` (gates on other qubits commute with ``Ĝ_t`` and drop out of
the partial trace). The backward sweep un-applies every segment to ``[ψ; λ]`` stacked together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from equiqnn.sim.kernels import apply_step, generator_action, materialize, take_columns
from equiqnn.sim.sv_fuse import FusedPlan, KronSeg, MonoSeg, StepSeg, kron_groups
from equiqnn.sim.sv_product import CHUNK_AMPLITUDES
from equiqnn.sim.sv_tables import chain_tables, trace_tables

__all__ = ["FusedRunner", "FusedAdjoint", "SMALL_N", "MAX_GROUP"]

SMALL_N = 6  # up to here: one dense matrix per segment (permutation folded in)
MAX_GROUP = 4  # qubits per Kronecker factor above SMALL_N
SHIFT_LIMIT = 2**15  # shifted amplitudes (2T+1)·B·2**n up to which the parameter-shift pass runs

_PAULI = {
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}


def _batched_kron(mats: torch.Tensor) -> torch.Tensor:
    """``(N, k, 2, 2) -> (N, 2**k, 2**k)``: ``mats[:, 0] ⊗ … ⊗ mats[:, k-1]``."""
    out = mats[:, 0]
    for j in range(1, mats.shape[1]):
        d = out.shape[1]
        out = (out[:, :, None, :, None] * mats[:, j, None, :, None, :]).reshape(-1, 2 * d, 2 * d)
    return out


class FusedRunner:
    """A fused plan and observable table materialized on one device and dtype."""

    def __init__(self, plan: FusedPlan, obs: list, device: torch.device, cdtype: torch.dtype):
        n = plan.n
        self.n, self.device, self.cdtype = n, device, cdtype
        self.rdtype = torch.float64 if cdtype == torch.complex128 else torch.float32

        def c(a: Any, dtype: torch.dtype = cdtype) -> torch.Tensor:
            return torch.as_tensor(np.array(a), device=device, dtype=dtype)

        t = self.n_rot = len(plan.rot_slot)
        paulis = np.stack([_PAULI[p] for p in plan.rot_pauli]) if t else np.zeros((0, 2, 2))
        basis = np.stack([np.broadcast_to(np.eye(2), paulis.shape), -1j * paulis], 1)
        self.rot_basis = c(basis.reshape(t, 2, 4).view(np.float64), self.rdtype)  # [I; -iP]
        self.rot_slot = c(plan.rot_slot, torch.long)
        self.rot_half = c(plan.rot_coeff / 2, self.rdtype)
        self.rot_ones = torch.ones(t, dtype=self.rdtype, device=device)
        self.rot_pauli = c(paulis)
        self.rot_coeff = c(plan.rot_coeff, self.rdtype)
        self.const = c(np.concatenate([plan.fixed, np.eye(2)[None]]))
        self.dense = n <= SMALL_N
        groups = [(0, n)] if self.dense else kron_groups(n, MAX_GROUP)
        ct = chain_tables(plan, groups, self.dense)
        self.depth = ct.depth
        self.chain_table = c(ct.chain_table, torch.long)
        self.eye = c(np.broadcast_to(np.eye(2), (len(ct.chain_table), 2, 2)))
        self.group_rows = {k: c(v, torch.long) for k, v in ct.group_rows.items()}
        self.seg_groups = ct.seg_groups
        self.dense_src = None if ct.dense_src is None else c(ct.dense_src, torch.long)
        self.dense_phase = None if ct.dense_phase is None else c(ct.dense_phase)
        self.gate_y = c(ct.gate_y, torch.long)
        tt = trace_tables(plan, ct, n)
        self.trace_index = c(tt.index, torch.long)
        self.trace_phase = None if tt.phase is None else c(tt.phase)
        self.gate_r = c(tt.gate_row, torch.long)
        self.cross_slots = tt.slots  # (kron segment, group entry) -> position among crosses
        self.segments: list[tuple[str, Any]] = []
        prot: list[tuple[np.ndarray, np.ndarray, int, float]] = []
        si = 0
        for i, seg in enumerate(plan.segments):
            if isinstance(seg, MonoSeg):
                if self.dense and i > 0 and isinstance(plan.segments[i - 1], KronSeg):
                    continue  # folded into the preceding dense segment
                inv = np.argsort(seg.src)
                ph = None if seg.phase is None else c(seg.phase)
                iph = None if seg.phase is None else c(np.conj(seg.phase)[inv])
                self.segments.append(
                    ("mono", (c(seg.src, torch.long), ph, c(inv, torch.long), iph))
                )
            elif isinstance(seg, KronSeg):
                self.segments.append(("kron", (si, ct.seg_trainable[si])))
                si += 1
            else:
                assert isinstance(seg, StepSeg)
                for step in seg.steps:
                    if step.kind == "rot":  # multi-qubit Pauli rotation: one gather each way
                        assert step.src is not None and step.phase is not None
                        prot.append((step.src, step.phase, step.slot, step.coeff))
                        self.segments.append(("prot", len(prot) - 1))
                    else:
                        self.segments.append(("step", [materialize(step, device, cdtype)]))
        self.prot_src = [c(p[0], torch.long) for p in prot]
        self.prot_phase = [c(p[1]) for p in prot]
        self.prot_mphase = [c(-1j * p[1]) for p in prot]
        self.prot_slot = c([p[2] for p in prot], torch.long)
        self.prot_coeff = c([p[3] for p in prot], self.rdtype)
        trainable = [
            i
            for i, (kind, seg) in enumerate(self.segments)
            if (kind == "kron" and seg[1])
            or kind == "prot"
            or (kind == "step" and any(s.trainable for s in seg))
        ]
        self.first_trainable = min(trainable, default=len(self.segments))
        self.has_data = any(
            kind == "step" and s.kind == "data"
            for kind, seg in self.segments
            if kind == "step"
            for s in seg
        )
        self.obs = [(None if src is None else c(src, torch.long), c(w)) for src, w in obs]
        self.shift_ok = self.dense and t > 0 and all(k == "kron" for k, _ in self.segments)
        if self.shift_ok:  # rows: none, +π/2 on gate t, -π/2 on gate t (half angles ±π/4)
            eye_t = np.eye(t) * (np.pi / 4)
            self.shifts = c(np.concatenate([np.zeros((1, t)), eye_t, -eye_t]), self.rdtype)
            self.shift_ones = torch.ones(self.shifts.shape, dtype=self.rdtype, device=device)
            self.n_params = int(plan.rot_slot.max()) + 1
        self.diag_obs = None  # one diagonal group: real weights
        if len(obs) == 1 and obs[0][0] is None and np.all(np.imag(obs[0][1]) == 0):
            self.diag_obs = c(np.real(obs[0][1]), self.rdtype)

    # -- parameter-dependent tables -------------------------------------------------------------

    def tables(self, params: torch.Tensor) -> dict[str, Any]:
        """Chain suffix products ``Y`` ``(C, depth, 2, 2)`` and each segment's Kronecker factors."""
        if self.n_rot:
            half = params.to(self.rdtype)[self.rot_slot] * self.rot_half
            cs = torch.view_as_real(torch.polar(self.rot_ones, half))  # (T, 2): cos, sin
            rot = torch.bmm(cs[:, None, :], self.rot_basis).view(-1, 4, 2)
            table = torch.cat([torch.view_as_complex(rot).view(-1, 2, 2), self.const])
        else:
            table = self.const
        a = table[self.chain_table]  # (C + 1, depth, 2, 2); last chain: identity
        ys = [self.eye]
        for j in range(self.depth - 1, 0, -1):
            ys.append(ys[-1] @ a[:, j])
        mats = ys[-1] @ a[:, 0] if self.depth > 1 else a[:, 0]
        kron = {k: _batched_kron(mats[rows]) for k, rows in self.group_rows.items()}
        if self.dense and self.dense_src is not None:  # fold the permutations: rows of K
            k = self.n
            kron[k] = kron[k].gather(1, self.dense_src[:, :, None].expand(-1, -1, 2**k))
            if self.dense_phase is not None:
                kron[k] = kron[k] * self.dense_phase[:, :, None]
        tabs: dict[str, Any] = {"ys": ys[::-1], "kron": kron}
        if self.prot_src:  # cos, sin of every Pauli rotation's half angle, as Python floats
            half = params.to(self.rdtype)[self.prot_slot] * (self.prot_coeff / 2)
            tabs["prot"] = (torch.cos(half).tolist(), torch.sin(half).tolist())
        return tabs

    def shift_forward(self, params: torch.Tensor, psi0: torch.Tensor) -> tuple:
        """Values ``(B, K)`` and the Jacobian ``(n_params, B, K)`` by the parameter-shift rule,
        all ``2T + 1`` shifted circuits in one batched pass (small registers without data or
        multi-qubit steps: a few dense ``2**n × 2**n`` products per segment)."""
        t, n_rot = self.shifts.shape[0], self.n_rot
        half = params.to(self.rdtype)[self.rot_slot] * self.rot_half + self.shifts  # (E, T)
        cs = torch.view_as_real(torch.polar(self.shift_ones, half))  # (E, T, 2)
        rot = torch.view_as_complex((cs[..., None, :] @ self.rot_basis).view(t, n_rot, 4, 2))
        const = self.const.expand(t, -1, 2, 2)
        table = torch.cat([rot.view(t, n_rot, 2, 2), const], 1)
        a = table[:, self.chain_table]  # (E, C + 1, depth, 2, 2)
        mats = a[:, :, -1]
        for j in range(self.depth - 2, -1, -1):
            mats = mats @ a[:, :, j]
        rows = self.group_rows[self.n]  # (S, n)
        d = 2**self.n
        kron = _batched_kron(mats[:, rows].reshape(-1, self.n, 2, 2)).view(t, -1, d, d)
        if self.dense_src is not None:
            kron = kron.gather(2, self.dense_src[None, :, :, None].expand(t, -1, -1, d))
            if self.dense_phase is not None:
                kron = kron * self.dense_phase[None, :, :, None]
        u = kron[:, 0]
        for s in range(1, kron.shape[1]):
            u = kron[:, s] @ u
        psi = psi0 @ u.mT  # (E, B, d)
        f = self.expectations(psi.reshape(-1, d)).view(t, psi0.shape[0], -1)
        jac_gate = (f[1 : n_rot + 1] - f[n_rot + 1 :]) * (self.rot_coeff / 2)[:, None, None]
        jac = torch.zeros((self.n_params,) + f.shape[1:], dtype=f.dtype, device=f.device)
        return f[0], jac.index_add_(0, self.rot_slot, jac_gate)

    # -- applying segments ----------------------------------------------------------------------

    def _apply_kron(self, psi: torch.Tensor, si: int, kron: dict, inverse: bool) -> torch.Tensor:
        rows, n = psi.shape[0], self.n
        for start, size, r in self.seg_groups[si]:
            k = kron[size][r]
            rest = n - start - size
            if rest == 0:
                psi = (psi.reshape(-1, 2**size) @ (k.conj() if inverse else k.mT)).reshape(
                    rows, 2**n
                )
            else:
                view = psi.reshape(rows * 2**start, 2**size, 2**rest)
                psi = torch.matmul(k.mH if inverse else k, view).reshape(rows, 2**n)
        return psi

    def run(self, psi: torch.Tensor, params: torch.Tensor, x: Any, tabs: dict) -> torch.Tensor:
        """``U ψ`` for the whole plan."""
        for kind, seg in self.segments:
            if kind == "kron":
                psi = self._apply_kron(psi, seg[0], tabs["kron"], False)
            elif kind == "mono":
                src, ph, _, _ = seg
                psi = take_columns(psi, src) if ph is None else ph * take_columns(psi, src)
            elif kind == "prot":  # cos·ψ − i sin·(phase ⊙ ψ[src])
                cos, sin = tabs["prot"][0][seg], tabs["prot"][1][seg]
                moved = take_columns(psi, self.prot_src[seg])
                psi = torch.addcmul(psi * cos, moved, self.prot_mphase[seg] * sin)
            else:
                for s in seg:
                    psi = apply_step(psi, s, params, x, self.n)
        return psi

    def _crosses(self, phi: torch.Tensor, b: int, si: int, out: list) -> None:
        """Each group's cross matrix ``Σ_b tr_{¬g} |ψ_b⟩⟨λ_b|`` at segment ``si``'s output."""
        psi, lam = phi[:b], phi[b:]
        n = self.n
        for e, (start, size, _) in enumerate(self.seg_groups[si]):
            d, rest = 2**size, n - start - size
            if rest == 0:
                cross = (lam.reshape(-1, d).mH @ psi.reshape(-1, d)).mT  # no conj copy
            else:
                pv = psi.reshape(b * 2**start, d, 2**rest)
                lv = lam.reshape(b * 2**start, d, 2**rest)
                cross = (pv @ lv.conj().mT).sum(0)
            out[self.cross_slots[(si, e)]] = cross.reshape(-1)

    # -- expectations ---------------------------------------------------------------------------

    def expectations(self, psi: torch.Tensor) -> torch.Tensor:
        """``(B, K)`` real."""
        if self.diag_obs is not None:
            return torch.view_as_real(psi).square().sum(-1) @ self.diag_obs
        vals = [
            (psi.conj() * (psi if src is None else take_columns(psi, src))) @ w
            for src, w in self.obs
        ]
        return torch.stack(vals).sum(0).real

    def adjoint_start(self, psi: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``Σ_k g_bk O_k ψ_b`` for weights ``g`` ``(B, K)``."""
        if self.diag_obs is not None:
            return psi * (g.to(self.rdtype) @ self.diag_obs.mT)
        gc = g.to(psi.dtype)
        out = torch.zeros_like(psi)
        for src, w in self.obs:
            out = out + (psi if src is None else take_columns(psi, src)) * (gc @ w.mT)
        return out

    # -- the adjoint sweep ----------------------------------------------------------------------

    def gradient(
        self, psi: torch.Tensor, lam: torch.Tensor, params: torch.Tensor, x: Any, tabs: dict
    ) -> torch.Tensor:
        """``∂/∂θ Σ_b Re⟨λ_b|ψ_b⟩``-type adjoint sweep from output states ``psi`` and adjoint states
        ``lam`` (both ``(B, 2**n)``); returns ``(n_params,)`` real."""
        b, n = psi.shape[0], self.n
        grad = torch.zeros(params.shape, dtype=self.rdtype, device=self.device)
        if self.shift_ok:  # dense segments only: move the cross matrix, not the states
            self._rotation_gradient(self._dense_crosses(psi, lam, tabs), tabs, grad)
            return grad
        phi = torch.cat([psi, lam])
        x2 = torch.cat([x, x]) if self.has_data else None
        crosses: list[Any] = [None] * len(self.cross_slots)
        prot_vals: list[torch.Tensor] = []
        prot_idx: list[int] = []
        for i in range(len(self.segments) - 1, self.first_trainable - 1, -1):
            kind, seg = self.segments[i]
            last = i == self.first_trainable
            if kind == "kron":
                si, trainable = seg
                if trainable:
                    self._crosses(phi, b, si, crosses)
                if not last:
                    phi = self._apply_kron(phi, si, tabs["kron"], True)
            elif kind == "mono":
                _, _, inv, iph = seg
                phi = take_columns(phi, inv) if iph is None else iph * take_columns(phi, inv)
            elif kind == "prot":  # ⟨λ|P|ψ⟩ from the gather that also un-applies the rotation
                moved = take_columns(phi, self.prot_src[seg])
                pm = (self.prot_phase[seg] * moved[:b]).reshape(-1)
                prot_vals.append(torch.vdot(phi[b:].reshape(-1), pm))
                prot_idx.append(seg)
                cos, sin = tabs["prot"][0][seg], tabs["prot"][1][seg]
                if not last:
                    phi = torch.addcmul(phi * cos, moved, self.prot_mphase[seg] * -sin)
            else:
                for s in reversed(seg):
                    if s.trainable:
                        val = (phi[b:].conj() * generator_action(phi[:b], s, n)).sum().imag
                        grad[s.slot] += val.to(grad.dtype)
                    phi = apply_step(phi, s, params, x2, n, inverse=True)
        if self.n_rot and crosses:
            self._rotation_gradient(crosses, tabs, grad)
        if prot_vals:
            idx = torch.as_tensor(prot_idx, device=self.device)
            vals = torch.stack(prot_vals).imag * self.prot_coeff[idx]
            grad.index_add_(0, self.prot_slot[idx], vals)
        return grad

    def _dense_crosses(self, psi: torch.Tensor, lam: torch.Tensor, tabs: dict) -> list:
        """Cross matrices after every trainable dense segment ``s``: ``X_s = P_s† X P_s`` with
        ``X = Σ_b |ψ_b⟩⟨λ_b|`` at the output and ``P_s = D_{S-1} ⋯ D_{s+1}`` (``2**n × 2**n``)."""
        dense = tabs["kron"][self.n]  # (S, d, d): ψ ← D_s ψ
        suffix = [torch.eye(dense.shape[1], dtype=self.cdtype, device=self.device)]
        for s in range(dense.shape[0] - 1, 0, -1):
            suffix.append(suffix[-1] @ dense[s])
        p = torch.stack(suffix[::-1])  # (S, d, d): P_0 … P_{S-1}
        cross = (lam.mH @ psi).mT
        xs = p.mH @ cross @ p
        return [
            xs[si].reshape(-1)
            for (si, _), _ in sorted(self.cross_slots.items(), key=lambda kv: kv[1])
        ]

    def _rotation_gradient(self, crosses: list, tabs: dict, grad: torch.Tensor) -> None:
        """Add ``coeff_t · Im tr(Ĝ_t R_q)`` of every trainable one-qubit rotation to ``grad``."""
        flat = torch.cat(crosses + [torch.zeros(1, dtype=self.cdtype, device=self.device)])
        parts = flat[self.trace_index]  # (rows, 2, 2, h)
        if self.trace_phase is not None:
            parts = parts * self.trace_phase
        r = parts.sum(-1)[self.gate_r]  # (T, 2, 2)
        y = torch.stack(tabs["ys"], 1).reshape(-1, 2, 2)[self.gate_y]
        g_eff = y @ self.rot_pauli @ y.mH
        vals = (g_eff * r.mT).sum((1, 2)).imag * self.rot_coeff
        grad.index_add_(0, self.rot_slot, vals)


class FusedAdjoint(torch.autograd.Function):
    """``(params, psi0, x) -> (B, K)`` expectations of a fused plan, adjoint gradient for params."""

    @staticmethod
    def forward(
        ctx: Any,
        params: torch.Tensor,
        psi0: torch.Tensor,
        x: Any,
        runner: FusedRunner,
        owned: bool = False,
    ):
        with torch.no_grad():
            if runner.shift_ok and psi0.numel() * runner.shifts.shape[0] <= SHIFT_LIMIT:
                out, jac = runner.shift_forward(params, psi0)
                ctx.save_for_backward(params, jac)
                ctx.jac = True
                return out.to(params.dtype)
            tabs = runner.tables(params)
            rows = max(1, CHUNK_AMPLITUDES // psi0.shape[1])
            if rows >= psi0.shape[0]:
                psi = runner.run(psi0, params, x, tabs)
                out = runner.expectations(psi).to(params.dtype)
            else:  # batch slices: temporaries of one slice, not of the whole batch
                psi, outs = (psi0 if owned else torch.empty_like(psi0)), []  # owned: in place
                for lo in range(0, psi0.shape[0], rows):
                    part = slice(lo, lo + rows)
                    psi[part] = runner.run(psi0[part], params, x[part], tabs)
                    outs.append(runner.expectations(psi[part]))
                out = torch.cat(outs).to(params.dtype)
        ctx.save_for_backward(params, psi)
        ctx.x, ctx.runner, ctx.tabs, ctx.jac = x, runner, tabs, False
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor):
        if torch.is_grad_enabled():  # true inside backward only when create_graph=True
            raise RuntimeError(
                "the adjoint gradient is first order only; for second derivatives (gradient "
                "penalties, Hessian-vector products) build the engine with adjoint=False."
            )
        params, psi = ctx.saved_tensors
        if ctx.jac:  # psi holds the Jacobian (n_params, B, K)
            grad = (psi * grad_out.to(psi.dtype)).sum((1, 2))
            return grad.to(params.dtype), None, None, None, None
        runner, x = ctx.runner, ctx.x
        rows = max(1, CHUNK_AMPLITUDES // psi.shape[1])  # the sweep is linear in the batch
        grad = torch.zeros(params.shape, dtype=runner.rdtype, device=params.device)
        with torch.no_grad():
            for lo in range(0, psi.shape[0], rows):
                part = slice(lo, lo + rows)
                lam = runner.adjoint_start(psi[part], grad_out[part])
                xs = x[part] if runner.has_data else None
                grad += runner.gradient(psi[part], lam, params, xs, ctx.tabs)
        return grad.to(params.dtype), None, None, None, None
