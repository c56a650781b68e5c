"""Bit-string machinery of Pauli propagation: packed masks, anticommutation, hashing, merging,
per-gate coefficient updates and the batched product-state read-out (see ``pauli_propagation``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__: list[str] = []


@dataclass
class _Step:
    """Bookkeeping of one gate: which strings get ``cos``, which branch (with a sign) and into
    which row each branch is added (strings never move; new strings are appended)."""

    slot: int
    coeff: float
    anti: np.ndarray  # int64: rows of the anticommuting strings (multiplied by cos a)
    branch: np.ndarray  # int64 (A,): rows of the strings that branch (kept after truncation)
    sign: np.ndarray  # float (A,): the ±1 of i P Q = ±R
    target: np.ndarray  # int64 (A,): row receiving each branch (existing, or appended)
    n_in: int  # rows before the step; rows >= n_in are appended by it
    flip: bool = False  # a fixed Pauli gate: anticommuting strings change sign, nothing branches

    @property
    def n_out(self) -> int:
        return max(self.n_in, int(self.target.max()) + 1) if len(self.target) else self.n_in


_ONE = np.uint64(1)
_CHUNK = 1 << 15  # strings per read-out block
_EMPTY = np.zeros(0, dtype=np.int64)


def _masks(labels: list[str], n: int, words: int) -> tuple[np.ndarray, np.ndarray]:
    """Packed ``(S, W)`` uint64 x and z masks of full-length labels."""
    x = np.zeros((len(labels), words), dtype=np.uint64)
    z = np.zeros((len(labels), words), dtype=np.uint64)
    for i, label in enumerate(labels):
        for q, ch in enumerate(label):
            bit = _ONE << np.uint64(q % 64)
            if ch in "XY":
                x[i, q // 64] |= bit
            if ch in "ZY":
                z[i, q // 64] |= bit
    return x, z


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a).sum(axis=-1, dtype=np.int64)


def _anticommuting(x: np.ndarray, z: np.ndarray, px: np.ndarray, pz: np.ndarray) -> np.ndarray:
    return ((_popcount(x & pz) + _popcount(z & px)) & 1).astype(bool)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer (a bijection of uint64) on an array."""
    h = h + _GOLDEN
    h = (h ^ (h >> np.uint64(30))) * _MIX1
    h = (h ^ (h >> np.uint64(27))) * _MIX2
    return h ^ (h >> np.uint64(31))


