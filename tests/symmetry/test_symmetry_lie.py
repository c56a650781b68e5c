"""Lie closure (``equiqnn.symmetry.lie``): known algebras, the S_n closed form against explicit
closures, symmetry-reduced vs plain closure, invariance of closure elements, and input errors."""

from __future__ import annotations

import numpy as np
import pytest

from equiqnn.circuits import AngleEncoding, RegisterAmplitude
from equiqnn.circuits.ansatz import equivariant_generators_for, register_ansatz
from equiqnn.circuits.ir import PauliRotation
from equiqnn.groups import cyclic, grid_d4, symmetric
from equiqnn.symmetry import (
    DLAResult,
    PauliSum,
    dla,
    dla_table,
    format_dla_table,
    is_invariant_operator,
    sn_dla_dimension,
    sn_generators,
)

SN_SETS = [("X", "Y", "ZZ"), ("X", "Y", "Z", "XX", "YY", "ZZ")]


def _sn_rep(n: int):
    return AngleEncoding(n).representation(symmetric(n))


def _register_generators(side: int) -> list[PauliSum]:
    """One generator per parameter slot of one register-ansatz layer (same-slot gates commute)."""
    circ = register_ansatz(side, layers=1)
    terms: dict[int, dict[str, float]] = {}
    for op in circ.ops:
        if isinstance(op, PauliRotation):
            terms.setdefault(op.slot, {})[op.pauli] = op.coeff
    return [PauliSum(t, circ.n_qubits) for _, t in sorted(terms.items())]


def _dense_dla_dimension(gens: list[PauliSum]) -> int:
    """Reference closure with dense matrices (tiny systems only)."""
    basis: list[np.ndarray] = []

    def add(m: np.ndarray) -> bool:
        v = np.concatenate([m.real.ravel(), m.imag.ravel()])
        mat = np.array(basis + [v])
        if np.linalg.matrix_rank(mat, tol=1e-8) > len(basis):
            basis.append(v)
            return True
        return False

    mats = [1j * g.matrix() for g in gens]
    elems = [m for m in mats if add(m)]
    k = 0
    while k < len(elems):
        for j in range(k):
            c = elems[k] @ elems[j] - elems[j] @ elems[k]
            if add(c):
                elems.append(c)
        k += 1
    return len(elems)


def test_su2_from_x_and_z():
    res = dla(["X", "Z"])
    assert isinstance(res, DLAResult)
    assert (res.dimension, res.complete, res.n_strings) == (3, True, 3)
    assert {next(iter(b.terms)) for b in res.basis} == {"X", "Y", "Z"}


@pytest.mark.parametrize(
    "gens, dim",
    [
        (["XI", "ZI", "IX", "IZ", "ZZ"], 15),  # su(4)
        (["XI", "ZI", "IX", "IZ"], 6),  # su(2) ⊕ su(2)
        (["ZZ", "XI", "IX"], 6),  # open Ising chain, 2 sites: so(4)
        (["XX", "YY", "ZZ"], 3),  # mutually commuting → abelian
        (["XII", "IXI", "IIX", "ZZI", "IZZ"], 15),  # open Ising chain, 3 sites: so(6)
    ],
)
def test_known_dimensions_match_dense_closure(gens, dim):
    res = dla(gens)
    assert res.dimension == dim
    assert _dense_dla_dimension([PauliSum(g) for g in gens]) == dim


def test_open_tfim_chain_is_so_2n():
    # free-fermion Ising chain: {X_i, Z_i Z_{i+1}} generates so(2n), dimension n(2n − 1)
    for n in (3, 4, 5):
        gens = [PauliSum({"I" * i + "X" + "I" * (n - i - 1): 1}) for i in range(n)]
        gens += [PauliSum({"I" * i + "ZZ" + "I" * (n - i - 2): 1}) for i in range(n - 1)]
        assert dla(gens).dimension == n * (2 * n - 1)


def test_basis_elements_have_unit_norm_and_real_coefficients():
    res = dla(sn_generators(3))
    for b in res.basis:
        c = np.array(list(b.terms.values()))
        assert np.allclose(c.imag, 0)
        assert np.isclose(np.linalg.norm(c), 1.0)


@pytest.mark.parametrize("kinds", SN_SETS)
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_sn_closed_form_matches_closure(n, kinds):
    res = dla(sn_generators(n, kinds), representation=_sn_rep(n))
    assert res.complete and res.reduced
    assert res.dimension == sn_dla_dimension(n, kinds)
    assert res.rank_gap > 1e6


