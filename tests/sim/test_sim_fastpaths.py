"""Every fast path of the statevector engine agrees with the dense Kronecker reference (values and
parameter gradients to 1e-10 in complex128): the dense small-register path with permutations folded
in, the parameter-shift pass, the grouped Kronecker path (forced at small n by lowering the
thresholds), the backward sweep in batch slices, the product-state embedding, and the fused plan's segmentation itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_sim_engine import random_circuit, random_inputs, random_params

import equiqnn.sim.sv_fused as fused
import equiqnn.sim.sv_product as sv_product
from equiqnn.circuits import (
    Circuit,
    DataRotation,
    FixedGate,
    PauliRotation,
    RegisterAmplitude,
    register_ansatz,
)
from equiqnn.sim import StatevectorEngine, dense_expectations
from equiqnn.sim.sv_fuse import fuse_circuit
from equiqnn.symmetry import PauliString, PauliSum

# (SMALL_N, MAX_GROUP, SHIFT_LIMIT, CHUNK_AMPLITUDES): which path the engine takes
PATHS = {
    "dense-shift": (6, 4, 2**40, 2**20),
    "dense-adjoint": (6, 4, 0, 2**20),
    "grouped-2": (0, 2, 0, 2**20),
    "grouped-3-chunked": (0, 3, 0, 1),  # backward sweep one sample at a time
}


@pytest.fixture(params=sorted(PATHS))
def path(request, monkeypatch):
    small, group, shift, chunk = PATHS[request.param]
    monkeypatch.setattr(fused, "CHUNK_AMPLITUDES", chunk)
    monkeypatch.setattr(fused, "SMALL_N", small)
    monkeypatch.setattr(fused, "MAX_GROUP", group)
    monkeypatch.setattr(fused, "SHIFT_LIMIT", shift)
    return request.param


def layered_circuit(seed: int, n: int, layers: int, initial: str = "zero") -> Circuit:
    """Angle embedding, then layers of one-qubit rotations (shared slots, coefficients, fixed
    one-qubit gates in the chains) and a ring of CNOT / CZ / SWAP (permutations with phases)."""
    rng = np.random.default_rng(seed)
    ops: list = [
        DataRotation(str(rng.choice(list("XYZ"))), q, q, float(rng.uniform(0.5, 2)))
        for q in range(n)
    ]
    n_params = 3 * n
    for _ in range(layers):
        for q in range(n):
            for _ in range(int(rng.integers(1, 4))):
                if rng.random() < 0.2:
                    ops.append(FixedGate(str(rng.choice(["H", "X", "Y", "Z", "S"])), (q,)))
                label = PauliString.on(n, {q: str(rng.choice(list("XYZ")))}).label
                ops.append(
                    PauliRotation(label, int(rng.integers(n_params)), float(rng.uniform(-2, 2)))
                )
        for q in range(0 if n == 1 else n if n > 2 else 1):
            name = str(rng.choice(["CNOT", "CZ", "SWAP"]))
            ops.append(FixedGate(name, (q, (q + 1) % n)))
    ops += [PauliRotation(PauliString.on(n, {0: "Y"}).label, slot) for slot in range(n_params)]
    return Circuit(n, tuple(ops), n_params, initial, n, f"layered{seed}")


def _observables(n: int) -> list[PauliSum]:
    z0 = PauliSum({PauliString.on(n, {0: "Z"}).label: 1.0}, n)
    mixed = PauliSum(
        {
            PauliString.on(n, {n - 1: "X"}).label: 0.7,
            PauliString.on(n, {0: "Z", 1: "Y"}).label: -0.4,
        },
        n,
    )
    return [z0, mixed]


def _check(circuit: Circuit, observables: list[PauliSum], batch: int, seed: int) -> None:
    params, x = random_params(circuit, seed), random_inputs(circuit, batch, seed)
    weights = torch.linspace(-1.0, 2.0, batch * len(observables), dtype=torch.float64)
    grads = []
    for fn in (StatevectorEngine(circuit, observables), None):
        p = params.clone().requires_grad_(True)
        out = dense_expectations(circuit, observables, p, x) if fn is None else fn(p, x)
        loss = (out * weights.reshape(out.shape)).sum() + (out**2).sum()
        grads.append((out.detach(), torch.autograd.grad(loss, p)[0]))
    (got, got_grad), (ref, ref_grad) = grads
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-10)
    torch.testing.assert_close(got_grad, ref_grad, rtol=0, atol=1e-10)


@pytest.mark.parametrize("initial", ["zero", "plus"])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_layered_circuits_match_the_reference_on_every_path(path, n, initial):
    circuit = layered_circuit(7 * n + len(initial), n, layers=3, initial=initial)
    _check(circuit, _observables(n) if n > 1 else [PauliSum("1*Z"), PauliSum("1*X")], 5, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("initial", ["zero", "plus", "amplitude"])
def test_random_circuits_match_the_reference_on_every_path(path, seed, initial):
    circuit, observables = random_circuit(seed, 4 + seed % 2, initial)
    _check(circuit, observables, 3, seed)


@pytest.mark.parametrize("side", [4, 8])
def test_register_model_matches_the_reference_on_every_path(path, side):
    circuit = RegisterAmplitude(side).circuit() + register_ansatz(side, layers=2)
    n = circuit.n_qubits
    m = n // 2
    obs = [
        PauliSum(
            {PauliString.on(n, {0: "X"}).label: 0.5, PauliString.on(n, {m: "X"}).label: 0.5}, n
        )
    ]
    _check(circuit, obs, 4, side)


def test_the_benchmark_layer_fuses_into_one_kron_and_one_permutation_per_layer():
    n, layers = 5, 3
    ops: list = [DataRotation("Y", q, q) for q in range(n)]
    for layer in range(layers):
        for q in range(n):
            ops.append(PauliRotation(PauliString.on(n, {q: "Y"}).label, 2 * n * layer + 2 * q))
            ops.append(PauliRotation(PauliString.on(n, {q: "Z"}).label, 2 * n * layer + 2 * q + 1))
        ops += [FixedGate("CNOT", (q, (q + 1) % n)) for q in range(n)]
    circuit = Circuit(n, tuple(ops), 2 * n * layers, "zero", n)
    assert fuse_circuit(circuit, product_folded=True).kinds() == {"kron": layers, "mono": layers}
    _check(circuit, _observables(n), 6, 3)


def test_one_qubit_gates_move_past_gates_on_other_qubits_only():
    y0, z0 = "YIII", "ZIII"
    past_other = Circuit(
        4, (PauliRotation(y0, 0), FixedGate("CNOT", (1, 2)), PauliRotation(z0, 1)), 2
    )
    past_own = Circuit(
        4, (PauliRotation(y0, 0), FixedGate("CNOT", (0, 2)), PauliRotation(z0, 1)), 2
    )
    assert fuse_circuit(past_other, False).kinds() == {"kron": 1, "mono": 1}
    assert fuse_circuit(past_own, False).kinds() == {"kron": 2, "mono": 1}
    for circ in (past_other, past_own):
        _check(circ, _observables(4), 2, 0)


@pytest.mark.parametrize("gather", [True, False])
@pytest.mark.parametrize("initial", ["zero", "plus"])
@pytest.mark.parametrize("axis", ["X", "Y", "Z"])
def test_product_embedding_matches_the_reference_with_feature_gradients(
    axis, initial, gather, monkeypatch
):
    monkeypatch.setattr(sv_product, "_GATHER_MAX_QUBITS", 6 if gather else 0)
    n = 3
    ops = tuple(DataRotation(axis, q, (q + 1) % n, 0.5 + q) for q in range(n))
    circuit = Circuit(n, ops + (PauliRotation("XYZ", 0),), 1, initial, n)
    obs = _observables(n)
    params, x = random_params(circuit, 1), random_inputs(circuit, 4, 1).requires_grad_(True)
    out = StatevectorEngine(circuit, obs)(params, x)
    ref = dense_expectations(circuit, obs, params, x)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
    (g,) = torch.autograd.grad(out.sum(), x)
    (g_ref,) = torch.autograd.grad(ref.sum(), x)
    torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("initial", ["zero", "plus"])
def test_product_embedding_built_in_batch_slices_matches_the_reference(initial, monkeypatch):
    monkeypatch.setattr(sv_product, "_GATHER_MAX_QUBITS", 0)
    monkeypatch.setattr(sv_product, "CHUNK_AMPLITUDES", 16)  # two samples per slice (n = 3)
    n = 3
    ops = tuple(DataRotation("XYZ"[q], q, q, 0.7) for q in range(n))
    circuit = Circuit(n, ops + (PauliRotation("XYZ", 0),), 1, initial, n)
    obs = _observables(n)
    params, x = random_params(circuit, 1), random_inputs(circuit, 5, 2)  # 5: a short last slice
    out = StatevectorEngine(circuit, obs)(params, x)
    torch.testing.assert_close(out, dense_expectations(circuit, obs, params, x), rtol=0, atol=1e-12)


def test_values_agree_across_no_grad_adjoint_and_autograd(path):
    circuit = layered_circuit(5, 4, layers=2)
    obs = _observables(4)
    params, x = random_params(circuit, 5), random_inputs(circuit, 3, 5)
    with torch.no_grad():
        plain = StatevectorEngine(circuit, obs)(params, x)
    adjoint = StatevectorEngine(circuit, obs)(params.clone().requires_grad_(True), x)
    autograd = StatevectorEngine(circuit, obs, adjoint=False)(
        params.clone().requires_grad_(True), x
    )
    torch.testing.assert_close(adjoint.detach(), plain, rtol=0, atol=1e-12)
    torch.testing.assert_close(autograd.detach(), plain, rtol=0, atol=1e-12)


def test_complex64_fast_paths_stay_close_to_the_reference(path):
    circuit = layered_circuit(9, 5, layers=3)
    obs = _observables(5)
    params, x = random_params(circuit, 9), random_inputs(circuit, 6, 9)
    p32 = params.float().requires_grad_(True)
    out = StatevectorEngine(circuit, obs)(p32, x.float())
    (g32,) = torch.autograd.grad(out.sum(), p32)
    p64 = params.clone().requires_grad_(True)
    ref = dense_expectations(circuit, obs, p64, x)
    (g64,) = torch.autograd.grad(ref.sum(), p64)
    assert out.dtype == torch.float32 and g32.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref, rtol=0, atol=1e-5)
    torch.testing.assert_close(g32.double(), g64, rtol=0, atol=1e-4)
