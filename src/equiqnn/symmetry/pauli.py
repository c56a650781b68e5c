"""Pauli strings and sparse Pauli sums.

Conventions: character ``k`` of a label acts on qubit ``k``; qubit 0 is the most significant bit of a
basis index, so ``PauliString("XI").matrix() == kron(X, I)``. A ``PauliSum`` prints as a string that
parses back: ``PauliSum("0.5*ZZII + 0.5*IIZZ")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import reduce

import numpy as np

__all__ = ["PauliString", "PauliSum", "PAULI_MATRICES", "validate_label"]

PAULI_MATRICES = {
    "I": np.eye(2, dtype=np.complex128),
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}
# single-qubit products a*b = phase * c
_PRODUCT: dict[tuple[str, str], tuple[complex, str]] = {}
for _a in "IXYZ":
    for _b in "IXYZ":
        _m = PAULI_MATRICES[_a] @ PAULI_MATRICES[_b]
        for _c in "IXYZ":
            _ph = np.trace(PAULI_MATRICES[_c].conj().T @ _m) / 2
            if abs(_ph) > 0.5:
                _PRODUCT[(_a, _b)] = (complex(np.round(_ph)), _c)


def validate_label(label: str) -> str:
    """Return ``label`` after checking every letter is one of I, X, Y, Z."""
    if not isinstance(label, str):
        raise TypeError(f"a Pauli label must be a str such as 'XIZ'; got {type(label).__name__}.")
    for k, ch in enumerate(label):
        if ch not in "IXYZ":
            raise ValueError(
                f"Pauli letter must be one of I, X, Y, Z; got {ch!r} at position {k} in {label!r}."
            )
    if not label:
        raise ValueError("a Pauli label needs at least one letter (one per qubit), e.g. 'I'.")
    return label


class PauliString:
    """A tensor product of single-qubit Paulis, without a phase.

    >>> PauliString("XY") * PauliString("YY")
    (1j, PauliString('ZI'))
    """

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = validate_label(label)

    @classmethod
    def on(cls, n_qubits: int, letters: Mapping[int, str]) -> PauliString:
        """The string with ``letters[q]`` on qubit ``q`` and identity elsewhere."""
        out = ["I"] * n_qubits
        for q, ch in letters.items():
            if not 0 <= q < n_qubits:
                raise ValueError(f"qubit {q} out of range for {n_qubits} qubits.")
            out[q] = ch
        return cls("".join(out))

    @property
    def n_qubits(self) -> int:
        return len(self.label)

    @property
    def support(self) -> tuple[int, ...]:
        return tuple(k for k, ch in enumerate(self.label) if ch != "I")

    @property
    def weight(self) -> int:
        return len(self.support)

    @property
    def x_mask(self) -> int:
        """Bit mask (qubit 0 = most significant) of the qubits carrying X or Y."""
        n = self.n_qubits
        return sum(1 << (n - 1 - k) for k, ch in enumerate(self.label) if ch in "XY")

    @property
    def z_mask(self) -> int:
        """Bit mask of the qubits carrying Z or Y."""
        n = self.n_qubits
        return sum(1 << (n - 1 - k) for k, ch in enumerate(self.label) if ch in "ZY")

    def is_diagonal(self) -> bool:
        return all(ch in "IZ" for ch in self.label)

    def commutes(self, other: PauliString) -> bool:
        _check_same_size(self.n_qubits, other.n_qubits)
        anti = sum(
            1
            for a, b in zip(self.label, other.label, strict=False)
            if a != "I" and b != "I" and a != b
        )
        return anti % 2 == 0

    def __mul__(self, other: PauliString) -> tuple[complex, PauliString]:
        _check_same_size(self.n_qubits, other.n_qubits)
        phase: complex = 1
        out = []
        for a, b in zip(self.label, other.label, strict=False):
            ph, c = _PRODUCT[(a, b)]
            phase *= ph
            out.append(c)
        return phase, PauliString("".join(out))

    def matrix(self) -> np.ndarray:
        """Dense complex128 ``(2**n, 2**n)`` matrix (small n only)."""
        if self.n_qubits > 14:
            raise ValueError(f"matrix() is for small systems; got {self.n_qubits} qubits (max 14).")
        return reduce(np.kron, [PAULI_MATRICES[c] for c in self.label])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PauliString) and other.label == self.label

    def __hash__(self) -> int:
        return hash(self.label)

    def __repr__(self) -> str:
        return f"PauliString({self.label!r})"


Coefficient = complex | float | int


def _check_same_size(a: int, b: int) -> None:
    if a != b:
        raise ValueError(f"Pauli operators act on different numbers of qubits: {a} and {b}.")


class PauliSum:
    """A sparse linear combination of Pauli strings on ``n_qubits`` qubits.

    Build from a string (``"0.5*ZZII + 0.5*IIZZ"``), a ``{label: coeff}`` mapping, or a ``PauliString``.

    >>> PauliSum("0.5*ZZ - 1*XX")
    PauliSum('0.5*ZZ - 1.0*XX')
    """

    def __init__(
        self, terms: str | Mapping[str, Coefficient] | PauliString, n_qubits: int | None = None
    ):
        if isinstance(terms, PauliString):
            terms = {terms.label: 1.0}
        elif isinstance(terms, str):
            terms = _parse(terms)
        elif not isinstance(terms, Mapping):
            raise TypeError(
                f"PauliSum takes a str, a mapping or a PauliString; got {type(terms).__name__}."
            )
        sizes = {len(validate_label(k)) for k in terms}
        if n_qubits is None:
            if len(sizes) != 1:
                raise ValueError(
                    f"terms must share one length (qubit count); got lengths {sorted(sizes)}."
                )
            n_qubits = sizes.pop()
        elif sizes and sizes != {n_qubits}:
            raise ValueError(
                f"every term must have {n_qubits} letters; got lengths {sorted(sizes)}."
            )
        self.n_qubits = int(n_qubits)
        self.terms: dict[str, complex] = {}
        for k, v in terms.items():
            self.terms[k] = self.terms.get(k, 0) + complex(v)

    @classmethod
    def zero(cls, n_qubits: int) -> PauliSum:
        return cls({}, n_qubits=n_qubits)

    def simplify(self, atol: float = 1e-12) -> PauliSum:
        return PauliSum({k: v for k, v in self.terms.items() if abs(v) > atol}, self.n_qubits)

    def is_zero(self, atol: float = 1e-12) -> bool:
        return all(abs(v) <= atol for v in self.terms.values())

    def is_hermitian(self, atol: float = 1e-12) -> bool:
        return all(abs(v.imag) <= atol for v in self.terms.values())

    def strings(self) -> list[PauliString]:
        return [PauliString(k) for k in self.terms]

    def commuting(self) -> bool:
        """True when all terms commute pairwise (then exp of the sum is a product of exps)."""
        s = self.strings()
        return all(a.commutes(b) for i, a in enumerate(s) for b in s[i + 1 :])

    def __add__(self, other: PauliSum) -> PauliSum:
        _check_same_size(self.n_qubits, other.n_qubits)
        out = dict(self.terms)
        for k, v in other.terms.items():
            out[k] = out.get(k, 0) + v
        return PauliSum(out, self.n_qubits)

    def __neg__(self) -> PauliSum:
        return PauliSum({k: -v for k, v in self.terms.items()}, self.n_qubits)

    def __sub__(self, other: PauliSum) -> PauliSum:
        return self + (-other)

    def __mul__(self, other: Coefficient | PauliSum) -> PauliSum:
        if isinstance(other, PauliSum):
            return self @ other
        return PauliSum({k: v * other for k, v in self.terms.items()}, self.n_qubits)

    __rmul__ = __mul__

    def __matmul__(self, other: PauliSum) -> PauliSum:
        """Operator product."""
        _check_same_size(self.n_qubits, other.n_qubits)
        out: dict[str, complex] = {}
        for ka, va in self.terms.items():
            for kb, vb in other.terms.items():
                ph, c = PauliString(ka) * PauliString(kb)
                out[c.label] = out.get(c.label, 0) + ph * va * vb
        return PauliSum(out, self.n_qubits).simplify(atol=0.0)  # exact zeros only

    def commutator(self, other: PauliSum) -> PauliSum:
        """``[self, other] = self·other − other·self``."""
        return (self @ other - other @ self).simplify(atol=0.0)

    def allclose(self, other: PauliSum, atol: float = 1e-12) -> bool:
        return (self - other).is_zero(atol)

    def matrix(self) -> np.ndarray:
        """Dense complex128 ``(2**n, 2**n)`` matrix (small n only)."""
        out = np.zeros((2**self.n_qubits,) * 2, dtype=np.complex128)
        for k, v in self.terms.items():
            out += v * PauliString(k).matrix()
        return out

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterable[tuple[str, complex]]:
        return iter(self.terms.items())

    def __str__(self) -> str:
        if not self.terms:
            return "0*" + "I" * self.n_qubits
        parts = []
        for i, (k, v) in enumerate(self.terms.items()):
            if abs(v.imag) > 0:
                coef, sign = f"({repr(v).strip('()')})", "+"  # always parenthesized
            else:
                sign, coef = ("-" if v.real < 0 else "+"), repr(abs(v.real))
            parts.append(
                f"{'-' if sign == '-' else ''}{coef}*{k}" if i == 0 else f" {sign} {coef}*{k}"
            )
        return "".join(parts)

    def __repr__(self) -> str:
        return f"PauliSum({str(self)!r})"


def _split_terms(text: str) -> list[str]:
    """Split at top-level '+'/'-' (not inside parentheses, not an exponent sign)."""
    chunks, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch in "+-" and depth == 0 and i > start and text[i - 1] not in "eE":
            chunks.append(text[start:i])
            start = i
    chunks.append(text[start:])
    return chunks


def _parse(text: str) -> dict[str, complex]:
    out: dict[str, complex] = {}
    for chunk in _split_terms(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        sign = -1 if chunk.startswith("-") else 1
        chunk = chunk.lstrip("+-").strip()
        coef_txt, _, label = chunk.rpartition("*")
        label = label.strip()
        try:
            coef = complex(coef_txt.strip().replace(" ", "")) if coef_txt else 1.0
        except ValueError:
            raise ValueError(
                f"cannot read coefficient {coef_txt!r} in {text!r}; write terms as '0.5*XZ' or '(1+2j)*XZ'."
            ) from None
        out[validate_label(label)] = out.get(label, 0) + sign * coef
    if not out:
        raise ValueError(f"no Pauli terms in {text!r}; write e.g. '0.5*ZZ + 0.5*XX'.")
    return out
