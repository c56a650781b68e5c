"""Pauli-transfer matrices (PTMs) for the Heisenberg density-matrix path (compile time, numpy).

Conventions: a density matrix on ``k`` qubits is ``ρ = 2^{-k} Σ_R r_R P_R`` with ``r_R = Tr(P_R ρ)``
(real); an observable is ``O = Σ_R o_R P_R`` (real ``o`` for Hermitian ``O``), so
``Tr(O ρ) = Σ_R o_R r_R``. The local Pauli index of one qubit is ``a = 2x + z`` — ``I, Z, X, Y`` —
(the symplectic bits: ``x`` for X/Y, ``z`` for Z/Y), and a string's index is ``Σ_q a_q 4^{k-1-q}``
(qubit 0 most significant, as everywhere in equiqnn). Multiplying by a Pauli string flips bits, so a
``(4,)*n`` coefficient tensor viewed as ``(2,)*2n`` turns ``Q → P·Q`` into ``torch.flip``.

A channel ``Φ`` acts on ``r`` by its PTM ``R_ij = Tr(P_i Φ(P_j)) / 2^k`` (Schrödinger) and on ``o`` by
``Rᵀ`` (Heisenberg: ``Tr(O Φ(ρ)) = Tr(Φ†(O) ρ)``). Clifford gates and Pauli channels have monomial
PTMs (one non-zero per row): runs of them compose into one signed gather.
"""

from __future__ import annotations

import numpy as np

from equiqnn.symmetry import PauliSum

__all__ = [
    "LETTER",
    "pauli_basis",
    "ptm",
    "rotation_parts",
    "monomial",
    "compose_monomial",
    "observable_vectors",
    "flip_tables",
]

_B1 = np.stack(
    [
        np.eye(2),
        np.diag([1.0, -1.0]),
        np.array([[0.0, 1.0], [1.0, 0.0]]),
        np.array([[0.0, -1j], [1j, 0.0]]),
    ]
).astype(np.complex128)
LETTER = {"I": 0, "Z": 1, "X": 2, "Y": 3}


def pauli_basis(k: int) -> np.ndarray:
    """``(4**k, 2**k, 2**k)`` Pauli strings in the order of the module docstring."""
    out = _B1
    for _ in range(k - 1):
        d = out.shape[1]
        out = np.einsum("aij,bkl->abikjl", out, _B1).reshape(-1, 2 * d, 2 * d)
    return out


def ptm(kraus, k: int) -> np.ndarray:
    """Schrödinger PTM ``(4**k, 4**k)`` (float64) of ``ρ → Σ K ρ K†`` on ``k`` qubits."""
    p = pauli_basis(k)
    ks = np.asarray(kraus, dtype=np.complex128).reshape(-1, 2**k, 2**k)
    phi = np.einsum("kab,jbc,kdc->jad", ks, p, ks.conj())
    return np.einsum("iba,jab->ij", p, phi).real / 2**k


def rotation_parts(letters: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(C, A, S)`` with ``PTM(exp(-iθP/2)) = C + cos θ · A + sin θ · S`` for the local string ``P``."""
    k = len(letters)
    p = pauli_basis(k)[sum(LETTER[c] * 4 ** (k - 1 - i) for i, c in enumerate(letters))]

    def at(theta: float) -> np.ndarray:
        u = np.cos(theta / 2) * np.eye(2**k) - 1j * np.sin(theta / 2) * p
        return ptm([u], k)

    r0, r_pi = at(0.0), at(np.pi)
    c, a = (r0 + r_pi) / 2, (r0 - r_pi) / 2
    return c, a, at(np.pi / 2) - c


def monomial(mat: np.ndarray, atol: float = 1e-12) -> tuple[np.ndarray, np.ndarray] | None:
    """``(perm, val)`` with ``(M v)[i] = val[i] v[perm[i]]`` when ``M`` has one non-zero per row and
    column (a signed permutation times a diagonal), else None."""
    nz = np.abs(mat) > atol
    if not (np.all(nz.sum(1) == 1) and np.all(nz.sum(0) == 1)):
        return None
    perm = np.argmax(nz, axis=1)
    return perm, mat[np.arange(len(perm)), perm]


def _digits(idx: np.ndarray, qubits: tuple[int, ...], n: int) -> list[np.ndarray]:
    return [(idx >> (2 * (n - 1 - q))) & 3 for q in qubits]


def compose_monomial(
    perm: np.ndarray,
    val: np.ndarray,
    local: tuple[np.ndarray, np.ndarray],
    qubits: tuple[int, ...],
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``G ∘ H``: the composite ``o ↦ val ⊙ o[perm]`` followed *before* by the local monomial
    ``H = local`` on ``qubits`` (first listed most significant), as full ``4**n`` arrays.

    With ``G(u)[R] = val[R] u[perm[R]]`` and ``H(o)[R] = v(R) o[π(R)]``:
    ``(G∘H)(o)[R] = val[R] · v(perm[R]) · o[π(perm[R])]``.
    """
    lperm, lval = local
    k = len(qubits)
    digs = _digits(perm, qubits, n)
    loc = np.zeros_like(perm)
    for j, d in enumerate(digs):
        loc |= d << (2 * (k - 1 - j))
    new_loc = lperm[loc]
    out = perm.copy()
    for j, (q, d) in enumerate(zip(qubits, digs, strict=True)):
        shift = 2 * (n - 1 - q)
        out += (((new_loc >> (2 * (k - 1 - j))) & 3) - d) << shift
    return out, val * lval[loc]


def observable_vectors(observables: list[PauliSum], n: int) -> np.ndarray:
    """``(K, 4**n)`` float64 Pauli coefficients ``o`` of Hermitian observables."""
    out = np.zeros((len(observables), 4**n))
    for k, obs in enumerate(observables):
        if obs.n_qubits != n:
            raise ValueError(
                f"observable {obs!r} acts on {obs.n_qubits} qubits; the circuit has {n}."
            )
        if not obs.is_hermitian():
            raise ValueError(f"observables must be Hermitian (real coefficients); got {obs!r}.")
        for label, c in obs.terms.items():
            out[k, sum(LETTER[ch] * 4 ** (n - 1 - q) for q, ch in enumerate(label))] += c.real
    return out


def flip_tables(letters: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heisenberg form of ``exp(-iθP/2)`` for a local string ``P`` on its (ascending) support:
    ``o' = o ⊙ (1 + (cos θ − 1)·mask) + sin θ · sign ⊙ o[R ⊕ flip]``.

    Returns ``(mask, sign, flip)``: float64 tables of shape ``(4**w,)`` over the local index and the
    per-qubit bit flips ``(2·x + z)`` of ``P``.
    """
    c, a, s = rotation_parts(letters)
    w = len(letters)
    flip = np.array([LETTER[ch] for ch in letters])
    idx = np.arange(4**w)
    partner = idx.copy()
    for j, f in enumerate(flip):
        partner ^= f << (2 * (w - 1 - j))
    h_sin = s.T  # Heisenberg: transpose of the Schrödinger PTM
    sign = h_sin[idx, partner]
    if not (
        np.allclose(np.diag(np.diag(a)), a, atol=1e-12)
        and np.allclose(h_sin[idx, partner], h_sin.sum(1), atol=1e-12)
    ):  # pragma: no cover - a property of Pauli rotations
        raise AssertionError("rotation PTM is not of flip form")
    return np.diag(a).copy(), sign, flip
