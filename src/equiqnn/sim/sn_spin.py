"""Collective-spin algebra for S_n-equivariant circuits: term specs, spin-j blocks, data frames.

A *term* is an S_n-symmetric Pauli sum named by one or two letters (order irrelevant)::

    "X", "Y", "Z"        Σ_i σ^a_i                                  = 2 S_a
    "XX", "YY", "ZZ"     Σ_{i<j} σ^a_i σ^a_j                        = 2 S_a² − n/2
    "XY", "XZ", "YZ"     Σ_{i<j} (σ^a_i σ^b_j + σ^b_i σ^a_j)        = 2 (S_a S_b + S_b S_a)

with ``S_a = ½ Σ_i σ^a_i``. A *polynomial spec* is a term name or a mapping ``{term: coefficient}``
(real coefficients), e.g. ``"ZZ"`` or ``{"ZZ": 1.0, "X": 0.5}``. It is canonicalized to a tuple of
``(letters, coefficient)`` pairs with sorted letters, e.g. ``((("X",), 0.5), (("Z", "Z"), 1.0))``.

Spin-j blocks use the basis ``|j, m⟩`` with index ``p = 0 … 2j`` for ``m = j − p`` (descending), so
``|j = n/2, m = n/2⟩ = |0…0⟩`` (qubit state |0⟩ is ``S_z = +½``), and Condon–Shortley phases:
``J_+ |j, m⟩ = √(j(j+1) − m(m+1)) |j, m+1⟩`` (real, non-negative).
"""

from __future__ import annotations

from collections.abc import Mapping
from math import comb, isfinite

import numpy as np
import torch

from equiqnn.symmetry import PauliSum

__all__ = [
    "Spec",
    "canonical_spec",
    "spec_label",
    "spin_matrices",
    "block_operator",
    "block_bands",
    "spin_bands",
    "spec_norm_bound",
    "observable_scale",
    "frame_map",
    "to_frame",
    "pauli_sum",
]

Term = tuple[str, ...]
Spec = tuple[tuple[Term, float], ...]

_LETTERS = ("X", "Y", "Z")


def _parse_term(name: object) -> Term:
    if not isinstance(name, str) or not 1 <= len(name) <= 2 or any(c not in _LETTERS for c in name):
        raise ValueError(
            f"unknown collective-spin term {name!r}: use 'X', 'Y', 'Z' (Σ σ_i) or two letters "
            "such as 'ZZ', 'XX', 'XY' (Σ_{i<j} symmetrized two-body terms)."
        )
    return tuple(sorted(name))


def canonical_spec(spec: str | Mapping[str, float], n_qubits: int) -> Spec:
    """Canonical ``((letters, coeff), …)`` for a term name or a ``{term: coeff}`` mapping.

    Raises ``ValueError`` for unknown terms, non-real or non-finite coefficients, an empty spec, or
    two-body terms on fewer than two qubits.
    """
    if isinstance(spec, str):
        items: list[tuple[object, object]] = [(spec, 1.0)]
    elif isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        raise ValueError(
            f"a collective-spin polynomial is a term name ('Z', 'ZZ', …) or a mapping "
            f"{{term: coefficient}}; got {type(spec).__name__}."
        )
    if not items:
        raise ValueError("a collective-spin polynomial needs at least one term.")
    out: dict[Term, float] = {}
    for name, coeff in items:
        term = _parse_term(name)
        if isinstance(coeff, bool) or not isinstance(coeff, (int, float, np.integer, np.floating)):
            raise ValueError(f"coefficient of {name!r} must be a real number; got {coeff!r}.")
        c = float(coeff)
        if not isfinite(c):
            raise ValueError(f"coefficient of {name!r} must be finite; got {c}.")
        if len(term) == 2 and n_qubits < 2:
            raise ValueError(f"two-body term {name!r} needs at least 2 qubits; got {n_qubits}.")
        out[term] = out.get(term, 0.0) + c
    return tuple(sorted(out.items()))


def spec_label(spec: Spec) -> str:
    """Readable label, e.g. ``'1*ZZ + 0.5*X'`` (also the cache key of a generic generator)."""
    return " + ".join(f"{c!r}*{''.join(t)}" for t, c in spec)


