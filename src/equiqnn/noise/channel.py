"""``Channel``: an immutable quantum channel on one or two qubits, given by Kraus operators.

Conventions (the only place they are defined for ``equiqnn.noise``):

* Kraus operators ``K_k`` act as ``ρ → Σ_k K_k ρ K_k†``; each is a read-only complex128 array of
  shape ``(2**n, 2**n)`` with ``n = n_qubits`` (1 or 2), and qubit 0 of the channel is the most
  significant bit of the matrix index.
* Row-major vectorisation: ``vec(ρ)[i·d + j] = ρ[i, j]`` (``ρ.reshape(-1)`` in numpy), so
  ``vec(A ρ B) = (A ⊗ Bᵀ) vec(ρ)`` and the superoperator is ``S = Σ_k K_k ⊗ conj(K_k)``,
  a ``(d², d²)`` matrix with ``vec(E(ρ)) = S vec(ρ)``.
* Choi matrix (unnormalised, input factor first): ``J = Σ_ij |i⟩⟨j| ⊗ E(|i⟩⟨j|)``, shape
  ``(d², d²)``, trace ``d``. ``E`` is completely positive iff ``J ⪰ 0`` and trace preserving iff
  the partial trace over the output factor is the identity.
* Pauli strings are read as in ``equiqnn.noise.paulis`` (one letter per qubit, qubit 0 first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from equiqnn.noise.paulis import check_pauli_string, pauli_labels, pauli_matrix
from equiqnn.noise.trajectory import TrajectoryOps, trajectory_ops_from

__all__ = ["Channel", "superoperator_of"]

ParamValue = float | str
_TP_ATOL = 1e-10


def _fmt(value: ParamValue) -> str:
    return repr(value) if isinstance(value, str) else repr(float(value))


def _as_kraus(kraus: Sequence[Any]) -> tuple[np.ndarray, ...]:
    if isinstance(kraus, np.ndarray) and kraus.ndim == 2:
        kraus = [kraus]
    if len(kraus) == 0:
        raise ValueError("kraus must hold at least one operator; got an empty sequence.")
    ops: list[np.ndarray] = []
    for i, k in enumerate(kraus):
        arr = np.array(k, dtype=np.complex128)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] not in (2, 4):
            raise ValueError(
                f"kraus[{i}] must be a (2, 2) or (4, 4) matrix (one or two qubits); got shape "
                f"{arr.shape}."
            )
        if ops and arr.shape != ops[0].shape:
            raise ValueError(
                f"all Kraus operators must have the same shape; kraus[0] is {ops[0].shape} and "
                f"kraus[{i}] is {arr.shape}."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"kraus[{i}] must be finite; it contains NaN or inf.")
        arr.setflags(write=False)
        ops.append(arr)
    return tuple(ops)


def superoperator_of(kraus: Sequence[np.ndarray]) -> np.ndarray:
    """``Σ_k K_k ⊗ conj(K_k)``: complex128 ``(d², d²)`` superoperator for row-major ``vec``."""
    ks = np.asarray(kraus, dtype=np.complex128)
    d = ks.shape[-1]
    return np.einsum("kab,kcd->acbd", ks, ks.conj()).reshape(d * d, d * d)


class Channel:
    """An immutable one- or two-qubit quantum channel (see the module docstring for conventions).

    Build channels with the factories (``depolarizing(0.01)``, ``amplitude_damping(0.05)``, ...)
    or ``Channel.from_kraus`` for your own Kraus operators. The constructor is for factories:

    Args:
        name: family name (the factory's name, shown in the repr).
        params: the factory's arguments, shown in the repr and compared by ``==``.
        kraus: ``(2, 2)`` or ``(4, 4)`` operators with ``Σ K†K = I`` to 1e-10 (else ValueError).
        strength: the current value of the strength parameter.
        rebuild: picklable ``(params, strength) -> Channel`` used by ``with_strength``.

    Channels with a ``rebuild`` compare equal when name and params are equal; ``from_kraus``
    channels compare their Kraus operators as well.

    >>> from equiqnn.noise import amplitude_damping
    >>> amplitude_damping(0.05)
    amplitude_damping(gamma=0.05)
    """

    __slots__ = ("_name", "_params", "_kraus", "_strength", "_rebuild", "_cache")
    _name: str
    _params: dict[str, ParamValue]
    _kraus: tuple[np.ndarray, ...]
    _strength: float | None
    _rebuild: Callable[[dict[str, ParamValue], float], Channel] | None
    _cache: dict[str, Any]

    def __init__(
        self,
        name: str,
        params: Mapping[str, ParamValue],
        kraus: Sequence[Any],
        *,
        strength: float | None = None,
        rebuild: Callable[[dict[str, ParamValue], float], Channel] | None = None,
    ) -> None:
        ops = _as_kraus(kraus)
        d = ops[0].shape[0]
        gram = np.einsum("kji,kjl->il", np.conj(ops), np.stack(ops))
        dev = float(np.max(np.abs(gram - np.eye(d))))
        if dev > _TP_ATOL:
            raise ValueError(
                f"Kraus operators must satisfy Σ K†K = I (trace preserving); got a deviation of "
                f"{dev:.3g}. Rescale or complete the set of operators."
            )
        set_ = object.__setattr__
        set_(self, "_name", str(name))
        set_(self, "_params", dict(params))
        set_(self, "_kraus", ops)
        set_(self, "_strength", None if strength is None else float(strength))
        set_(self, "_rebuild", rebuild)
        set_(self, "_cache", {})

    @classmethod
    def from_kraus(cls, kraus: Sequence[Any], name: str = "kraus") -> Channel:
        """A channel from your own ``(2, 2)`` or ``(4, 4)`` Kraus operators (Σ K†K = I to 1e-10)."""
        return cls(name, {}, kraus)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(
            f"Channel is immutable; cannot set {key!r}. Use with_strength(...) or a factory."
        )

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"Channel is immutable; cannot delete {key!r}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._name, self._params, self._kraus, self._strength, self._rebuild))

    # --- description -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Family name, e.g. ``"amplitude_damping"``."""
        return self._name

    @property
    def params(self) -> dict[str, ParamValue]:
        """A copy of the parameters, e.g. ``{"gamma": 0.05}`` (floats; ``axis`` is a str)."""
        return dict(self._params)

    @property
    def n_qubits(self) -> int:
        """Number of qubits the channel acts on: 1 or 2."""
        return 1 if self._kraus[0].shape[0] == 2 else 2

    @property
    def kraus(self) -> tuple[np.ndarray, ...]:
        """Read-only complex128 ``(2**n_qubits, 2**n_qubits)`` Kraus operators."""
        return self._kraus

    @property
    def strength(self) -> float | None:
        """The value ``with_strength`` replaces (None for ``from_kraus`` channels)."""
        return self._strength

    def __repr__(self) -> str:
        if self._rebuild is None and not self._params:
            return (
                f"Channel.from_kraus(<{len(self._kraus)} Kraus ops on {self.n_qubits} "
                f"qubit{'s' if self.n_qubits > 1 else ''}>, name={self._name!r})"
            )
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self._params.items())
        return f"{self._name}({args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Channel):
            return NotImplemented
        if self._name != other._name or self._params != other._params:
            return False
        if self.n_qubits != other.n_qubits:
            return False
        if self._rebuild is not None and other._rebuild is not None:
            return True
        return len(self._kraus) == len(other._kraus) and all(
            np.array_equal(a, b) for a, b in zip(self._kraus, other._kraus, strict=True)
        )

    def __hash__(self) -> int:
        return hash((self._name, tuple(sorted(self._params.items())), self.n_qubits))

    def with_strength(self, strength: float) -> Channel:
        """The same family at another strength (validated by the family's factory).

        The strength is the factory's main parameter: ``p`` for depolarizing / flips, ``gamma`` for
        (generalized) amplitude damping, ``lam`` for phase damping, ``gate_time`` for thermal
        relaxation, ``epsilon`` for over-rotation, and ``px + py + pz`` (ratios kept) for
        ``pauli_channel``.
        """
        if self._rebuild is None:
            raise ValueError(
                f"{self!r} has no strength parameter (it was built from Kraus operators); build "
                "the channel at the new strength yourself, or use a factory such as depolarizing."
            )
        return self._rebuild(dict(self._params), strength)

    # --- linear-algebra views ----------------------------------------------------------------
    def _cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            value = fn()
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            self._cache[key] = value
        return self._cache[key]

    def superoperator(self) -> np.ndarray:
        """Read-only complex128 ``(4**n, 4**n)`` ``S = Σ K ⊗ conj(K)`` (row-major ``vec``)."""
        return self._cached("S", lambda: superoperator_of(self._kraus))

    def choi(self) -> np.ndarray:
        """Read-only complex128 ``(4**n, 4**n)`` Choi matrix ``Σ_ij |i⟩⟨j| ⊗ E(|i⟩⟨j|)``."""

        def build() -> np.ndarray:
            d = self._kraus[0].shape[0]
            ks = np.stack(self._kraus)
            j = np.einsum("kai,kbj->iajb", ks, ks.conj())
            return np.ascontiguousarray(j.reshape(d * d, d * d))

        return self._cached("J", build)

    def pauli_chi(self) -> np.ndarray:
        """Read-only complex128 ``(4**n, 4**n)`` process matrix in the Pauli basis.

        ``E(ρ) = Σ_ab χ_ab P_a ρ P_b`` with ``P_a`` ordered as ``pauli_labels(n_qubits)``.
        """

        def build() -> np.ndarray:
            d = self._kraus[0].shape[0]
            basis = np.stack([pauli_matrix(s) for s in pauli_labels(self.n_qubits)])
            coeff = np.einsum("aij,kij->ka", basis.conj(), np.stack(self._kraus)) / d
            return np.einsum("ka,kb->ab", coeff, coeff.conj())

        return self._cached("chi", build)

    # --- properties --------------------------------------------------------------------------
    def is_cptp(self, atol: float = 1e-12) -> bool:
        """Whether Σ K†K = I and the Choi matrix is Hermitian PSD, each to ``atol``."""
        d = self._kraus[0].shape[0]
        gram = np.einsum("kji,kjl->il", np.conj(self._kraus), np.stack(self._kraus))
        if np.max(np.abs(gram - np.eye(d))) > atol:
            return False
        j = self.choi()
        if np.max(np.abs(j - j.conj().T)) > atol:
            return False
        return bool(np.min(np.linalg.eigvalsh(j)) >= -atol)

    @property
    def is_unital(self) -> bool:
        """Whether ``E(I) = I`` (Σ K K† = I to 1e-10)."""
        d = self._kraus[0].shape[0]
        total = np.einsum("kij,klj->il", np.stack(self._kraus), np.conj(self._kraus))
        return bool(np.max(np.abs(total - np.eye(d))) <= _TP_ATOL)

    @property
    def is_pauli(self) -> bool:
        """Whether the channel is a mixture of Pauli unitaries (Pauli χ diagonal to 1e-10)."""
        chi = self.pauli_chi()
        return bool(np.max(np.abs(chi - np.diag(np.diag(chi)))) <= _TP_ATOL)

    @property
    def pauli_probs(self) -> dict[str, float]:
        """``{pauli string: probability}`` over all ``4**n`` strings (Pauli channels only)."""
        if not self.is_pauli:
            raise ValueError(
                f"pauli_probs is defined only for Pauli channels (is_pauli True); {self!r} is not "
                "a mixture of Pauli unitaries. Use kraus or trajectory_ops() instead."
            )
        probs = np.clip(np.real(np.diag(self.pauli_chi())), 0.0, 1.0)
        return {s: float(p) for s, p in zip(pauli_labels(self.n_qubits), probs, strict=True)}

    def commutes_with(self, pauli_letters: str, atol: float = 1e-10) -> bool:
        """Whether ``E(PρP) = P E(ρ) P`` for all ρ, with ``P`` the given Pauli string.

        Checked numerically on the superoperators: ``S_E S_P = S_P S_E`` to ``atol``.
        """
        check_pauli_string(pauli_letters, "pauli_letters", self.n_qubits)
        p = pauli_matrix(pauli_letters)
        sp = np.kron(p, p.conj())
        s = self.superoperator()
        return bool(np.max(np.abs(s @ sp - sp @ s)) <= atol)

    def trajectory_ops(self) -> TrajectoryOps:
        """Operators for Monte-Carlo trajectories (see ``TrajectoryOps``).

        Pauli channels give ``(probs, paulis)`` over the strings with non-zero probability; other
        mixtures of unitaries give ``(probs, unitaries)``; anything else only ``kraus``.
        """
        return trajectory_ops_from(self._kraus, self.pauli_probs if self.is_pauli else None)


def _restore(
    name: str,
    params: dict[str, ParamValue],
    kraus: tuple[np.ndarray, ...],
    strength: float | None,
    rebuild: Callable[[dict[str, ParamValue], float], Channel] | None,
) -> Channel:
    return Channel(name, params, kraus, strength=strength, rebuild=rebuild)
