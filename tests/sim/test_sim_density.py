"""DensityMatrixEngine against the dense Kronecker reference: both paths (Heisenberg / Schrödinger),
values and gradients to 1e-10 in complex128, several channels and both placements; the PTM helpers."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sim_engine import random_circuit, random_inputs, random_params

from equiqnn.circuits import (
    AngleEncoding,
    Circuit,
    DataRotation,
    FixedGate,
    PauliRotation,
    RegisterAmplitude,
    register_ansatz,
)
from equiqnn.noise import (
    NoiseModel,
    amplitude_damping,
    depolarizing,
    depolarizing2,
    readout_error,
)
from equiqnn.sim import DensityMatrixEngine, MemoryEstimateError
from equiqnn.sim.dm_pauli import compose_monomial, monomial, ptm
from equiqnn.sim.reference import dense_density_expectations
from equiqnn.symmetry import PauliString, PauliSum

NOISES = {
    "none": None,
    "depol-gate": NoiseModel.uniform(depolarizing(0.05), placement="gate"),
    "depol-layer": NoiseModel.uniform(depolarizing(0.05), placement="layer"),
    "damping-gate": NoiseModel.uniform(amplitude_damping(0.1), placement="gate"),
    "damping-layer": NoiseModel.uniform(amplitude_damping(0.1), placement="layer"),
    "two-qubit": NoiseModel(amplitude_damping(0.05), two_qubit=depolarizing2(0.08)),
    "readout": NoiseModel(depolarizing(0.02), readout=readout_error(0.03, 0.05)),
}


def qnn_circuit(n: int, layers: int) -> Circuit:
    """Workload 1: RY(x) embedding, layers of RY RZ on every qubit and a CNOT ring."""
    ops = []
    for layer in range(layers):
        for q in range(n):
            ops.append(PauliRotation(PauliString.on(n, {q: "Y"}).label, 2 * n * layer + 2 * q))
            ops.append(PauliRotation(PauliString.on(n, {q: "Z"}).label, 2 * n * layer + 2 * q + 1))
        ops += [FixedGate("CNOT", (i, (i + 1) % n)) for i in range(n)]
    body = Circuit(n, tuple(ops), 2 * n * layers, name="qnn")
    return AngleEncoding(n, axis="Y").circuit() + body


def observables(n: int) -> list[PauliSum]:
    return [
        PauliSum({PauliString.on(n, {0: "Z"}).label: 1.0}, n),
        PauliSum({PauliString.on(n, {0: "X", n - 1: "Y"}).label: 0.5, "Z" * n: -0.3}, n),
    ]


def check_against_reference(engine, circuit, params, x, noise, atol=1e-10):
    """Values, parameter gradients and (for angle inputs) feature gradients."""
    params = params.detach().clone().requires_grad_(True)
    x = x.detach().clone().requires_grad_(circuit.initial != "amplitude")
    weights = torch.arange(1.0, len(engine.observables) + 1, dtype=torch.float64)
    out = engine(params, x)
    ref = dense_density_expectations(circuit, engine.observables, params, x, noise)
    torch.testing.assert_close(out, ref, atol=atol, rtol=0)
    wrt = [params, x] if x.requires_grad else [params]
    got = torch.autograd.grad(((out - 0.5) ** 2 * weights).sum(), wrt)
    want = torch.autograd.grad(((ref - 0.5) ** 2 * weights).sum(), wrt)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=atol, rtol=0)
    assert max(float(g.abs().max()) for g in want) > 1e-3  # gradients are not trivially zero


@pytest.mark.parametrize("noise", list(NOISES), ids=str)
@pytest.mark.parametrize("n", [2, 3, 4])
def test_qnn_heisenberg_path_matches_reference(noise, n):
    circuit = qnn_circuit(n, layers=2)
    engine = DensityMatrixEngine(circuit, observables(n), noise=NOISES[noise])
    assert engine.path == "heisenberg"
    rng = np.random.default_rng(n)
    params = torch.tensor(rng.uniform(0, 2 * np.pi, circuit.n_params))
    x = torch.tensor(rng.uniform(0, np.pi, (5, n)))
    check_against_reference(engine, circuit, params, x, NOISES[noise])


@pytest.mark.parametrize("noise", ["none", "depol-gate", "damping-layer", "readout"])
def test_register_model_with_preparation_noise_matches_reference(noise):
    circuit = RegisterAmplitude(4).circuit() + register_ansatz(4, layers=2)
    nm = NOISES[noise]
    engine = DensityMatrixEngine(circuit, [PauliSum({"XIII": 0.5, "IIXI": 0.5}, 4)], noise=nm)
    assert engine.path == "heisenberg"
    rng = np.random.default_rng(3)
    amps = rng.normal(size=(6, 16))
    amps = torch.tensor(amps / np.linalg.norm(amps, axis=1, keepdims=True))
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params))
    check_against_reference(engine, circuit, params, amps, nm)


def test_reuploading_after_an_entangling_gate_uses_the_schrodinger_path():
    n = 3
    late = (FixedGate("CNOT", (0, 1)), DataRotation("X", 1, 0), PauliRotation("XYZ", 0, 0.7))
    circuit = qnn_circuit(n, 1) + Circuit(n, late, 1, n_features=n)
    nm = NOISES["two-qubit"]
    engine = DensityMatrixEngine(circuit, observables(n), noise=nm)
    assert engine.path == "schrodinger"
    rng = np.random.default_rng(0)
    params = torch.tensor(rng.uniform(0, 2 * np.pi, circuit.n_params))
    x = torch.tensor(rng.uniform(0, np.pi, (4, n)))
    check_against_reference(engine, circuit, params, x, nm)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    initial=st.sampled_from(["zero", "plus", "amplitude"]),
    noise=st.sampled_from(list(NOISES)),
)
def test_random_circuits_match_reference_on_either_path(seed, initial, noise):
    circuit, obs = random_circuit(seed, 2 + seed % 2, initial)
    engine = DensityMatrixEngine(circuit, obs, noise=NOISES[noise])
    params, x = random_params(circuit, seed), random_inputs(circuit, 3, seed)
    out = engine(params, x)
    ref = dense_density_expectations(circuit, engine.observables, params, x, NOISES[noise])
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=0)


def test_checkpointed_segments_give_the_same_gradient():
    circuit = RegisterAmplitude(4).circuit() + register_ansatz(4, layers=2)
    obs = [PauliSum({"XIII": 1.0}, 4)]
    nm = NOISES["depol-gate"]
    amps = torch.tensor(np.random.default_rng(1).uniform(0, 1, (3, 16)))
    amps = amps / amps.norm(dim=1, keepdim=True)
    grads = []
    for segments in (1, 3):
        params = torch.linspace(-1, 1, circuit.n_params, dtype=torch.float64).requires_grad_(True)
        DensityMatrixEngine(circuit, obs, noise=nm, segments=segments)(
            params, amps
        ).sum().backward()
        grads.append(params.grad)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-12, rtol=0)


def test_complex64_default_dtype_is_close_to_complex128():
    circuit = qnn_circuit(4, 2)
    engine = DensityMatrixEngine(circuit, observables(4), noise=NOISES["depol-gate"])
    params = torch.linspace(0, 6, circuit.n_params, dtype=torch.float64)
    x = torch.linspace(0, 3, 8, dtype=torch.float64).reshape(2, 4)
    lo, hi = engine(params.float(), x.float()), engine(params, x)
    assert lo.dtype == torch.float32 and hi.dtype == torch.float64
    torch.testing.assert_close(lo.double(), hi, atol=1e-5, rtol=0)


def test_evolve_matches_the_expectations_of_call():
    circuit = qnn_circuit(3, 1)
    obs = observables(3)
    nm = NOISES["damping-gate"]
    engine = DensityMatrixEngine(circuit, obs, noise=nm)
    params = torch.linspace(0, 6, circuit.n_params, dtype=torch.float64)
    x = torch.zeros(2, 3, dtype=torch.float64)  # data rotations by 0: the circuit acts on |0⟩
    rho0 = torch.zeros(2, 8, 8, dtype=torch.complex128)
    rho0[:, 0, 0] = 1
    rho = engine.evolve(params, rho0, x)
    direct = torch.stack(
        [torch.einsum("ij,bji->b", torch.as_tensor(o.matrix()), rho).real for o in obs], 1
    )
    torch.testing.assert_close(direct, engine(params, x), atol=1e-12, rtol=0)


def test_memory_refusal_names_the_estimate_and_wrong_inputs_are_refused():
    circuit = qnn_circuit(3, 1)
    engine = DensityMatrixEngine(circuit, observables(3), noise=NOISES["depol-gate"], max_memory=64)
    assert engine.estimate_memory(4, 16, grad=True) > engine.estimate_memory(4, 16, grad=False)
    assert engine.estimate_memory(8, 16) > engine.estimate_memory(4, 16)
    with pytest.raises(MemoryEstimateError, match=r"needs an estimated .* over the limit of 64"):
        engine(torch.zeros(circuit.n_params), torch.zeros(2, 3))
    free = DensityMatrixEngine(circuit, observables(3))
    with pytest.raises(ValueError, match=r"inputs must have 3 features per sample; got 2"):
        free(torch.zeros(circuit.n_params), torch.zeros(2, 2))


def test_ptm_of_a_unitary_is_orthogonal_and_composed_monomials_match_products():
    cnot = np.eye(4)[[0, 1, 3, 2]]
    r = ptm([cnot], 2)
    np.testing.assert_allclose(r @ r.T, np.eye(16), atol=1e-12)
    assert monomial(ptm(amplitude_damping(0.2).kraus, 1)) is None  # not a Pauli channel
    # Heisenberg composite of CNOT(0,1) then depolarizing on qubit 1 then CNOT(1,0), on 2 qubits
    steps = [(ptm([cnot], 2), (0, 1)), (ptm(depolarizing(0.3).kraus, 1), (1,))]
    steps.append((ptm([cnot], 2), (1, 0)))
    full = np.eye(16)
    perm, val = np.arange(16), np.ones(16)
    for mat, qs in steps:
        local = monomial(mat.T)
        assert local is not None
        perm, val = compose_monomial(perm, val, local, qs, 2)
        emb = mat if qs == (0, 1) else _reorder(mat, qs)
        full = full @ emb.T  # Heisenberg: H_1 H_2 H_3
    dense = np.zeros((16, 16))
    dense[np.arange(16), perm] = val
    np.testing.assert_allclose(dense, full, atol=1e-12)


def _reorder(mat: np.ndarray, qs: tuple[int, ...]) -> np.ndarray:
    """A PTM on ``qs`` of 2 qubits as a 16×16 matrix in qubit order (0, 1)."""
    if len(qs) == 1:
        eye = np.eye(4)
        return np.kron(mat, eye) if qs == (0,) else np.kron(eye, mat)
    t = mat.reshape(4, 4, 4, 4).transpose(1, 0, 3, 2)  # qs == (1, 0)
    return t.reshape(16, 16)
