"""Index tables of a fused plan (numpy, built once per engine): gate chains, Kronecker groups, and
the partial-trace gathers that turn group cross matrices into one-qubit reduced matrices.

Conventions as in ``sim/sv_fuse.py``: qubit 0 is the most significant bit; a group ``(start, size)``
is qubits ``start … start+size-1`` with ``start`` the most significant inside the group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equiqnn.sim.sv_fuse import FusedPlan, KronSeg, MonoSeg

__all__ = ["ChainTables", "TraceTables", "chain_tables", "trace_tables"]


@dataclass
class ChainTables:
    """``chain_table`` ``(C + 1, depth)`` gate-table rows per chain (last row: an identity chain);
    ``group_rows[k]`` ``(count, k)`` chain rows of every size-``k`` Kronecker factor;
    ``seg_groups[s]``: ``(start, size, row in group_rows[size])`` per group of Kronecker segment
    ``s``; ``gate_y`` ``(T,)``: ``chain·depth + position`` of each trainable rotation; ``dense_src``
    / ``dense_phase`` ``(S, 2**n)``: the permutation folded after each dense segment."""

    depth: int
    chain_table: np.ndarray
    group_rows: dict[int, np.ndarray]
    seg_groups: list[list[tuple[int, int, int]]]
    seg_trainable: list[bool]
    gate_y: np.ndarray
    gate_seg: np.ndarray
    gate_qubit: np.ndarray
    dense_src: np.ndarray | None
    dense_phase: np.ndarray | None


@dataclass
class TraceTables:
    """``index`` ``(rows, 2, 2, h)`` into the concatenated flattened cross matrices (padding points
    at a trailing zero); ``phase`` the same shape or None; ``gate_row`` ``(T,)``; ``slots``:
    ``(kron segment, group entry) -> position`` of its cross matrix in the concatenation."""

    index: np.ndarray
    phase: np.ndarray | None
    gate_row: np.ndarray
    slots: dict[tuple[int, int], int]


def chain_tables(plan: FusedPlan, groups: list[tuple[int, int]], dense: bool) -> ChainTables:
    """Chains, Kronecker groups and folded permutations of ``plan`` (``dense``: one group)."""
    n_rot, d = len(plan.rot_slot), 2**plan.n
    kron = [s for s in plan.segments if isinstance(s, KronSeg)]
    chains: list[list[int]] = []
    chain_of: dict[tuple[int, int], int] = {}
    gate_at: dict[int, tuple[int, int, int, int]] = {}
    for si, seg in enumerate(kron):
        for q, ch in seg.chains.items():
            chain_of[(si, q)] = len(chains)
            for pos, g in enumerate(ch):
                if g < n_rot:
                    gate_at[g] = (len(chains), pos, si, q)
            chains.append(ch)
    depth = max((len(ch) for ch in chains), default=1)
    table = np.full((len(chains) + 1, depth), plan.identity_index, dtype=np.int64)
    for i, ch in enumerate(chains):
        table[i, : len(ch)] = ch  # identity padding after the last gate
    by_size: dict[int, list[list[int]]] = {}
    seg_groups: list[list[tuple[int, int, int]]] = []
    for si, seg in enumerate(kron):
        entries = []
        for start, size in groups:
            qs = range(start, start + size)
            if not dense and not any(q in seg.chains for q in qs):
                continue
            rows = [chain_of.get((si, q), len(chains)) for q in qs]
            entries.append((start, size, len(by_size.setdefault(size, []))))
            by_size[size].append(rows)
        seg_groups.append(entries)
    dense_src = dense_phase = None
    if dense and kron:
        dense_src = np.tile(np.arange(d), (len(kron), 1))
        phase = np.ones((len(kron), d), dtype=np.complex128)
        si = -1
        for seg_any in plan.segments:
            if isinstance(seg_any, KronSeg):
                si += 1
            elif isinstance(seg_any, MonoSeg) and si >= 0 and _follows_kron(plan, seg_any):
                dense_src[si] = seg_any.src
                if seg_any.phase is not None:
                    phase[si] = seg_any.phase
        dense_phase = None if np.all(phase == 1) else phase
    info = np.array([gate_at[g] for g in range(n_rot)], dtype=np.int64).reshape(-1, 4)
    return ChainTables(
        depth,
        table,
        {k: np.asarray(v, dtype=np.int64) for k, v in sorted(by_size.items())},
        seg_groups,
        [any(g < n_rot for ch in seg.chains.values() for g in ch) for seg in kron],
        info[:, 0] * depth + info[:, 1],
        info[:, 2],
        info[:, 3],
        dense_src,
        dense_phase,
    )


def _follows_kron(plan: FusedPlan, mono: MonoSeg) -> bool:
    i = next(k for k, s in enumerate(plan.segments) if s is mono)
    return i > 0 and isinstance(plan.segments[i - 1], KronSeg)


def _pairs(size: int) -> np.ndarray:
    """``(size, 2, 2, 2**(size-1), 2)``: index pairs ``(l, k)`` of a ``2**size`` square matrix whose
    bit ``j`` (qubit ``j`` of the group) is ``i`` in ``l`` and ``i'`` in ``k``, other bits equal."""
    rest = np.arange(2 ** (size - 1))
    out = np.empty((size, 2, 2, len(rest), 2), dtype=np.int64)
    for j in range(size):
        shift = size - 1 - j
        hi, lo = rest >> shift << (shift + 1), rest & ((1 << shift) - 1)
        for i in range(2):
            for i2 in range(2):
                out[j, i, i2, :, 0] = hi | (i << shift) | lo
                out[j, i, i2, :, 1] = hi | (i2 << shift) | lo
    return out


