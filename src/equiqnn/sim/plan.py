"""Compile a circuit once into a plan of batched tensor steps (see sim/PLAN.md).

Every Pauli string ``P`` acts on a basis state as ``P|k⟩ = i^{nY} (-1)^{popcount(k & z)} |k ⊕ x⟩``
(``x``: qubits with X/Y, ``z``: qubits with Z/Y; qubit 0 the most significant bit), so on a batch of
states ``(Pψ)[j] = phase[j] · ψ[j ⊕ x]``: one index gather and one elementwise product. A rotation
``exp(-iaP/2)ψ = cos(a/2) ψ − i sin(a/2) Pψ``; diagonal strings need no gather. Fixed gates other than
H are monomial matrices (a gather and a phase); H and non-commuting generators are dense blocks on
their support.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equiqnn.circuits import (
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
)
from equiqnn.symmetry import PAULI_MATRICES, PauliString, PauliSum

__all__ = [
    "kron_all",
    "Step",
    "compile_circuit",
    "pauli_action",
    "observable_table",
    "fixed_gate_matrix",
]

_H = np.array([[1, 1], [1, -1]], dtype=np.complex128) / np.sqrt(2)
_S = np.diag([1, 1j]).astype(np.complex128)
_CNOT = np.eye(4, dtype=np.complex128)[[0, 1, 3, 2]]
_CZ = np.diag([1, 1, 1, -1]).astype(np.complex128)
_SWAP = np.eye(4, dtype=np.complex128)[[0, 2, 1, 3]]


def fixed_gate_matrix(name: str) -> np.ndarray:
    """Matrix of a fixed gate on its own qubits (first listed qubit most significant)."""
    table = {"H": _H, "S": _S, "CNOT": _CNOT, "CZ": _CZ, "SWAP": _SWAP, **PAULI_MATRICES}
    if name not in table:
        raise ValueError(f"unknown fixed gate {name!r}; known: {sorted(table)}.")
    return table[name]


def kron_all(mats: list[np.ndarray]) -> np.ndarray:
    """Kronecker product of a list of matrices or vectors, first factor most significant."""
    out = np.asarray(mats[0], dtype=np.complex128)
    for m in mats[1:]:
        out = np.kron(out, m)
    return out


def pauli_action(label: str) -> tuple[np.ndarray | None, np.ndarray]:
    """``(src, phase)`` with ``(Pψ)[j] = phase[j] ψ[src[j]]``; ``src`` is None for diagonal strings."""
    p = PauliString(label)
    n = p.n_qubits
    j = np.arange(2**n, dtype=np.int64)
    x, z = p.x_mask, p.z_mask
    src = j ^ x
    parity = np.bitwise_count((src & z).astype(np.uint64)).astype(np.int64) & 1
    phase = (1j ** label.count("Y")) * (1.0 - 2.0 * parity)
    return (None if x == 0 else src), phase.astype(np.complex128)


@dataclass
class Step:
    """One plan step. ``kind``: 'rot' | 'data' | 'mono' | 'dense'.

    rot:  ψ ← cos(a/2) ψ − i sin(a/2) (phase ⊙ ψ[src]), a = coeff·params[slot]
    diag: ψ ← exp(-i params[slot] / 2 · phase) ⊙ ψ  (fused diagonal rotations sharing a slot;
          ``phase`` real: Σ_k coeff_k · (±1 signs of string k))
    local: one-qubit rotation about ``pauli`` on ``qubits[0]`` by a strided 2×2 update (no gather)
    data: the same as rot with a = scale·x[:, feature] per sample
    mono: ψ ← phase ⊙ ψ[src]
    dense: ψ ← U applied on ``qubits`` (U fixed, or V diag(exp(-i a λ/2)) V† for generators)
    """

    kind: str
    src: np.ndarray | None = None
    phase: np.ndarray | None = None
    slot: int = -1
    coeff: float = 1.0
    feature: int = -1
    qubits: tuple[int, ...] = ()
    matrix: np.ndarray | None = None
    eigvals: np.ndarray | None = None
    eigvecs: np.ndarray | None = None
    pauli: str = ""


def _monomial(op: FixedGate, n: int) -> Step:
    mat = fixed_gate_matrix(op.name)
    k = len(op.qubits)
    j = np.arange(2**n, dtype=np.int64)
    local = np.zeros_like(j)
    for i, q in enumerate(op.qubits):
        local |= ((j >> (n - 1 - q)) & 1) << (k - 1 - i)
    # column of the local matrix feeding row `local`: unique non-zero per row for monomial gates
    col = np.argmax(np.abs(mat) > 0, axis=1)[local]
    phase = mat[local, col]
    src = j.copy()
    for i, q in enumerate(op.qubits):
        bit = (col >> (k - 1 - i)) & 1
        src = (src & ~(1 << (n - 1 - q))) | (bit << (n - 1 - q))
    return Step("mono", src=src, phase=phase.astype(np.complex128))


def compile_circuit(
    circuit: Circuit, *, fold_product: bool = True
) -> tuple[list[Step], list[tuple[str, int, float]]]:
    """Plan steps, and the leading data rotations folded into a product state (unless
    ``fold_product`` is False, as engines that insert noise between gates need).

    Returns:
        ``(steps, product)`` where ``product`` lists ``(axis, feature, scale)`` per qubit for a
        directly computed product-state embedding (empty when the circuit has none).
    """
    n = circuit.n_qubits
    ops = [op for op in circuit.ops if not isinstance(op, Barrier)]
    product: list[tuple[str, int, float]] = []
    if circuit.initial in ("zero", "plus") and fold_product:
        seen: dict[int, DataRotation] = {}
        for op in ops:
            if isinstance(op, DataRotation) and op.qubit not in seen:
                seen[op.qubit] = op
            else:
                break
        if len(seen) == n:
            product = [(seen[q].axis, seen[q].feature, seen[q].scale) for q in range(n)]
            ops = ops[n:]
    steps: list[Step] = []
    for op in ops:
        if isinstance(op, PauliRotation):
            p = PauliString(op.pauli)
            src, phase = pauli_action(op.pauli)
            if src is None:  # diagonal: fuse with a preceding diagonal step of the same slot
                signs = (op.coeff * phase.real).astype(np.float64)
                last = steps[-1] if steps else None
                if last is not None and last.kind == "diag" and last.slot == op.slot:
                    assert last.phase is not None  # set when the diag step was created
                    last.phase = last.phase + signs
                else:
                    steps.append(Step("diag", phase=signs, slot=op.slot))
            elif p.weight == 1:
                steps.append(
                    Step(
                        "local",
                        slot=op.slot,
                        coeff=op.coeff,
                        qubits=p.support,
                        pauli=op.pauli[p.support[0]],
                    )
                )
            else:
                steps.append(Step("rot", src=src, phase=phase, slot=op.slot, coeff=op.coeff))
        elif isinstance(op, DataRotation):
            src, phase = pauli_action(PauliString.on(n, {op.qubit: op.axis}).label)
            steps.append(Step("data", src=src, phase=phase, feature=op.feature, coeff=op.scale))
        elif isinstance(op, FixedGate):
            if op.name == "H":
                steps.append(Step("dense", qubits=op.qubits, matrix=_H))
            else:
                steps.append(_monomial(op, n))
        elif isinstance(op, GeneratorRotation):
            qs = op.qubits
            local = _restrict(op.generator, qs)
            lam, vec = np.linalg.eigh(local)
            steps.append(Step("dense", qubits=qs, slot=op.slot, eigvals=lam, eigvecs=vec))
        else:  # pragma: no cover - the IR validates op types
            raise TypeError(f"cannot compile op {op!r}")
    return steps, product


def _restrict(gen: PauliSum, qubits: tuple[int, ...]) -> np.ndarray:
    if len(qubits) > 12:
        raise ValueError(
            f"a non-commuting generator on {len(qubits)} qubits is too wide to exponentiate."
        )
    out = np.zeros((2 ** len(qubits),) * 2, dtype=np.complex128)
    for label, c in gen.terms.items():
        out = out + c * kron_all([PAULI_MATRICES[label[q]] for q in qubits])
    return out


def observable_table(
    observables: list[PauliSum], n: int
) -> list[tuple[np.ndarray | None, np.ndarray]]:
    """Group observable terms by X-mask: ``[(src, weights (2**n, K))]`` so that
    ``⟨O_k⟩ = Σ_groups Re Σ_j conj(ψ_j) ψ[src]_j weights[j, k]``."""
    groups: dict[int, tuple[np.ndarray | None, np.ndarray]] = {}
    for k, obs in enumerate(observables):
        if obs.n_qubits != n:
            raise ValueError(
                f"observable {obs!r} acts on {obs.n_qubits} qubits; the circuit has {n}."
            )
        if not obs.is_hermitian():
            raise ValueError(f"observables must be Hermitian (real coefficients); got {obs!r}.")
        for label, c in obs.terms.items():
            x = PauliString(label).x_mask
            src, phase = pauli_action(label)
            if x not in groups:
                groups[x] = (src, np.zeros((2**n, len(observables)), dtype=np.complex128))
            groups[x][1][:, k] += c * phase
    return list(groups.values())
