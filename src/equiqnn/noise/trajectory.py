"""``TrajectoryOps``: how to unravel a channel into Monte-Carlo trajectories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from equiqnn.noise.paulis import pauli_matrix

__all__ = ["TrajectoryOps", "trajectory_ops_from"]

_DROP = 1e-15
_ATOL = 1e-10


@dataclass(frozen=True, eq=False)
class TrajectoryOps:
    """What a Monte-Carlo trajectory engine needs to unravel a channel.

    Attributes:
        kraus: the Kraus operators (complex128 ``(2**n, 2**n)``). For a state-dependent channel the
            engine picks ``K_k`` with probability ``‖K_k ψ‖²`` and renormalises ``K_k ψ``.
        state_independent: True when every ``K_k`` is ``√p_k U_k`` with ``U_k`` unitary, so the
            branch can be drawn before looking at the state.
        probs: float64 ``(m,)`` branch probabilities summing to 1 (state independent), else None.
        unitaries: the ``m`` unitaries ``U_k`` matching ``probs``, else None.
        paulis: Pauli strings naming ``unitaries`` when the channel is a Pauli mixture, else None.
    """

    kraus: tuple[np.ndarray, ...]
    state_independent: bool
    probs: np.ndarray | None = None
    unitaries: tuple[np.ndarray, ...] | None = None
    paulis: tuple[str, ...] | None = None

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draw int64 branch indices into ``unitaries`` (state-independent channels only)."""
        if self.probs is None:
            raise ValueError(
                "sample() needs a state-independent channel (a mixture of unitaries); this one is "
                "state dependent. Pick Kraus operator k with probability ‖K_k ψ‖² instead."
            )
        return rng.choice(len(self.probs), size=size, p=self.probs).astype(np.int64)


def trajectory_ops_from(
    kraus: tuple[np.ndarray, ...], pauli_probs: Mapping[str, float] | None
) -> TrajectoryOps:
    """``TrajectoryOps`` for Kraus operators; pass ``pauli_probs`` when they form a Pauli mixture.

    Branches with probability <= 1e-15 are dropped and the rest renormalised to sum to 1.
    """
    if pauli_probs is not None:
        items = [(s, p) for s, p in pauli_probs.items() if p > _DROP]
        probs = np.array([p for _, p in items])
        return TrajectoryOps(
            kraus=kraus,
            state_independent=True,
            probs=probs / probs.sum(),
            unitaries=tuple(pauli_matrix(s) for s, _ in items),
            paulis=tuple(s for s, _ in items),
        )
    d = kraus[0].shape[0]
    weights, unitaries = [], []
    for k in kraus:
        gram = k.conj().T @ k
        w = float(np.real(np.trace(gram))) / d
        if w <= _DROP:
            continue
        if np.max(np.abs(gram - w * np.eye(d))) > _ATOL:
            return TrajectoryOps(kraus=kraus, state_independent=False)
        weights.append(w)
        unitaries.append(k / np.sqrt(w))
    probs = np.array(weights)
    return TrajectoryOps(
        kraus=kraus,
        state_independent=True,
        probs=probs / probs.sum(),
        unitaries=tuple(unitaries),
    )
