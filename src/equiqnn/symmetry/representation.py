"""Qubit representations of a group: ``R(g) = P_σ(g) · S(g)``.

``S(g)`` is a local Pauli string (applied first), ``P_σ`` the qubit permutation moving the state of
qubit ``i`` to qubit ``σ[i]`` (so ``P_σ Q_i P_σ† = Q_σ[i]``). Basis index convention: qubit 0 is the
most significant bit. Representations come from encodings, which derive them from the group's action
on data; a representation is a homomorphism up to a global phase.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from equiqnn.groups import PermutationGroup, validate_permutation
from equiqnn.symmetry.pauli import PauliString, PauliSum, validate_label

__all__ = ["Representation"]


class Representation:
    """``R(g)`` for every element ``g`` of ``group``, as a qubit permutation times a Pauli string.

    Args:
        group: the group acting on data.
        qubit_perms: ``(order, n_qubits)`` int array; row ``g`` is ``σ(g)``.
        paulis: ``order`` labels of length ``n_qubits`` (``"II..."`` where there is no Pauli part).
        label: short description shown in the repr, e.g. ``"X-strings and register swap"``.
    """

    def __init__(
        self,
        group: PermutationGroup,
        qubit_perms: np.ndarray | Sequence[Sequence[int]],
        paulis: Sequence[str],
        *,
        label: str = "",
    ) -> None:
        perms = np.asarray(qubit_perms, dtype=np.int64)
        if perms.ndim != 2 or perms.shape[0] != group.order or len(paulis) != group.order:
            raise ValueError(
                f"need one qubit permutation and one Pauli string per element of {group!r} "
                f"({group.order}); got {perms.shape[0] if perms.ndim == 2 else perms.shape} and "
                f"{len(paulis)}."
            )
        self.group = group
        self.n_qubits = int(perms.shape[1])
        self.qubit_perms = np.stack(
            [validate_permutation(p, self.n_qubits, "qubit perm") for p in perms]
        )
        for p in paulis:
            if len(validate_label(p)) != self.n_qubits:
                raise ValueError(f"Pauli part {p!r} must have {self.n_qubits} letters.")
        self.paulis = list(paulis)
        self.label = label or self._describe()

    def _describe(self) -> str:
        parts = []
        if np.any(self.qubit_perms != np.arange(self.n_qubits)):
            parts.append("qubit permutations")
        letters = sorted({c for p in self.paulis for c in p} - {"I"})
        if letters:
            parts.append("/".join(letters) + "-strings")
        return " x ".join(parts) or "trivial"

    @property
    def order(self) -> int:
        return self.group.order

    def conjugate(self, g: int | str, label: str) -> tuple[int, str]:
        """``R(g) P R(g)† = sign · P'`` for a Pauli label ``P``; returns ``(sign, P')``."""
        i = self.group.index(g)
        s = PauliString(self.paulis[i])
        p = PauliString(validate_label(label))
        sign = 1 if s.commutes(p) else -1
        out = ["I"] * self.n_qubits
        for q, ch in enumerate(p.label):
            out[self.qubit_perms[i][q]] = ch
        return sign, "".join(out)

    def conjugate_sum(self, g: int | str, op: PauliSum) -> PauliSum:
        """``R(g) op R(g)†`` on a Pauli sum, without matrices."""
        out: dict[str, complex] = {}
        for k, v in op.terms.items():
            sign, k2 = self.conjugate(g, k)
            out[k2] = out.get(k2, 0) + sign * v
        return PauliSum(out, self.n_qubits)

    def basis_action(self, g: int | str) -> tuple[np.ndarray, np.ndarray]:
        """``R(g)`` as a monomial matrix: ``(R ψ)[j] = phase[j] · ψ[src[j]]`` for states ``ψ``.

        Returns ``src`` (int64, ``2**n``) and ``phase`` (complex128, ``2**n``).
        """
        i = self.group.index(g)
        n = self.n_qubits
        if n > 26:
            raise ValueError(f"basis_action builds 2**n index arrays; {n} qubits is too many.")
        idx = np.arange(2**n, dtype=np.int64)
        s = PauliString(self.paulis[i])
        # S|k> = i^{nY} (-1)^{popcount(k & z)} |k ^ x>
        n_y = s.label.count("Y")
        parity = _popcount(idx & s.z_mask) & 1
        s_phase = (1j**n_y) * (1 - 2 * parity)
        s_target = idx ^ s.x_mask
        # P_σ: bit i (position n-1-i) of k moves to bit σ[i]
        bits = (s_target[:, None] >> (n - 1 - np.arange(n))) & 1
        perm_target = np.zeros_like(idx)
        for q in range(n):
            perm_target |= bits[:, q] << (n - 1 - self.qubit_perms[i][q])
        src = np.empty_like(idx)
        src[perm_target] = idx
        phase = np.empty(2**n, dtype=np.complex128)
        phase[perm_target] = s_phase
        return src, phase

    def apply(self, g: int | str, psi: np.ndarray) -> np.ndarray:
        """``R(g) ψ`` for states ``(..., 2**n)``."""
        src, phase = self.basis_action(g)
        return psi[..., src] * phase

    def matrix(self, g: int | str) -> np.ndarray:
        """Dense complex128 ``(2**n, 2**n)`` matrix of ``R(g)`` (small n)."""
        if self.n_qubits > 12:
            raise ValueError(f"matrix() is for small systems; got {self.n_qubits} qubits (max 12).")
        src, phase = self.basis_action(g)
        m = np.zeros((2**self.n_qubits,) * 2, dtype=np.complex128)
        m[np.arange(src.size), src] = phase
        return m

    def __repr__(self) -> str:
        return f"Representation({self.group.name} -> {self.n_qubits} qubits: {self.label})"


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a.astype(np.uint64)).astype(np.int64)