def _hash(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """64-bit hashes of the rows of ``(S, W)`` masks (used to find equal strings; every match is
    verified on the masks, so a hash collision only costs a missed merge, never a wrong value)."""
    h = np.zeros(len(x), dtype=np.uint64)
    for w in range(x.shape[1]):
        h = _mix(_mix(h ^ x[:, w]) ^ z[:, w])
    return h


class _StringTable:
    """Distinct Pauli strings in insertion order, with a hash index sorted for look-ups."""

    def __init__(self, x: np.ndarray, z: np.ndarray):
        self.x, self.z = x.copy(), z.copy()
        self.h = _hash(self.x, self.z)
        self.order = np.argsort(self.h, kind="stable")
        self.sorted_h = self.h[self.order]

    @property
    def size(self) -> int:
        return len(self.x)

    def insert(self, rx: np.ndarray, rz: np.ndarray) -> np.ndarray:
        """Rows of the strings ``(rx, rz)``: existing rows where present, else appended rows."""
        hn = _hash(rx, rz)
        target = np.full(len(rx), -1, dtype=np.int64)
        if self.size:
            pos = np.minimum(np.searchsorted(self.sorted_h, hn), self.size - 1)
            cand = self.order[pos]
            hit = (
                (self.sorted_h[pos] == hn)
                & (self.x[cand] == rx).all(1)
                & (self.z[cand] == rz).all(1)
            )
            target[hit] = cand[hit]
        fresh = np.flatnonzero(target < 0)
        if len(fresh):
            rows = self.size + np.arange(len(fresh))
            target[fresh] = rows
            self.x = np.concatenate([self.x, rx[fresh]])
            self.z = np.concatenate([self.z, rz[fresh]])
            self.h = np.concatenate([self.h, hn[fresh]])
            sub = np.argsort(hn[fresh], kind="stable")
            merged_h = np.concatenate([self.sorted_h, hn[fresh][sub]])
            merged_o = np.concatenate([self.order, rows[sub]])
            perm = np.argsort(merged_h, kind="stable")  # two sorted runs: a linear merge
            self.sorted_h, self.order = merged_h[perm], merged_o[perm]
        return target

    def select(self, keep: np.ndarray) -> None:
        """Keep the rows where the boolean ``keep`` is set (order preserved)."""
        new_index = np.cumsum(keep) - 1
        alive = keep[self.order]
        self.order = new_index[self.order[alive]]
        self.sorted_h = self.sorted_h[alive]
        self.x, self.z, self.h = self.x[keep], self.z[keep], self.h[keep]


def _apply(step: _Step, c: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Coefficient arithmetic of one step: ``c (n_in, K) -> (n_out, K)``."""
    dev = c.device
    anti = torch.as_tensor(step.anti, device=dev)
    if step.flip:
        return c.index_add(0, anti, -2 * c[anti])
    a = step.coeff * params[step.slot]
    cos, sin = torch.cos(a), torch.sin(a)
    sign = torch.as_tensor(step.sign, dtype=c.dtype, device=dev)
    grown = step.n_out - step.n_in
    if grown:
        c = torch.cat([c, c.new_zeros(grown, c.shape[1])])
    index = torch.cat([anti, torch.as_tensor(step.target, device=dev)])
    values = torch.cat(
        [c[anti] * (cos - 1), c[torch.as_tensor(step.branch, device=dev)] * (sin * sign)[:, None]]
    )
    return c.index_add(0, index, values)


def _readout_index(x: np.ndarray, z: np.ndarray, n: int) -> np.ndarray:
    """``(wmax, S)`` indices into the flattened ``(n·4)`` table ``[1, ⟨X⟩, ⟨Z⟩, ⟨Y⟩]`` per qubit:
    the support of each string, padded with 0 (qubit 0's identity entry, equal to 1)."""
    s = len(x)
    wmax = int(_popcount(x | z).max()) if s else 0
    index = np.zeros((max(wmax, 1), s), dtype=np.int64)
    count = np.zeros(s, dtype=np.int64)
    for q in range(n):
        w, b = q // 64, np.uint64(q % 64)
        code = (((x[:, w] >> b) & _ONE) | (((z[:, w] >> b) & _ONE) << _ONE)).astype(np.int64)
        on = np.flatnonzero(code)  # X=1, Z=2, Y=3
        index[count[on], on] = 4 * q + code[on]
        count[on] += 1
    return index


def _readout(bloch: torch.Tensor, c: torch.Tensor, index: np.ndarray) -> torch.Tensor:
    """``(B, K) = Σ_s ∏_{j} table[b, index[j, s]] · c[s, k]`` in blocks of strings."""
    batch, n, _ = bloch.shape
    ones = torch.ones(batch, n, 1, dtype=bloch.dtype, device=bloch.device)
    # per qubit: [1, ⟨X⟩, ⟨Z⟩, ⟨Y⟩] in the order of the 2-bit codes
    table = torch.cat([ones, bloch[:, :, 0:1], bloch[:, :, 2:3], bloch[:, :, 1:2]], -1)
    table = table.reshape(batch, 4 * n)
    out = torch.zeros(batch, c.shape[1], dtype=c.dtype, device=c.device)
    idx = torch.as_tensor(index, device=bloch.device)
    for lo in range(0, c.shape[0], _CHUNK):
        block = idx[:, lo : lo + _CHUNK]
        prod = table[:, block[0]]
        for j in range(1, block.shape[0]):
            prod = prod * table[:, block[j]]
        out = out + prod @ c[lo : lo + _CHUNK]
    return out
