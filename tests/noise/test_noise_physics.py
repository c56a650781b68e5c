"""Physical behaviour of the channels: fixed points, symmetries, decay laws, Pauli structure."""

import math
import pickle

import numpy as np
import pytest
import scipy.linalg
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
    pauli_labels,
    pauli_matrix,
    phase_damping,
    phase_flip,
    thermal_relaxation,
)


def apply(ch: Channel, rho: np.ndarray) -> np.ndarray:
    return sum(k @ rho @ k.conj().T for k in ch.kraus)


def random_rho(d: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = a @ a.conj().T
    return rho / np.trace(rho)


ZERO = np.diag([1.0, 0.0]).astype(complex)
ONE = np.diag([0.0, 1.0]).astype(complex)
PLUS = np.full((2, 2), 0.5, dtype=complex)


@given(st.floats(0.0, 1.0))
def test_amplitude_damping_fixed_point_and_symmetry(gamma):
    ch = amplitude_damping(gamma)
    np.testing.assert_allclose(apply(ch, ZERO), ZERO, atol=1e-14)
    out = apply(ch, ONE)
    np.testing.assert_allclose(out, np.diag([gamma, 1 - gamma]), atol=1e-14)
    assert ch.commutes_with("Z") and ch.commutes_with("I")
    if gamma > 1e-6:
        assert not ch.commutes_with("X")
        assert not ch.commutes_with("Y")
        assert not ch.is_pauli and not ch.is_unital


def test_amplitude_damping_converges_to_ground_state():
    rho = PLUS
    for _ in range(200):
        rho = apply(amplitude_damping(0.5), rho)
    np.testing.assert_allclose(rho, ZERO, atol=1e-12)


@given(st.floats(0.01, 1.0), st.floats(0.0, 1.0))
def test_generalized_amplitude_damping_fixed_point(gamma, p_excited):
    ch = generalized_amplitude_damping(gamma, p_excited)
    fixed = np.diag([1 - p_excited, p_excited]).astype(complex)
    np.testing.assert_allclose(apply(ch, fixed), fixed, atol=1e-13)
    out = apply(ch, PLUS)
    assert abs(out[0, 1] - 0.5 * math.sqrt(1 - gamma)) < 1e-13
    assert ch.commutes_with("Z")


def test_generalized_amplitude_damping_at_zero_temperature_is_amplitude_damping():
    a, b = generalized_amplitude_damping(0.3, 0.0), amplitude_damping(0.3)
    np.testing.assert_allclose(a.superoperator(), b.superoperator(), atol=1e-15)


PAULI_CHANNELS = [
    depolarizing(0.1),
    depolarizing(1.0),
    bit_flip(0.2),
    phase_flip(0.3),
    pauli_channel(0.05, 0.1, 0.2),
    phase_damping(0.4),
    depolarizing2(0.2),
]


@pytest.mark.parametrize("ch", PAULI_CHANNELS, ids=repr)
def test_pauli_channels_commute_with_every_pauli_string(ch):
    assert ch.is_pauli and ch.is_unital
    assert all(ch.commutes_with(s) for s in pauli_labels(ch.n_qubits))
    probs = ch.pauli_probs
    assert list(probs) == list(pauli_labels(ch.n_qubits))
    assert abs(sum(probs.values()) - 1) < 1e-12


def test_pauli_probs_values():
    assert depolarizing(0.3).pauli_probs == pytest.approx({"I": 0.7, "X": 0.1, "Y": 0.1, "Z": 0.1})
    assert pauli_channel(0.1, 0.2, 0.3).pauli_probs == pytest.approx(
        {"I": 0.4, "X": 0.1, "Y": 0.2, "Z": 0.3}
    )
    two = depolarizing2(0.3).pauli_probs
    assert two["II"] == pytest.approx(0.7) and two["ZX"] == pytest.approx(0.02)
    lam = 0.36
    assert phase_damping(lam).pauli_probs["Z"] == pytest.approx((1 - math.sqrt(1 - lam)) / 2)


def test_phase_damping_equals_phase_flip():
    lam = 0.51
    a, b = phase_damping(lam), phase_flip((1 - math.sqrt(1 - lam)) / 2)
    np.testing.assert_allclose(a.superoperator(), b.superoperator(), atol=1e-14)


def test_depolarizing_three_quarters_is_fully_depolarizing():
    rng = np.random.default_rng(0)
    for _ in range(5):
        np.testing.assert_allclose(
            apply(depolarizing(0.75), random_rho(2, rng)), np.eye(2) / 2, atol=1e-14
        )
        np.testing.assert_allclose(
            apply(depolarizing2(15 / 16), random_rho(4, rng)), np.eye(4) / 4, atol=1e-14
        )


def test_depolarizing_convention():
    rho = random_rho(2, np.random.default_rng(1))
    p = 0.2
    x, y, z = (pauli_matrix(s) for s in "XYZ")
    expected = (1 - p) * rho + p / 3 * (x @ rho @ x + y @ rho @ y + z @ rho @ z)
    np.testing.assert_allclose(apply(depolarizing(p), rho), expected, atol=1e-14)


@given(
    st.floats(1.0, 100.0),
    st.floats(0.01, 2.0),
    st.floats(0.0, 5.0),
    st.floats(0.0, 1.0),
)
def test_thermal_relaxation_decay_laws(t1, t2_ratio, t_ratio, p_excited):
    t2, t = t1 * t2_ratio, t1 * t_ratio
    ch = thermal_relaxation(t1, t2, t, p_excited)
    out = apply(ch, PLUS)
    assert abs(out[0, 1] - 0.5 * math.exp(-t / t2)) < 1e-12
    out1 = apply(ch, ONE)
    expected_pop = p_excited + (1 - p_excited) * math.exp(-t / t1)
    assert abs(out1[1, 1].real - expected_pop) < 1e-12
    assert ch.commutes_with("Z")


def test_thermal_relaxation_limits():
    t1, t2 = 50.0, 30.0
    np.testing.assert_allclose(
        thermal_relaxation(t1, t2, 0.0).superoperator(), np.eye(4), atol=1e-15
    )
    # T2 = 2 T1: no pure dephasing, the channel is plain amplitude damping.
    a = thermal_relaxation(t1, 2 * t1, 7.0)
    b = amplitude_damping(1 - math.exp(-7.0 / t1))
    np.testing.assert_allclose(a.superoperator(), b.superoperator(), atol=1e-14)
    # T1 = T2 = inf: nothing happens.
    c = thermal_relaxation(math.inf, math.inf, 7.0)
    np.testing.assert_allclose(c.superoperator(), np.eye(4), atol=1e-15)


@given(st.floats(-3.0, 3.0), st.sampled_from(["X", "Y", "Z", "ZZ", "XY"]))
def test_over_rotation_is_exp_minus_i_eps_p_over_2(eps, axis):
    ch = over_rotation(eps, axis)
    expected = scipy.linalg.expm(-0.5j * eps * pauli_matrix(axis))
    assert len(ch.kraus) == 1
    np.testing.assert_allclose(ch.kraus[0], expected, atol=1e-14)
    assert ch.is_unital
    assert ch.commutes_with(axis)


def test_over_rotation_is_coherent_not_pauli():
    ch = over_rotation(0.1, "X")
    assert not ch.is_pauli
    assert ch.commutes_with("X") and not ch.commutes_with("Z") and not ch.commutes_with("Y")
    assert over_rotation(math.pi, "X").is_pauli  # exp(-iπX/2) = -iX
    assert over_rotation(0.0, "Y").pauli_probs["I"] == pytest.approx(1.0)


def test_trajectory_ops_pauli_channel():
    ops = pauli_channel(0.1, 0.0, 0.3).trajectory_ops()
    assert ops.state_independent and ops.paulis == ("I", "X", "Z")
    np.testing.assert_allclose(ops.probs, [0.6, 0.1, 0.3], atol=1e-14)
    np.testing.assert_allclose(ops.unitaries[2], pauli_matrix("Z"))
    idx = ops.sample(np.random.default_rng(0), 20_000)
    assert idx.dtype == np.int64
    np.testing.assert_allclose(np.bincount(idx, minlength=3) / 20_000, ops.probs, atol=0.02)


def test_trajectory_ops_unitary_and_general():
    coherent = over_rotation(0.3, "Y").trajectory_ops()
    assert coherent.state_independent and coherent.paulis is None
    np.testing.assert_allclose(coherent.probs, [1.0])
    general = amplitude_damping(0.2).trajectory_ops()
    assert not general.state_independent and general.probs is None
    assert len(general.kraus) == 2
    with pytest.raises(ValueError, match="state dependent"):
        general.sample(np.random.default_rng(0), 3)


def test_state_dependent_unravelling_reproduces_channel():
    ch = thermal_relaxation(10.0, 8.0, 3.0, 0.2)
    psi = np.array([0.6, 0.8j])
    branches = [k @ psi for k in ch.trajectory_ops().kraus]
    weights = [np.vdot(b, b).real for b in branches]
    mixed = sum(np.outer(b, b.conj()) for b in branches)
    assert sum(weights) == pytest.approx(1.0)
    np.testing.assert_allclose(mixed, apply(ch, np.outer(psi, psi.conj())), atol=1e-14)


def test_with_strength_keeps_family():
    assert depolarizing(0.1).with_strength(0.2) == depolarizing(0.2)
    assert generalized_amplitude_damping(0.1, 0.3).with_strength(0.5) == (
        generalized_amplitude_damping(0.5, 0.3)
    )
    assert thermal_relaxation(50.0, 40.0, 1.0).with_strength(2.0).params["gate_time"] == 2.0
    assert over_rotation(0.1, "Z").with_strength(0.2) == over_rotation(0.2, "Z")
    scaled = pauli_channel(0.1, 0.2, 0.1).with_strength(0.8)
    assert scaled.params == pytest.approx({"px": 0.2, "py": 0.4, "pz": 0.2})
    assert scaled.strength == pytest.approx(0.8)


def test_repr_equality_hash_and_pickle():
    assert repr(amplitude_damping(0.05)) == "amplitude_damping(gamma=0.05)"
    assert repr(thermal_relaxation(50, 70, 0.1)) == (
        "thermal_relaxation(t1=50.0, t2=70.0, gate_time=0.1, p_excited=0.0)"
    )
    assert repr(over_rotation(0.02)) == "over_rotation(epsilon=0.02, axis='X')"
    custom = Channel.from_kraus([np.eye(2)], name="noop")
    assert repr(custom) == "Channel.from_kraus(<1 Kraus ops on 1 qubit>, name='noop')"
    assert custom == Channel.from_kraus([np.eye(2)], name="noop")
    assert custom != Channel.from_kraus([-np.eye(2)], name="noop")
    assert depolarizing(0.1) != bit_flip(0.1)
    assert len({depolarizing(0.1), depolarizing(0.1), bit_flip(0.1)}) == 2
    for ch in (depolarizing(0.1), pauli_channel(0.1, 0.2, 0.0), custom):
        back = pickle.loads(pickle.dumps(ch))
        assert back == ch and repr(back) == repr(ch)
    rescaled = pickle.loads(pickle.dumps(pauli_channel(0.1, 0.2, 0.0))).with_strength(0.6)
    assert rescaled.params == pytest.approx({"px": 0.2, "py": 0.4, "pz": 0.0})
