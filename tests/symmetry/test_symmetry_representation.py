"""Qubit representations ``R(g) = P_σ(g) · S(g)`` derived by the encodings are homomorphisms up to a
global phase; conjugation, twirling and the invariant observables agree with dense matrices."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

from equiqnn.circuits import AngleEncoding, RegisterAmplitude
from equiqnn.groups import cyclic, direct_product, grid_d4, grid_reflections, sign_flip, symmetric
from equiqnn.symmetry import (
    PauliString,
    PauliSum,
    Representation,
    equivariant_generators,
    invariant_observables,
    is_invariant_operator,
    twirl,
)

ANGLE_AXES = [("Y", "zero"), ("X", "zero"), ("Y", "plus"), ("Z", "plus")]

# (id, factory returning (encoding, group)); at most 6 qubits so that dense checks stay cheap
# (larger ones are checked on states below).
CASES = [
    ("register4_X", lambda: (RegisterAmplitude(4, "X"), grid_d4(4))),
    ("register4_Z", lambda: (RegisterAmplitude(4, "Z"), grid_d4(4))),
    ("register8_X", lambda: (RegisterAmplitude(8, "X"), grid_d4(8))),
    ("register8_Z", lambda: (RegisterAmplitude(8, "Z"), grid_d4(8))),
    ("register4_whole_sign_flip", lambda: (RegisterAmplitude(4), sign_flip((4, 4)))),
    ("angle_d4_2x2", lambda: (AngleEncoding((2, 2)), grid_d4(2))),
    ("angle_c6", lambda: (AngleEncoding(6), cyclic(6))),
    ("angle_s4", lambda: (AngleEncoding(4), symmetric(4))),
    ("angle_reflections2x3", lambda: (AngleEncoding((2, 3)), grid_reflections(2, 3))),
    *[
        (
            f"angle_sign_flip4_R{ax}_{init}",
            lambda ax=ax, init=init: (AngleEncoding(4, ax, init), sign_flip(4)),
        )
        for ax, init in ANGLE_AXES
    ],
    *[
        (
            f"angle_site_flip2x2_R{ax}_{init}",
            lambda ax=ax, init=init: (AngleEncoding((2, 2), ax, init), sign_flip((2, 2), [0])),
        )
        for ax, init in ANGLE_AXES
    ],
    *[
        (
            f"angle_d4_x_flip2x2_R{ax}_{init}",
            lambda ax=ax, init=init: (
                AngleEncoding((2, 2), ax, init),
                direct_product(grid_d4(2), sign_flip((2, 2))),
            ),
        )
        for ax, init in ANGLE_AXES
    ],
]
IDS = [c[0] for c in CASES]


@pytest.fixture(params=[c[1] for c in CASES], ids=IDS)
def rep(request) -> Representation:
    enc, group = request.param()
    return enc.representation(group)


def _mm(*mats: np.ndarray) -> np.ndarray:
    """Matrix product without BLAS threads (einsum loops): steady timings on a loaded machine."""
    return reduce(lambda a, b: np.einsum("ij,jk->ik", a, b), mats)


def _phase_between(a: np.ndarray, b: np.ndarray) -> complex:
    """``c`` with ``a ≈ c·b`` read off the largest entry of ``b``."""
    k = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    return complex(a[k] / b[k])


def _qubit_permutation_matrix(sigma: np.ndarray) -> np.ndarray:
    """Dense ``P_σ``: the state of qubit ``i`` moves to qubit ``σ[i]`` (qubit 0 most significant)."""
    n = sigma.size
    dim = 2**n
    m = np.zeros((dim, dim))
    for k in range(dim):
        bits = [(k >> (n - 1 - q)) & 1 for q in range(n)]
        target = sum(bits[q] << (n - 1 - int(sigma[q])) for q in range(n))
        m[target, k] = 1
    return m


def _conjugated(rep: Representation, g: int, m: np.ndarray) -> np.ndarray:
    """``R(g) m R(g)†`` from the monomial form ``(Rψ)[j] = phase[j] ψ[src[j]]`` (no matrix products)."""
    src, phase = rep.basis_action(g)
    return phase[:, None] * m[np.ix_(src, src)] * phase.conj()[None, :]


def test_monomial_conjugation_helper_agrees_with_matrix_products(rep):
    m = np.random.default_rng(4).normal(size=(2**rep.n_qubits,) * 2)
    for g in range(rep.order):
        r = rep.matrix(g)
        np.testing.assert_allclose(_conjugated(rep, g, m), _mm(r, m, r.conj().T), atol=1e-13)


def test_matrix_is_the_qubit_permutation_times_the_pauli_string(rep):
    for g in range(rep.order):
        sigma = rep.qubit_perms[g]
        expected = _mm(_qubit_permutation_matrix(sigma), PauliString(rep.paulis[g]).matrix())
        np.testing.assert_allclose(rep.matrix(g), expected, atol=0)


def test_identity_is_represented_by_a_phase(rep):
    m = rep.matrix(0)
    c = _phase_between(m, np.eye(m.shape[0]))
    assert abs(abs(c) - 1) < 1e-14
    np.testing.assert_allclose(m, c * np.eye(m.shape[0]), atol=1e-14)


def test_representation_is_a_homomorphism_up_to_a_phase(rep):
    mats = [rep.matrix(g) for g in range(rep.order)]
    for a in range(rep.order):
        for b in range(rep.order):
            lhs = _mm(mats[a], mats[b])
            rhs = mats[rep.group.compose(a, b)]
            c = _phase_between(lhs, rhs)
            assert abs(abs(c) - 1) < 1e-12
            np.testing.assert_allclose(lhs, c * rhs, atol=1e-12)


def test_matrices_are_unitary_monomials(rep):
    for g in range(rep.order):
        m = rep.matrix(g)
        np.testing.assert_allclose(_mm(m, m.conj().T), np.eye(m.shape[0]), atol=1e-14)
        assert np.all(np.count_nonzero(m, axis=1) == 1)


def test_apply_and_basis_action_agree_with_the_matrix(rep):
    rng = np.random.default_rng(0)
    dim = 2**rep.n_qubits
    psi = rng.normal(size=(3, dim)) + 1j * rng.normal(size=(3, dim))
    for g in range(rep.order):
        np.testing.assert_allclose(rep.apply(g, psi), _mm(psi, rep.matrix(g).T), atol=1e-14)
        src, phase = rep.basis_action(g)
        assert sorted(src.tolist()) == list(range(dim))
        np.testing.assert_allclose(np.abs(phase), 1, atol=1e-15)


def test_conjugate_agrees_with_matrix_conjugation(rep):
    rng = np.random.default_rng(1)
    n = rep.n_qubits
    for g in range(rep.order):
        m = rep.matrix(g)
        for _ in range(4):
            label = "".join(rng.choice(list("IXYZ"), size=n))
            sign, image = rep.conjugate(g, label)
            assert sign in (1, -1)
            np.testing.assert_allclose(
                _mm(m, PauliString(label).matrix(), m.conj().T),
                sign * PauliString(image).matrix(),
                atol=1e-13,
            )


def test_conjugate_sum_agrees_with_matrix_conjugation(rep):
    n = rep.n_qubits
    op = PauliSum({"X" + "Z" * (n - 1): 0.5, "Y" * n: -1.5, "I" * (n - 1) + "X": 2.0})
    for g in range(rep.order):
        m = rep.matrix(g)
        np.testing.assert_allclose(
            rep.conjugate_sum(g, op).matrix(), _mm(m, op.matrix(), m.conj().T), atol=1e-13
        )


def _candidates(n: int) -> list[str]:
    out = [PauliString.on(n, {q: a}).label for a in "XYZ" for q in range(n)]
    out += [
        PauliString.on(n, {0: a, q: b}).label
        for a, b in ("ZZ", "XX", "YY", "XY")
        for q in range(1, n)
    ]
    return out


def test_twirl_commutes_with_every_representation_matrix(rep):
    for label in _candidates(rep.n_qubits):
        t = twirl(label, rep)
        mt = t.matrix()
        for g in range(rep.order):
            np.testing.assert_allclose(_conjugated(rep, g, mt), mt, atol=1e-13)
        assert is_invariant_operator(t, rep)


def test_twirl_is_the_group_average_of_conjugates(rep):
    n = rep.n_qubits
    label = "XY" + "I" * (n - 2)
    dense = sum(_conjugated(rep, g, PauliString(label).matrix()) for g in range(rep.order))
    np.testing.assert_allclose(twirl(label, rep).matrix(), dense / rep.order, atol=1e-13)


def test_twirl_is_idempotent(rep):
    for label in _candidates(rep.n_qubits)[:6]:
        t = twirl(label, rep)
        assert twirl(t, rep).allclose(t)


def test_equivariant_generators_are_hermitian_normalized_and_commute(rep):
    gens = equivariant_generators(rep, _candidates(rep.n_qubits))
    assert gens
    for h in gens:
        assert h.is_hermitian()
        assert max(abs(v) for v in h.terms.values()) == pytest.approx(1.0)
        mh = h.matrix()
        for g in range(rep.order):
            np.testing.assert_allclose(_conjugated(rep, g, mh), mh, atol=1e-13)


def test_equivariant_generators_are_deduplicated_up_to_sign(rep):
    n = rep.n_qubits
    twice = equivariant_generators(rep, _candidates(n) + _candidates(n))
    assert len(twice) == len(equivariant_generators(rep, _candidates(n)))


def test_invariant_observables_commute_and_have_unit_coefficient_sum(rep):
    obs = invariant_observables(rep)
    assert obs
    for o in obs:
        assert o.is_hermitian()
        assert sum(abs(v) for v in o.terms.values()) == pytest.approx(1.0)
        mo = o.matrix()
        for g in range(rep.order):
            np.testing.assert_allclose(_conjugated(rep, g, mo), mo, atol=1e-13)


def test_first_invariant_observable_of_a_site_permutation_is_the_mean_x():
    rep = AngleEncoding(4).representation(cyclic(4))
    assert invariant_observables(rep)[0].allclose(
        PauliSum({lab: 0.25 for lab in ("XIII", "IXII", "IIXI", "IIIX")})
    )


def test_sign_flip_twirl_kills_operators_that_anticommute_with_the_flip():
    rep = AngleEncoding(4, "Y", "zero").representation(sign_flip(4))
    assert rep.paulis == ["IIII", "ZZZZ"]
    assert twirl("XIII", rep).is_zero()
    assert twirl("XXII", rep).allclose(PauliSum("1*XXII"))
    assert twirl("ZIII", rep).allclose(PauliSum("1*ZIII"))


def test_register_representation_is_x_strings_and_a_register_swap():
    rep = RegisterAmplitude(8, "X").representation(grid_d4(8))
    g = rep.group
    assert rep.n_qubits == 6
    assert rep.paulis[g.index("flip_rows")] == "XXXIII"
    assert rep.paulis[g.index("flip_cols")] == "IIIXXX"
    assert rep.qubit_perms[g.index("transpose")].tolist() == [3, 4, 5, 0, 1, 2]
    assert rep.paulis[g.index("transpose")] == "IIIIII"
    z = RegisterAmplitude(8, "Z").representation(grid_d4(8))
    assert z.paulis == [p.replace("X", "Z") for p in rep.paulis]


LARGE = [
    ("register16_X", lambda: (RegisterAmplitude(16, "X"), grid_d4(16))),
    ("register16_Z", lambda: (RegisterAmplitude(16, "Z"), grid_d4(16))),
    ("angle_d4_3x3", lambda: (AngleEncoding((3, 3)), grid_d4(3))),
    ("angle_c8", lambda: (AngleEncoding(8), cyclic(8))),
    (
        "angle_d4_x_flip3x3",
        lambda: (AngleEncoding((3, 3), "Y", "plus"), direct_product(grid_d4(3), sign_flip((3, 3)))),
    ),
]


@pytest.mark.parametrize("factory", [c[1] for c in LARGE], ids=[c[0] for c in LARGE])
def test_large_representation_is_a_homomorphism_on_states(factory):
    """Eight or nine qubits: R(a)R(b)ψ = c·R(ab)ψ with one phase c for a batch of random states."""
    enc, group = factory()
    rep = enc.representation(group)
    rng = np.random.default_rng(2)
    dim = 2**rep.n_qubits
    psi = rng.normal(size=(3, dim)) + 1j * rng.normal(size=(3, dim))
    for a in range(rep.order):
        for b in range(rep.order):
            lhs = rep.apply(a, rep.apply(b, psi))
            rhs = rep.apply(rep.group.compose(a, b), psi)
            c = _phase_between(lhs, rhs)
            assert abs(abs(c) - 1) < 1e-12
            np.testing.assert_allclose(lhs, c * rhs, atol=1e-12)


@pytest.mark.parametrize("factory", [c[1] for c in LARGE], ids=[c[0] for c in LARGE])
def test_large_invariant_observables_commute_with_the_representation_on_states(factory):
    enc, group = factory()
    rep = enc.representation(group)
    rng = np.random.default_rng(3)
    dim = 2**rep.n_qubits
    psi = rng.normal(size=(2, dim)) + 1j * rng.normal(size=(2, dim))
    for o in invariant_observables(rep, max_weight=1):
        mo = o.matrix()
        assert is_invariant_operator(o, rep)
        for g in range(rep.order):
            np.testing.assert_allclose(
                rep.apply(g, _mm(psi, mo.T)), _mm(rep.apply(g, psi), mo.T), atol=1e-12
            )


def test_representation_repr_and_labels():
    assert (
        repr(AngleEncoding(4).representation(cyclic(4)))
        == "Representation(C4 -> 4 qubits: qubit permutations)"
    )
    assert (
        repr(AngleEncoding(4).representation(sign_flip(4)))
        == "Representation(Z2 -> 4 qubits: Z-strings)"
    )
    assert (
        repr(RegisterAmplitude(4).representation(grid_d4(4)))
        == "Representation(D4 -> 4 qubits: X-strings per register and register swap)"
    )


def test_representation_refuses_the_wrong_number_of_elements_or_letters():
    g = cyclic(3)
    with pytest.raises(ValueError, match=r"one qubit permutation and one Pauli string per element"):
        Representation(g, g.perms[:2], ["III", "III"])
    with pytest.raises(ValueError, match=r"must have 3 letters"):
        Representation(g, g.perms, ["III", "III", "II"])
    with pytest.raises(ValueError, match=r"permutation of range\(3\)"):
        Representation(g, np.zeros((3, 3), dtype=int), ["III"] * 3)


def test_twirl_refuses_an_operator_on_another_qubit_count():
    with pytest.raises(ValueError, match=r"operator has 2 qubits but the representation 4"):
        twirl("XX", AngleEncoding(4).representation(cyclic(4)))


def test_kron_convention_of_the_dense_helper():
    """Sanity check of this file's own helper: P_σ moves qubit i to σ[i]."""
    sigma = np.array([1, 2, 0])
    a, b, c = (np.random.default_rng(k).normal(size=2) for k in range(3))
    state = reduce(np.kron, [a, b, c])
    np.testing.assert_allclose(_qubit_permutation_matrix(sigma) @ state, reduce(np.kron, [c, a, b]))


def test_matrix_and_conjugation_are_right_for_pauli_parts_with_y():
    """A hand-made representation (not a homomorphism) exercising Y phases in ``S(g)``."""
    group = cyclic(3)
    rep = Representation(group, group.perms, ["YXZ", "IYY", "ZZY"])
    rng = np.random.default_rng(5)
    for g in range(3):
        m = rep.matrix(g)
        expected = _mm(
            _qubit_permutation_matrix(rep.qubit_perms[g]), PauliString(rep.paulis[g]).matrix()
        )
        np.testing.assert_allclose(m, expected, atol=0)
        for _ in range(6):
            label = "".join(rng.choice(list("IXYZ"), size=3))
            sign, image = rep.conjugate(g, label)
            np.testing.assert_allclose(
                _mm(m, PauliString(label).matrix(), m.conj().T),
                sign * PauliString(image).matrix(),
                atol=1e-13,
            )