def spin_matrices(two_j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(J_x, J_y, J_z)`` for spin ``j = two_j / 2``: complex128 ``(2j+1, 2j+1)``, basis ``m = j − p``."""
    j = two_j / 2
    m = j - np.arange(two_j + 1)
    jz = np.diag(m).astype(np.complex128)
    jp = np.zeros((two_j + 1, two_j + 1), dtype=np.complex128)
    # J_+ |m_p⟩ = c |m_p + 1⟩ and m_p + 1 = m_{p-1}
    jp[np.arange(two_j), np.arange(1, two_j + 1)] = np.sqrt(j * (j + 1) - m[1:] * (m[1:] + 1))
    jm = jp.T.conj()
    return (jp + jm) / 2, (jp - jm) / 2j, jz


def block_operator(spec: Spec, two_j: int, n_qubits: int) -> np.ndarray:
    """The polynomial acting on the spin-j block: complex128 Hermitian ``(2j+1, 2j+1)``."""
    mats = dict(zip(_LETTERS, spin_matrices(two_j), strict=True))
    d = two_j + 1
    out = np.zeros((d, d), dtype=np.complex128)
    for term, c in spec:
        if len(term) == 1:
            out += c * 2 * mats[term[0]]
        elif term[0] == term[1]:
            a = mats[term[0]]
            out += c * (2 * _mm(a, a) - n_qubits / 2 * np.eye(d))
        else:
            a, b = mats[term[0]], mats[term[1]]
            out += c * 2 * (_mm(a, b) + _mm(b, a))
    return out


def spin_bands(two_j: int) -> dict[str, dict[int, np.ndarray]]:
    """``J_x, J_y, J_z`` as bands: ``{letter: {offset o: v}}`` with ``J[p, p + o] = v[p]`` (each ``v``
    of length ``d − |o|``); ``O(d)`` instead of the dense ``(d, d)`` of :func:`spin_matrices`."""
    j = two_j / 2
    m = j - np.arange(two_j + 1)
    up = np.sqrt(j * (j + 1) - m[1:] * (m[1:] + 1)).astype(np.complex128)  # J_+[p, p+1]
    return {
        "X": {1: up / 2, -1: up / 2},
        "Y": {1: up / 2j, -1: -up / 2j},
        "Z": {0: m.astype(np.complex128)},
    }


def _band_mul(a: dict[int, np.ndarray], b: dict[int, np.ndarray], d: int) -> dict[int, np.ndarray]:
    """The product of two banded matrices, as bands: ``(AB)[p, p+o] = Σ A[p, p+o₁] B[p+o₁, p+o]``."""
    out: dict[int, np.ndarray] = {}
    for o1, va in a.items():
        for o2, vb in b.items():
            o = o1 + o2
            if abs(o) >= d:
                continue
            # rows p with 0 ≤ p, p + o1, p + o < d
            lo, hi = max(0, -o1, -o), min(d, d - o1, d - o)
            if hi <= lo:
                continue
            term = np.zeros(d - abs(o), dtype=np.complex128)
            pa = np.arange(lo, hi)
            term[pa - max(0, -o)] = va[pa - max(0, -o1)] * vb[pa + o1 - max(0, -o2)]
            out[o] = out.get(o, 0) + term
    return out


def block_bands(spec: Spec, two_j: int, n_qubits: int) -> dict[int, np.ndarray]:
    """:func:`block_operator` as bands ``{o: v}`` (``|o| ≤ 2``), in ``O(d)``."""
    d = two_j + 1
    mats = spin_bands(two_j)
    out: dict[int, np.ndarray] = {}

    def add(bands: dict[int, np.ndarray], c: float) -> None:
        for o, v in bands.items():
            out[o] = out.get(o, 0) + c * v

    for term, c in spec:
        if len(term) == 1:
            add(mats[term[0]], 2 * c)
        else:
            a, b = mats[term[0]], mats[term[1]]
            add(_band_mul(a, b, d), 2 * c)
            add(_band_mul(b, a, d), 2 * c)
            if term[0] == term[1]:  # 2 J_a² − n/2 (counted twice above: halve)
                add(_band_mul(a, a, d), -2 * c)
                add({0: np.full(d, -n_qubits / 2, dtype=np.complex128)}, c)
    return out


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product through torch (honours ``torch.set_num_threads``; numpy's BLAS threads do not)."""
    return (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()


def single_letter(spec: Spec) -> str | None:
    """The letter ``a`` when every term is ``a`` or ``aa`` (then diagonal in the ``J_a`` basis)."""
    letters = {c for term, _ in spec for c in term}
    if len(letters) == 1 and all(len(set(t)) == 1 for t, _ in spec):
        return letters.pop()
    return None


def letter_eigenvalues(spec: Spec, m: np.ndarray, n_qubits: int) -> np.ndarray:
    """Eigenvalues of a single-letter spec on the ``J_a`` eigenvectors with eigenvalues ``m``."""
    lam = np.zeros_like(m, dtype=np.float64)
    for term, c in spec:
        lam += c * (2 * m if len(term) == 1 else 2 * m**2 - n_qubits / 2)
    return lam


def observable_scale(term: Term, n_qubits: int) -> float:
    """Number of Pauli strings in a term: ``n``, ``C(n, 2)`` or ``2·C(n, 2)`` (observables divide by it)."""
    if len(term) == 1:
        return float(n_qubits)
    return float(comb(n_qubits, 2) * (1 if term[0] == term[1] else 2))


def spec_norm_bound(spec: Spec) -> float:
    """``Σ |c|``: a bound on the operator norm of a normalized observable (each term has norm ≤ 1)."""
    return float(sum(abs(c) for _, c in spec))


def frame_map(axis: str, init: str) -> dict[str, tuple[str, float]]:
    """Letter map ``a → (b, sign)`` with ``D† σ^a D = sign·σ^b`` for the collective rotation ``D`` that
    takes the real frame (``R_Y(a)|0⟩``) to the encoding (``R_axis(a)|init⟩``, up to phases).

    - Y from |0⟩: identity.
    - X from |0⟩: ``D = R_Z(−π/2)^{⊗n}``: ``X → Y``, ``Y → −X``, ``Z → Z``.
    - Z from |+⟩: ``D`` rotates by 2π/3 about (1,1,1) (``z → x → y → z``): ``X → Z``, ``Y → X``, ``Z → Y``.
    """
    if (axis, init) == ("Y", "zero"):
        return {"X": ("X", 1.0), "Y": ("Y", 1.0), "Z": ("Z", 1.0)}
    if (axis, init) == ("X", "zero"):
        return {"X": ("Y", 1.0), "Y": ("X", -1.0), "Z": ("Z", 1.0)}
    if (axis, init) == ("Z", "plus"):
        return {"X": ("Z", 1.0), "Y": ("X", 1.0), "Z": ("Y", 1.0)}
    if (axis, init) == ("Y", "plus"):
        # R_Y(a)|+⟩ = R_Y(a + π/2)|0⟩: handled by an angle offset, not a frame change
        return {"X": ("X", 1.0), "Y": ("Y", 1.0), "Z": ("Z", 1.0)}
    raise ValueError(
        f"encoding R{axis} from |{'0' if init == 'zero' else '+'}⟩ is not supported: use axis 'Y' "
        "(init 'zero' or 'plus'), axis 'X' with init 'zero', or axis 'Z' with init 'plus'."
    )


def to_frame(spec: Spec, fmap: Mapping[str, tuple[str, float]]) -> Spec:
    """The same operator written in the real frame (letters relabelled, signs applied)."""
    out: dict[Term, float] = {}
    for term, c in spec:
        sign = 1.0
        letters = []
        for a in term:
            b, s = fmap[a]
            letters.append(b)
            sign *= s
        key = tuple(sorted(letters))
        out[key] = out.get(key, 0.0) + sign * c
    return tuple(sorted(out.items()))


def pauli_sum(spec: Spec, n_qubits: int, normalize: bool = False) -> PauliSum:
    """The explicit Pauli sum of a spec (``normalize``: divide each term by its number of strings)."""
    terms: dict[str, float] = {}

    def add(letters: dict[int, str], c: float) -> None:
        label = "".join(letters.get(q, "I") for q in range(n_qubits))
        terms[label] = terms.get(label, 0.0) + c

    for term, c in spec:
        w = c / observable_scale(term, n_qubits) if normalize else c
        if len(term) == 1:
            for i in range(n_qubits):
                add({i: term[0]}, w)
        else:
            a, b = term
            for i in range(n_qubits):
                for k in range(i + 1, n_qubits):
                    add({i: a, k: b}, w)
                    if a != b:
                        add({i: b, k: a}, w)
    return PauliSum(terms, n_qubits)
