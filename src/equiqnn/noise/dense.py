"""Applying a one- or two-qubit channel to batched dense density matrices (torch).

A density matrix on ``n`` qubits is indexed by basis states with qubit 0 the most significant bit.
The channel's superoperator (row-major ``vec``, see ``equiqnn.noise.channel``) is applied to the
``(row, column)`` indices of the target qubits, so the cost is ``O(B · 4**n · 4**k)`` for ``k``
target qubits, independent of the number of Kraus operators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from equiqnn.noise.channel import Channel, superoperator_of

__all__ = ["apply_channel_dense"]


def _superoperator(kraus: Channel | Sequence[Any], k: int) -> np.ndarray:
    if isinstance(kraus, Channel):
        if kraus.n_qubits != k:
            raise ValueError(
                f"{kraus!r} acts on {kraus.n_qubits} qubit(s) but qubits names {k}; pass one "
                "qubit index per channel qubit."
            )
        return kraus.superoperator()
    ops = [np.asarray(op, dtype=np.complex128) for op in kraus]
    d = 2**k
    if not ops or any(op.shape != (d, d) for op in ops):
        shapes = [op.shape for op in ops]
        raise ValueError(
            f"kraus must be a non-empty list of ({d}, {d}) matrices for {k} target qubit(s); got "
            f"shapes {shapes}."
        )
    return superoperator_of(ops)


def _check_qubits(qubits: Sequence[int], n_qubits: int) -> list[int]:
    qs = list(qubits)
    ok = all(isinstance(q, (int, np.integer)) and not isinstance(q, bool) for q in qs)
    if (
        not ok
        or len(qs) not in (1, 2)
        or len(set(qs)) != len(qs)
        or not all(0 <= q < n_qubits for q in qs)
    ):
        raise ValueError(
            f"qubits must be one or two distinct integer indices in range({n_qubits}); got {qs!r}."
        )
    return [int(q) for q in qs]


def _blocks(n: int, qubits: list[int]) -> tuple[list[int], dict[int, int]]:
    """Block sizes of one ``2**n`` index cut around ``qubits``, and each target's block axis."""
    dims: list[int] = []
    axis: dict[int, int] = {}
    prev = 0
    for q in sorted(qubits):
        if q > prev:
            dims.append(2 ** (q - prev))
        axis[q] = len(dims)
        dims.append(2)
        prev = q + 1
    if n > prev:
        dims.append(2 ** (n - prev))
    return dims, axis


def apply_channel_dense(
    rho: torch.Tensor,
    kraus: Channel | Sequence[Any],
    qubits: Sequence[int],
    n_qubits: int,
) -> torch.Tensor:
    """Return ``Σ_k K_k ρ K_k†`` with the channel embedded on ``qubits`` of an ``n``-qubit state.

    Args:
        rho: complex ``(B, 2**n, 2**n)`` (or unbatched ``(2**n, 2**n)``) torch tensor,
            complex64 or complex128, on any device. Gradients flow through ``rho``.
        kraus: a ``Channel`` or a sequence of ``(2**k, 2**k)`` Kraus matrices (constants).
        qubits: the ``k`` (1 or 2) distinct target qubits; ``qubits[0]`` is the channel's
            qubit 0 (the most significant bit of the Kraus matrix index).
        n_qubits: ``n``.

    Returns a new tensor with the shape, dtype and device of ``rho``.
    """
    if not isinstance(rho, torch.Tensor) or not rho.is_complex():
        raise TypeError(
            "rho must be a complex torch tensor (complex64 or complex128); got "
            f"{type(rho).__name__} {getattr(rho, 'dtype', '')}. Convert with "
            "rho.to(torch.complex128)."
        )
    qs = _check_qubits(qubits, n_qubits)
    k, n, d = len(qs), n_qubits, 2**n_qubits
    if rho.ndim not in (2, 3) or tuple(rho.shape[-2:]) != (d, d):
        raise ValueError(
            f"rho must have shape (B, {d}, {d}) or ({d}, {d}) for n_qubits={n}; got "
            f"{tuple(rho.shape)}."
        )
    sup_np = np.array(_superoperator(kraus, k), dtype=np.complex128)  # writable copy for torch
    sup = torch.from_numpy(sup_np).to(dtype=rho.dtype, device=rho.device)
    # View each index as (rest, 2, rest, ...) blocks around the targets, move the target
    # (row, column) axes to the front, and contract them with one (4**k, 4**k) GEMM.
    dims, axis = _blocks(n, qs)
    x = rho.reshape((-1, *dims, *dims))
    src = [1 + axis[q] for q in qs] + [1 + len(dims) + axis[q] for q in qs]
    dst = list(range(2 * k))
    moved = torch.movedim(x, src, dst)
    out = (sup @ moved.reshape(4**k, -1)).reshape(moved.shape)
    return torch.movedim(out, dst, src).reshape(rho.shape)
