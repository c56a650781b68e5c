"""Group a noisy schedule into blocks for the Heisenberg density-matrix path (see ``dm_pauli``).

Block kinds, in time order:

* ``L`` — one-qubit ops (gates, data rotations, channels), kept per qubit and fused at run time
  into one 4×4 PTM per qubit;
* ``C`` — a run of monomial ops (Clifford gates, Pauli channels, on any qubits), composed at
  compile time into one signed gather ``o ↦ val ⊙ o[perm]`` over all ``4**n`` Pauli indices;
* ``G`` — anything else, alone: a multi-qubit Pauli rotation (flip form), a fixed multi-qubit PTM,
  a generator rotation on at most 3 qubits.

An op moves to an earlier block only across blocks that do not touch its qubits (it commutes with
them), so every qubit's ops keep their order. With an initial product state the first block, when
it is ``L``, is the product prefix: applied to per-qubit Bloch vectors ``(B, n, 4)`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from equiqnn.circuits import Circuit, DataRotation, FixedGate, GeneratorRotation, PauliRotation
from equiqnn.noise import NoiseModel
from equiqnn.sim.dm_pauli import compose_monomial, flip_tables, monomial, ptm, rotation_parts
from equiqnn.sim.plan import _restrict, fixed_gate_matrix
from equiqnn.sim.schedule import noisy_schedule

__all__ = ["Item", "Block", "HeisenbergPlan", "compile_heisenberg", "MERGE_MAX_QUBITS"]

MERGE_MAX_QUBITS = 12  # C blocks hold 4**n int64 + float arrays; beyond this, ops stay dense
GEN_MAX_QUBITS = 3  # a generator rotation's PTM is 4**k × 4**k


@dataclass
class Item:
    """One op. ``kind``: 'const' (PTM ``mat``), 'rot' (``C + cos·A + sin·S`` with angle
    ``coeff·params[slot]``), 'data' (the same with ``coeff·x[:, feature]``), 'flip' (multi-qubit
    Pauli rotation), 'gen' (generator rotation ``V diag(e^{-iθλ/2}) V†``)."""

    kind: str
    qubits: tuple[int, ...]
    mat: np.ndarray | None = None
    parts: tuple[np.ndarray, ...] = ()
    slot: int = -1
    feature: int = -1
    coeff: float = 1.0


@dataclass
class Block:
    kind: str  # 'L' | 'C' | 'G'
    local: dict[int, list[Item]] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    perm: np.ndarray | None = None
    val: np.ndarray | None = None

    def touches(self, q: int) -> bool:
        if self.kind == "L":
            return q in self.local
        return any(q in it.qubits for it in self.items)


@dataclass
class HeisenbergPlan:
    n: int
    blocks: list[Block]
    prefix: Block | None  # the product-state prefix (initial 'zero'/'plus' only)


def _item(op, n: int) -> tuple[Item, bool] | None:
    """The op as an Item and whether its PTM is monomial (None: not supported on this path)."""
    if isinstance(op, FixedGate):
        k = len(op.qubits)
        return Item("const", tuple(op.qubits), ptm([fixed_gate_matrix(op.name)], k)), True
    if isinstance(op, PauliRotation):
        qs = op.qubits
        letters = "".join(op.pauli[q] for q in qs)
        if len(qs) == 1:
            return Item(
                "rot", qs, parts=rotation_parts(letters), slot=op.slot, coeff=op.coeff
            ), False
        return Item("flip", qs, parts=flip_tables(letters), slot=op.slot, coeff=op.coeff), False
    if isinstance(op, DataRotation):
        parts = rotation_parts(op.axis)
        return Item("data", (op.qubit,), parts=parts, feature=op.feature, coeff=op.scale), False
    if isinstance(op, GeneratorRotation):
        qs = op.qubits
        if len(qs) > GEN_MAX_QUBITS:
            return None
        lam, vec = np.linalg.eigh(_restrict(op.generator, qs))
        return Item("gen", qs, parts=(lam, vec), slot=op.slot), False
    return None  # pragma: no cover - the IR validates op types


def compile_heisenberg(circuit: Circuit, noise: NoiseModel | None) -> HeisenbergPlan | None:
    """Blocks of the noisy circuit, or None when the Heisenberg path does not apply (data rotations
    after an entangling op, amplitude circuits with data rotations, wide generator rotations)."""
    n = circuit.n_qubits
    blocks: list[Block] = []
    last = [-1] * n

    def first_after(kind: str, b: int) -> int:
        for j in range(b + 1, len(blocks)):
            if blocks[j].kind == kind:
                return j
        blocks.append(Block(kind))
        return len(blocks) - 1

    for entry in noisy_schedule(circuit, noise):
        if entry.op is None:
            assert entry.channel is not None
            qs = tuple(entry.qubits)
            it = Item("const", qs, ptm(entry.channel.kraus, len(qs)))
            mono = monomial(it.mat.T) is not None  # type: ignore[union-attr]
        else:
            got = _item(entry.op, n)
            if got is None:
                return None
            it, mono = got
        qs = it.qubits
        if mono and n > MERGE_MAX_QUBITS and len(qs) > 1:
            mono = False
        b = max(last[q] for q in qs)
        if len(qs) == 1 and it.kind != "flip" and it.kind != "gen":
            q = qs[0]
            if b >= 0 and (blocks[b].kind == "L" or (mono and blocks[b].kind == "C")):
                j = b
            else:
                j = first_after("L", b)
            if blocks[j].kind == "L":
                blocks[j].local.setdefault(q, []).append(it)
            else:
                blocks[j].items.append(it)
        elif mono:
            j = b if b >= 0 and blocks[b].kind == "C" else first_after("C", b)
            blocks[j].items.append(it)
        else:
            blocks.append(Block("G", items=[it]))
            j = len(blocks) - 1
        for q in qs:
            last[q] = j
    prefix = None
    if circuit.initial != "amplitude" and blocks and blocks[0].kind == "L":
        prefix = blocks.pop(0)
    for blk in blocks:
        if any(it.kind == "data" for items in blk.local.values() for it in items):
            return None
        if blk.kind == "C":
            _compose(blk, n)
    return HeisenbergPlan(n, blocks, prefix)


def _embed_ptm(mat: np.ndarray, qs: tuple[int, ...], onto: tuple[int, ...]) -> np.ndarray:
    """A PTM on ``qs`` ⊆ ``onto`` as a PTM on ``onto`` (its order: first listed most significant)."""
    k, m = len(onto), len(qs)
    rest = [q for q in onto if q not in qs]
    full = np.kron(mat, np.eye(4 ** (k - m))).reshape((4,) * (2 * k))
    src = list(qs) + rest  # current axis order of the rows (and of the columns)
    perm = [src.index(q) for q in onto]
    return full.transpose(perm + [k + p for p in perm]).reshape(4**k, 4**k)


def _compose(blk: Block, n: int) -> None:
    """Compose a C block's items (time order) into one Heisenberg signed gather.

    Items on qubits already covered by the previous item are first multiplied into it on its
    support (e.g. a CNOT with the channels after it: one 16×16 monomial), so the ``4**n`` arrays
    are touched once per group instead of once per item."""
    groups: list[tuple[tuple[int, ...], np.ndarray]] = []
    for it in blk.items:
        h = it.mat.T  # type: ignore[union-attr]
        if groups and set(it.qubits) <= set(groups[-1][0]):
            qs, prev = groups[-1]
            groups[-1] = (qs, prev @ _embed_ptm(h, it.qubits, qs))
        else:
            groups.append((it.qubits, h))
    index_dtype = np.int32 if n <= 15 else np.int64
    perm = np.arange(4**n, dtype=index_dtype)
    val = np.ones(4**n)
    for qs, h in groups:
        local = monomial(h)
        assert local is not None
        perm, val = compose_monomial(perm, val, (local[0].astype(index_dtype), local[1]), qs, n)
    blk.perm, blk.val = perm.astype(np.int64), val
