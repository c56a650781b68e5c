"""Pauli channels: depolarizing (one and two qubits), bit flip, phase flip, general Pauli.

Each is ``ρ → Σ_P p_P · P ρ P`` over Pauli strings ``P`` with probabilities ``p_P`` summing to 1;
the Kraus operators are ``√p_P · P`` (identity first, then the other strings in ``IXYZ`` order),
with zero-probability terms kept so the operator count is fixed per family.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from equiqnn.noise._validate import probability
from equiqnn.noise.channel import Channel, ParamValue
from equiqnn.noise.paulis import pauli_labels, pauli_matrix

__all__ = ["depolarizing", "depolarizing2", "bit_flip", "phase_flip", "pauli_channel"]

_SUM_ATOL = 1e-12


def set_param(
    factory: Callable[..., Channel], key: str, params: dict[str, ParamValue], value: float
) -> Channel:
    """``factory(**params)`` with ``params[key]`` replaced: the usual ``with_strength``."""
    return factory(**{**params, key: value})


def _pauli_mixture(
    name: str,
    params: dict[str, ParamValue],
    probs: dict[str, float],
    strength: float,
    rebuild: Callable[[dict[str, ParamValue], float], Channel],
) -> Channel:
    n = len(next(iter(probs)))
    kraus = [np.sqrt(probs.get(s, 0.0)) * pauli_matrix(s) for s in pauli_labels(n)]
    return Channel(name, params, kraus, strength=strength, rebuild=rebuild)


def depolarizing(p: float) -> Channel:
    """Single-qubit depolarizing channel ``ρ → (1-p) ρ + p/3 (XρX + YρY + ZρZ)``.

    ``p`` in ``[0, 1]`` is the probability that one of X, Y, Z occurs. Equivalently
    ``ρ → (1 - 4p/3) ρ + (4p/3) I/2``, so ``p = 3/4`` is fully depolarizing (``ρ → I/2``) and
    ``p = 1`` is the largest CPTP value. Strength: ``p``.

    >>> depolarizing(0.01)
    depolarizing(p=0.01)
    """
    p = probability(p, "p")
    probs = {"I": 1.0 - p, "X": p / 3, "Y": p / 3, "Z": p / 3}
    return _pauli_mixture("depolarizing", {"p": p}, probs, p, partial(set_param, depolarizing, "p"))


def depolarizing2(p: float) -> Channel:
    """Two-qubit depolarizing channel ``ρ → (1-p) ρ + p/15 Σ_{P ≠ II} P ρ P``.

    The sum runs over the 15 non-identity two-qubit Pauli strings; ``p`` in ``[0, 1]``, and
    ``p = 15/16`` is fully depolarizing (``ρ → I/4``). Strength: ``p``.
    """
    p = probability(p, "p")
    probs = {s: (1.0 - p if s == "II" else p / 15) for s in pauli_labels(2)}
    return _pauli_mixture(
        "depolarizing2", {"p": p}, probs, p, partial(set_param, depolarizing2, "p")
    )


def bit_flip(p: float) -> Channel:
    """Bit flip ``ρ → (1-p) ρ + p XρX`` with ``p`` in ``[0, 1]``. Strength: ``p``."""
    p = probability(p, "p")
    return _pauli_mixture(
        "bit_flip", {"p": p}, {"I": 1.0 - p, "X": p}, p, partial(set_param, bit_flip, "p")
    )


def phase_flip(p: float) -> Channel:
    """Phase flip ``ρ → (1-p) ρ + p ZρZ`` with ``p`` in ``[0, 1]``. Strength: ``p``."""
    p = probability(p, "p")
    return _pauli_mixture(
        "phase_flip", {"p": p}, {"I": 1.0 - p, "Z": p}, p, partial(set_param, phase_flip, "p")
    )


def _rescale_pauli(params: dict[str, ParamValue], total: float) -> Channel:
    px, py, pz = (float(params[k]) for k in ("px", "py", "pz"))
    now = px + py + pz
    if now == 0.0:
        raise ValueError(
            "pauli_channel(px=0, py=0, pz=0) has no direction to rescale: with_strength keeps the "
            "ratios px:py:pz. Build pauli_channel(px, py, pz) at the new values directly."
        )
    scale = probability(total, "strength (px + py + pz)") / now
    return pauli_channel(px * scale, py * scale, pz * scale)


def pauli_channel(px: float, py: float, pz: float) -> Channel:
    """General single-qubit Pauli channel ``ρ → (1-px-py-pz) ρ + px XρX + py YρY + pz ZρZ``.

    Each probability must lie in ``[0, 1]`` and their sum must be ``<= 1`` (to 1e-12).
    Strength: ``px + py + pz`` (``with_strength`` keeps the ratios).
    """
    px, py, pz = probability(px, "px"), probability(py, "py"), probability(pz, "pz")
    total = px + py + pz
    if total > 1.0 + _SUM_ATOL:
        raise ValueError(
            f"px + py + pz must be <= 1 (the identity keeps probability 1 - px - py - pz); got "
            f"{px!r} + {py!r} + {pz!r} = {total!r}. Lower one of them."
        )
    probs = {"I": max(0.0, 1.0 - total), "X": px, "Y": py, "Z": pz}
    params: dict[str, ParamValue] = {"px": px, "py": py, "pz": pz}
    return _pauli_mixture("pauli_channel", params, probs, min(total, 1.0), _rescale_pauli)
