"""Finite groups acting on data as signed permutations of sites.

Convention (the only place it is defined): an element ``g`` is a pair ``(perm, sign)`` of integer
arrays of length ``n_sites``; it moves the value at site ``i`` to site ``perm[i]`` and multiplies it by
``sign[i]``::

    (g·x)[perm[i]] = sign[i] * x[i]

Composition ``compose(a, b)`` is ``a∘b``: apply ``b`` first, then ``a``; so ``perm_ab = perm_a[perm_b]``
and ``sign_ab = sign_a[perm_b] * sign_b``. Data arrays are batch-first with the group's ``shape``
(``(h, w)`` for images, flattened row-major so that site = r·w + c; ``(n,)`` for feature vectors) as
trailing dimensions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["PermutationGroup", "validate_permutation"]

MAX_ENUMERATED_ORDER = 50_000


def validate_permutation(
    perm: Sequence[int] | np.ndarray, n: int, name: str = "perm"
) -> np.ndarray:
    """Return ``perm`` as an int64 array after checking it is a bijection of ``range(n)``.

    >>> validate_permutation([1, 0, 2], 3).tolist()
    [1, 0, 2]
    """
    arr = np.asarray(perm)
    if arr.ndim != 1 or arr.shape[0] != n or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name} must be a 1-D integer permutation of range({n}); got shape {arr.shape} "
            f"and dtype {arr.dtype}."
        )
    counts = np.bincount(arr[(arr >= 0) & (arr < n)], minlength=n)
    out_of_range = int(np.sum((arr < 0) | (arr >= n)))
    repeated = int(np.sum(counts > 1))
    missing = int(np.sum(counts == 0))
    if repeated or missing or out_of_range:
        shown = ", ".join(str(v) for v in arr[:3].tolist()) + (", ..." if n > 3 else "")
        raise ValueError(
            f"{name} must be a permutation of range({n}); got [{shown}] ({repeated} repeated, "
            f"{missing} missing, {out_of_range} out of range). Each site must appear exactly once."
        )
    return arr.astype(np.int64)


def _key(perm: np.ndarray, sign: np.ndarray) -> bytes:
    return perm.tobytes() + sign.tobytes()


class PermutationGroup:
    """A finite group of signed site permutations, closed from its generators.

    Args:
        generators: ``{name: perm}`` or ``{name: (perm, sign)}``; ``sign`` defaults to all +1.
        shape: the data shape the sites flatten from, e.g. ``(4, 4)`` or ``(8,)``.
        name: short symbol shown in the repr, e.g. ``"D4"``.
        description: what the group acts on, e.g. ``"square grid 4x4"``.
        element_names: optional ``{name: perm}`` or ``{name: (perm, sign)}`` naming elements in place
            of the word in the generators found by breadth-first search.

    Elements are indexed ``0 .. order-1`` with the identity at 0; they are enumerated lazily.
    """

    def __init__(
        self,
        generators: Mapping[str, Any],
        shape: tuple[int, ...],
        *,
        name: str = "G",
        description: str | None = None,
        element_names: Mapping[str, Any] | None = None,
    ) -> None:
        self.shape = tuple(int(s) for s in shape)
        self.n_sites = int(np.prod(self.shape))
        self.name = name
        self.description = description or f"{self.n_sites} sites"
        self.generators: dict[str, tuple[np.ndarray, np.ndarray]] = {
            str(k): self._as_signed(v, f"generator {k!r}") for k, v in generators.items()
        }
        self._extra_names = {
            _key(*self._as_signed(v, f"element {k!r}")): str(k)
            for k, v in (element_names or {}).items()
        }
        self.spec: list[Any] | None = None  # set by catalogue factories: [factory, *args]
        self._perms: np.ndarray | None = None
        self._signs: np.ndarray | None = None
        self._names: list[str] | None = None
        self._index: dict[bytes, int] | None = None

    # -- construction -------------------------------------------------------------------------
    def _as_signed(self, value: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(value, tuple) and len(value) == 2:
            perm, sign = value
        else:
            perm, sign = value, np.ones(self.n_sites, dtype=np.int64)
        perm = validate_permutation(perm, self.n_sites, name=f"{what} perm")
        sign = np.asarray(sign).astype(np.int64)
        if sign.shape != (self.n_sites,) or not np.all(np.abs(sign) == 1):
            raise ValueError(f"{what} sign must be {self.n_sites} entries of +1 or -1; got {sign}.")
        return perm, sign

    def _enumerate(self) -> None:
        if self._perms is not None:
            return
        ident = (np.arange(self.n_sites, dtype=np.int64), np.ones(self.n_sites, dtype=np.int64))
        elems = [ident]
        words: list[list[str]] = [[]]
        index = {_key(*ident): 0}
        queue = deque([0])
        while queue:
            i = queue.popleft()
            p, s = elems[i]
            for gname, (gp, gs) in self.generators.items():
                new = (gp[p], gs[p] * s)  # generator applied after element i
                k = _key(*new)
                if k not in index:
                    if len(elems) >= MAX_ENUMERATED_ORDER:
                        raise ValueError(
                            f"{self.name} has more than {MAX_ENUMERATED_ORDER} elements; it cannot "
                            "be enumerated. Use its generators, or sample elements with "
                            "random_elements(k, seed)."
                        )
                    index[k] = len(elems)
                    elems.append(new)
                    words.append([gname, *words[i]])
                    queue.append(index[k])
        self._perms = np.stack([e[0] for e in elems])
        self._signs = np.stack([e[1] for e in elems])
        self._index = index
        self._names = [
            self._extra_names.get(k) or _word_name(w) for k, w in zip(index, words, strict=False)
        ]

    # -- basic structure ----------------------------------------------------------------------
    @property
    def order(self) -> int:
        """Number of elements |G|."""
        self._enumerate()
        assert self._perms is not None
        return int(self._perms.shape[0])

    def __len__(self) -> int:
        return self.order

    @property
    def perms(self) -> np.ndarray:
        """All permutations, int64 ``(order, n_sites)``; row 0 is the identity."""
        self._enumerate()
        assert self._perms is not None
        return self._perms

    @property
    def signs(self) -> np.ndarray:
        """All signs, int64 ``(order, n_sites)`` of ±1."""
        self._enumerate()
        assert self._signs is not None
        return self._signs

    @property
    def names(self) -> list[str]:
        """Element names, e.g. ``["e", "r", "r2", ...]``; ``"e"`` is the identity."""
        self._enumerate()
        assert self._names is not None
        return list(self._names)

    @property
    def is_signed(self) -> bool:
        """True when some element multiplies a site by -1."""
        return any(np.any(s < 0) for _, s in self.generators.values())

    @property
    def identity(self) -> int:
        return 0

    def index(self, g: int | str | tuple[np.ndarray, np.ndarray]) -> int:
        """Index of an element given by index, name, or ``(perm, sign)``."""
        self._enumerate()
        assert self._index is not None and self._names is not None
        if isinstance(g, (int, np.integer)):
            if not 0 <= int(g) < self.order:
                raise ValueError(f"element index must be in [0, {self.order}); got {g}.")
            return int(g)
        if isinstance(g, str):
            if g not in self._names:
                raise ValueError(f"{self.name} has no element named {g!r}; names: {self._names}.")
            return self._names.index(g)
        k = _key(*self._as_signed(g, "element"))
        if k not in self._index:
            raise ValueError(f"the given signed permutation is not an element of {self!r}.")
        return self._index[k]

    def element(self, g: int | str) -> tuple[np.ndarray, np.ndarray]:
        """``(perm, sign)`` of an element."""
        i = self.index(g)
        return self.perms[i], self.signs[i]

    def compose(self, a: int | str, b: int | str) -> int:
        """Index of ``a∘b`` (``b`` acts first)."""
        pa, sa = self.element(a)
        pb, sb = self.element(b)
        return self.index((pa[pb], sa[pb] * sb))

    def inverse(self, g: int | str) -> int:
        """Index of ``g⁻¹``."""
        p, s = self.element(g)
        inv = np.empty_like(p)
        inv[p] = np.arange(p.size)
        return self.index((inv, s[inv]))

    def random_elements(
        self, k: int, seed: int | np.random.Generator
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``k`` random elements as products of random generator words (no enumeration needed)."""
        rng = np.random.default_rng(seed)
        gens = list(self.generators.values())
        out = []
        for _ in range(k):
            p, s = np.arange(self.n_sites), np.ones(self.n_sites, dtype=np.int64)
            for _ in range(4 * self.n_sites + 8):
                gp, gs = gens[int(rng.integers(len(gens)))]
                p, s = gp[p], gs[p] * s
            out.append((p, s))
        return out

    # -- action on data -----------------------------------------------------------------------
    def _check_data(self, x: Any) -> None:
        shape = tuple(x.shape)
        nd = len(self.shape)
        if len(shape) < nd or shape[len(shape) - nd :] != self.shape:
            hint = ""
            if len(self.shape) == 2 and len(shape) >= 2 and shape[-1] == shape[-2]:
                hint = f" Resize first: equiqnn.data.resize_symmetric(x, side={self.shape[0]})."
            raise ValueError(
                f"data must have shape (batch, {', '.join(map(str, self.shape))}) for {self!r}; "
                f"got {shape}.{hint}"
            )

    def act(self, g: int | str | tuple[np.ndarray, np.ndarray], x: Any) -> Any:
        """``g·x`` for a numpy array or torch tensor shaped ``(..., *shape)``."""
        self._check_data(x)
        if isinstance(g, tuple):
            p, s = self._as_signed(g, "element")
        else:
            p, s = self.element(g)
        inv = np.empty_like(p)
        inv[p] = np.arange(p.size)
        flat = x.reshape(*x.shape[: x.ndim - len(self.shape)], self.n_sites)
        out = _gather(flat, inv, s[inv])
        return out.reshape(x.shape)

    def act_all(self, x: Any) -> Any:
        """All transformed copies, shape ``(order, ..., *shape)``; copy 0 is ``x`` itself."""
        self._check_data(x)
        inv = np.argsort(self.perms, axis=1)
        sgn = np.take_along_axis(self.signs, inv, axis=1)
        lead = x.shape[: x.ndim - len(self.shape)]
        flat = x.reshape(*lead, self.n_sites)
        out = _gather(flat, inv, sgn)  # (..., order, n)
        out = out.reshape(*lead, self.order, *self.shape)
        return _moveaxis(out, len(lead), 0)

    # -- orbits -------------------------------------------------------------------------------
    def site_orbits(self) -> list[list[int]]:
        """Orbits of sites under the (unsigned) action, each sorted, ordered by smallest site."""
        parent = list(range(self.n_sites))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for gp, _ in self.generators.values():
            for i, j in enumerate(gp.tolist()):
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
        groups: dict[int, list[int]] = {}
        for i in range(self.n_sites):
            groups.setdefault(find(i), []).append(i)
        return sorted(groups.values())

    def pair_orbits(
        self, pairs: Sequence[tuple[int, int]] | None = None
    ) -> list[list[tuple[int, int]]]:
        """Orbits of unordered site pairs ``(i, j)``, ``i < j``.

        Args:
            pairs: candidate pairs whose orbits to return (e.g. nearest neighbours); all pairs if None.
        Returns:
            Orbits as sorted lists of pairs, ordered by their smallest pair.
        """
        if pairs is None:
            pairs = [(i, j) for i in range(self.n_sites) for j in range(i + 1, self.n_sites)]
        seen: set[tuple[int, int]] = set()
        orbits = []
        gens = [gp for gp, _ in self.generators.values()]
        for a, b in pairs:
            start = (min(a, b), max(a, b))
            if a == b:
                raise ValueError(f"a pair needs two distinct sites; got ({a}, {b}).")
            if start in seen:
                continue
            orbit = {start}
            queue = deque([start])
            while queue:
                i, j = queue.popleft()
                for gp in gens:
                    q = (int(min(gp[i], gp[j])), int(max(gp[i], gp[j])))
                    if q not in orbit:
                        orbit.add(q)
                        queue.append(q)
            seen |= orbit
            orbits.append(sorted(orbit))
        return sorted(orbits)

    def __repr__(self) -> str:
        try:
            order = str(self.order)
        except ValueError:
            order = f">{MAX_ENUMERATED_ORDER}"
        return f"{self.name}({self.description}, order {order})"


