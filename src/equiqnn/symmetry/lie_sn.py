"""S_n generator sets, the closed form of their DLA dimension, and DLA tables (see ``lie``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from math import comb

import numpy as np

from equiqnn.symmetry.lie import dla
from equiqnn.symmetry.pauli import PauliString, PauliSum
from equiqnn.symmetry.representation import Representation

__all__ = ["SN_DLA_FORMULAS", "sn_generators", "sn_dla_dimension", "dla_table", "format_dla_table"]


_SN_KINDS = ("X", "Y", "Z", "XX", "YY", "ZZ")


def sn_generators(n: int, kinds: Sequence[str] = ("X", "Y", "ZZ")) -> list[PauliSum]:
    """Permutation-invariant generators on ``n`` qubits: ``"X"`` → ``Σ_i X_i``, ``"ZZ"`` →
    ``Σ_{i<j} Z_i Z_j`` (likewise Y, Z, XX, YY), unit coefficients, in the order of ``kinds``.

    >>> sn_generators(2, ("X", "ZZ"))
    [PauliSum('1.0*XI + 1.0*IX'), PauliSum('1.0*ZZ')]
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (qubits); got {n!r}.")
    kinds = _check_kinds(kinds)
    out = []
    for kind in kinds:
        if len(kind) == 1:
            out.append(PauliSum({PauliString.on(n, {i: kind}).label: 1.0 for i in range(n)}, n))
        else:
            out.append(
                PauliSum(
                    {
                        PauliString.on(n, {i: kind[0], j: kind[1]}).label: 1.0
                        for i in range(n)
                        for j in range(i + 1, n)
                    },
                    n,
                )
            )
    return out


def _check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    if isinstance(kinds, str):
        raise ValueError(
            f"kinds must be a sequence of names such as ('X', 'Y', 'ZZ'), not the string {kinds!r}."
        )
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in _SN_KINDS]
    if bad or not kinds or len(set(kinds)) != len(kinds):
        raise ValueError(f"kinds must be distinct names from {_SN_KINDS}; got {kinds!r}.")
    return kinds


def _sn_formula(n: int) -> int:
    """``C(n+3, 3) − ⌊n/2⌋``: ``⊕_J su(2J+1)`` over the ``⌊n/2⌋ + 1`` spin sectors plus one
    central ``u(1)`` direction."""
    return comb(n + 3, 3) - n // 2


# generator set (as a frozenset of kinds) → (formula text, function of n); each verified against an
# explicit closure with dla for n = 2..8 in tests/symmetry/test_symmetry_lie.py (n = 7, 8 marked slow)
SN_DLA_FORMULAS: Mapping[frozenset[str], tuple[str, Callable[[int], int]]] = {
    frozenset(k): ("C(n+3,3) - floor(n/2)", _sn_formula)
    for k in (
        ("X", "Y", "ZZ"),
        ("X", "Z", "ZZ"),
        ("X", "Y", "Z", "ZZ"),
        ("X", "Y", "Z", "XX", "YY", "ZZ"),
    )
}


