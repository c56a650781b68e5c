"""Ansätze: equivariant by construction, the field's register models, and their controls.

Conventions: rotation about Pauli string P is exp(-i θ P / 2); qubit 0 is the most significant bit.
Every layer ends with a ``Barrier`` (where ``placement="layer"`` noise acts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from equiqnn.circuits.ir import (
    Barrier,
    Circuit,
    FixedGate,
    GeneratorRotation,
    Op,
    PauliRotation,
    labels_on,
    rotation_ops,
)
from equiqnn.groups import grid_neighbour_pairs, ring_pairs
from equiqnn.symmetry import PauliString, PauliSum, Representation, equivariant_generators

__all__ = [
    "equivariant_ansatz",
    "control_ansatz",
    "register_ansatz",
    "hardware_efficient_ansatz",
    "default_pairs",
]


def _check_layers(layers: int) -> int:
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or layers < 1:
        raise ValueError(f"layers must be an integer >= 1; got {layers!r}.")
    return int(layers)


def default_pairs(
    rep: Representation, pairs: str | Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Candidate qubit pairs: ``"nn"`` (grid or ring neighbours when qubits are sites, else all),
    ``"all"``, or an explicit list."""
    n = rep.n_qubits
    if not isinstance(pairs, str):
        out = [(min(a, b), max(a, b)) for a, b in pairs]
        if any(a == b or not 0 <= a < n or not 0 <= b < n for a, b in out):
            raise ValueError(f"pairs must be distinct qubits in range({n}); got {list(pairs)}.")
        return out
    if pairs == "all" or rep.group.n_sites != n:
        if pairs not in ("all", "nn"):
            raise ValueError(f"pairs must be 'nn', 'all' or a list of pairs; got {pairs!r}.")
        return [(a, b) for a in range(n) for b in range(a + 1, n)]
    if pairs != "nn":
        raise ValueError(f"pairs must be 'nn', 'all' or a list of pairs; got {pairs!r}.")
    shape = rep.group.shape
    return grid_neighbour_pairs(*shape) if len(shape) == 2 else ring_pairs(n)


def _candidates(rep: Representation, singles: str, pair_letters: Sequence[str], pairs) -> list[str]:
    n = rep.n_qubits
    out = [labels_on(n, [(q, a)]) for a in singles for q in range(n)]
    for letters in pair_letters:
        if len(letters) != 2:
            raise ValueError(
                f"pair_letters entries must be two letters such as 'ZZ'; got {letters!r}."
            )
        out += [
            labels_on(n, [(a, letters[0]), (b, letters[1])]) for a, b in default_pairs(rep, pairs)
        ]
    return out


def equivariant_generators_for(
    rep: Representation,
    singles: str = "XYZ",
    pair_letters: Sequence[str] = ("ZZ", "XX", "YY"),
    pairs: str | Sequence[tuple[int, int]] = "nn",
) -> list[PauliSum]:
    """The twirled generators one equivariant layer uses (one trainable angle each)."""
    return equivariant_generators(rep, _candidates(rep, singles, pair_letters, pairs))


def equivariant_ansatz(
    rep: Representation,
    *,
    layers: int,
    singles: str = "XYZ",
    pair_letters: Sequence[str] = ("ZZ", "XX", "YY"),
    pairs: str | Sequence[tuple[int, int]] = "nn",
) -> Circuit:
    """Layers of twirled generators, each orbit sharing one angle.

    Args:
        rep: the qubit representation R(g) the circuit must commute with.
        layers: repetitions, >= 1.
        singles: single-qubit Pauli letters to twirl (one candidate per qubit and letter).
        pair_letters: two-qubit candidates, e.g. ``("ZZ", "XX", "YY")``.
        pairs: ``"nn"``, ``"all"`` or an explicit list of qubit pairs.
    Returns:
        Circuit on ``rep.n_qubits`` qubits; parameters ``(layers * n_generators,)``, layer-major.
    """
    layers = _check_layers(layers)
    gens = equivariant_generators_for(rep, singles, pair_letters, pairs)
    if not gens:
        raise ValueError(f"no candidate generator survives the twirl over {rep!r}; add candidates.")
    ops: list[Op] = []
    for layer in range(layers):
        for k, gen in enumerate(gens):
            ops += rotation_ops(gen, layer * len(gens) + k)
        ops.append(Barrier(f"layer {layer}"))
    return Circuit(
        rep.n_qubits, tuple(ops), layers * len(gens), name=f"equivariant[{rep.group.name}]x{layers}"
    )


_ROTATE = {"X": "Y", "Y": "Z", "Z": "X", "I": "I"}


