"""Pauli strings and sums: labels, printing that parses back, and an algebra that agrees with dense
matrices (qubit 0 is the most significant bit, so ``PauliString("XI").matrix() == kron(X, I)``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.symmetry import PAULI_MATRICES, PauliString, PauliSum, validate_label

X, Y, Z, I2 = (PAULI_MATRICES[c] for c in "XYZI")


def labels(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="IXYZ", min_size=n, max_size=n)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
nonzero_finite = finite.filter(lambda v: v != 0)
# Complex coefficients, e.g. (1.5-2j), and pure imaginary ones of either sign.
complex_coefs = st.builds(complex, nonzero_finite, nonzero_finite)
# For products: magnitudes in [1e-3, 1e3] (or 0), so that no product term is tiny enough to be
# dropped by simplify() (see the xfail on small products below).
moderate = st.one_of(st.just(0.0), st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))
moderate_coefs = st.one_of(moderate, st.builds(complex, moderate, moderate))
coefficients = st.one_of(finite, complex_coefs, st.builds(lambda v: complex(0, v), nonzero_finite))


@st.composite
def pauli_sums(draw, n: int | None = None, coefs=coefficients, max_terms: int = 5) -> PauliSum:
    n = draw(st.integers(1, 4)) if n is None else n
    terms = draw(st.dictionaries(labels(n), coefs, min_size=1, max_size=max_terms))
    return PauliSum(terms, n_qubits=n)


# -- labels ------------------------------------------------------------------------------------


def test_matrix_uses_qubit_zero_as_most_significant():
    np.testing.assert_array_equal(PauliString("XI").matrix(), np.kron(X, I2))
    np.testing.assert_array_equal(PauliString("IZY").matrix(), np.kron(np.kron(I2, Z), Y))


def test_masks_support_and_weight():
    p = PauliString("XIYZ")
    assert p.support == (0, 2, 3) and p.weight == 3 and p.n_qubits == 4
    assert p.x_mask == 0b1010 and p.z_mask == 0b0011
    assert PauliString("IZZ").is_diagonal() and not p.is_diagonal()
    assert PauliString.on(4, {1: "Y", 3: "X"}) == PauliString("IYIX")


@pytest.mark.parametrize("label", ["XQ", "xz", "X Z", "I1"])
def test_a_letter_that_is_not_a_pauli_is_refused(label):
    with pytest.raises(ValueError, match=r"Pauli letter must be one of I, X, Y, Z"):
        PauliString(label)


def test_empty_and_non_string_labels_are_refused():
    with pytest.raises(ValueError, match=r"at least one letter"):
        validate_label("")
    with pytest.raises(TypeError, match=r"must be a str"):
        PauliString(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Pauli letter"):
        PauliSum("0.5*XQ")


def test_strings_on_different_qubit_counts_do_not_multiply():
    with pytest.raises(ValueError, match=r"different numbers of qubits: 2 and 3"):
        PauliString("XX") * PauliString("XXX")
    with pytest.raises(ValueError, match=r"different numbers of qubits"):
        PauliSum("1*XX") + PauliSum("1*XXX")


def test_sums_of_mixed_lengths_and_unreadable_coefficients_are_refused():
    with pytest.raises(ValueError, match=r"share one length"):
        PauliSum({"XX": 1.0, "X": 1.0})
    with pytest.raises(ValueError, match=r"cannot read coefficient 'half'"):
        PauliSum("half*XX")
    with pytest.raises(ValueError, match=r"no Pauli terms"):
        PauliSum("  ")


# -- printing and parsing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("0.5*ZZII + 0.5*IIZZ", {"ZZII": 0.5, "IIZZ": 0.5}),
        ("0.5*ZZ - 1*XX", {"ZZ": 0.5, "XX": -1}),
        ("-XX + YY", {"XX": -1, "YY": 1}),
        ("1e-05*XZ - 2.5E+3*ZX", {"XZ": 1e-5, "ZX": -2500}),
        ("(1+2j)*XZ - (3-4j) * ZI", {"XZ": 1 + 2j, "ZI": -3 + 4j}),
        ("1j*XY + 2j*YX", {"XY": 1j, "YX": 2j}),
        ("0.5*ZZ + 0.25*ZZ", {"ZZ": 0.75}),
    ],
)
def test_parse_reads_documented_forms(text, terms):
    assert PauliSum(text).terms == {k: complex(v) for k, v in terms.items()}


def test_repr_is_pinned():
    assert repr(PauliSum("0.5*ZZ - 1*XX")) == "PauliSum('0.5*ZZ - 1.0*XX')"
    assert repr(PauliString("XY")) == "PauliString('XY')"
    assert str(PauliSum.zero(3)) == "0*III"


@given(pauli_sums())
def test_str_parses_back_to_the_same_sum(op):
    back = PauliSum(str(op))
    assert back.n_qubits == op.n_qubits
    assert back.terms == op.terms
    assert repr(back) == repr(op)


@given(pauli_sums(coefs=finite))
def test_real_sums_round_trip_through_repr_exactly(op):
    text = repr(op)
    assert text.startswith("PauliSum('") and text.endswith("')")
    assert PauliSum(text[len("PauliSum('") : -2]).terms == op.terms


def test_str_of_a_negative_imaginary_later_term_parses_back():
    op = PauliSum({"XX": 0.5, "ZZ": -1j})
    assert PauliSum(str(op)).terms == op.terms


# -- algebra against dense matrices ------------------------------------------------------------


@given(st.integers(1, 4).flatmap(lambda n: st.tuples(labels(n), labels(n))))
def test_string_product_matrix_is_the_matrix_product(pair):
    a, b = PauliString(pair[0]), PauliString(pair[1])
    phase, c = a * b
    assert phase in (1, -1, 1j, -1j)
    np.testing.assert_allclose(phase * c.matrix(), a.matrix() @ b.matrix(), atol=1e-14)


@given(st.integers(1, 4).flatmap(lambda n: st.tuples(labels(n), labels(n))))
def test_commutes_agrees_with_matrices(pair):
    a, b = (PauliString(p).matrix() for p in pair)
    commute = np.allclose(a @ b, b @ a)
    assert PauliString(pair[0]).commutes(PauliString(pair[1])) == commute


@given(
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            pauli_sums(n, coefs=moderate_coefs), pauli_sums(n, coefs=moderate_coefs)
        )
    ),
    coefficients,
)
def test_sum_arithmetic_agrees_with_dense_matrices(pair, c):
    a, b = pair
    ma, mb = a.matrix(), b.matrix()
    scale = 1 + np.abs(ma).max() * (1 + np.abs(mb).max()) * (1 + abs(c))
    tol = 1e-12 * scale
    np.testing.assert_allclose((a + b).matrix(), ma + mb, atol=tol)
    np.testing.assert_allclose((a - b).matrix(), ma - mb, atol=tol)
    np.testing.assert_allclose((-a).matrix(), -ma, atol=tol)
    np.testing.assert_allclose((a * c).matrix(), ma * c, atol=tol)
    np.testing.assert_allclose((c * a).matrix(), c * ma, atol=tol)
    np.testing.assert_allclose((a @ b).matrix(), ma @ mb, atol=tol)
    np.testing.assert_allclose((a * b).matrix(), ma @ mb, atol=tol)


@given(
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(pauli_sums(n, coefs=moderate), pauli_sums(n, coefs=moderate))
    )
)
def test_commutator_matrix_is_the_matrix_commutator(pair):
    a, b = pair
    ma, mb = a.matrix(), b.matrix()
    tol = 1e-12 * (1 + np.abs(ma).max() * np.abs(mb).max())
    np.testing.assert_allclose(a.commutator(b).matrix(), ma @ mb - mb @ ma, atol=tol)


@given(pauli_sums(coefs=finite))
def test_real_coefficients_give_hermitian_matrices(op):
    m = op.matrix()
    assert op.is_hermitian()
    np.testing.assert_allclose(m, m.conj().T, atol=0)


def test_products_of_small_coefficients_are_kept():
    a = PauliSum("1e-7*XI + 1e-7*ZI")
    prod = a @ a  # = 2e-14 * II (the XZ and ZX cross terms cancel)
    assert prod.terms.get("II", 0) == pytest.approx(2e-14, rel=1e-9)
    # atol far below the 2e-14 entries: only the dense product's ~1e-30 rounding is forgiven
    np.testing.assert_allclose(prod.matrix(), a.matrix() @ a.matrix(), rtol=1e-9, atol=1e-25)


def test_commuting_detects_non_commuting_terms():
    assert PauliSum("1*XX + 1*ZZ").commuting()
    assert not PauliSum("1*XI + 1*ZI").commuting()


def test_simplify_drops_zero_terms_and_allclose_compares_operators():
    s = PauliSum({"XX": 1.0, "ZZ": 1e-15, "YY": 0.0})
    assert list(s.simplify().terms) == ["XX"]
    assert (PauliSum("1*XX") - PauliSum("1*XX")).is_zero()
    assert PauliSum("1*XX + 1*ZZ").allclose(PauliSum("1*ZZ + 1*XX"))
    assert not PauliSum("1*XX").allclose(PauliSum("-1*XX"))


def test_anticommuting_strings_have_zero_anticommutator_and_double_product_commutator():
    a, b = PauliSum("1*XI"), PauliSum("1*ZI")
    assert (a @ b + b @ a).is_zero()
    assert a.commutator(b).allclose(PauliSum("-2j*YI"))