@pytest.mark.slow
@pytest.mark.parametrize("kinds", SN_SETS)
@pytest.mark.parametrize("n", [7, 8])
def test_sn_closed_form_matches_closure_large(n, kinds):
    res = dla(sn_generators(n, kinds), representation=_sn_rep(n))
    assert res.complete
    assert res.dimension == sn_dla_dimension(n, kinds)


def test_sn_issue_formula_and_smaller_sets():
    from math import comb

    assert [sn_dla_dimension(n) for n in range(2, 9)] == [
        comb(n + 3, 3) - n // 2 for n in range(2, 9)
    ]
    # {ΣX, ΣZZ} keeps the global X-parity: a strictly smaller algebra, no closed form here
    assert dla(sn_generators(4, ("X", "ZZ"))).dimension == 15
    with pytest.raises(ValueError, match="no closed form"):
        sn_dla_dimension(4, ("X", "ZZ"))


@pytest.mark.parametrize("n", [3, 4])
def test_reduced_and_plain_closure_agree(n):
    gens = sn_generators(n, ("X", "Y", "Z", "XX", "YY", "ZZ"))
    plain = dla(gens)
    reduced = dla(gens, representation=_sn_rep(n))
    assert plain.dimension == reduced.dimension
    assert reduced.n_coordinates < plain.n_coordinates


def test_closure_elements_commute_with_representation():
    rep = AngleEncoding((2, 2)).representation(grid_d4(2))
    res = dla(equivariant_generators_for(rep), representation=rep)
    assert res.complete and res.dimension == 47
    assert all(is_invariant_operator(b, rep, atol=1e-9) for b in res.basis)


def test_register_model_generators_are_invariant():
    rep = RegisterAmplitude(8, "X").representation(grid_d4(8))
    res = dla(_register_generators(8), representation=rep)
    assert res.complete
    assert all(is_invariant_operator(b, rep, atol=1e-9) for b in res.basis[:20])


def test_max_dim_stops_early():
    res = dla(["XI", "ZI", "IX", "IZ", "ZZ"], max_dim=7)
    assert (res.dimension, res.complete) == (7, False)
    assert dla(["X", "Z"], max_dim=3).complete


@pytest.mark.slow
def test_d4_pixel_model_grows_past_1000_at_9_qubits():
    rep = AngleEncoding((3, 3)).representation(grid_d4(3))
    res = dla(equivariant_generators_for(rep), representation=rep, max_dim=1000)
    assert res.dimension == 1000 and not res.complete


def test_dla_table_rows_and_format():
    rep = _sn_rep(3)
    rows = dla_table(
        [
            ("S3", sn_generators(3), rep, "ΣX, ΣY, ΣZZ"),
            (
                "ring4",
                equivariant_generators_for(AngleEncoding(4).representation(cyclic(4))),
                None,
                "nn",
                10,
            ),
        ]
    )
    assert rows[0]["dimension"] == 19 and rows[0]["complete"]
    assert rows[1]["dimension"] == 10 and not rows[1]["complete"]
    text = format_dla_table(rows)
    assert "| S3 | 3 | ΣX, ΣY, ΣZZ | 19 |" in text and "≥ 10" in text


def test_errors():
    with pytest.raises(ValueError, match="at least one generator"):
        dla([])
    with pytest.raises(ValueError, match="same number of qubits"):
        dla(["X", "ZZ"])
    with pytest.raises(ValueError, match="Hermitian"):
        dla([PauliSum({"X": 1j})])
    with pytest.raises(ValueError, match="max_dim"):
        dla(["X"], max_dim=0)
    with pytest.raises(ValueError, match="tol"):
        dla(["X"], tol=2.0)
    with pytest.raises(TypeError, match="generator 0"):
        dla([1.0])
    rep = _sn_rep(3)
    with pytest.raises(ValueError, match="does not commute"):
        dla(["XII"], representation=rep)
    with pytest.raises(ValueError, match="qubits"):
        dla(["XX"], representation=rep)
    with pytest.raises(ValueError, match="n must be"):
        sn_generators(1)
    with pytest.raises(ValueError, match="kinds"):
        sn_generators(3, "XY")
    with pytest.raises(ValueError, match="kinds"):
        sn_generators(3, ("W",))
    with pytest.raises(ValueError, match="families"):
        dla_table([("bad",)])
