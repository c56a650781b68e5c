"""Dense Kronecker-product reference simulator (complex128, small n): the engines' yardstick.

Written independently of ``plan``: every gate becomes a full ``2**n × 2**n`` matrix built from
Kronecker products, applied by matrix multiplication. Differentiable by torch autograd.
"""

from __future__ import annotations

import numpy as np
import torch

from equiqnn.circuits import (
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
)
from equiqnn.sim.plan import kron_all
from equiqnn.symmetry import PAULI_MATRICES, PauliString, PauliSum

__all__ = ["dense_expectations", "dense_density_expectations", "dense_states", "gate_unitary"]

_LOCAL = {
    "H": np.array([[1, 1], [1, -1]]) / np.sqrt(2),
    "S": np.diag([1, 1j]),
    "CNOT": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
    "CZ": np.diag([1, 1, 1, -1]),
    "SWAP": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
}


def _embed(local: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    """Full matrix of ``local`` acting on ``qubits``, by expanding over the Pauli basis."""
    k = len(qubits)
    out = np.zeros((2**n, 2**n), dtype=np.complex128)
    labels = [""]
    for _ in range(k):
        labels = [s + c for s in labels for c in "IXYZ"]
    for lab in labels:
        p_local = kron_all([PAULI_MATRICES[c] for c in lab])
        coef = np.trace(p_local.conj().T @ local) / 2**k
        if abs(coef) > 1e-15:
            full = ["I"] * n
            for q, c in zip(qubits, lab, strict=False):
                full[q] = c
            out += coef * PauliString("".join(full)).matrix()
    return out


def gate_unitary(op, n: int, params: torch.Tensor, x: torch.Tensor | None) -> torch.Tensor:
    """Full unitary ``(2**n, 2**n)`` (or ``(B, 2**n, 2**n)`` for data rotations)."""
    eye = torch.eye(2**n, dtype=torch.complex128)
    if isinstance(op, PauliRotation):
        p = torch.as_tensor(PauliString(op.pauli).matrix())
        a = op.coeff * params[op.slot].to(torch.float64) / 2
        return torch.cos(a) * eye - 1j * torch.sin(a) * p
    if isinstance(op, GeneratorRotation):
        h = torch.as_tensor(op.generator.matrix())
        w, v = torch.linalg.eigh(h)  # exact to rounding for every angle (matrix_exp is not)
        return (v * torch.exp(-0.5j * params[op.slot].to(torch.float64) * w)) @ v.conj().T
    if isinstance(op, DataRotation):
        if x is None:
            raise ValueError("a DataRotation needs feature inputs, not amplitude vectors.")
        p = torch.as_tensor(PauliString.on(n, {op.qubit: op.axis}).matrix())
        a = (op.scale * x[:, op.feature] / 2)[:, None, None]
        return torch.cos(a) * eye - 1j * torch.sin(a) * p
    if isinstance(op, FixedGate):
        local = PAULI_MATRICES[op.name] if op.name in "XYZ" else _LOCAL[op.name]
        return torch.as_tensor(_embed(np.asarray(local, dtype=np.complex128), op.qubits, n))
    raise TypeError(f"unknown op {op!r}")


def dense_states(circuit: Circuit, params: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Final states ``(B, 2**n)`` complex128."""
    n = circuit.n_qubits
    inputs = torch.as_tensor(inputs)
    b = inputs.shape[0]
    if circuit.initial == "amplitude":
        psi = inputs.to(torch.float64).to(torch.complex128)
    else:
        v = np.array([1, 0]) if circuit.initial == "zero" else np.array([1, 1]) / np.sqrt(2)
        psi = torch.as_tensor(kron_all([v] * n), dtype=torch.complex128).repeat(b, 1)
    x = inputs.to(torch.float64) if circuit.initial != "amplitude" else None
    for op in circuit.ops:
        if isinstance(op, Barrier):
            continue
        u = gate_unitary(op, n, params, x)
        psi = torch.einsum("bij,bj->bi", u, psi) if u.ndim == 3 else psi @ u.T
    return psi


def dense_expectations(
    circuit: Circuit, observables: list[PauliSum], params: torch.Tensor, inputs: torch.Tensor
) -> torch.Tensor:
    """``(B, K)`` float64 expectations by dense matrices."""
    psi = dense_states(circuit, params, inputs)
    cols = [
        torch.einsum("bi,ij,bj->b", psi.conj(), torch.as_tensor(o.matrix()), psi).real
        for o in observables
    ]
    return torch.stack(cols, dim=1)


def dense_density_expectations(
    circuit: Circuit,
    observables: list[PauliSum],
    params: torch.Tensor,
    inputs: torch.Tensor,
    noise=None,
) -> torch.Tensor:
    """``(B, K)`` float64 ``Tr(O ℰ(ρ))`` with full ``2**n × 2**n`` unitaries and Kraus operators,
    following ``noisy_schedule`` (the placement rules); small n only."""
    from equiqnn.sim.schedule import noisy_schedule  # the shared placement rules

    n = circuit.n_qubits
    inputs = torch.as_tensor(inputs)
    if circuit.initial == "amplitude":
        psi = inputs.to(torch.float64).to(torch.complex128)
    else:
        v = np.array([1, 0]) if circuit.initial == "zero" else np.array([1, 1]) / np.sqrt(2)
        psi = torch.as_tensor(kron_all([v] * n), dtype=torch.complex128).repeat(inputs.shape[0], 1)
    rho = psi[:, :, None] * psi.conj()[:, None, :]
    x = inputs.to(torch.float64) if circuit.initial != "amplitude" else None
    for entry in noisy_schedule(circuit, noise):
        if entry.op is not None:
            u = gate_unitary(entry.op, n, params, x)
            rho = u @ rho @ u.conj().transpose(-1, -2)
        else:
            assert entry.channel is not None
            new = torch.zeros_like(rho)
            for k in entry.channel.kraus:
                kf = torch.as_tensor(_embed(np.asarray(k, dtype=np.complex128), entry.qubits, n))
                new = new + kf @ rho @ kf.conj().T
            rho = new
    cols = [torch.einsum("ij,bji->b", torch.as_tensor(o.matrix()), rho).real for o in observables]
    return torch.stack(cols, dim=1)
