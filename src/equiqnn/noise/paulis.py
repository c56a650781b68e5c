"""Pauli matrices and Pauli strings on one or two qubits.

A Pauli string is a ``str`` of letters from ``"IXYZ"``, one per qubit, qubit 0 first; its matrix is
the Kronecker product in that order (qubit 0 is the most significant bit of a basis index), so
``pauli_matrix("XZ") == np.kron(X, Z)``.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["PAULI_LETTERS", "pauli_matrix", "pauli_labels", "check_pauli_string"]

PAULI_LETTERS = "IXYZ"

_SINGLE = {
    "I": np.eye(2, dtype=np.complex128),
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}


def check_pauli_string(letters: object, name: str = "pauli", n_qubits: int | None = None) -> str:
    """Return ``letters`` after checking it is a non-empty string over ``"IXYZ"``.

    If ``n_qubits`` is given the length must equal it.

    >>> check_pauli_string("XZ", n_qubits=2)
    'XZ'
    """
    if not isinstance(letters, str):
        raise TypeError(
            f"{name} must be a Pauli string such as 'X' or 'ZZ'; got {type(letters).__name__}."
        )
    bad = sorted({c for c in letters if c not in PAULI_LETTERS})
    if not letters or bad:
        raise ValueError(
            f"{name} must be a non-empty string of the letters I, X, Y, Z (upper case), one per "
            f"qubit; got {letters!r}."
        )
    if n_qubits is not None and len(letters) != n_qubits:
        raise ValueError(
            f"{name} must have one letter per qubit ({n_qubits}); got {letters!r} "
            f"({len(letters)} letters)."
        )
    return letters


def pauli_matrix(letters: str) -> np.ndarray:
    """Matrix of a Pauli string: complex128 ``(2**k, 2**k)``, qubit 0 the leftmost factor.

    >>> pauli_matrix("Y").tolist()
    [[0j, -1j], [1j, 0j]]
    """
    check_pauli_string(letters)
    out: np.ndarray = np.ones((1, 1), dtype=np.complex128)
    for c in letters:
        out = np.kron(out, _SINGLE[c])
    return out


def pauli_labels(n_qubits: int) -> tuple[str, ...]:
    """All ``4**n_qubits`` Pauli strings in lexicographic ``IXYZ`` order, identity first.

    >>> pauli_labels(1)
    ('I', 'X', 'Y', 'Z')
    """
    return tuple("".join(t) for t in itertools.product(PAULI_LETTERS, repeat=n_qubits))
