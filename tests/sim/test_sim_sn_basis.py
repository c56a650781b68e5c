"""The S_n engine's eigenbases: the persymmetric fold and the banded block operators."""

from __future__ import annotations

import numpy as np
import pytest

from equiqnn.sim.sn_basis import fold_eigh, sector_basis
from equiqnn.sim.sn_spin import block_bands, block_operator, canonical_spec

TERMS = ["X", "Y", "Z", "XX", "YY", "ZZ", "XY", "XZ", "YZ", {"ZZ": 0.7, "X": -0.4}]


def _dense(bands: dict[int, np.ndarray], d: int) -> np.ndarray:
    out = np.zeros((d, d), dtype=np.complex128)
    for o, v in bands.items():
        out += np.diag(v, o)
    return out


@pytest.mark.parametrize("two_j", [0, 1, 2, 5, 8, 13])
@pytest.mark.parametrize("spec", TERMS, ids=str)
def test_block_bands_equal_the_dense_block_operator(two_j: int, spec: object) -> None:
    sp = canonical_spec(spec, 14)
    dense = block_operator(sp, two_j, 14)
    bands = block_bands(sp, two_j, 14)
    assert set(bands) <= {-2, -1, 0, 1, 2}
    np.testing.assert_allclose(_dense(bands, two_j + 1), dense, atol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3, 4, 7, 10])
def test_fold_eigh_gives_even_then_odd_eigenvectors(d: int) -> None:
    rng = np.random.default_rng(d)
    a = rng.normal(size=(d, d))
    a = a + a.T
    a = a + a[::-1, ::-1]  # persymmetric
    v, lam, n_even = fold_eigh(a)
    assert n_even == (d + 1) // 2
    np.testing.assert_allclose(v.T @ v, np.eye(d), atol=1e-12)
    np.testing.assert_allclose(a @ v, v * lam, atol=1e-10)
    np.testing.assert_allclose(v[::-1, :n_even], v[:, :n_even], atol=1e-12)
    np.testing.assert_allclose(v[::-1, n_even:], -v[:, n_even:], atol=1e-12)


def test_fold_eigh_refuses_what_does_not_fold() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    assert fold_eigh(a + a.T) is None  # symmetric, not persymmetric
    jz = np.diag(np.arange(2.0, -3.0, -1.0))
    assert fold_eigh(jz) is None  # P J_z P = −J_z
    assert fold_eigh(1j * (a - a.T)) is None  # Hermitian, not real


@pytest.mark.parametrize("two_j", [0, 1, 4, 9])
@pytest.mark.parametrize("key", ["X", "Y", "Z"])
def test_sector_basis_diagonalizes_the_collective_spin(two_j: int, key: str) -> None:
    b = sector_basis(two_j, key, None, 10)
    assert b.kind == ("Z" if key == "Z" else "fold")
    j_a = block_operator(canonical_spec(key, 10), two_j, 10) / 2
    v = b.full()
    np.testing.assert_allclose(v.conj().T @ v, np.eye(two_j + 1), atol=1e-12)
    np.testing.assert_allclose(j_a @ v, v * b.lam, atol=1e-10)


@pytest.mark.parametrize(("spec", "kind"), [("XX", "fold"), ("YY", "fold"), ("XZ", "full")])
def test_generator_bases_fold_when_persymmetric(spec: str, kind: str) -> None:
    sp = canonical_spec(spec, 9)
    b = sector_basis(6, "G:" + spec, sp, 9)
    assert b.kind == kind
    h = block_operator(sp, 6, 9)
    np.testing.assert_allclose(h @ b.full(), b.full() * b.lam, atol=1e-10)
