"""Twirling on Pauli sums, and the equivariant generators and invariant observables it yields.

``twirl(op, rep) = (1/|G|) Σ_g R(g) op R(g)†`` commutes with every ``R(g)``. Computed term by term on
Pauli sums (no matrices), so it works for any number of qubits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from equiqnn.symmetry.pauli import PauliString, PauliSum
from equiqnn.symmetry.representation import Representation

__all__ = [
    "twirl",
    "is_invariant_operator",
    "equivariant_generators",
    "invariant_observables",
    "normalize_generator",
]


def twirl(op: PauliSum | str, rep: Representation) -> PauliSum:
    """Group average of ``op`` under conjugation by ``rep``; zero terms are dropped."""
    op = op if isinstance(op, PauliSum) else PauliSum(op)
    if op.n_qubits != rep.n_qubits:
        raise ValueError(
            f"operator has {op.n_qubits} qubits but the representation {rep.n_qubits}."
        )
    out: dict[str, complex] = {}
    for g in range(rep.order):
        for k, v in op.terms.items():
            sign, k2 = rep.conjugate(g, k)
            out[k2] = out.get(k2, 0) + sign * v / rep.order
    return PauliSum(out, rep.n_qubits).simplify()


def is_invariant_operator(op: PauliSum, rep: Representation, atol: float = 1e-12) -> bool:
    """True when ``R(g) op R(g)† == op`` for every ``g``."""
    return all(rep.conjugate_sum(g, op).allclose(op, atol) for g in range(rep.order))


def normalize_generator(op: PauliSum) -> PauliSum:
    """Scale so that the largest coefficient magnitude is 1 (an orbit sum gets coefficients ±1)."""
    scale = max(abs(v) for v in op.terms.values())
    return PauliSum({k: v / scale for k, v in op.terms.items()}, op.n_qubits)


def equivariant_generators(
    rep: Representation, candidates: Iterable[PauliSum | str]
) -> list[PauliSum]:
    """Twirled, normalized, deduplicated, non-zero Hermitian generators from ``candidates``.

    Each returned generator ``H`` commutes with every ``R(g)``, so ``exp(-i θ H / 2)`` is equivariant.
    """
    out: list[PauliSum] = []
    seen: set[frozenset] = set()
    for c in candidates:
        t = twirl(c, rep)
        if t.is_zero() or not t.is_hermitian():
            continue
        t = normalize_generator(t)
        key = frozenset((k, round(v.real, 9)) for k, v in t.terms.items())
        neg = frozenset((k, round(-v.real, 9)) for k, v in t.terms.items())
        if key in seen or neg in seen:
            continue
        seen.add(key)
        out.append(t)
    return out


def invariant_observables(
    rep: Representation, candidates: Sequence[PauliSum | str] | None = None, *, max_weight: int = 2
) -> list[PauliSum]:
    """Invariant observables, normalized to unit operator norm bound (coefficients sum to 1).

    With no candidates: single-qubit X, Z, Y on every qubit, then (``max_weight=2``) XX, ZZ, YY on all
    pairs; the twirl of each, deduplicated, in that order. The first is the mean ``⟨X⟩`` over the
    first site orbit when it survives.
    """
    n = rep.n_qubits
    if candidates is None:
        candidates = []
        for letter in "XZY":
            candidates += [PauliString.on(n, {q: letter}).label for q in range(n)]
        if max_weight >= 2:
            for letter in "XZY":
                candidates += [
                    PauliString.on(n, {a: letter, b: letter}).label
                    for a in range(n)
                    for b in range(a + 1, n)
                ]
    gens = equivariant_generators(rep, candidates)
    out = []
    for g in gens:
        total = sum(abs(v) for v in g.terms.values())
        out.append(PauliSum({k: v.real / total for k, v in g.terms.items()}, n))
    return out
