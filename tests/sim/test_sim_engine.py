"""The statevector engine agrees with the independent dense Kronecker reference on random circuits:
values and gradients (parameters, and features for angle inputs) to 1e-10 in complex128, ~1e-5 in
complex64; batching is exact and order-equivariant; it refuses bad shapes and oversized runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equiqnn.circuits import (
    FIXED_GATES,
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
    hardware_efficient_ansatz,
)
from equiqnn.sim import MemoryEstimateError, StatevectorEngine, dense_expectations, dense_states
from equiqnn.symmetry import PauliString, PauliSum

INITIALS = ["zero", "plus", "amplitude"]


def _label(rng: np.random.Generator, n: int, min_weight: int = 1) -> str:
    while True:
        label = "".join(rng.choice(list("IXYZ"), size=n))
        if sum(c != "I" for c in label) >= min_weight:
            return label


def _non_commuting_generator(rng: np.random.Generator, n: int) -> PauliSum:
    while True:
        coeffs = rng.choice([-1, 1], size=3) * rng.uniform(0.5, 2.0, size=3)
        gen = PauliSum({_label(rng, n): float(c) for c in coeffs}, n)
        if not gen.commuting():
            return gen


def random_circuit(seed: int, n: int, initial: str) -> tuple[Circuit, list[PauliSum]]:
    """A random circuit exercising every op kind and every engine step kind.

    Multi-qubit and one-qubit Pauli rotations with shared slots and coefficients, runs of diagonal
    rotations sharing a slot (fused by the engine), non-commuting generator rotations, data rotations
    mid-circuit (re-uploading), barriers, every fixed gate at least once, and every parameter slot
    at least once; for angle inputs half
    of the circuits start with a full data layer (folded into a product state by the engine).
    """
    rng = np.random.default_rng(seed)
    n_params = 3
    n_features = 0 if initial == "amplitude" else n + 1
    ops: list = []
    if initial != "amplitude" and rng.random() < 0.5:
        ops += [
            DataRotation(
                str(rng.choice(list("XYZ"))),
                q,
                int(rng.integers(n_features)),
                float(rng.uniform(0.5, 2)),
            )
            for q in range(n)
        ]
    fixed = [name for name, arity in FIXED_GATES.items() if arity <= n]
    pending_fixed = [str(name) for name in rng.permutation(fixed)]
    for _ in range(int(rng.integers(10, 18))):
        kind = int(rng.integers(7))
        slot = int(rng.integers(n_params))
        coeff = float(rng.uniform(-2, 2))
        if kind == 0:
            ops.append(PauliRotation(_label(rng, n, min(2, n)), slot, coeff))
        elif kind == 1:
            q = int(rng.integers(n))
            ops.append(
                PauliRotation(
                    PauliString.on(n, {q: str(rng.choice(list("XYZ")))}).label, slot, coeff
                )
            )
        elif kind == 2:  # a run of diagonal strings on one slot
            for _ in range(2):
                diag = "".join(rng.choice(list("IZ"), size=n))
                ops.append(
                    PauliRotation(
                        diag if "Z" in diag else "Z" + diag[1:], slot, float(rng.uniform(-2, 2))
                    )
                )
        elif kind == 3 and n >= 2:
            ops.append(GeneratorRotation(_non_commuting_generator(rng, n), slot))
        elif kind == 4 and n_features:
            ops.append(
                DataRotation(
                    str(rng.choice(list("XYZ"))),
                    int(rng.integers(n)),
                    int(rng.integers(n_features)),
                    float(rng.uniform(-2, 2)),
                )
            )
        elif kind == 5:
            name = pending_fixed.pop() if pending_fixed else str(rng.choice(fixed))
            qubits = tuple(int(q) for q in rng.permutation(n)[: FIXED_GATES[name]])
            ops.append(FixedGate(name, qubits))
        else:
            ops.append(Barrier())
    for name in pending_fixed:
        ops.append(FixedGate(name, tuple(int(q) for q in rng.permutation(n)[: FIXED_GATES[name]])))
    ops += [
        PauliRotation(_label(rng, n), slot, float(rng.uniform(-2, 2))) for slot in range(n_params)
    ]
    observables = [
        PauliSum({_label(rng, n): float(rng.normal()) for _ in range(3)}, n),
        PauliSum({"I" * n: 0.3, _label(rng, n): -0.7}, n),
    ]
    return Circuit(n, tuple(ops), n_params, initial, n_features, f"random{seed}"), observables


def random_inputs(circuit: Circuit, batch: int, seed: int, dtype=torch.float64) -> torch.Tensor:
    rng = np.random.default_rng(seed + 1000)
    if circuit.initial == "amplitude":
        psi = rng.normal(size=(batch, 2**circuit.n_qubits))
        return torch.tensor(psi / np.linalg.norm(psi, axis=1, keepdims=True), dtype=dtype)
    return torch.tensor(rng.uniform(-np.pi, np.pi, (batch, circuit.n_features)), dtype=dtype)


def random_params(circuit: Circuit, seed: int, dtype=torch.float64) -> torch.Tensor:
    """Angles with 0.5 <= |θ| <= π: small generator angles are where the dense reference's
    ``torch.linalg.matrix_exp`` loses accuracy (see the xfail in this file)."""
    rng = np.random.default_rng(seed + 2000)
    angles = rng.choice([-1, 1], size=circuit.n_params) * rng.uniform(0.5, np.pi, circuit.n_params)
    return torch.tensor(angles, dtype=dtype)


def _loss_weights(out: torch.Tensor) -> torch.Tensor:
    return torch.linspace(-1.0, 2.0, out.numel(), dtype=out.dtype).reshape(out.shape)


def _values_and_grads(fn, circuit, observables, params, x, wrt_features):
    params = params.clone().requires_grad_(True)
    x = x.clone().requires_grad_(wrt_features)
    out = fn(circuit, observables, params, x)
    loss = (out * _loss_weights(out)).sum() + (out**2).sum()
    grads = torch.autograd.grad(
        loss, [params, x] if wrt_features else [params], allow_unused=True, materialize_grads=True
    )
    return out.detach(), [g.detach() for g in grads]


def _engine(adjoint: bool):
    def run(circuit, observables, params, x):
        return StatevectorEngine(circuit, observables, adjoint=adjoint)(params, x)

    return run


def _dense(circuit, observables, params, x):
    return dense_expectations(circuit, observables, params, x)


def _check_against_dense(seed: int, n: int, initial: str, adjoint: bool = True, batch: int = 3):
    circuit, observables = random_circuit(seed, n, initial)
    params, x = random_params(circuit, seed), random_inputs(circuit, batch, seed)
    wrt_features = initial != "amplitude"
    # parameters only (adjoint path when enabled), then parameters and features (autograd path)
    for features in [False, True] if wrt_features else [False]:
        got, got_grads = _values_and_grads(
            _engine(adjoint), circuit, observables, params, x, features
        )
        ref, ref_grads = _values_and_grads(_dense, circuit, observables, params, x, features)
        assert got.dtype == torch.float64 and got.shape == (batch, len(observables))
        torch.testing.assert_close(got, ref, rtol=0, atol=1e-10)
        for g, r in zip(got_grads, ref_grads):
            torch.testing.assert_close(g, r, rtol=0, atol=1e-10)


# -- agreement with the dense reference ---------------------------------------------------------


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 6), initial=st.sampled_from(INITIALS))
def test_engine_matches_dense_reference_on_random_circuits(seed, n, initial):
    _check_against_dense(seed, n, initial)


@pytest.mark.parametrize("initial", INITIALS)
@pytest.mark.parametrize("n", [1, 2, 4])
def test_engine_matches_dense_reference_with_autograd_only(n, initial):
    _check_against_dense(seed=17 * n, n=n, initial=initial, adjoint=False)


@pytest.mark.parametrize("initial", INITIALS)
def test_every_op_kind_in_one_circuit_matches_dense_reference(initial):
    n = 4
    nf = 0 if initial == "amplitude" else 4
    enc = [DataRotation("Y", q, q, 1.3) for q in range(n)] if nf else []
    ops = (
        *enc,
        PauliRotation("XYZI", 0, 0.7),
        PauliRotation("IIYX", 0, -1.1),  # shares slot 0
        PauliRotation("ZZII", 1, 0.4),
        PauliRotation("IZZI", 1, -0.9),  # diagonal run on slot 1
        PauliRotation("IIXI", 2),
        GeneratorRotation(PauliSum("0.5*XXII + 1*ZIII - 0.3*IYZI"), 1),
        *([DataRotation("X", 2, 3, 0.8), DataRotation("Z", 0, 1, -1.5)] if nf else []),
        Barrier(),
        *[FixedGate(name, (0,)) for name in ("H", "X", "Y", "Z", "S")],
        FixedGate("CNOT", (3, 1)),
        FixedGate("CZ", (0, 2)),
        FixedGate("SWAP", (1, 2)),
        PauliRotation("YYYY", 2, 1.9),
    )
    circuit = Circuit(n, ops, 3, initial, nf)
    obs = [PauliSum("1*ZIII + 0.5*XXII"), PauliSum("1*IYIY - 0.25*IIII")]
    params, x = random_params(circuit, 5), random_inputs(circuit, 4, 5)
    for features in [False, True] if nf else [False]:
        got, got_grads = _values_and_grads(_engine(True), circuit, obs, params, x, features)
        ref, ref_grads = _values_and_grads(_dense, circuit, obs, params, x, features)
        torch.testing.assert_close(got, ref, rtol=0, atol=1e-10)
        for g, r in zip(got_grads, ref_grads):
            torch.testing.assert_close(g, r, rtol=0, atol=1e-10)


def test_reference_generator_rotation_matches_the_closed_form_at_small_angles():
    from equiqnn.sim.reference import gate_unitary

    gen = PauliSum("1*XI + 1*ZI")  # H² = 2: exp(-iθH/2) = cos(θ/√2) - i sin(θ/√2) H/√2
    for theta in (0.04, 0.045, 0.0499):
        u = gate_unitary(
            GeneratorRotation(gen, 0), 2, torch.tensor([theta], dtype=torch.float64), None
        )
        a = theta / np.sqrt(2)
        exact = np.cos(a) * np.eye(4) - 1j * np.sin(a) * gen.matrix() / np.sqrt(2)
        np.testing.assert_allclose(u.numpy(), exact, rtol=0, atol=1e-13)


def test_engine_generator_rotation_matches_the_closed_form_at_small_angles():
    gen = PauliSum("1*XI + 1*ZI")
    circ = Circuit(2, (GeneratorRotation(gen, 0),), 1, "amplitude")
    psi = torch.eye(4, dtype=torch.float64)
    for theta in (0.04, 0.045, 0.0499, 1.3):
        a = theta / np.sqrt(2)
        exact = np.cos(a) * np.eye(4) - 1j * np.sin(a) * gen.matrix() / np.sqrt(2)
        obs = [PauliSum("1*XI"), PauliSum("1*ZI"), PauliSum("1*YI")]
        out = StatevectorEngine(circ, obs)(torch.tensor([theta], dtype=torch.float64), psi)
        states = exact.T  # row k: U|k>
        ref = np.stack(
            [np.einsum("bi,ij,bj->b", states.conj(), o.matrix(), states).real for o in obs], 1
        )
        np.testing.assert_allclose(out.numpy(), ref, rtol=0, atol=1e-14)


# -- conventions pinned against closed forms -----------------------------------------------------


def test_rotation_convention_is_exp_minus_i_theta_p_over_two():
    theta = 0.83
    circ = Circuit(1, (PauliRotation("Y", 0),), 1)
    out = StatevectorEngine(circ, [PauliSum("1*Z"), PauliSum("1*X")])(
        torch.tensor([theta], dtype=torch.float64), torch.zeros(1, 0)
    )
    torch.testing.assert_close(
        out[0], torch.tensor([np.cos(theta), np.sin(theta)], dtype=torch.float64)
    )
    scaled = Circuit(1, (PauliRotation("Y", 0, -2.0),), 1)
    out = StatevectorEngine(scaled, [PauliSum("1*Z"), PauliSum("1*X")])(
        torch.tensor([theta], dtype=torch.float64), torch.zeros(1, 0)
    )
    torch.testing.assert_close(
        out[0], torch.tensor([np.cos(2 * theta), -np.sin(2 * theta)], dtype=torch.float64)
    )


def test_data_rotation_angle_is_scale_times_feature():
    circ = Circuit(1, (DataRotation("X", 0, 1, 0.5),), 0, "zero", 2)
    x = torch.tensor([[9.0, 0.6]], dtype=torch.float64)
    out = StatevectorEngine(circ, [PauliSum("1*Z"), PauliSum("1*Y")])(
        torch.zeros(0, dtype=torch.float64), x
    )
    torch.testing.assert_close(
        out[0], torch.tensor([np.cos(0.3), -np.sin(0.3)], dtype=torch.float64)
    )


def test_fixed_gates_prepare_known_states():
    bell = Circuit(2, (FixedGate("H", (0,)), FixedGate("CNOT", (0, 1))), 0)
    obs = [PauliSum("1*ZZ"), PauliSum("1*XX"), PauliSum("1*YY"), PauliSum("1*ZI")]
    out = StatevectorEngine(bell, obs)(torch.zeros(0, dtype=torch.float64), torch.zeros(1, 0))
    torch.testing.assert_close(out[0], torch.tensor([1.0, 1.0, -1.0, 0.0], dtype=torch.float64))
    plus_i = Circuit(1, (FixedGate("S", (0,)),), 0, "plus")
    out = StatevectorEngine(plus_i, [PauliSum("1*Y"), PauliSum("1*X")])(
        torch.zeros(0, dtype=torch.float64), torch.zeros(1, 0)
    )
    torch.testing.assert_close(out[0], torch.tensor([1.0, 0.0], dtype=torch.float64))


def test_cnot_control_is_the_first_listed_qubit_and_qubit_zero_is_most_significant():
    circ = Circuit(
        3, (FixedGate("X", (2,)), FixedGate("CNOT", (2, 0)), FixedGate("SWAP", (0, 1))), 0
    )
    psi = dense_states(circ, torch.zeros(0, dtype=torch.float64), torch.zeros(1, 0))
    # X on q2: |001>; CNOT(2 -> 0): |101>; SWAP(0, 1): |011> = basis index 3
    torch.testing.assert_close(psi[0].abs(), torch.eye(8, dtype=torch.float64)[3])
    out = StatevectorEngine(circ, [PauliSum("1*ZII"), PauliSum("1*IZI"), PauliSum("1*IIZ")])(
        torch.zeros(0, dtype=torch.float64), torch.zeros(1, 0)
    )
    torch.testing.assert_close(out[0], torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64))


# -- precision -------------------------------------------------------------------------------------


def test_float32_params_run_in_complex64_close_to_the_reference():
    circuit, observables = random_circuit(3, 5, "zero")
    params64, x64 = random_params(circuit, 3), random_inputs(circuit, 4, 3)
    engine = StatevectorEngine(circuit, observables)
    assert (
        engine.initial_state(x64.float(), 4, torch.float32, torch.device("cpu")).dtype
        == torch.complex64
    )
    assert (
        engine.initial_state(x64, 4, torch.float64, torch.device("cpu")).dtype == torch.complex128
    )
    p32 = params64.float().requires_grad_(True)
    out32 = engine(p32, x64.float())
    assert out32.dtype == torch.float32
    ref = dense_expectations(circuit, observables, params64, x64)
    torch.testing.assert_close(out32.double(), ref, rtol=0, atol=1e-5)
    (grad32,) = torch.autograd.grad(out32.sum(), p32)
    p64 = params64.clone().requires_grad_(True)
    (grad_ref,) = torch.autograd.grad(dense_expectations(circuit, observables, p64, x64).sum(), p64)
    assert grad32.dtype == torch.float32
    torch.testing.assert_close(grad32.double(), grad_ref, rtol=0, atol=1e-4)


def test_float64_params_run_in_complex128():
    circuit, observables = random_circuit(4, 3, "amplitude")
    engine = StatevectorEngine(circuit, observables)
    x = random_inputs(circuit, 2, 4)
    assert engine.initial_state(x, 2, torch.float64, torch.device("cpu")).dtype == torch.complex128
    assert engine(random_params(circuit, 4), x).dtype == torch.float64


# -- batching ------------------------------------------------------------------------------------


@pytest.mark.parametrize("initial", INITIALS)
def test_a_batch_gives_the_same_outputs_as_one_input_at_a_time(initial):
    circuit, observables = random_circuit(11, 4, initial)
    engine = StatevectorEngine(circuit, observables)
    params, x = random_params(circuit, 11), random_inputs(circuit, 5, 11)
    batched = engine(params, x)
    single = torch.cat([engine(params, x[i : i + 1]) for i in range(5)])
    torch.testing.assert_close(batched, single, rtol=0, atol=1e-13)


@pytest.mark.parametrize("initial", INITIALS)
def test_permuting_the_batch_permutes_the_outputs(initial):
    circuit, observables = random_circuit(12, 4, initial)
    engine = StatevectorEngine(circuit, observables)
    params, x = random_params(circuit, 12), random_inputs(circuit, 6, 12)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    torch.testing.assert_close(engine(params, x[perm]), engine(params, x)[perm], rtol=0, atol=1e-13)


def test_repeated_calls_are_deterministic_and_grad_mode_does_not_change_values():
    circuit, observables = random_circuit(13, 4, "plus")
    engine = StatevectorEngine(circuit, observables)
    params, x = random_params(circuit, 13).requires_grad_(True), random_inputs(circuit, 3, 13)
    first = engine(params, x)
    with torch.no_grad():
        second = engine(params, x)
    torch.testing.assert_close(first.detach(), second, rtol=0, atol=0)


# -- refusals ------------------------------------------------------------------------------------


def _small_engine(**kw) -> StatevectorEngine:
    return StatevectorEngine(hardware_efficient_ansatz(3, layers=2), [PauliSum("1*ZII")], **kw)


@pytest.mark.parametrize("shape", [(5,), (7,), (6, 1), ()])
def test_params_of_the_wrong_shape_are_refused(shape):
    with pytest.raises(ValueError, match=r"params must have shape \(6,\)"):
        _small_engine()(torch.zeros(shape), torch.zeros(2, 0))


def test_inputs_of_the_wrong_shape_are_refused():
    engine = _small_engine()
    with pytest.raises(ValueError, match=r"inputs must be 2-D"):
        engine(torch.zeros(6), torch.zeros(2))
    with pytest.raises(ValueError, match=r"inputs must have 0 features per sample; got 3"):
        engine(torch.zeros(6), torch.zeros(2, 3))
    amp = StatevectorEngine(Circuit(2, (FixedGate("H", (0,)),), 0, "amplitude"), [PauliSum("1*ZI")])
    with pytest.raises(ValueError, match=r"amplitude inputs must have shape \(batch, 4\)"):
        amp(torch.zeros(0), torch.ones(2, 3))


def test_observables_must_match_the_circuit_and_be_hermitian():
    circ = hardware_efficient_ansatz(3, layers=1)
    with pytest.raises(ValueError, match=r"acts on 2 qubits; the circuit has 3"):
        StatevectorEngine(circ, [PauliSum("1*ZI")])
    with pytest.raises(ValueError, match=r"must be Hermitian"):
        StatevectorEngine(circ, [PauliSum("1j*ZII")])
    with pytest.raises(ValueError, match=r"at least one observable"):
        StatevectorEngine(circ, [])


def test_a_run_over_the_memory_limit_is_refused_naming_the_estimate():
    engine = _small_engine(max_memory=1000)
    estimate = engine.estimate_memory(2, itemsize=16, grad=False)
    assert estimate > 1000
    with pytest.raises(
        MemoryEstimateError, match=r"needs an estimated [\d.]+ KiB, over the limit of 1000\.0 B"
    ):
        engine(torch.zeros(6, dtype=torch.float64), torch.zeros(2, 0))
    assert issubclass(MemoryEstimateError, MemoryError)


def test_memory_estimate_grows_with_batch_and_with_a_graph():
    engine = _small_engine()
    assert engine.estimate_memory(4) == 2 * engine.estimate_memory(2) - engine.estimate_memory(0)
    assert engine.estimate_memory(4, grad=True) > engine.estimate_memory(4, grad=False)
    assert engine.estimate_memory(4, itemsize=16) > engine.estimate_memory(4, itemsize=8)


def test_memory_limit_between_estimates_allows_runs_without_a_graph_only():
    circuit, observables = random_circuit(21, 4, "zero")
    x = random_inputs(circuit, 8, 21).requires_grad_(True)  # feature gradients need a graph
    probe = StatevectorEngine(circuit, observables)
    low, high = probe.estimate_memory(8, 16, grad=False), probe.estimate_memory(8, 16, grad=True)
    engine = StatevectorEngine(circuit, observables, max_memory=(low + high) // 2)
    params = random_params(circuit, 21)
    with torch.no_grad():
        assert engine(params, x).shape == (8, 2)
    with pytest.raises(MemoryEstimateError):
        engine(params, x)


@settings(max_examples=5)
@given(seed=st.integers(0, 2**31 - 1), initial=st.sampled_from(INITIALS))
def test_dense_reference_states_are_normalized(seed, initial):
    circuit, _ = random_circuit(seed, 3, initial)
    psi = dense_states(circuit, random_params(circuit, seed), random_inputs(circuit, 2, seed))
    torch.testing.assert_close(psi.abs().pow(2).sum(1), torch.ones(2, dtype=torch.float64))


def _gradient_penalty_grad(
    engine: StatevectorEngine, params: torch.Tensor, x: torch.Tensor
) -> torch.Tensor:
    """d/dθ [Σ f + ‖∂Σf/∂θ‖²]: needs the gradient itself to be differentiable."""
    params = params.clone().requires_grad_(True)
    out = engine(params, x)
    (g,) = torch.autograd.grad(out.sum(), params, create_graph=True)
    (total,) = torch.autograd.grad(out.sum() + (g**2).sum(), params)
    return total


def test_second_order_terms_through_the_adjoint_path_are_exact_or_refused():
    circuit, observables = random_circuit(31, 3, "zero")
    params, x = random_params(circuit, 31), random_inputs(circuit, 2, 31)
    exact = _gradient_penalty_grad(
        StatevectorEngine(circuit, observables, adjoint=False), params, x
    )
    try:
        got = _gradient_penalty_grad(
            StatevectorEngine(circuit, observables, adjoint=True), params, x
        )
    except RuntimeError:
        return  # refusing double differentiation is acceptable
    torch.testing.assert_close(got, exact, rtol=0, atol=1e-10)


def test_second_order_terms_through_autograd_match_the_dense_reference():
    circuit, observables = random_circuit(32, 3, "plus")
    params, x = random_params(circuit, 32), random_inputs(circuit, 2, 32)
    got = _gradient_penalty_grad(StatevectorEngine(circuit, observables, adjoint=False), params, x)
    p = params.clone().requires_grad_(True)
    out = dense_expectations(circuit, observables, p, x)
    (g,) = torch.autograd.grad(out.sum(), p, create_graph=True)
    (ref,) = torch.autograd.grad(out.sum() + (g**2).sum(), p)
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-9)
