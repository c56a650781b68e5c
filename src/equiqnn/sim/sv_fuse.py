"""Fuse a circuit into few large statevector steps (see sim/PLAN.md, "fused plan").

Three segment kinds, in time order:

- ``KronSeg``: one-qubit gates (trainable one-qubit Pauli rotations, fixed H/X/Y/Z/S), fused per
  qubit into a chain of 2×2 matrices whose product acts as one Kronecker factor. A one-qubit gate
  joins the last open Kronecker segment when no gate since that segment opened touches its qubit
  (it commutes with everything in between), so a layer of rotations becomes one segment.
- ``MonoSeg``: consecutive monomial gates (CNOT, CZ, SWAP) composed into one gather and phase:
  ``ψ ← phase ⊙ ψ[src]``.
- ``StepSeg``: any other op (multi-qubit Pauli rotations, generator rotations, data re-uploading),
  compiled by ``plan.compile_circuit`` and run by ``kernels.apply_step``.

Conventions: qubit 0 is the most significant bit; rotation ``exp(-i θ P / 2)``. The gate table holds
the ``T`` trainable one-qubit rotations first, then the fixed one-qubit matrices, then the identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from equiqnn.circuits import Barrier, Circuit, FixedGate, PauliRotation
from equiqnn.sim.plan import Step, _monomial, compile_circuit, fixed_gate_matrix
from equiqnn.symmetry import PauliString

__all__ = ["KronSeg", "MonoSeg", "StepSeg", "FusedPlan", "fuse_circuit", "kron_groups"]

_ONE_QUBIT_FIXED = ("H", "X", "Y", "Z", "S")
_MONOMIAL = ("CNOT", "CZ", "SWAP")


@dataclass
class KronSeg:
    """``chains[q]``: gate-table indices acting on qubit ``q``, in time order."""

    chains: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class MonoSeg:
    """``ψ ← phase ⊙ ψ[src]`` (``phase`` None when every entry is 1)."""

    src: np.ndarray
    phase: np.ndarray | None


@dataclass
class StepSeg:
    """Plan steps run one by one (``plan.Step``)."""

    steps: list[Step]


@dataclass
class FusedPlan:
    """A circuit as segments plus the table of its one-qubit gates.

    ``rot_slot``, ``rot_coeff``, ``rot_pauli``: the ``T`` trainable one-qubit rotations
    ``exp(-i coeff·θ[slot] P / 2)``; ``fixed``: ``(F, 2, 2)`` fixed one-qubit matrices. Table index
    ``t < T``: rotation ``t``; ``T <= t < T + F``: ``fixed[t - T]``; ``T + F``: identity.
    """

    n: int
    segments: list[KronSeg | MonoSeg | StepSeg]
    rot_slot: np.ndarray
    rot_coeff: np.ndarray
    rot_pauli: list[str]
    fixed: np.ndarray

    @property
    def identity_index(self) -> int:
        return len(self.rot_slot) + len(self.fixed)

    def kinds(self) -> dict[str, int]:
        """Segment counts by kind, e.g. ``{'kron': 4, 'mono': 4}``."""
        out: dict[str, int] = {}
        for s in self.segments:
            k = {"KronSeg": "kron", "MonoSeg": "mono", "StepSeg": "step"}[type(s).__name__]
            out[k] = out.get(k, 0) + 1
        return out


def _compose(first: MonoSeg, second: MonoSeg) -> MonoSeg:
    """``second ∘ first``: ``p2 ⊙ (p1 ⊙ ψ[s1])[s2] = (p2 ⊙ p1[s2]) ⊙ ψ[s1[s2]]``."""
    src = first.src[second.src]
    if first.phase is None and second.phase is None:
        return MonoSeg(src, None)
    p1 = np.ones(len(src)) if first.phase is None else first.phase[second.src]
    p2 = np.ones(len(src)) if second.phase is None else second.phase
    return MonoSeg(src, p1 * p2)


def _mono_seg(op: FixedGate, n: int) -> MonoSeg:
    step = _monomial(op, n)
    assert step.src is not None and step.phase is not None  # monomial steps carry both
    phase = None if np.allclose(step.phase, 1.0, rtol=0, atol=0) else step.phase
    return MonoSeg(step.src, phase)


def fuse_circuit(circuit: Circuit, product_folded: bool) -> FusedPlan:
    """Segments of ``circuit``; ``product_folded``: the leading data layer (one rotation per
    qubit) is computed as a product state by the engine and skipped here."""
    n = circuit.n_qubits
    ops = [op for op in circuit.ops if not isinstance(op, Barrier)]
    if product_folded:
        ops = ops[n:]
    segs: list[KronSeg | MonoSeg | StepSeg | list] = []
    rot_slot: list[int] = []
    rot_coeff: list[float] = []
    rot_pauli: list[str] = []
    fixed: list[np.ndarray] = []
    open_k: int | None = None
    blocked: set[int] = set()
    for op in ops:
        one_q: tuple[int, str] | None = None  # (qubit, 'rot'|'fixed')
        if isinstance(op, PauliRotation) and PauliString(op.pauli).weight == 1:
            one_q = (PauliString(op.pauli).support[0], "rot")
        elif isinstance(op, FixedGate) and op.name in _ONE_QUBIT_FIXED:
            one_q = (op.qubits[0], "fixed")
        if one_q is not None:
            q, what = one_q
            if open_k is None or q in blocked:
                segs.append(KronSeg())
                open_k, blocked = len(segs) - 1, set()
            seg = segs[open_k]
            assert isinstance(seg, KronSeg)
            if what == "rot":
                assert isinstance(op, PauliRotation)
                idx = len(rot_slot)
                rot_slot.append(op.slot)
                rot_coeff.append(op.coeff)
                rot_pauli.append(op.pauli[q])
            else:
                assert isinstance(op, FixedGate)
                idx = -1 - len(fixed)  # resolved once T is known
                fixed.append(fixed_gate_matrix(op.name))
            seg.chains.setdefault(q, []).append(idx)
            continue
        blocked |= set(op.qubits)
        if isinstance(op, FixedGate) and op.name in _MONOMIAL:
            mono = _mono_seg(op, n)
            if segs and isinstance(segs[-1], MonoSeg):
                segs[-1] = _compose(segs[-1], mono)
            else:
                segs.append(mono)
        elif segs and isinstance(segs[-1], list):
            segs[-1].append(op)
        else:
            segs.append([op])
    n_rot = len(rot_slot)
    out: list[KronSeg | MonoSeg | StepSeg] = []
    for s in segs:
        if isinstance(s, list):
            sub = Circuit(n, tuple(s), circuit.n_params, "zero", circuit.n_features)
            out.append(StepSeg(compile_circuit(sub, fold_product=False)[0]))
        elif isinstance(s, KronSeg):
            s.chains = {
                q: [i if i >= 0 else n_rot + (-1 - i) for i in c]
                for q, c in sorted(s.chains.items())
            }
            out.append(s)
        else:
            out.append(s)
    return FusedPlan(
        n,
        out,
        np.asarray(rot_slot, dtype=np.int64),
        np.asarray(rot_coeff, dtype=np.float64),
        rot_pauli,
        np.asarray(fixed, dtype=np.complex128).reshape(-1, 2, 2),
    )


def kron_groups(n: int, max_group: int) -> list[tuple[int, int]]:
    """Contiguous qubit groups ``(start, size)`` of at most ``max_group`` qubits, sizes as equal as
    possible (so that groups of one size can be built in one batched product)."""
    count = -(-n // max_group)
    base, extra = divmod(n, count)
    out, start = [], 0
    for g in range(count):
        size = base + (1 if g < extra else 0)
        out.append((start, size))
        start += size
    return out