def trace_tables(plan: FusedPlan, ct: ChainTables, n: int) -> TraceTables:
    """Partial-trace gathers for the reduced matrix of every qubit of every trainable segment."""
    slots: dict[tuple[int, int], int] = {}
    blocks: list[np.ndarray] = []
    phases: list[np.ndarray] = []
    row_of: dict[tuple[int, int], int] = {}
    offset, hmax = 0, 1
    inv_all = None if ct.dense_src is None else np.argsort(ct.dense_src, axis=1)
    for si, entries in enumerate(ct.seg_groups):
        if not ct.seg_trainable[si]:
            continue
        for e, (start, size, _) in enumerate(entries):
            slots[(si, e)] = len(slots)
            pairs = _pairs(size)
            ph = np.ones(pairs.shape[:-1], dtype=np.complex128)
            if inv_all is not None:  # cross taken after the folded permutation
                inv = inv_all[si]
                if ct.dense_phase is not None:
                    post = ct.dense_phase[si][inv]
                    ph = np.conj(post[pairs[..., 0]]) * post[pairs[..., 1]]
                pairs = inv[pairs]
            for j in range(size):
                row_of[(si, start + j)] = len(blocks)
                blocks.append(offset + pairs[j, ..., 0] * 2**size + pairs[j, ..., 1])
                phases.append(ph[j])
            offset += 4**size
            hmax = max(hmax, 2 ** (size - 1))
    index = np.full((len(blocks), 2, 2, hmax), offset, dtype=np.int64)  # offset: the zero slot
    phase = np.zeros(index.shape, dtype=np.complex128)
    for r, (blk, ph) in enumerate(zip(blocks, phases, strict=True)):
        index[r, :, :, : blk.shape[-1]] = blk
        phase[r, :, :, : blk.shape[-1]] = ph
    gate_row = np.array(
        [row_of[(s, q)] for s, q in zip(ct.gate_seg, ct.gate_qubit, strict=True)], dtype=np.int64
    )
    return TraceTables(
        index, None if np.all(phase[index < offset] == 1) else phase, gate_row, slots
    )
