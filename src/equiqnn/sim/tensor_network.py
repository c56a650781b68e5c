"""Exact tensor-network reference through quimb (optional extra ``tn``): ``⟨ψ(x)| U† O U |ψ(x)⟩``
of a circuit on product inputs, one light-cone contraction per Pauli term.

A reference for shallow many-qubit circuits (e.g. 64 qubits, two layers of nearest-neighbour gates),
to check :class:`~equiqnn.sim.PauliPropagationEngine` against; never a trainer (numpy, no gradient,
one contraction per input and term).

Conventions: a rotation about the Pauli string ``P`` is ``exp(−i a P / 2)`` with
``a = coeff · params[slot]``; a data rotation is ``exp(−i scale·x[feature] P / 2)``; character ``k``
of a Pauli label acts on qubit ``k`` (quimb's qubit ``k``).
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np
import scipy.linalg

from equiqnn.circuits import (
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
)
from equiqnn.symmetry import PAULI_MATRICES, PauliSum

__all__ = ["tn_expectations"]

_S2 = 1 / np.sqrt(2)
_FIXED = {
    "H": np.array([[1, 1], [1, -1]], dtype=complex) * _S2,
    "S": np.diag([1, 1j]),
    "CNOT": np.eye(4, dtype=complex)[[0, 1, 3, 2]],
    "CZ": np.diag([1, 1, 1, -1]).astype(complex),
    "SWAP": np.eye(4, dtype=complex)[[0, 2, 1, 3]],
}


def _quimb() -> Any:
    try:
        import quimb.tensor as qtn
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the tensor-network reference needs quimb: pip install 'equiqnn[tn]'"
        ) from err
    return qtn


def _pauli_matrix(letters: str) -> np.ndarray:
    return reduce(np.kron, [np.asarray(PAULI_MATRICES[ch], dtype=complex) for ch in letters])


def _rotation(letters: str, angle: float) -> np.ndarray:
    """``exp(−i a P / 2) = cos(a/2) I − i sin(a/2) P`` on the support of ``P``."""
    p = _pauli_matrix(letters)
    return np.cos(angle / 2) * np.eye(len(p)) - 1j * np.sin(angle / 2) * p


def _support(label: str) -> tuple[list[int], str]:
    where = [q for q, ch in enumerate(label) if ch != "I"]
    return where, "".join(label[q] for q in where)


def _build(qtn: Any, circuit: Circuit, params: np.ndarray, x: np.ndarray) -> Any:
    n = circuit.n_qubits
    circ = qtn.Circuit(n, dtype="complex128")
    if circuit.initial == "plus":
        for q in range(n):
            circ.apply_gate_raw(_FIXED["H"], (q,))
    for op in circuit.ops:
        if isinstance(op, Barrier):
            continue
        if isinstance(op, DataRotation):
            circ.apply_gate_raw(_rotation(op.axis, op.scale * x[op.feature]), (op.qubit,))
        elif isinstance(op, PauliRotation):
            where, letters = _support(op.pauli)
            if where:
                angle = op.coeff * params[op.slot]
                circ.apply_gate_raw(_rotation(letters, angle), tuple(where))
        elif isinstance(op, GeneratorRotation):
            where = sorted(op.qubits)
            h = sum(
                complex(c) * _pauli_matrix("".join(label[q] for q in where))
                for label, c in op.generator.terms.items()
            )
            circ.apply_gate_raw(scipy.linalg.expm(-0.5j * params[op.slot] * h), tuple(where))
        elif isinstance(op, FixedGate):
            mat = _FIXED.get(op.name)
            if mat is None:
                mat = np.asarray(PAULI_MATRICES[op.name], dtype=complex)
            circ.apply_gate_raw(mat, tuple(op.qubits))
        else:  # pragma: no cover - the IR has no other op types
            raise ValueError(f"unsupported op {op!r} for the tensor-network reference.")
    return circ


def tn_expectations(
    circuit: Circuit,
    observables: list[PauliSum],
    params: Any,
    x: Any,
    *,
    optimize: str = "auto",
) -> np.ndarray:
    """Exact expectations by tensor-network contraction (quimb), one light cone per Pauli term.

    Args:
        circuit: a circuit starting from ``initial="zero"`` or ``"plus"`` (any ops of the IR).
        observables: ``K`` Hermitian Pauli sums on ``circuit.n_qubits`` qubits.
        params: ``(n_params,)`` real parameters (array or tensor; no gradient flows).
        x: ``(B, n_features)`` real features.
        optimize: cotengra path optimizer for each contraction.
    Returns:
        float64 array ``(B, K)``.
    """
    qtn = _quimb()
    if circuit.initial not in ("zero", "plus"):
        raise ValueError(
            f"the tensor-network reference takes product inputs; the circuit starts from "
            f"{circuit.initial!r}. Use StatevectorEngine."
        )
    params = np.asarray(getattr(params, "detach", lambda: params)(), dtype=np.float64)
    x = np.asarray(getattr(x, "detach", lambda: x)(), dtype=np.float64)
    if params.shape != (circuit.n_params,):
        raise ValueError(f"params must have shape ({circuit.n_params},); got {params.shape}.")
    if x.ndim != 2 or x.shape[1] != circuit.n_features:
        raise ValueError(f"x must have shape (batch, {circuit.n_features}); got {x.shape}.")
    terms: dict[tuple[int, ...], list[tuple[str, int, float]]] = {}
    constant = np.zeros(len(observables))
    for k, obs in enumerate(observables):
        if obs.n_qubits != circuit.n_qubits or not obs.is_hermitian():
            raise ValueError(
                f"observable {obs!r} must be a Hermitian Pauli sum on {circuit.n_qubits} qubits."
            )
        for label, c in obs.terms.items():
            where, letters = _support(label)
            if where:
                terms.setdefault(tuple(where), []).append((letters, k, float(c.real)))
            else:
                constant[k] += float(c.real)
    out = np.tile(constant, (len(x), 1))
    for b in range(len(x)):
        circ = _build(qtn, circuit, params, x[b])
        for support, group in terms.items():
            gates = [_pauli_matrix(letters) for letters, _, _ in group]
            values = circ.local_expectation(gates, support, optimize=optimize, simplify_atol=1e-14)
            values = values if isinstance(values, (tuple, list)) else (values,)
            for (_, k, c), v in zip(group, values, strict=True):
                out[b, k] += c * float(np.real(v))
    return out
