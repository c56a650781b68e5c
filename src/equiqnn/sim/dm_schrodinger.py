"""Schrödinger density-matrix kernels: ``vec(ρ)`` ``(B, 4**n)`` evolved gate by gate.

``ρ`` is stored row-major (row index on "qubits" ``0..n-1``, column index on ``n..2n-1``), so a gate
``U`` acts as ``U ⊗ U*`` — ``U`` on the row half and its complex conjugate on the column half — and a
channel as its superoperator ``Σ_k K_k ⊗ K_k*`` on ``(q, q+n)``. Pauli actions are axis flips times
small sign tensors, so the plan stores no ``4**n`` index arrays. Used by ``DensityMatrixEngine`` for
``evolve`` and for circuits the Heisenberg path does not cover (data re-uploading after an
entangling gate, generator rotations on more than 3 qubits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from equiqnn.circuits import (
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
)
from equiqnn.noise import Channel, NoiseModel
from equiqnn.sim.kernels import apply_matrix
from equiqnn.sim.plan import _restrict, fixed_gate_matrix, kron_all
from equiqnn.sim.schedule import noisy_schedule
from equiqnn.symmetry import PAULI_MATRICES, PauliString

__all__ = ["compile_schrodinger", "run_schrodinger"]


@dataclass
class _Op:
    """One compact step on the 2n-"qubit" vector ``vec(ρ)``.

    kind 'rot': ψ ← cos(a/2)ψ − i sin(a/2)·Pψ with Pψ = scalar · sign ⊙ flip(ψ, flips); the angle a
    is ``coeff·params[slot]`` or, for data, ``coeff·x[:, feature]``.
    kind 'dense': a fixed matrix (gate or superoperator), or a generator rotation (slot >= 0).
    """

    kind: str
    flips: tuple[int, ...] = ()
    signs: tuple[tuple[int, float], ...] = ()
    scalar: complex = 1.0
    slot: int = -1
    feature: int = -1
    coeff: float = 1.0
    qubits: tuple[int, ...] = ()
    matrix: np.ndarray | None = None
    eigvals: np.ndarray | None = None
    eigvecs: np.ndarray | None = None
    local: np.ndarray | None = None  # 'fused': the gate's local Pauli (rotation) on ``qubits``


def _pauli_op(label: str, offset: int, n2: int, **kw) -> _Op:
    """Compact op for the Pauli ``label`` placed at qubits ``offset..``; conjugated when asked."""
    flips, signs = [], []
    for k, ch in enumerate(label):
        q = k + offset
        if ch in "XY":
            flips.append(q)
        if ch == "Z":
            signs.append((q, 1.0))
        elif ch == "Y":  # source bit is flipped: (−1)^{src} = (−1, +1) on the target index
            signs.append((q, -1.0))
    scalar = 1j ** label.count("Y")
    return _Op("rot", tuple(flips), tuple(signs), scalar, **kw)


def _embedded_superop(
    channel: Channel, ch_qubits: tuple[int, ...], qs: tuple[int, ...]
) -> np.ndarray:
    """Superoperator of ``channel`` on ``ch_qubits`` ⊆ ``qs``, as a ``4**k`` matrix on ``qs``."""
    k = len(qs)
    total = np.zeros((4**k, 4**k), dtype=np.complex128)
    for kraus in channel.kraus:
        full = _embed_local(np.asarray(kraus), [qs.index(q) for q in ch_qubits], k)
        total += np.kron(full, full.conj())
    return total


def _embed_local(mat: np.ndarray, positions: list[int], k: int) -> np.ndarray:
    """``mat`` acting on ``positions`` of ``k`` qubits (first listed most significant)."""
    m = len(positions)
    t = mat.reshape((2,) * (2 * m))
    eye = np.eye(2 ** (k - m)).reshape((2,) * (2 * (k - m)))
    full = np.multiply.outer(t, eye)  # axes: out(pos), in(pos), out(rest), in(rest)
    rest = [p for p in range(k) if p not in positions]
    order_out = positions + rest
    # build permutation to (out_0..out_{k-1}, in_0..in_{k-1})
    axes_out = [m * 0 + i for i in range(m)] + [2 * m + i for i in range(k - m)]
    axes_in = [m + i for i in range(m)] + [2 * m + (k - m) + i for i in range(k - m)]
    perm_out = [axes_out[order_out.index(p)] for p in range(k)]
    perm_in = [axes_in[order_out.index(p)] for p in range(k)]
    return full.transpose(perm_out + perm_in).reshape(2**k, 2**k)


def compile_schrodinger(circuit: Circuit, noise: NoiseModel | None) -> list[_Op]:
    n, n2 = circuit.n_qubits, 2 * circuit.n_qubits
    ops: list[_Op] = []
    schedule = noisy_schedule(circuit, noise)
    i = 0
    while i < len(schedule):
        entry = schedule[i]
        i += 1
        if entry.op is None:
            assert entry.channel is not None
            sup = np.array(entry.channel.superoperator(), dtype=np.complex128)  # writable copy
            qs = entry.qubits
            ops.append(_Op("dense", qubits=qs + tuple(q + n for q in qs), matrix=sup))
            continue
        op = entry.op
        if isinstance(op, (PauliRotation, FixedGate)) and len(op.qubits) <= 2:
            qs = tuple(op.qubits)
            noise_sup = np.eye(4 ** len(qs), dtype=np.complex128)
            while (
                i < len(schedule) and schedule[i].op is None and set(schedule[i].qubits) <= set(qs)
            ):
                ch = schedule[i].channel
                assert ch is not None
                noise_sup = _embedded_superop(ch, schedule[i].qubits, qs) @ noise_sup
                i += 1
            dense_q = qs + tuple(q + n for q in qs)
            if isinstance(op, FixedGate):
                u = fixed_gate_matrix(op.name)
                ops.append(_Op("dense", qubits=dense_q, matrix=noise_sup @ np.kron(u, u.conj())))
            else:
                local = kron_all([PAULI_MATRICES[op.pauli[q]] for q in qs])
                ops.append(
                    _Op(
                        "fused",
                        qubits=dense_q,
                        slot=op.slot,
                        coeff=op.coeff,
                        matrix=noise_sup,
                        local=local,
                    )
                )
            continue
        if isinstance(op, PauliRotation):
            ny = op.pauli.count("Y")
            ops.append(_pauli_op(op.pauli, 0, n2, slot=op.slot, coeff=op.coeff))
            ops.append(_pauli_op(op.pauli, n, n2, slot=op.slot, coeff=-op.coeff * (-1) ** ny))
        elif isinstance(op, DataRotation):
            label = PauliString.on(n, {op.qubit: op.axis}).label
            conj = op.scale if op.axis == "Y" else -op.scale
            ops.append(_pauli_op(label, 0, n2, feature=op.feature, coeff=op.scale))
            ops.append(_pauli_op(label, n, n2, feature=op.feature, coeff=conj))
        elif isinstance(op, FixedGate):
            m = fixed_gate_matrix(op.name)
            ops.append(_Op("dense", qubits=op.qubits, matrix=m))
            ops.append(_Op("dense", qubits=tuple(q + n for q in op.qubits), matrix=m.conj()))
        elif isinstance(op, GeneratorRotation):
            qs = op.qubits
            h = _restrict(op.generator, qs)
            lam, vec = np.linalg.eigh(h)
            ops.append(_Op("dense", qubits=qs, slot=op.slot, eigvals=lam, eigvecs=vec))
            # U* = V* diag(e^{+iθλ/2}) V^T: eigenvalues −λ with eigenvectors V*
            ops.append(
                _Op(
                    "dense",
                    qubits=tuple(q + n for q in qs),
                    slot=op.slot,
                    eigvals=-lam,
                    eigvecs=vec.conj(),
                )
            )
    return ops


def run_schrodinger(
    rho: torch.Tensor, params: torch.Tensor, x: torch.Tensor, ops, n2: int
) -> torch.Tensor:
    b = rho.shape[0]
    shape = (b,) + (2,) * n2
    for o, sign, mat, lam, vec in ops:
        if o.kind == "rot":
            if o.feature >= 0:
                half = (o.coeff * x[:, o.feature] / 2).reshape((b,) + (1,) * n2)
            else:
                half = (o.coeff * params[o.slot] / 2).to(sign.dtype)
            t = rho.reshape(shape)
            moved = torch.flip(t, [q + 1 for q in o.flips]) if o.flips else t
            p_rho = (o.scalar * sign) * moved
            rho = (torch.cos(half) * t - 1j * torch.sin(half) * p_rho).reshape(b, -1)
        elif o.kind == "fused":
            half = (o.coeff * params[o.slot] / 2).to(rho.real.dtype)
            eye = torch.eye(vec.shape[0], dtype=vec.dtype, device=vec.device)
            u = torch.cos(half) * eye - 1j * torch.sin(half) * vec
            rho = apply_matrix(rho, mat @ torch.kron(u, u.conj()), o.qubits, n2)
        else:
            if mat is None:
                angle = params[o.slot].to(lam.dtype)
                mat = (vec * torch.exp(-0.5j * angle * lam)) @ vec.conj().T
            rho = apply_matrix(rho, mat, o.qubits, n2)
    return rho
