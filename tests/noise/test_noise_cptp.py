"""Every channel family is CPTP over its valid parameter range; the linear-algebra views agree."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.noise import (
    Channel,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    generalized_amplitude_damping,
    over_rotation,
    pauli_channel,
    phase_damping,
    phase_flip,
    thermal_relaxation,
)

prob = st.floats(0.0, 1.0)
angle = st.floats(-2 * np.pi, 2 * np.pi)


@st.composite
def channels(draw) -> Channel:
    kind = draw(st.sampled_from(range(11)))
    if kind == 0:
        return depolarizing(draw(prob))
    if kind == 1:
        return depolarizing2(draw(prob))
    if kind == 2:
        return bit_flip(draw(prob))
    if kind == 3:
        return phase_flip(draw(prob))
    if kind == 4:
        w = np.array([draw(prob) for _ in range(4)])
        px, py, pz = (w[:3] / max(w.sum(), 1e-9)).tolist()
        return pauli_channel(px, py, pz)
    if kind == 5:
        return amplitude_damping(draw(prob))
    if kind == 6:
        return generalized_amplitude_damping(draw(prob), draw(prob))
    if kind == 7:
        return phase_damping(draw(prob))
    if kind == 8:
        t1 = draw(st.floats(1e-3, 1e3))
        t2 = t1 * draw(st.floats(1e-3, 2.0))
        return thermal_relaxation(t1, t2, t1 * draw(st.floats(0.0, 10.0)), draw(prob))
    if kind == 9:
        return over_rotation(draw(angle), draw(st.sampled_from(["X", "Y", "Z"])))
    return over_rotation(draw(angle), draw(st.sampled_from(["ZZ", "XY", "IX", "YI"])))


def _apply(ch: Channel, rho: np.ndarray) -> np.ndarray:
    return sum(k @ rho @ k.conj().T for k in ch.kraus)


def _check_cptp(ch: Channel) -> None:
    d = 2**ch.n_qubits
    assert ch.n_qubits in (1, 2)
    assert all(k.dtype == np.complex128 and k.shape == (d, d) for k in ch.kraus)
    gram = sum(k.conj().T @ k for k in ch.kraus)
    np.testing.assert_allclose(gram, np.eye(d), atol=1e-12)
    choi = ch.choi()
    np.testing.assert_allclose(choi, choi.conj().T, atol=1e-12)
    assert np.linalg.eigvalsh(choi).min() >= -1e-12
    partial = np.einsum("iaja->ij", choi.reshape(d, d, d, d))
    np.testing.assert_allclose(partial, np.eye(d), atol=1e-12)
    assert ch.is_cptp(atol=1e-12)


@given(channels())
def test_every_channel_is_cptp(ch):
    _check_cptp(ch)


@pytest.mark.parametrize(
    "ch",
    [
        depolarizing(0.0),
        depolarizing(1.0),
        depolarizing2(1.0),
        bit_flip(1.0),
        pauli_channel(0.5, 0.5, 0.0),
        pauli_channel(0.1 + 0.2, 0.7, 0.0),
        amplitude_damping(1.0),
        generalized_amplitude_damping(1.0, 1.0),
        generalized_amplitude_damping(0.0, 0.5),
        phase_damping(1.0),
        thermal_relaxation(1.0, 2.0, 0.0),
        thermal_relaxation(1.0, 2.0, 5.0, p_excited=1.0),
        thermal_relaxation(float("inf"), float("inf"), 3.0),
        over_rotation(np.pi, "Y"),
    ],
    ids=repr,
)
def test_boundary_parameters_are_cptp(ch):
    _check_cptp(ch)


@given(channels(), st.integers(0, 2**32 - 1))
def test_superoperator_and_choi_match_kraus(ch, seed):
    rng = np.random.default_rng(seed)
    d = 2**ch.n_qubits
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    out = _apply(ch, a)
    np.testing.assert_allclose(ch.superoperator() @ a.reshape(-1), out.reshape(-1), atol=1e-12)
    choi = ch.choi().reshape(d, d, d, d)
    for i in range(d):
        for j in range(d):
            unit = np.zeros((d, d))
            unit[i, j] = 1.0
            np.testing.assert_allclose(choi[i, :, j, :], _apply(ch, unit), atol=1e-12)


@given(channels())
def test_pauli_chi_reconstructs_channel(ch):
    from equiqnn.noise import pauli_labels, pauli_matrix

    d = 2**ch.n_qubits
    basis = [pauli_matrix(s) for s in pauli_labels(ch.n_qubits)]
    chi = ch.pauli_chi()
    rho = np.arange(d * d).reshape(d, d) + 1j * np.eye(d)
    rebuilt = sum(
        chi[a, b] * pa @ rho @ pb for a, pa in enumerate(basis) for b, pb in enumerate(basis)
    )
    np.testing.assert_allclose(rebuilt, _apply(ch, rho), atol=1e-10)
    assert abs(np.trace(chi) - 1) < 1e-12


def test_views_are_read_only():
    ch = amplitude_damping(0.1)
    for arr in (*ch.kraus, ch.superoperator(), ch.choi(), ch.pauli_chi()):
        with pytest.raises(ValueError, match="read-only"):
            arr[0, 0] = 1.0
