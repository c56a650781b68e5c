"""Reference values for the agreement check: complex128, written independently of every simulator.

Two references are used:

* ``tensor_reference`` (this module): the neutral gate list of ``benchmarks.workloads`` applied by
  tensor contractions on ``(B, 2, …, 2)`` states, or on ``(B, 2^n row axes, 2^n column axes)``
  density matrices with every channel applied as ``Σ_k K_k ρ K_k†`` built from its Kraus operators,
  in torch complex128 (differentiable, so it also gives reference gradients). It scales to every
  case of the grid (n = 16 statevectors, n = 10 density matrices).
* ``equiqnn.sim.dense_expectations`` (full ``2^n × 2^n`` matrices) on the equiqnn circuit, for
  ``n <= DENSE_MAX_QUBITS``: the project's own dense reference, also used to cross-check the
  tensor reference (``ref_cross_dev`` in the results).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from benchmarks.workloads import (
    NOISE_P,
    Case,
    Data,
    batch_slices,
    gates,
    observable_terms,
    prep_noise_qubits,
)

__all__ = ["tensor_reference", "reference_forward", "reference_gradient", "depolarizing_kraus"]

DENSE_MAX_QUBITS = 10  # equiqnn's dense reference builds 2^n x 2^n matrices per gate
DENSE_DM_MAX_QUBITS = 6  # its density-matrix twin multiplies 2^n x 2^n matrices per Kraus op

C128 = torch.complex128
_PAULI = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.array([[1, 0], [0, -1]]),
}


def depolarizing_kraus(p: float) -> list[np.ndarray]:
    """Kraus operators of ``ρ → (1-p)ρ + p/3 (XρX + YρY + ZρZ)``."""
    return [
        math.sqrt(1 - p) * _PAULI["I"].astype(np.complex128),
        math.sqrt(p / 3) * _PAULI["X"].astype(np.complex128),
        math.sqrt(p / 3) * _PAULI["Y"].astype(np.complex128),
        math.sqrt(p / 3) * _PAULI["Z"].astype(np.complex128),
    ]


def _apply(t: torch.Tensor, mat: torch.Tensor, axes: list[int]) -> torch.Tensor:
    """Apply ``mat`` ``(2^k, 2^k)`` or per-sample ``(B, 2^k, 2^k)`` on tensor ``axes`` (first axis
    most significant) of ``t`` ``(B, 2, …, 2)``."""
    k = len(axes)
    dst = list(range(t.ndim - k, t.ndim))
    moved = torch.movedim(t, axes, dst)
    shape = moved.shape
    flat = moved.reshape(shape[0], -1, 2**k)
    out = flat @ mat.transpose(-1, -2)
    return torch.movedim(out.reshape(shape), dst, axes)


def _rotation(letter: str, angle: torch.Tensor) -> torch.Tensor:
    """``exp(-i angle P / 2)`` as ``(2, 2)`` or ``(B, 2, 2)`` for angle scalar or ``(B,)``."""
    p = torch.as_tensor(_PAULI[letter], dtype=C128)
    a = angle.to(torch.float64)[..., None, None] / 2
    return torch.cos(a) * torch.eye(2, dtype=C128) - 1j * torch.sin(a) * p


def _kron(mats: list[np.ndarray]) -> np.ndarray:
    out = np.array([[1.0 + 0j]])
    for m in mats:
        out = np.kron(out, m)
    return out


_CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=np.complex128)


def _gate_matrix(g, theta: torch.Tensor, x: torch.Tensor | None) -> torch.Tensor:
    if g.name == "CNOT":
        return torch.as_tensor(_CNOT)
    angle = theta[g.param] if g.param >= 0 else x[:, g.feature]  # type: ignore[index]
    if g.name in ("RX", "RY", "RZ"):
        return _rotation(g.name[1], angle)
    if g.name == "PAULIROT":
        p = torch.as_tensor(_kron([_PAULI[c] for c in g.pauli]), dtype=C128)
        a = angle.to(torch.float64)[..., None, None] / 2
        return torch.cos(a) * torch.eye(2 ** len(g.qubits), dtype=C128) - 1j * torch.sin(a) * p
    raise ValueError(f"unknown gate {g.name}")


def _kraus_channel(rho: torch.Tensor, kraus: list[np.ndarray], q: int, n: int) -> torch.Tensor:
    """``Σ_k K_k ρ K_k†`` on qubit ``q``, as the ``4 × 4`` matrix ``Σ_k K_k ⊗ conj(K_k)`` on the
    (row ``q``, column ``q``) axis pair: ``(KρK†)[r, c] = Σ K[r, r'] ρ[r', c'] conj(K[c, c'])``."""
    sup = sum(np.kron(k, k.conj()) for k in kraus)
    return _apply(rho, torch.as_tensor(sup, dtype=C128), [1 + q, 1 + n + q])


def tensor_reference(
    case: Case, theta: torch.Tensor, x: torch.Tensor | None, amps: torch.Tensor | None
) -> torch.Tensor:
    """Expectation of the case's observable, ``(B,)`` float64, for the samples given."""
    n = case.n
    batch = (x if x is not None else amps).shape[0]  # type: ignore[union-attr]
    if amps is not None:
        psi = amps.to(C128).reshape((batch,) + (2,) * n)
    else:
        psi = torch.zeros((batch,) + (2,) * n, dtype=C128)
        psi[(slice(None),) + (0,) * n] = 1
    terms = observable_terms(case)
    if not case.noisy:
        for g in gates(case):
            psi = _apply(psi, _gate_matrix(g, theta, x), [1 + q for q in g.qubits])
        val = torch.zeros(batch, dtype=torch.float64)
        for coeff, letters in terms:
            phi = psi
            for q, c in letters.items():
                phi = _apply(phi, torch.as_tensor(_PAULI[c], dtype=C128), [1 + q])
            val = val + coeff * (psi.conj() * phi).reshape(batch, -1).sum(-1).real
        return val
    kraus = depolarizing_kraus(NOISE_P)
    rho = psi[(...,) + (None,) * n] * psi.conj()[(slice(None),) + (None,) * n]
    for q in prep_noise_qubits(case):
        rho = _kraus_channel(rho, kraus, q, n)
    for g in gates(case):
        u = _gate_matrix(g, theta, x)
        rho = _apply(rho, u, [1 + q for q in g.qubits])
        rho = _apply(rho, u.conj(), [1 + n + q for q in g.qubits])
        for q in g.qubits:
            rho = _kraus_channel(rho, kraus, q, n)
    val = torch.zeros(batch, dtype=torch.float64)
    d = 2**n
    for coeff, letters in terms:
        o = rho
        for q, c in letters.items():
            o = _apply(o, torch.as_tensor(_PAULI[c], dtype=C128), [1 + q])
        val = val + coeff * torch.diagonal(o.reshape(batch, d, d), dim1=1, dim2=2).sum(-1).real
    return val


