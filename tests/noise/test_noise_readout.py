"""Readout errors: confusion-matrix convention, probabilities, ⟨Z⟩ values, validation."""

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.noise import ReadoutError, readout_error


def test_convention_p01_is_read_1_given_0():
    err = readout_error(p01=0.1, p10=0.3)
    np.testing.assert_allclose(err.matrix_for(0), [[0.9, 0.3], [0.1, 0.7]])
    np.testing.assert_allclose(err.apply_to_probabilities(np.array([1.0, 0.0]), 1), [0.9, 0.1])
    np.testing.assert_allclose(err.apply_to_probabilities(np.array([0.0, 1.0]), 1), [0.3, 0.7])
    np.testing.assert_allclose(err.matrix_for(5).sum(axis=0), [1.0, 1.0])


def test_per_qubit_overrides_and_full_matrix():
    err = readout_error(0.01, 0.02, per_qubit={1: (0.1, 0.2)})
    assert err.probs_for(0) == (0.01, 0.02) and err.probs_for(1) == (0.1, 0.2)
    full = err.full_matrix(3)
    expected = np.kron(np.kron(err.matrix_for(0), err.matrix_for(1)), err.matrix_for(2))
    np.testing.assert_allclose(full, expected)
    np.testing.assert_allclose(full.sum(axis=0), np.ones(8))


@given(st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_apply_to_probabilities_matches_kronecker(n, seed):
    rng = np.random.default_rng(seed)
    pairs = {q: tuple(rng.uniform(0, 0.5, size=2)) for q in range(n) if rng.random() < 0.5}
    err = readout_error(*rng.uniform(0, 0.5, size=2), per_qubit=pairs)
    probs = rng.dirichlet(np.ones(2**n), size=3)
    out = err.apply_to_probabilities(probs, n)
    np.testing.assert_allclose(out, probs @ err.full_matrix(n).T, atol=1e-14)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-14)
    unbatched = err.apply_to_probabilities(probs[0], n)
    assert unbatched.shape == (2**n,)
    np.testing.assert_allclose(unbatched, out[0], atol=1e-14)


def test_z_expectation_formula_matches_probabilities():
    rng = np.random.default_rng(3)
    n = 3
    err = readout_error(0.03, 0.08, per_qubit={2: (0.2, 0.05)})
    probs = rng.dirichlet(np.ones(2**n), size=4)
    bits = (np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))) & 1  # qubit 0 = MSB
    signs = 1 - 2 * bits
    z_true, z_read = probs @ signs, err.apply_to_probabilities(probs, n) @ signs
    np.testing.assert_allclose(err.apply_to_z_expectation(z_true), z_read, atol=1e-14)
    np.testing.assert_allclose(
        err.apply_to_z_expectation(z_true[:, [2, 0]], qubits=[2, 0]), z_read[:, [2, 0]], atol=1e-14
    )
    p01, p10 = 0.03, 0.08
    assert err.apply_to_z_expectation(np.array([1.0]))[0] == pytest.approx(
        (1 - p01 - p10) + (p10 - p01)
    )


def test_torch_inputs_keep_dtype_and_gradients():
    err = readout_error(0.05, 0.1)
    probs = torch.softmax(torch.randn(2, 4, dtype=torch.float64), dim=1).requires_grad_(True)
    out = err.apply_to_probabilities(probs, 2)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), probs.detach().numpy() @ err.full_matrix(2).T)
    out[:, 0].sum().backward()
    assert probs.grad is not None
    z = torch.tensor([[0.5, -0.2]], dtype=torch.float32, requires_grad=True)
    zr = err.apply_to_z_expectation(z)
    assert zr.dtype == torch.float32
    zr.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [[0.85, 0.85]], atol=1e-6)


def test_from_matrices_and_equality():
    m0 = [[0.9, 0.2], [0.1, 0.8]]
    err = ReadoutError.from_matrices([m0, np.eye(2)])
    assert err.probs_for(0) == pytest.approx((0.1, 0.2)) and err.probs_for(3) == (0.0, 0.0)
    assert readout_error(0.1, 0.2) == ReadoutError(np.array([[0.9, 0.2], [0.1, 0.8]]))
    assert hash(readout_error(0.1, 0.2)) == hash(readout_error(0.1, 0.2))
    back = pickle.loads(pickle.dumps(readout_error(0.1, 0.2, per_qubit={3: (0.0, 0.5)})))
    assert back == readout_error(0.1, 0.2, per_qubit={3: (0.0, 0.5)})
    assert repr(back) == "readout_error(p01=0.1, p10=0.2, per_qubit={3: (0.0, 0.5)})"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: readout_error(-0.1, 0.0), r"p01 must be a probability in \[0, 1\]; got -0\.1"),
        (lambda: readout_error(0.1, 0.1, per_qubit={0: (0.1, 2.0)}), r"per_qubit\[0\] p10"),
        (lambda: readout_error(0.1, 0.1, per_qubit={0: 0.1}), r"must be a pair \(p01, p10\)"),
        (lambda: ReadoutError([[0.9, 0.2], [0.2, 0.8]]), "column stochastic"),
        (lambda: ReadoutError([[1.1, 0.0], [-0.1, 1.0]]), "column stochastic"),
        (lambda: ReadoutError(np.eye(3)), r"real \(2, 2\) confusion matrix"),
        (lambda: ReadoutError(np.eye(2), per_qubit={-1: np.eye(2)}), "non-negative integer"),
        (lambda: readout_error(0.1, 0.1, per_qubit={4: (0, 0)}).validate(3), r"names qubits \[4\]"),
        (lambda: readout_error(0.1, 0.1).apply_to_probabilities(np.ones(5), 2), "shape"),
        (lambda: readout_error(0.1, 0.1).apply_to_z_expectation(np.ones(3), [0]), "one qubit per"),
    ],
)
def test_readout_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_readout_type_errors():
    with pytest.raises(TypeError, match="per_qubit must be a mapping"):
        ReadoutError(np.eye(2), per_qubit=[np.eye(2)])
    with pytest.raises(AttributeError, match="immutable"):
        readout_error(0.1, 0.1)._default = (0.0, 0.0)
