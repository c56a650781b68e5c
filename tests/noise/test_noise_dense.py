"""apply_channel_dense against an explicit Kronecker-product embedding; dtypes, autograd, errors."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.noise import (
    Channel,
    amplitude_damping,
    apply_channel_dense,
    depolarizing2,
    generalized_amplitude_damping,
    over_rotation,
    pauli_channel,
    thermal_relaxation,
)


def embed(op: np.ndarray, qubits: list[int], n: int) -> np.ndarray:
    """``op`` on ``qubits`` (qubits[0] = its most significant bit) as a 2**n matrix, via kron."""
    k = len(qubits)
    full = np.zeros((2**n, 2**n), dtype=complex)
    for row, col in itertools.product(range(2**k), repeat=2):
        if op[row, col] == 0:
            continue
        factors = [np.eye(2)] * n
        for pos, q in enumerate(qubits):
            r, c = (row >> (k - 1 - pos)) & 1, (col >> (k - 1 - pos)) & 1
            unit = np.zeros((2, 2))
            unit[r, c] = 1.0
            factors[q] = unit
        term = np.ones((1, 1))
        for f in factors:
            term = np.kron(term, f)
        full += op[row, col] * term
    return full


def reference(rho: np.ndarray, ch: Channel, qubits: list[int], n: int) -> np.ndarray:
    ops = [embed(k, qubits, n) for k in ch.kraus]
    return sum(k @ rho @ k.conj().T for k in ops)


def random_rhos(batch: int, n: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(size=(batch, 2**n, 2**n)) + 1j * rng.normal(size=(batch, 2**n, 2**n))
    rho = a @ a.conj().transpose(0, 2, 1)
    return rho / np.trace(rho, axis1=1, axis2=2)[:, None, None]


ONE_QUBIT = [
    amplitude_damping(0.3),
    generalized_amplitude_damping(0.2, 0.3),
    thermal_relaxation(10.0, 7.0, 2.0, 0.1),
    pauli_channel(0.1, 0.05, 0.2),
    over_rotation(0.4, "Y"),
]
TWO_QUBIT = [
    depolarizing2(0.3),
    over_rotation(0.7, "XZ"),
    Channel.from_kraus(
        [
            np.sqrt(0.7) * np.eye(4),
            np.sqrt(0.3) * np.kron(over_rotation(1.0, "Y").kraus[0], np.eye(2)),
        ]
    ),
]


def test_embed_reference_is_kron_for_adjacent_ordered_qubits():
    op = np.arange(16).reshape(4, 4).astype(complex)
    np.testing.assert_array_equal(embed(op, [1, 2], 4), np.kron(np.kron(np.eye(2), op), np.eye(2)))
    x, z = np.array([[0, 1], [1, 0]]), np.diag([1, -1])
    np.testing.assert_array_equal(
        embed(np.kron(x, z), [2, 0], 3), np.kron(np.kron(z, np.eye(2)), x)
    )


@given(st.integers(1, 4), st.data(), st.integers(0, 2**32 - 1))
def test_one_qubit_matches_kronecker(n, data, seed):
    ch = data.draw(st.sampled_from(ONE_QUBIT))
    q = data.draw(st.integers(0, n - 1))
    rho = random_rhos(3, n, np.random.default_rng(seed))
    out = apply_channel_dense(torch.from_numpy(rho), ch, [q], n)
    expected = np.stack([reference(r, ch, [q], n) for r in rho])
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


@given(st.integers(2, 4), st.data(), st.integers(0, 2**32 - 1))
def test_two_qubit_matches_kronecker_any_order(n, data, seed):
    ch = data.draw(st.sampled_from(TWO_QUBIT))
    qubits = data.draw(st.permutations(range(n)))[:2]
    rho = random_rhos(2, n, np.random.default_rng(seed))
    out = apply_channel_dense(torch.from_numpy(rho), list(ch.kraus), qubits, n)
    expected = np.stack([reference(r, ch, qubits, n) for r in rho])
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


def test_unbatched_complex64_and_trace_preserved():
    rho = random_rhos(1, 3, np.random.default_rng(0))[0]
    ch = thermal_relaxation(5.0, 4.0, 1.0)
    out = apply_channel_dense(torch.from_numpy(rho).to(torch.complex64), ch, (2,), 3)
    assert out.shape == (8, 8) and out.dtype == torch.complex64
    np.testing.assert_allclose(out.numpy(), reference(rho, ch, [2], 3), atol=1e-6)
    assert abs(torch.trace(out).item() - 1) < 1e-6


def test_gradients_flow_through_rho():
    rng = np.random.default_rng(1)
    rho = torch.from_numpy(random_rhos(2, 3, rng)).requires_grad_(True)
    y = np.array([[0, -1j], [1j, 0]])
    obs = torch.from_numpy(embed(y, [1], 3) + embed(np.diag([0.5, -0.5]), [2], 3))
    ch = amplitude_damping(0.4)

    def loss(r):
        out = apply_channel_dense(r, ch, [1], 3)
        return torch.einsum("bij,ji->b", out, obs).real.sum()

    loss(rho).backward()
    # L = Re Tr(ρ E†(O)); for a real loss torch returns conj(∂L/∂ρ) = conj(E†(O)ᵀ) = E†(O).
    kraus = [embed(k, [1], 3) for k in ch.kraus]
    adjoint = sum(k.conj().T @ obs.numpy() @ k for k in kraus)
    assert np.abs(adjoint.imag).max() > 0.1  # a complex E†(O), so the check is not vacuous
    np.testing.assert_allclose(
        rho.grad.numpy(), np.broadcast_to(adjoint.T.conj(), (2, 8, 8)), atol=1e-12
    )
    small = torch.from_numpy(random_rhos(1, 2, rng)).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda r: apply_channel_dense(r, depolarizing2(0.2), [1, 0], 2), (small,)
    )


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((np.eye(2), [0], 1), TypeError, "rho must be a complex torch tensor"),
        ((torch.eye(2), [0], 1), TypeError, "rho must be a complex torch tensor"),
        ((torch.eye(4, dtype=torch.complex128), [0], 1), ValueError, r"rho must have shape"),
        ((torch.eye(4, dtype=torch.complex128), [0, 0], 2), ValueError, "distinct"),
        ((torch.eye(4, dtype=torch.complex128), [2], 2), ValueError, r"in range\(2\)"),
        ((torch.eye(4, dtype=torch.complex128), [0, 1, 0], 2), ValueError, "one or two"),
    ],
)
def test_input_validation(args, error, match):
    rho, qubits, n = args
    with pytest.raises(error, match=match):
        apply_channel_dense(rho, amplitude_damping(0.1), qubits, n)


def test_kraus_shape_must_match_qubits():
    rho = torch.eye(4, dtype=torch.complex128) / 4
    with pytest.raises(ValueError, match=r"acts on 2 qubit\(s\) but qubits names 1"):
        apply_channel_dense(rho, depolarizing2(0.1), [0], 2)
    with pytest.raises(ValueError, match=r"list of \(4, 4\) matrices"):
        apply_channel_dense(rho, [np.eye(2)], [0, 1], 2)