def sn_dla_dimension(n: int, kinds: Sequence[str] = ("X", "Y", "ZZ")) -> int:
    """Closed-form DLA dimension of the S_n-invariant generator set ``sn_generators(n, kinds)``.

    Schur–Weyl duality splits ``(C²)^⊗n`` into spin sectors ``J = n/2, n/2 − 1, …`` (``⌊n/2⌋ + 1``
    of them); S_n-invariant operators are ``⊕_J End(C^{2J+1})``, of dimension ``C(n+3, 3)``, whose
    centre is spanned by the sector projectors. For ``{X, Y, ZZ}``, ``{X, Z, ZZ}``,
    ``{X, Y, Z, ZZ}`` and the library's default equivariant layer ``{X, Y, Z, XX, YY, ZZ}``
    (``singles="XYZ"``, ``pair_letters=("ZZ", "XX", "YY")``) the DLA is ``⊕_J su(2J+1)`` plus one
    central direction (the sector-wise mean of ``Σ Z_iZ_j``, a function of the total spin ``S²``;
    commutators are traceless on every sector, so only the generators add central parts, and for
    these sets they are all proportional). Dimension::

        C(n+3, 3) − ⌊n/2⌋

    the formula quoted in the issue; the semisimple part alone has ``C(n+3,3) − ⌊n/2⌋ − 1``. ``{X, ZZ}`` is smaller (the global ``X⊗…⊗X`` parity is an extra
    symmetry) and has no closed form here. Raises ``ValueError`` for sets without a known closed form
    (compute them with ``dla``).

    >>> sn_dla_dimension(4)
    33
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (qubits); got {n!r}.")
    key = frozenset(_check_kinds(kinds))
    if key not in SN_DLA_FORMULAS:
        known = [tuple(sorted(k)) for k in SN_DLA_FORMULAS]
        raise ValueError(
            f"no closed form is known here for the generator set {tuple(kinds)}; known sets: "
            f"{known}. Compute it with dla(sn_generators(n, kinds), representation=rep)."
        )
    return int(SN_DLA_FORMULAS[key][1](int(n)))


# ---------------------------------------------------------------------------------------------------
# tables


def dla_table(
    families: Sequence[tuple[str, Sequence[PauliSum | str], Representation | None, str]]
    | Mapping[str, object],
    *,
    max_dim: int | None = None,
    tol: float = 1e-10,
) -> list[dict[str, object]]:
    """DLA dimensions of several models, one row each.

    Args:
        families: rows ``(family, generators, representation or None, description)``; the
            description says which generators were used (e.g. ``"Σ X_i, Σ Y_i, Σ Z_iZ_j"``).
            An optional fifth entry overrides ``max_dim`` for that row. (``equiqnn.symmetry`` cannot
            build circuits; construct generator lists with ``equiqnn.circuits`` — see
            ``docs/lie.md``.)
        max_dim: default cap per row (``None``: full closure).
        tol: passed to ``dla``.
    Returns:
        Dicts with keys ``family``, ``n_qubits``, ``generators``, ``n_generators``, ``dimension``,
        ``complete``, ``rank_gap``, ``n_coordinates``.
    """
    if isinstance(families, Mapping):
        raise ValueError(
            "families must be a sequence of (family, generators, representation, description) "
            "tuples; got a mapping."
        )
    rows = []
    for k, row in enumerate(families):
        if not isinstance(row, tuple | list) or len(row) not in (4, 5):
            raise ValueError(
                f"row {k} of families must be (family, generators, representation, description"
                f"[, max_dim]); got {row!r}."
            )
        name, gens, rep, desc = row[:4]
        cap = row[4] if len(row) == 5 else max_dim
        res = dla(list(gens), representation=rep, max_dim=cap, tol=tol)
        first = gens[0]
        nq = (
            first.n_qubits
            if isinstance(first, PauliSum)
            else len(str(first if isinstance(first, str) else first.label))
        )
        rows.append(
            {
                "family": str(name),
                "n_qubits": int(nq),
                "generators": str(desc),
                "n_generators": len(gens),
                "dimension": res.dimension,
                "complete": res.complete,
                "rank_gap": res.rank_gap,
                "n_coordinates": res.n_coordinates,
            }
        )
    return rows


def format_dla_table(rows: Sequence[Mapping[str, object]]) -> str:
    """Markdown table of ``dla_table`` rows (``≥ d`` marks an incomplete closure)."""
    lines = [
        "| family | qubits | generators | DLA dimension |",
        "|---|---|---|---|",
    ]
    for r in rows:
        dim = f"{r['dimension']}" if r["complete"] else f"≥ {r['dimension']}"
        lines.append(f"| {r['family']} | {r['n_qubits']} | {r['generators']} | {dim} |")
    return "\n".join(lines)