def control_ansatz(rep: Representation, *, layers: int, **kwargs) -> Circuit:
    """The matched non-equivariant control of ``equivariant_ansatz``: the same schedule, gates,
    depth and parameter slots, but the Pauli letters of every other gate of an orbit are rotated
    (X→Y→Z→X), so the orbit no longer maps to itself under ``R(g)``. Orbits of one gate (e.g. under
    sign flips) are rotated in every other slot; a non-commuting orbit stays one exact generator
    rotation whose every other term is rotated."""
    eq = equivariant_ansatz(rep, layers=layers, **kwargs)
    sizes: dict[int, int] = {}
    for op in eq.ops:
        if isinstance(op, PauliRotation):
            sizes[op.slot] = sizes.get(op.slot, 0) + 1

    def rotate(label: str) -> str:
        return "".join(_ROTATE[c] for c in label)

    ops: list[Op] = []
    count: dict[int, int] = {}
    for op in eq.ops:
        if isinstance(op, PauliRotation):
            k = count.get(op.slot, 0)
            count[op.slot] = k + 1
            flip = k % 2 == 1 or (sizes[op.slot] == 1 and op.slot % 2 == 1)
            ops.append(PauliRotation(rotate(op.pauli) if flip else op.pauli, op.slot, op.coeff))
        elif isinstance(op, GeneratorRotation):
            terms = {
                (rotate(lab) if j % 2 else lab): c.real
                for j, (lab, c) in enumerate(op.generator.terms.items())
            }
            gen = PauliSum(terms, op.generator.n_qubits)
            ops.append(GeneratorRotation(gen, op.slot, str(gen)))
        else:
            ops.append(op)
    return Circuit(eq.n_qubits, tuple(ops), eq.n_params, name=f"control[{rep.group.name}]x{layers}")


def _register_pairs(m: int) -> list[tuple[int, int]]:
    even = [(a, a + 1) for a in range(0, m - 1, 2)]
    odd = [(a, a + 1) for a in range(1, m - 1, 2)]
    wrap = [(m - 1, 0)] if m > 2 else []
    return even + odd + wrap


def register_ansatz(side: int, *, layers: int, frame: str = "X", control: bool = False) -> Circuit:
    """The register model of the field, gate for gate (6 parameters per layer).

    Block(a, b; t1, t2, t3) on coordinate bits a, b: RX(t1) on row a and column a; RX(t2) on row b
    and column b; then exp(-i t3 YYYY / 2) on (row a, row b, column a, column b). A layer: "fine"
    blocks on the brick ring (0,1), (2,3), …, (1,2), (3,4), …, (m-1, 0) sharing one angle triple,
    then one "coarse" block on (0, m/2) with its own triple. ``control=True`` gives the matched
    control: RY instead of RX and YYZZ instead of YYYY on the column register (same schedule, gate
    count, depth and parameters; not invariant). ``frame="Z"`` conjugates every gate by H⊗…⊗H
    (X↔Z, Y→−Y), matching ``RegisterAmplitude(frame="Z")``.
    """
    layers = _check_layers(layers)
    if (
        isinstance(side, bool)
        or not isinstance(side, (int, np.integer))
        or side < 4
        or side & (side - 1)
    ):
        raise ValueError(f"register_ansatz needs a side that is a power of two >= 4; got {side!r}.")
    if frame not in ("X", "Z"):
        raise ValueError(f"frame must be 'X' or 'Z'; got {frame!r}.")
    m = int(side).bit_length() - 1
    n = 2 * m
    col_rot, col_pair = ("Y", "ZZ") if control else ("X", "YY")

    def block(a: int, b: int, slot0: int) -> list[Op]:
        return [
            PauliRotation(labels_on(n, [(a, "X")]), slot0),
            PauliRotation(labels_on(n, [(m + a, col_rot)]), slot0),
            PauliRotation(labels_on(n, [(b, "X")]), slot0 + 1),
            PauliRotation(labels_on(n, [(m + b, col_rot)]), slot0 + 1),
            PauliRotation(
                labels_on(n, [(a, "Y"), (b, "Y"), (m + a, col_pair[0]), (m + b, col_pair[1])]),
                slot0 + 2,
            ),
        ]

    ops: list[Op] = []
    for layer in range(layers):
        base = 6 * layer
        for a, b in _register_pairs(m):
            ops += block(a, b, base)
        ops += block(0, m // 2, base + 3)
        ops.append(Barrier(f"layer {layer}"))
    if frame == "Z":
        ops = [_hadamard_conjugate(op) for op in ops]
    kind = "register-control" if control else "register"
    return Circuit(n, tuple(ops), 6 * layers, name=f"{kind}[{frame}]x{layers}")


def _hadamard_conjugate(op: Op) -> Op:
    if not isinstance(op, PauliRotation):
        return op
    label = op.pauli.translate(str.maketrans("XZ", "ZX"))
    sign = -1.0 if op.pauli.count("Y") % 2 else 1.0
    return PauliRotation(label, op.slot, sign * op.coeff)


def hardware_efficient_ansatz(
    n_qubits: int, *, layers: int, n_params: int | None = None
) -> Circuit:
    """RY on every qubit then a CNOT chain (0→1, 1→2, …) per layer.

    Args:
        n_qubits: number of qubits.
        layers: repetitions, >= 1.
        n_params: match this parameter count exactly. Fewer than ``n_qubits·layers``: the RY gates
            reuse slots cyclically. More: layers are added until every slot has a gate, so the
            circuit has ``max(layers, ⌈n_params / n_qubits⌉)`` layers.
    """
    layers = _check_layers(layers)
    budget = n_qubits * layers if n_params is None else int(n_params)
    if budget < 1:
        raise ValueError(f"n_params must be >= 1; got {n_params}.")
    layers = max(layers, -(-budget // n_qubits))
    ops: list[Op] = []
    k = 0
    for layer in range(layers):
        for q in range(n_qubits):
            ops.append(PauliRotation(PauliString.on(n_qubits, {q: "Y"}).label, k % budget))
            k += 1
        for q in range(n_qubits - 1):
            ops.append(FixedGate("CNOT", (q, q + 1)))
        ops.append(Barrier(f"layer {layer}"))
    return Circuit(n_qubits, tuple(ops), budget, name=f"hardware-efficient x{layers}")
