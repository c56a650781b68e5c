"""Machinery of the Lie closure: packed Pauli strings, signed orbit coordinates, brackets of
invariant operators, and batched Gram–Schmidt (see ``lie``)."""

from __future__ import annotations

import numpy as np

from equiqnn.symmetry.pauli import PauliString, PauliSum
from equiqnn.symmetry.representation import Representation

__all__: list[str] = []

_DENSE_LOOKUP_MAX_QUBITS = 11  # 4**11 entries (~24 MB) for the string → orbit table
_PAIR_CHUNK = 2_000_000  # string pairs per vectorized block in a commutator


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a).astype(np.int64)


def _code(label: str) -> int:
    p = PauliString(label)
    return (p.x_mask << len(label)) | p.z_mask


def _label(code: int, n: int) -> str:
    x, z = code >> n, code & ((1 << n) - 1)
    out = []
    for k in range(n):
        bit = 1 << (n - 1 - k)
        out.append("IZXY"[(2 if x & bit else 0) + (1 if z & bit else 0)])
    return "".join(out)


class _Orbits:
    """Orbits of Pauli strings under conjugation by a representation (trivial group when None).

    Orbit ``o`` has a representative code, its member codes and signs (``σ_rep = +1``); only orbits
    with consistent signs get an index. ``lookup`` maps codes to ``(orbit index or -1, sign)``.
    """

    def __init__(self, n: int, rep: Representation | None) -> None:
        self.n = n
        self.trivial = rep is None
        if rep is not None:
            self.perms = np.asarray(rep.qubit_perms, dtype=np.int64)
            ps = [PauliString(p) for p in rep.paulis]
            self.sx = np.array([p.x_mask for p in ps], dtype=np.uint64)
            self.sz = np.array([p.z_mask for p in ps], dtype=np.uint64)
            # bit position (from the least significant end) of qubit q after the permutation
            self.dest_shift = (n - 1 - self.perms).astype(np.uint64)
        self.rep_code: list[int] = []
        self.size: list[int] = []
        self.members: list[np.ndarray] = []
        self.signs: list[np.ndarray] = []
        self._dense = n <= _DENSE_LOOKUP_MAX_QUBITS
        if self._dense:
            self._idx = np.full(4**n, -2, dtype=np.int32)  # -2 unknown, -1 inconsistent orbit
            self._sgn = np.zeros(4**n, dtype=np.int8)
        else:
            self._map: dict[int, tuple[int, int]] = {}

    @property
    def count(self) -> int:
        return len(self.rep_code)

    def _orbit(self, code: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Member codes and signs of the orbit of ``code``; None when the signs are inconsistent."""
        n = self.n
        if self.trivial:
            return np.array([code], dtype=np.uint64), np.array([1], dtype=np.int8)
        x, z = code >> n, code & ((1 << n) - 1)
        bits_x = np.array([(x >> (n - 1 - q)) & 1 for q in range(n)], dtype=np.uint64)
        bits_z = np.array([(z >> (n - 1 - q)) & 1 for q in range(n)], dtype=np.uint64)
        nx = np.bitwise_or.reduce(bits_x[None, :] << self.dest_shift, axis=1)
        nz = np.bitwise_or.reduce(bits_z[None, :] << self.dest_shift, axis=1)
        anti = _popcount((self.sx & np.uint64(z)) ^ (self.sz & np.uint64(x))) & 1
        codes = (nx << np.uint64(n)) | nz
        signs = (1 - 2 * anti).astype(np.int8)
        uniq, first = np.unique(codes, return_index=True)
        # consistent iff every element mapping to the same string gives the same sign
        pos = np.searchsorted(uniq, codes)
        if np.any(signs != signs[first][pos]):
            return None
        # reference sign: make the representative (the input code) carry +1
        own = signs[first][np.searchsorted(uniq, np.uint64(code))]
        return uniq, (signs[first] * own).astype(np.int8)

    def _register(self, code: int) -> None:
        orb = self._orbit(code)
        if orb is None:
            members, idx, signs = self._orbit_members_any(code), -1, None
        else:
            members, signs = orb
            idx = self.count
            self.rep_code.append(int(code))
            self.size.append(int(members.size))
            self.members.append(members)
            self.signs.append(signs)
        if self._dense:
            self._idx[members.astype(np.int64)] = idx
            if signs is not None:
                self._sgn[members.astype(np.int64)] = signs
        else:
            for k, m in enumerate(members.tolist()):
                self._map[m] = (idx, 0 if signs is None else int(signs[k]))

    def _orbit_members_any(self, code: int) -> np.ndarray:
        n = self.n
        x, z = code >> n, code & ((1 << n) - 1)
        bits_x = np.array([(x >> (n - 1 - q)) & 1 for q in range(n)], dtype=np.uint64)
        bits_z = np.array([(z >> (n - 1 - q)) & 1 for q in range(n)], dtype=np.uint64)
        nx = np.bitwise_or.reduce(bits_x[None, :] << self.dest_shift, axis=1)
        nz = np.bitwise_or.reduce(bits_z[None, :] << self.dest_shift, axis=1)
        return np.unique((nx << np.uint64(n)) | nz)

    def lookup(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(orbit index, sign)`` per code, registering unseen orbits; index -1 means zero twirl."""
        if self._dense:
            ci = codes.astype(np.int64)
            unknown = np.unique(ci[self._idx[ci] == -2])
            for c in unknown.tolist():
                if self._idx[c] == -2:
                    self._register(c)
            return self._idx[ci].astype(np.int64), self._sgn[ci].astype(np.float64)
        out_i = np.empty(codes.size, dtype=np.int64)
        out_s = np.empty(codes.size, dtype=np.float64)
        for k, c in enumerate(codes.tolist()):
            if c not in self._map:
                self._register(c)
            out_i[k], out_s[k] = self._map[c]
        return out_i, out_s


def _bracket_strings(
    xa: np.ndarray, za: np.ndarray, ca: np.ndarray, xb: np.ndarray, zb: np.ndarray, cb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes-free ``i [A, b]`` for ``A = Σ ca P(xa, za)``, ``b = Σ cb P(xb, zb)`` (real coefficients).

    Returns the x and z masks and real coefficients of the (unsummed) product terms. For
    anticommuting ``P, Q``: ``i[P, Q] = 2 i P Q`` and ``P Q = i^e R`` with
    ``e = |x1&z1| + |x2&z2| − |x3&z3| + 2|z1&x2|`` (``Y = i X Z``), so ``i[P, Q] = ±2 R``.
    """
    xs, zs, vs = [], [], []
    step = max(1, _PAIR_CHUNK // max(1, xb.size))
    ya, yb = _popcount(xa & za), _popcount(xb & zb)
    for s in range(0, xa.size, step):
        x1, z1, c1, y1 = (
            xa[s : s + step, None],
            za[s : s + step, None],
            ca[s : s + step, None],
            ya[s : s + step, None],
        )
        anti = (_popcount((x1 & zb[None, :]) ^ (z1 & xb[None, :])) & 1).astype(bool)
        i1, i2 = np.nonzero(anti)
        if i1.size == 0:
            continue
        x1, z1, y1, c1 = x1[i1, 0], z1[i1, 0], y1[i1, 0], c1[i1, 0]
        x2, z2, y2, c2 = xb[i2], zb[i2], yb[i2], cb[i2]
        x3, z3 = x1 ^ x2, z1 ^ z2
        e = y1 + y2 - _popcount(x3 & z3) + 2 * _popcount(z1 & x2) + 1
        sign = 1.0 - (e & 2)  # e is even: e % 4 == 0 → +1, == 2 → −1
        xs.append(x3)
        zs.append(z3)
        vs.append(2.0 * sign * c1 * c2)
    if not xs:
        empty = np.zeros(0, dtype=np.uint64)
        return empty, empty, np.zeros(0)
    return np.concatenate(xs), np.concatenate(zs), np.concatenate(vs)


class _Element:
    """An algebra element in orbit coordinates: ``Σ_o beta[o] O_o`` (sparse)."""

    __slots__ = ("idx", "beta", "_full")

    def __init__(self, idx: np.ndarray, beta: np.ndarray) -> None:
        self.idx, self.beta = idx, beta
        self._full: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def full(self, orbits: _Orbits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All Pauli strings with signed coefficients: x masks, z masks, coefficients."""
        if self._full is None and self.idx.size == 0:
            empty = np.zeros(0, dtype=np.uint64)
            self._full = (empty, empty, np.zeros(0))
        if self._full is None:
            codes = np.concatenate([orbits.members[o] for o in self.idx.tolist()])
            coef = np.concatenate(
                [
                    orbits.signs[o] * b
                    for o, b in zip(self.idx.tolist(), self.beta.tolist(), strict=True)
                ]
            )
            n = np.uint64(orbits.n)
            self._full = (codes >> n, codes & ((np.uint64(1) << n) - np.uint64(1)), coef)
        return self._full

    def reps(self, orbits: _Orbits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``b`` with ``twirl(b) = self``: one representative per orbit, coefficient ``β·|orbit|``."""
        codes = np.array([orbits.rep_code[o] for o in self.idx.tolist()], dtype=np.uint64)
        sizes = np.array([orbits.size[o] for o in self.idx.tolist()], dtype=np.float64)
        n = np.uint64(orbits.n)
        return codes >> n, codes & ((np.uint64(1) << n) - np.uint64(1)), self.beta * sizes


def _to_element(xs: np.ndarray, zs: np.ndarray, vs: np.ndarray, orbits: _Orbits) -> _Element:
    """Orbit coordinates of ``twirl(Σ v P(x, z))``: ``β_o = Σ_{s ∈ o} σ_s v_s / |o|``."""
    if xs.size == 0:
        return _Element(np.zeros(0, dtype=np.int64), np.zeros(0))
    codes = (xs << np.uint64(orbits.n)) | zs
    oi, sg = orbits.lookup(codes)
    keep = oi >= 0
    oi, w = oi[keep], vs[keep] * sg[keep]
    if oi.size == 0:
        return _Element(np.zeros(0, dtype=np.int64), np.zeros(0))
    uo, inv = np.unique(oi, return_inverse=True)
    beta = np.bincount(inv, weights=w) / np.array([orbits.size[o] for o in uo.tolist()])
    # cancellation noise: a sum of products of size <= max|v| that should vanish leaves ~1e-16·max|v|
    nz = np.abs(beta) > 1e-12 * float(np.max(np.abs(vs)))
    return _Element(uo[nz], beta[nz])


def _short(op: PauliSum, limit: int = 60) -> str:
    text = str(op)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bracket(a: _Element, b: _Element, orbits: _Orbits) -> _Element:
    """``i [A, B]`` for invariant ``A, B``, computed as ``twirl(i [A, b])`` with ``twirl(b) = B``."""
    if a.idx.size == 0 or b.idx.size == 0:
        return _Element(np.zeros(0, dtype=np.int64), np.zeros(0))
    fa, fb = a.full(orbits), b.full(orbits)
    if fa[0].size * b.idx.size <= fb[0].size * a.idx.size:
        xs, zs, vs = _bracket_strings(*fa, *b.reps(orbits))
    else:
        xs, zs, vs = _bracket_strings(*fb, *a.reps(orbits))
        vs = -vs
    return _to_element(xs, zs, vs, orbits)


def _element_to_sum(el: _Element, orbits: _Orbits, normalize: bool = False) -> PauliSum:
    x, z, c = el.full(orbits)
    n = orbits.n
    if normalize and c.size:
        c = c / np.linalg.norm(c)
    codes = ((x << np.uint64(n)) | z).tolist()
    return PauliSum({_label(cd, n): float(v) for cd, v in zip(codes, c.tolist(), strict=True)}, n)


class _GramSchmidt:
    """Orthonormal rows ``Q`` (in coordinates ``γ_o = β_o √|o|``, so Euclidean = ``Tr(AB)/2**n``)."""

    def __init__(self, orbits: _Orbits, tol: float) -> None:
        self.orbits, self.tol = orbits, tol
        self.q = np.zeros((16, 64))
        self.rows = 0
        self.min_acc = 1.0
        self.max_rej = 0.0
        self.refused = 0  # independent candidates dropped because max_dim was reached

    def _ensure(self, rows: int, cols: int) -> None:
        r, c = self.q.shape
        if rows > r or cols > c:
            new = np.zeros(
                (max(rows, 2 * r if rows > r else r), max(cols, 2 * c if cols > c else c))
            )
            new[:r, :c] = self.q
            self.q = new

    def add(self, cands: list[_Element], room: int | None = None) -> list[_Element]:
        """Accept the candidates independent of the span (in order); return them, normalized."""
        cands = [c for c in cands if c.idx.size]
        if not cands:
            return []
        cols = self.orbits.count
        self._ensure(self.rows + len(cands), cols)
        root = np.sqrt(np.asarray(self.orbits.size, dtype=np.float64))
        v = np.zeros((len(cands), cols))
        for i, c in enumerate(cands):
            v[i, c.idx] = c.beta * root[c.idx]
        norms = np.linalg.norm(v, axis=1)
        q = self.q[: self.rows, :cols]
        r = v
        for _ in range(2):
            r = r - (r @ q.T) @ q
        out: list[_Element] = []
        new_rows: list[np.ndarray] = []
        for i, c in enumerate(cands):
            ri = r[i]
            for _ in range(2):
                for qr in new_rows:
                    ri = ri - (ri @ qr) * qr
            rel = float(np.linalg.norm(ri) / norms[i])
            if rel > self.tol and (room is None or len(out) < room):
                self.min_acc = min(self.min_acc, rel)
                qn = ri / np.linalg.norm(ri)
                new_rows.append(qn)
                scale = float(np.sqrt(np.sum(c.beta**2 * np.asarray(self.orbits.size)[c.idx])))
                out.append(_Element(c.idx, c.beta / scale))
            elif rel <= self.tol:
                self.max_rej = max(self.max_rej, rel)
            else:
                self.refused += 1
        for qn in new_rows:
            self.q[self.rows, :cols] = qn
            self.rows += 1
        return out

    def gap(self) -> float:
        return float("inf") if self.max_rej == 0.0 else self.min_acc / self.max_rej


# ---------------------------------------------------------------------------------------------------
# S_n closed forms
