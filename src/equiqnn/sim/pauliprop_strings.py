"""Bit-string machinery of Pauli propagation: packed masks, anticommutation, the phase of ``i P Q``,
deduplication on packed keys, and canonical representatives of strings under a qubit-permutation
group (see ``pauli_propagation`` for the conventions).

A string is a pair of ``(S, W)`` ``uint64`` masks ``x`` (X or Y) and ``z`` (Z or Y); qubit ``q`` is
bit ``q % 64`` of word ``q // 64``.
"""

from __future__ import annotations

import sys

import numpy as np

__all__: list[str] = []

_ONE = np.uint64(1)


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


def _weight(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    return _popcount(x | z)


def _anticommuting(x: np.ndarray, z: np.ndarray, px: np.ndarray, pz: np.ndarray) -> np.ndarray:
    return ((_popcount(x & pz) + _popcount(z & px)) & 1).astype(bool)


def _branch_sign(
    x: np.ndarray, z: np.ndarray, px: np.ndarray, pz: np.ndarray, rx: np.ndarray, rz: np.ndarray
) -> np.ndarray:
    """``i σ(P) σ(Q) = sign · σ(R)`` for strings ``Q`` anticommuting with ``P`` (``R = P·Q``).

    ``σ(P) σ(Q) = i^e σ(R)`` with ``e = x_P·z_P + x_Q·z_Q + 2 z_P·x_Q − x_R·z_R`` (popcounts, mod 4);
    ``e`` is odd for anticommuting strings, so ``i · i^e = ±1``."""
    e = (_popcount(px & pz) + _popcount(x & z) + 2 * _popcount(pz & x) - _popcount(rx & rz)) % 4
    return np.where((e + 1) % 4 == 0, 1.0, -1.0)


def _keys(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """One opaque (void) key per string, for ``np.unique``; equal keys iff equal strings."""
    both = np.ascontiguousarray(np.concatenate([x, z], axis=1))
    return both.view(np.dtype((np.void, both.shape[1] * 8))).ravel()


def _unique(x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the distinct strings (first occurrence) and the inverse map ``(S,) -> distinct``."""
    _, first, inverse = np.unique(_keys(x, z), return_index=True, return_inverse=True)
    return first, inverse.ravel()


# -- qubit permutations on packed masks -----------------------------------------------------------


def _unpack(a: np.ndarray) -> np.ndarray:
    """``(S, W)`` uint64 -> ``(S, 64 W)`` bits, bit ``64 w + b`` = bit ``b`` of word ``w``."""
    a = np.ascontiguousarray(a)
    if sys.byteorder != "little":  # pragma: no cover - the layout below assumes little-endian
        a = a.byteswap()
    return np.unpackbits(a.view(np.uint8), axis=1, bitorder="little")


def _pack(bits: np.ndarray) -> np.ndarray:
    out = np.packbits(bits, axis=1, bitorder="little").view(np.uint64)
    return out.byteswap() if sys.byteorder != "little" else out  # pragma: no cover


def _permuted(x: np.ndarray, z: np.ndarray, perms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(G, S, W)`` of the strings under qubit permutations ``perms`` ``(G, n)``: the letter
    on qubit ``q`` moves to qubit ``perm[q]``."""
    bx, bz = _unpack(x), _unpack(z)
    n = perms.shape[1]
    ox = np.empty((len(perms), *x.shape), dtype=np.uint64)
    oz = np.empty_like(ox)
    for g, perm in enumerate(perms):
        inv = np.argsort(perm)
        px, pz = bx.copy(), bz.copy()
        px[:, :n], pz[:, :n] = bx[:, inv], bz[:, inv]
        ox[g], oz[g] = _pack(px), _pack(pz)
    return ox, oz


def _canonical(
    x: np.ndarray, z: np.ndarray, perms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orbit representatives (the lexicographically smallest image) and orbit sizes.

    Returns ``(cx, cz, size)``: ``(S, W)`` masks of the representatives and ``(S,)`` int64 orbit
    sizes ``|G| / |stabilizer|`` (``perms`` must list every group element once)."""
    ox, oz = _permuted(x, z, perms)
    keys = np.concatenate([ox, oz], axis=2)  # (G, S, 2W): compare word by word
    cand = np.ones(keys.shape[:2], dtype=bool)
    for col in range(keys.shape[2]):
        k = keys[:, :, col]
        low = np.where(cand, k, np.iinfo(np.uint64).max).min(axis=0)
        cand &= k == low
    pick = cand.argmax(axis=0)
    rows = np.arange(len(x))
    same = (ox == x[None]).all(2) & (oz == z[None]).all(2)  # (G, S) stabilizer members
    size = len(perms) // same.sum(axis=0)
    return ox[pick, rows], oz[pick, rows], size.astype(np.int64)


def _orbit_members(
    x: np.ndarray, z: np.ndarray, perms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct member of the orbits of the given (distinct, canonical) strings: masks and the
    index of the representative each member belongs to."""
    ox, oz = _permuted(x, z, perms)
    g, s, w = ox.shape
    fx, fz = ox.reshape(g * s, w), oz.reshape(g * s, w)
    owner = np.tile(np.arange(s), g)
    first, _ = _unique(fx, fz)
    first = np.sort(first)
    return fx[first], fz[first], owner[first]
