"""Dynamical Lie algebras (DLAs) of parametrized circuits, by explicit Lie closure on Pauli sums.

Conventions:

- A circuit built from rotations ``exp(-i θ H / 2)`` about Hermitian generators ``H_1, …, H_k``
  reaches the Lie group of ``g = ⟨i H_1, …, i H_k⟩_Lie``, the smallest real Lie algebra of
  anti-Hermitian operators that contains every ``i H_j`` and is closed under commutators. ``dla``
  returns a basis of ``g`` as *Hermitian* Pauli sums ``B`` (the algebra element is ``i B``); the
  bracket of two elements is represented by the Hermitian ``i [B_1, B_2]``, whose Pauli coefficients
  are real.
- Inner product: ``⟨A, B⟩ = Tr(A B) / 2**n``, i.e. the Euclidean product of Pauli coefficient
  vectors. Every returned basis element has unit norm in it; the basis is linearly independent but
  not orthogonal (the elements are the normalized commutators themselves, which stay sparse).
- Identity components of generators are kept (they add a central ``u(1)`` direction).
- Symmetry-reduced basis: when a ``Representation`` is given, every generator must commute with
  every ``R(g)``; then so does every element of ``g``, and it is a combination of signed orbit sums
  ``O = Σ_{t ∈ orbit(r)} σ_t t`` (orbit of a Pauli string ``r`` under ``P ↦ R(g) P R(g)†``, with the
  signs that conjugation produces). Orbits whose signs are inconsistent twirl to zero and never
  appear. Coordinates are kept per orbit, so vectors are about ``|G|`` times shorter, and a bracket
  ``[A, B]`` with ``B = twirl(b)`` is computed as ``twirl([A, b])`` from one representative string
  per orbit of ``B``.

Rank decisions use classical Gram–Schmidt applied twice on the coordinate vectors: a candidate
commutator ``v`` is new when its residual after projection onto the span found so far satisfies
``‖r‖ > tol · ‖v‖``. ``DLAResult.rank_gap`` reports how clearly that threshold separated the two
kinds of candidate (see there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from equiqnn.symmetry.lie_basis import (
    _bracket,
    _code,
    _Element,
    _element_to_sum,
    _GramSchmidt,
    _Orbits,
    _short,
    _to_element,
)
from equiqnn.symmetry.pauli import PauliString, PauliSum
from equiqnn.symmetry.representation import Representation

__all__ = ["DLAResult", "dla"]  # S_n forms and tables: ``lie_sn``

_BATCH = 64  # commutators projected together


@dataclass(frozen=True)
class DLAResult:
    """Outcome of a Lie closure.

    Attributes:
        dimension: real dimension of the algebra found (``len(basis)``); a lower bound when
            ``complete`` is False.
        basis: Hermitian Pauli sums ``B_k`` (the algebra is ``span_R{i B_k}``), unit norm under
            ``Tr(A B) / 2**n``, linearly independent, not orthogonal.
        complete: True when every bracket of basis elements was computed and found in the span, so
            ``basis`` spans the full DLA; False when ``max_dim`` stopped the closure.
        rank_gap: ``min_accepted_residual / max_rejected_residual`` — how well separated independent
            from dependent directions were. Each candidate's *relative residual* is ``‖r‖ / ‖v‖``
            (norm left after projecting out the current span, over its norm); generators count as
            candidates. ``inf`` when no non-zero candidate was rejected. Values far above
            ``1 / tol`` (typically ``1e10``–``1e15``) mean the dimension is numerically
            unambiguous; values near 1 mean the rank decision depended on ``tol``.
        min_accepted_residual: smallest relative residual of an accepted element (1.0 if only
            orthogonal ones were accepted).
        max_rejected_residual: largest relative residual of a rejected non-zero candidate (0.0 when
            none was rejected).
        n_strings: number of distinct Pauli strings in the support of ``basis`` (the size of the
            unreduced coordinate space actually used).
        n_coordinates: number of coordinates the rank tests used (orbits when a representation was
            given, else Pauli strings).
        n_commutators: brackets computed.
        reduced: True when the symmetry-reduced (orbit) basis was used.
    """

    dimension: int
    basis: list[PauliSum] = field(repr=False)
    complete: bool
    rank_gap: float
    min_accepted_residual: float
    max_rejected_residual: float
    n_strings: int
    n_coordinates: int
    n_commutators: int
    reduced: bool


# ---------------------------------------------------------------------------------------------------
# string codes: code = (x_mask << n) | z_mask, qubit 0 the most significant bit of each mask


def _as_generator(op: PauliSum | PauliString | str, k: int) -> PauliSum:
    if isinstance(op, (str, PauliString)):
        return PauliSum(op if isinstance(op, PauliString) else PauliString(op))
    if not isinstance(op, PauliSum):
        raise TypeError(
            f"generator {k} must be a PauliSum, a PauliString or a Pauli label such as 'XZ'; "
            f"got {type(op).__name__}."
        )
    return op


def dla(
    generators: Sequence[PauliSum | PauliString | str],
    *,
    representation: Representation | None = None,
    max_dim: int | None = None,
    tol: float = 1e-10,
) -> DLAResult:
    """Lie closure of ``span_R{i H : H in generators}`` under commutators.

    Args:
        generators: Hermitian generators ``H`` (gates ``exp(-i θ H / 2)``): Pauli sums with real
            coefficients, Pauli strings or labels; all on the same number of qubits.
        representation: when given, the generators must commute with every ``R(g)`` (checked: each
            must equal its twirl); the closure then runs in the basis of signed orbit sums.
        max_dim: cap on the dimension. Once reached, the closure goes on checking brackets and stops
            at the first one outside the span (result ``complete=False``); if none is, the algebra
            has exactly this dimension and ``complete=True``. ``None``: run to completion — the DLA can be
            exponentially large (up to ``4**n``), so set it for unknown models on many qubits.
        tol: relative residual threshold for linear independence (see module docstring).
    Returns:
        ``DLAResult``.

    >>> dla(["X", "Z"]).dimension  # su(2)
    3
    """
    if isinstance(generators, (str, PauliSum, PauliString)):
        generators = [generators]
    gens = [_as_generator(g, k) for k, g in enumerate(generators)]
    if not gens:
        raise ValueError("dla needs at least one generator; got an empty list.")
    sizes = {g.n_qubits for g in gens}
    if len(sizes) != 1:
        raise ValueError(
            f"all generators must act on the same number of qubits; got qubit counts {sorted(sizes)}."
        )
    n = sizes.pop()
    if n > 31:
        raise ValueError(
            f"dla packs Pauli strings into 64-bit codes; it supports up to 31 qubits, got {n}."
        )
    if not (isinstance(tol, float | int) and 0 < tol < 1):
        raise ValueError(
            f"tol must be a number in (0, 1); got {tol!r}. The default 1e-10 suits most cases."
        )
    if max_dim is not None and (
        isinstance(max_dim, bool) or not isinstance(max_dim, int | np.integer) or max_dim < 1
    ):
        raise ValueError(f"max_dim must be an integer >= 1 or None; got {max_dim!r}.")
    for k, g in enumerate(gens):
        scale = max((abs(v) for v in g.terms.values()), default=0.0)
        bad = [lab for lab, v in g.terms.items() if abs(v.imag) > 1e-12 * max(scale, 1.0)]
        if bad:
            raise ValueError(
                f"generator {k} must be Hermitian (real Pauli coefficients); {g!r} has complex "
                f"coefficients on {bad[:3]}. Pass the Hermitian H of the gate exp(-i θ H / 2)."
            )
    if representation is not None:
        if not isinstance(representation, Representation):
            raise TypeError(
                f"representation must be an equiqnn.symmetry.Representation; got "
                f"{type(representation).__name__}."
            )
        if representation.n_qubits != n:
            raise ValueError(
                f"the generators act on {n} qubits but the representation on "
                f"{representation.n_qubits}; build both for the same register."
            )
    orbits = _Orbits(n, representation)

    # generators → orbit coordinates, checking invariance (generator == its twirl)
    elements: list[_Element] = []
    cand: list[_Element] = []
    for k, g in enumerate(gens):
        items = [(lab, v.real) for lab, v in g.terms.items() if v != 0]
        codes = np.array([_code(lab) for lab, _ in items], dtype=np.uint64)
        vals = np.array([v for _, v in items], dtype=np.float64)
        n64 = np.uint64(n)
        el = _to_element(codes >> n64, codes & ((np.uint64(1) << n64) - np.uint64(1)), vals, orbits)
        if representation is not None:
            back = _element_to_sum(el, orbits)
            if not back.allclose(
                PauliSum(dict(items), n), 1e-9 * max(1.0, np.max(np.abs(vals), initial=0))
            ):
                raise ValueError(
                    f"generator {k} ({_short(g)}) does not commute with every R(g) of {representation!r}, "
                    "so the circuit would not be equivariant and the symmetry-reduced closure does not "
                    "apply. Twirl it first (equiqnn.symmetry.twirl(op, rep)) or drop representation=."
                )
        cand.append(el)

    state = _GramSchmidt(orbits, tol)
    full = False  # max_dim reached

    def room() -> int | None:
        return None if max_dim is None else max_dim - len(elements)

    for el in cand:
        elements += state.add([el], room())
        if state.refused:
            full = True
            break
    n_comm = 0
    k = 0
    while k < len(elements) and not full:
        j = 0
        while j < k and not full:
            batch: list[_Element] = []
            while j < k and len(batch) < _BATCH:
                batch.append(_bracket(elements[k], elements[j], orbits))
                j += 1
            n_comm += len(batch)
            elements += state.add(batch, room())
            full = state.refused > 0  # an independent element did not fit under max_dim
        k += 1
    complete = not full

    basis = [_element_to_sum(e, orbits, normalize=True) for e in elements]
    support = {lab for b in basis for lab in b.terms}
    return DLAResult(
        dimension=len(basis),
        basis=basis,
        complete=complete,
        rank_gap=state.gap(),
        min_accepted_residual=state.min_acc,
        max_rejected_residual=state.max_rej,
        n_strings=len(support),
        n_coordinates=orbits.count,
        n_commutators=n_comm,
        reduced=representation is not None,
    )