def agreement_slice(case: Case) -> slice:
    """Samples of the agreement check: the whole batch (workload 1); all 160 images (workload 2,
    statevector) or the first batch of 16 (workload 2, density matrix: the reference costs
    ``O(B·4^n)`` per channel)."""
    if case.workload == 1 or not case.noisy:
        return slice(0, case.n_samples)
    return slice(0, case.batch)


def _inputs(case: Case, data: Data, sl: slice):
    x = None if data.x is None else torch.as_tensor(data.x[sl])
    amps = None if data.amps is None else torch.as_tensor(data.amps[sl])
    return x, amps


def reference_forward(case: Case, data: Data, chunk: int | None = None) -> np.ndarray:
    """Reference outputs on the agreement samples, float64 ``(S,)``."""
    sl = agreement_slice(case)
    x, amps = _inputs(case, data, sl)
    total = (x if x is not None else amps).shape[0]  # type: ignore[union-attr]
    if chunk is None:
        dim = 4**case.n if case.noisy else 2**case.n
        chunk = max(1, min(total, int(2**28 // (dim * 16))))  # ~256 MiB per state
    theta = torch.as_tensor(data.theta)
    outs = []
    with torch.no_grad():
        for s in range(0, total, chunk):
            xs = None if x is None else x[s : s + chunk]
            am = None if amps is None else amps[s : s + chunk]
            outs.append(tensor_reference(case, theta, xs, am))
    return torch.cat(outs).numpy()


def reference_gradient(
    case: Case, data: Data, max_bytes: float = 3e9, max_work: float = 1e9
) -> np.ndarray | None:
    """Gradient of the first batch's loss with respect to all trainable parameters (θ, then w, b
    for workload 2), by autograd through the tensor reference; None when too large (more than
    ``max_work`` state elements touched, ``batch · dim · ops``, or ``max_bytes`` for one sample)."""
    sl = batch_slices(case)[0]
    x, amps = _inputs(case, data, sl)
    dim = 4**case.n if case.noisy else 2**case.n
    n_ops = len(gates(case)) * (1 + 2 * case.noisy) * (4 if case.noisy else 2)
    if case.batch * dim * n_ops > max_work:
        return None
    per_sample = dim * 16 * n_ops * 3
    chunk = int(max_bytes // per_sample)
    if chunk < 1:
        return None
    theta = torch.as_tensor(data.theta).clone().requires_grad_(True)
    head = torch.as_tensor(data.head).clone().requires_grad_(case.workload == 2)
    labels = None if data.labels is None else torch.as_tensor(data.labels[sl])
    total = (x if x is not None else amps).shape[0]  # type: ignore[union-attr]
    for s in range(0, total, chunk):
        xs = None if x is None else x[s : s + chunk]
        am = None if amps is None else amps[s : s + chunk]
        f = tensor_reference(case, theta, xs, am)
        # the loss is a batch mean of per-sample terms: each chunk's share, gradients accumulate
        _chunk_loss(case, f, s, total, head, labels).backward()
    grads = [theta.grad.numpy()]  # type: ignore[union-attr]
    if case.workload == 2:
        grads.append(head.grad.numpy())  # type: ignore[union-attr]
    return np.concatenate(grads)


def _chunk_loss(case: Case, f: torch.Tensor, start: int, total: int, head, labels):
    """This chunk's share of the batch-mean loss (the loss is a sum of per-sample terms / total)."""
    if case.workload == 1:
        return ((f - 0.5) ** 2).sum() / total
    y = labels[start : start + f.shape[0]]
    p = (1 + torch.tanh(head[0] * f + head[1])) / 2
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum() / total


def dense_reference(case: Case, data: Data) -> np.ndarray | None:
    """``equiqnn.sim.dense_expectations`` (statevector) or ``dense_density_expectations`` (noisy,
    when equiqnn has it) on the equiqnn circuit, for small n; None when not applicable."""
    from benchmarks.equiqnn_cases import equiqnn_circuit, equiqnn_inputs, equiqnn_observable

    limit = DENSE_DM_MAX_QUBITS if case.noisy else DENSE_MAX_QUBITS
    if case.n > limit:
        return None
    import equiqnn.sim as sim

    sl = agreement_slice(case)
    circuit = equiqnn_circuit(case)
    inputs = equiqnn_inputs(case, data, torch.float64)[sl]
    theta = torch.as_tensor(data.theta, dtype=torch.float64)
    with torch.no_grad():
        if not case.noisy:
            out = sim.dense_expectations(circuit, [equiqnn_observable(case)], theta, inputs)
        else:
            fn = getattr(sim, "dense_density_expectations", None)
            if fn is None:
                return None
            from equiqnn.noise import NoiseModel, depolarizing

            noise = NoiseModel.uniform(depolarizing(NOISE_P), placement="gate")
            out = fn(circuit, [equiqnn_observable(case)], theta, inputs, noise)
    return out[:, 0].numpy()
