"""Coherent (unitary) errors: a systematic over-rotation about a Pauli axis."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from equiqnn.noise._validate import real_scalar
from equiqnn.noise.channel import Channel
from equiqnn.noise.pauli_channels import set_param
from equiqnn.noise.paulis import check_pauli_string, pauli_matrix

__all__ = ["over_rotation"]


def over_rotation(epsilon: float, axis: str = "X") -> Channel:
    """The unitary ``exp(-i ε P / 2) = cos(ε/2) I - i sin(ε/2) P`` as a one-Kraus channel.

    Args:
        epsilon: the extra rotation angle ``ε`` in radians (any finite real; may be negative).
        axis: the Pauli string ``P``: ``"X"``, ``"Y"``, ``"Z"`` for one qubit, or a two-letter
            string such as ``"ZZ"`` (qubit 0 first) for a two-qubit coherent error. Not all ``I``.

    The error is coherent: repeated ``k`` times it rotates by ``kε`` (errors add in amplitude),
    unlike a Pauli channel. Strength: ``epsilon``.

    >>> over_rotation(0.02, axis="Z")
    over_rotation(epsilon=0.02, axis='Z')
    """
    eps = real_scalar(epsilon, "epsilon")
    check_pauli_string(axis, "axis")
    if len(axis) > 2 or set(axis) == {"I"}:
        raise ValueError(
            f"axis must be a non-identity Pauli string on one or two qubits, e.g. 'X' or 'ZZ'; "
            f"got {axis!r}."
        )
    p = pauli_matrix(axis)
    u = math.cos(eps / 2) * np.eye(p.shape[0], dtype=np.complex128) - 1j * math.sin(eps / 2) * p
    return Channel(
        "over_rotation",
        {"epsilon": eps, "axis": axis},
        [u],
        strength=eps,
        rebuild=partial(set_param, over_rotation, "epsilon"),
    )
