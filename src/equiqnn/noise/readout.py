"""Readout (measurement) errors as per-qubit 2×2 confusion matrices.

Convention: ``p01`` is the probability that a qubit in ``|0⟩`` is read as 1, ``p10`` that a qubit
in ``|1⟩`` is read as 0. The confusion matrix is column stochastic, ``M[read, true]``::

    M = [[1 - p01, p10    ],
         [p01,     1 - p10]]

so read-out probabilities are ``M @ p_true`` and, with ``⟨Z⟩ = P(0) - P(1)``,
``⟨Z⟩' = (1 - p01 - p10) ⟨Z⟩ + (p10 - p01)``. Qubits act independently; on ``n`` qubits the
full matrix is ``M_0 ⊗ M_1 ⊗ ... ⊗ M_{n-1}`` (qubit 0 the most significant bit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from equiqnn.noise._validate import probability, qubit_index
from equiqnn.symmetry import PauliSum

__all__ = ["ReadoutError", "readout_error"]

Values = TypeVar("Values", np.ndarray, torch.Tensor)
_COL_ATOL = 1e-12


def _pair_from_matrix(matrix: Any, name: str) -> tuple[float, float]:
    m = np.asarray(matrix)
    if m.shape != (2, 2) or not np.issubdtype(m.dtype, np.number) or np.iscomplexobj(m):
        raise ValueError(f"{name} must be a real (2, 2) confusion matrix; got shape {m.shape}.")
    m = m.astype(np.float64)
    cols = m.sum(axis=0)
    if not np.all(np.isfinite(m)) or np.any(m < 0) or np.any(np.abs(cols - 1) > _COL_ATOL):
        raise ValueError(
            f"{name} must be column stochastic (entries in [0, 1], each column M[:, true] summing "
            f"to 1); got {m.tolist()}. Use readout_error(p01, p10) to build one."
        )
    return float(m[1, 0]), float(m[0, 1])


def _matrix(p01: float, p10: float) -> np.ndarray:
    return np.array([[1.0 - p01, p10], [p01, 1.0 - p10]])


class ReadoutError:
    """Independent per-qubit readout errors (see the module docstring for the convention).

    Args:
        confusion: the ``(2, 2)`` column-stochastic matrix used on every qubit.
        per_qubit: optional ``{qubit: (2, 2) matrix}`` overrides.

    >>> readout_error(0.02, 0.05)
    readout_error(p01=0.02, p10=0.05)
    """

    __slots__ = ("_default", "_overrides")
    _default: tuple[float, float]
    _overrides: dict[int, tuple[float, float]]

    def __init__(self, confusion: Any, *, per_qubit: Mapping[int, Any] | None = None) -> None:
        if per_qubit is not None and not isinstance(per_qubit, Mapping):
            raise TypeError(
                f"per_qubit must be a mapping {{qubit: (2, 2) matrix}}; got "
                f"{type(per_qubit).__name__}. Use ReadoutError.from_matrices for a list."
            )
        object.__setattr__(self, "_default", _pair_from_matrix(confusion, "confusion"))
        overrides = {
            qubit_index(q, "per_qubit key"): _pair_from_matrix(m, f"per_qubit[{q}]")
            for q, m in (per_qubit or {}).items()
        }
        object.__setattr__(self, "_overrides", overrides)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(f"ReadoutError is immutable; cannot set {key!r}.")

    def __reduce__(self) -> tuple[Any, ...]:
        per_qubit = {q: _matrix(*pair) for q, pair in self._overrides.items()}
        return (_restore, (_matrix(*self._default), per_qubit))

    @classmethod
    def from_matrices(cls, matrices: Sequence[Any]) -> ReadoutError:
        """One confusion matrix per qubit ``0 .. len(matrices)-1``; other qubits are error-free."""
        return cls(np.eye(2), per_qubit=dict(enumerate(matrices)))

    def probs_for(self, qubit: int) -> tuple[float, float]:
        """``(p01, p10)`` on ``qubit``."""
        return self._overrides.get(qubit_index(qubit, "qubit"), self._default)

    def matrix_for(self, qubit: int) -> np.ndarray:
        """The float64 ``(2, 2)`` confusion matrix ``M[read, true]`` on ``qubit``."""
        return _matrix(*self.probs_for(qubit))

    def transform_observable(self, op: PauliSum) -> PauliSum:
        """The observable whose exact expectation is what this readout reports for ``op``.

        Each qubit of a Pauli string is measured in its own basis and its ±1 outcome ``m`` read as
        ``m'`` with ``E[m'|m] = a·m + b``, ``a = 1 − p01 − p10``, ``b = p10 − p01``; independent
        qubits give ``P_S → Σ_{T⊆S} Π_{q∈T} a_q Π_{q∈S∖T} b_q · P_T`` (``2^|S|`` terms per string).

        >>> readout_error(0.1, 0.1).transform_observable(PauliSum("ZI"))
        PauliSum('0.8*ZI')
        """
        out: dict[str, complex] = {}
        for label, c in op.terms.items():
            support = [q for q, ch in enumerate(label) if ch != "I"]
            for mask in range(2 ** len(support)):
                coef = complex(c)
                kept = list(label)
                for k, q in enumerate(support):
                    p01, p10 = self.probs_for(q)
                    if mask >> k & 1:
                        coef *= 1 - p01 - p10
                    else:
                        coef *= p10 - p01
                        kept[q] = "I"
                if coef != 0:
                    key = "".join(kept)
                    out[key] = out.get(key, 0) + coef
        return PauliSum(out, op.n_qubits)

    def full_matrix(self, n_qubits: int) -> np.ndarray:
        """float64 ``(2**n, 2**n)`` matrix ``M_0 ⊗ ... ⊗ M_{n-1}`` (small ``n`` only)."""
        out = np.ones((1, 1))
        for q in range(n_qubits):
            out = np.kron(out, self.matrix_for(q))
        return out

    def validate(self, n_qubits: int) -> None:
        """Raise ``ValueError`` if an override names a qubit outside ``range(n_qubits)``."""
        bad = sorted(q for q in self._overrides if q >= n_qubits)
        if bad:
            raise ValueError(
                f"readout per_qubit names qubits {bad}, but the circuit has {n_qubits} qubits "
                f"(indices 0..{n_qubits - 1}). Remove those entries."
            )

    def apply_to_probabilities(self, probs: Values, n_qubits: int) -> Values:
        """Read-out distribution from true basis probabilities.

        Args:
            probs: ``(B, 2**n)`` or ``(2**n,)`` numpy array or torch tensor (real), index = basis
                state with qubit 0 the most significant bit.
            n_qubits: ``n``.

        Returns the same shape, type and dtype; differentiable through torch inputs.
        """
        self.validate(n_qubits)
        if probs.shape[-1] != 2**n_qubits or probs.ndim not in (1, 2):
            raise ValueError(
                f"probs must have shape (B, 2**n_qubits) or (2**n_qubits,) = (..., {2**n_qubits}); "
                f"got {tuple(probs.shape)}."
            )
        x = probs.reshape(-1, 2**n_qubits)
        for q in range(n_qubits):
            if q in self._overrides or self._default != (0.0, 0.0):
                m = self.matrix_for(q)
                if isinstance(x, torch.Tensor):
                    mt = torch.as_tensor(m, dtype=x.dtype, device=x.device)
                    y = x.reshape(x.shape[0], 2**q, 2, -1)
                    x = torch.einsum("ij,bljr->blir", mt, y).reshape(x.shape)
                else:
                    y = x.reshape(x.shape[0], 2**q, 2, -1)
                    x = np.einsum("ij,bljr->blir", m.astype(x.dtype), y).reshape(x.shape)
        return x.reshape(probs.shape)

    def apply_to_z_expectation(self, z: Values, qubits: Sequence[int] | None = None) -> Values:
        """Read-out ``⟨Z_q⟩' = (1 - p01 - p10) ⟨Z_q⟩ + (p10 - p01)`` per qubit.

        Args:
            z: ``(..., m)`` numpy array or torch tensor of true ``⟨Z⟩`` values, last axis = qubit.
            qubits: which qubit each of the ``m`` columns is (default ``0 .. m-1``).

        Returns the same shape, type and dtype; differentiable through torch inputs.
        """
        m = z.shape[-1]
        cols = list(range(m)) if qubits is None else [qubit_index(q, "qubit") for q in qubits]
        if len(cols) != m:
            raise ValueError(
                f"qubits must name one qubit per column of z; got {len(cols)} qubits for "
                f"{m} columns."
            )
        pairs = np.array([self.probs_for(q) for q in cols]).reshape(m, 2)
        scale, shift = 1.0 - pairs[:, 0] - pairs[:, 1], pairs[:, 1] - pairs[:, 0]
        if isinstance(z, torch.Tensor):
            return z * torch.as_tensor(scale, dtype=z.dtype, device=z.device) + torch.as_tensor(
                shift, dtype=z.dtype, device=z.device
            )
        out = np.asarray(z * scale + shift)
        return out.astype(z.dtype, copy=False) if np.issubdtype(z.dtype, np.floating) else out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReadoutError):
            return NotImplemented
        return (self._default, self._overrides) == (other._default, other._overrides)

    def __hash__(self) -> int:
        return hash((self._default, tuple(sorted(self._overrides.items()))))

    def __repr__(self) -> str:
        p01, p10 = self._default
        out = f"readout_error(p01={p01!r}, p10={p10!r}"
        if self._overrides:
            items = ", ".join(
                f"{q}: ({a!r}, {b!r})" for q, (a, b) in sorted(self._overrides.items())
            )
            out += f", per_qubit={{{items}}}"
        return out + ")"


def _restore(confusion: np.ndarray, per_qubit: dict[int, np.ndarray]) -> ReadoutError:
    return ReadoutError(confusion, per_qubit=per_qubit)


def readout_error(
    p01: float, p10: float, *, per_qubit: Mapping[int, tuple[float, float]] | None = None
) -> ReadoutError:
    """Readout error with ``P(read 1 | 0) = p01`` and ``P(read 0 | 1) = p10`` on every qubit.

    ``per_qubit`` maps a qubit index to its own ``(p01, p10)``. Each value must be in ``[0, 1]``.
    """
    p01, p10 = probability(p01, "p01"), probability(p10, "p10")
    overrides = {}
    for q, pair in (per_qubit or {}).items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"per_qubit[{q!r}] must be a pair (p01, p10); got {pair!r}.")
        a, b = (
            probability(pair[0], f"per_qubit[{q!r}] p01"),
            probability(pair[1], f"per_qubit[{q!r}] p10"),
        )
        overrides[q] = _matrix(a, b)
    return ReadoutError(_matrix(p01, p10), per_qubit=overrides)