def _word_name(word: list[str]) -> str:
    if not word:
        return "e"
    parts: list[str] = []
    for g in word:  # collapse runs: ["r", "r"] -> "r2"
        if parts and parts[-1].rstrip("0123456789") == g and _run(parts[-1], g):
            n = int(parts[-1][len(g) :] or 1) + 1
            parts[-1] = f"{g}{n}"
        else:
            parts.append(g)
    return "*".join(parts)


def _run(part: str, g: str) -> bool:
    tail = part[len(g) :]
    return part.startswith(g) and (tail == "" or tail.isdigit())


def _gather(flat: Any, idx: np.ndarray, sign: np.ndarray) -> Any:
    """``flat[..., idx] * sign`` for numpy or torch, broadcasting ``idx``/``sign`` of any shape."""
    if isinstance(flat, np.ndarray):
        return flat[..., idx] * sign.astype(flat.dtype if flat.dtype.kind in "fc" else np.int64)
    import torch

    t_idx = torch.as_tensor(idx, device=flat.device)
    t_sign = torch.as_tensor(sign, device=flat.device, dtype=flat.dtype)
    return flat[..., t_idx] * t_sign


def _moveaxis(x: Any, src: int, dst: int) -> Any:
    if isinstance(x, np.ndarray):
        return np.moveaxis(x, src, dst)
    return x.movedim(src, dst)
