"""From a circuit to what Pauli propagation needs: the product encoding, the folded leading
single-qubit gates, the blocks of gates sharing one angle, and the symmetry checks that make orbit
merging exact (see ``pauli_propagation``)."""

from __future__ import annotations

import numpy as np

from equiqnn.circuits import (
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
)
from equiqnn.sim.pauliprop_plan import _Block
from equiqnn.sim.pauliprop_readout import _Fold
from equiqnn.sim.pauliprop_strings import _anticommuting, _canonical, _keys, _masks, _permuted
from equiqnn.symmetry import PauliString

__all__: list[str] = []

Encoding = list[list[tuple[str, int, float]]]


def _split(circuit: Circuit) -> tuple[Encoding, list[tuple[PauliRotation | FixedGate, int]]]:
    """Leading data rotations per qubit, and the trainable gates after them with their layer
    index (barriers counted, then dropped)."""
    enc: Encoding = [[] for _ in range(circuit.n_qubits)]
    gates: list[tuple[PauliRotation | FixedGate, int]] = []
    layer = 0
    for op in circuit.ops:
        if isinstance(op, Barrier):
            layer += bool(gates)
            continue
        if isinstance(op, DataRotation):
            if gates:
                raise ValueError(
                    f"data rotation on qubit {op.qubit} after a trainable gate (data re-uploading): "
                    "Pauli propagation reads out on a product input only. Use StatevectorEngine."
                )
            enc[op.qubit].append((op.axis, op.feature, op.scale))
        elif isinstance(op, PauliRotation) or (
            isinstance(op, FixedGate) and op.name in ("X", "Y", "Z")
        ):
            gates.append((op, layer))
        elif isinstance(op, FixedGate):
            raise ValueError(
                f"fixed gate {op.name} is not supported by Pauli propagation (only X, Y, Z); "
                "use StatevectorEngine."
            )
        elif isinstance(op, GeneratorRotation):
            raise ValueError(
                f"non-commuting generator rotation (slot {op.slot}) is not supported by Pauli "
                "propagation; use StatevectorEngine, or an ansatz whose orbits commute (e.g. "
                "singles='X', pair_letters=('ZZ',))."
            )
        else:
            raise ValueError(f"unsupported op {op!r} for Pauli propagation.")
    return enc, gates


def _label(op: PauliRotation | FixedGate, n: int) -> str:
    if isinstance(op, FixedGate):
        return PauliString.on(n, {op.qubits[0]: op.name}).label
    return op.pauli


def _blocks(gates: list[tuple[PauliRotation | FixedGate, int]], n: int, words: int) -> list[_Block]:
    """Maximal runs of consecutive gates with the same ``(slot, coeff)`` (fixed Paulis: slot -1)."""
    runs: list[list[tuple[PauliRotation | FixedGate, int]]] = []
    key = None
    for op, layer in gates:
        k = (-1, 0.0) if isinstance(op, FixedGate) else (op.slot, float(op.coeff))
        if k != key or runs[-1][0][1] != layer:
            runs.append([])
            key = k
        runs[-1].append((op, layer))
    out = []
    for run in runs:
        first = run[0][0]
        px, pz = _masks([_label(op, n) for op, _ in run], n, words)
        slot, coeff = (-1, 0.0) if isinstance(first, FixedGate) else (first.slot, first.coeff)
        out.append(_Block(slot, coeff, px, pz, [op.qubits for op, _ in run], run[0][1]))
    return out


def _fold_blocks(blocks: list[_Block], n: int) -> tuple[list[_Block], _Fold]:
    """Split off the blocks of single-qubit gates that act before any kept gate on their qubits
    (they rotate the product state's Bloch vectors instead of branching strings)."""
    touched = np.zeros(n, dtype=bool)
    kept: list[_Block] = []
    fq: list[int] = []
    fa: list[int] = []
    fs: list[int] = []
    fc: list[float] = []
    for block in blocks:
        if all(len(q) == 1 and not touched[q[0]] for q in block.qubits):
            for g, (q,) in enumerate(block.qubits):
                x = bool(block.px[g, q // 64] >> np.uint64(q % 64) & np.uint64(1))
                z = bool(block.pz[g, q // 64] >> np.uint64(q % 64) & np.uint64(1))
                fq.append(q)
                fa.append({(True, False): 0, (True, True): 1, (False, True): 2}[(x, z)])
                fs.append(block.slot)
                fc.append(block.coeff)
        else:
            kept.append(block)
            for qs in block.qubits:
                touched[list(qs)] = True
    fold = _Fold(
        np.array(fq, dtype=np.int64),
        np.array(fa, dtype=np.int64),
        np.array(fs, dtype=np.int64),
        np.array(fc, dtype=np.float64),
    )
    return kept, fold


def _perms(symmetry, n: int) -> np.ndarray | None:
    """Qubit permutations ``(G, n)`` of a ``Representation`` or an integer array; ``None`` for none."""
    if symmetry is None:
        return None
    paulis = getattr(symmetry, "paulis", None)
    if paulis is not None and any(set(p) - {"I"} for p in paulis):
        raise ValueError(
            f"orbit merging supports qubit-permutation representations only; {symmetry!r} has "
            "Pauli parts (sign flips). Pass symmetry=None."
        )
    perms = np.asarray(getattr(symmetry, "qubit_perms", symmetry), dtype=np.int64)
    if perms.ndim != 2 or perms.shape[1] != n:
        raise ValueError(
            f"symmetry must be a Representation or a (G, {n}) array of qubit permutations; got "
            f"shape {perms.shape}."
        )
    if any(sorted(p) != list(range(n)) for p in perms.tolist()):
        raise ValueError("symmetry: every row must be a permutation of range(n_qubits).")
    if len({tuple(p) for p in perms.tolist()}) != len(perms):
        raise ValueError("symmetry: permutations must be distinct group elements.")
    return perms


def _check_block_invariant(block: _Block, perms: np.ndarray) -> None:
    """A block is an invariant unitary when its gates commute and their set is closed under the
    group; orbit merging is exact only then."""
    m = len(block.px)
    for g in range(m):
        if _anticommuting(block.px, block.pz, block.px[g], block.pz[g]).any():
            raise ValueError(
                f"gates of slot {block.slot} do not commute, so their product is not invariant "
                "under the symmetry; pass symmetry=None."
            )
    own = set(_keys(block.px, block.pz).tolist())
    ox, oz = _permuted(block.px, block.pz, perms)
    for g in range(len(perms)):
        if set(_keys(ox[g], oz[g]).tolist()) != own:
            raise ValueError(
                f"the gates of slot {block.slot} (layer {block.layer}) are not mapped to themselves "
                f"by symmetry element {g}: the circuit is not invariant; pass symmetry=None."
            )


def _orbit_observables(
    x: np.ndarray, z: np.ndarray, c: np.ndarray, perms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Observables as orbit sums: representatives, their coefficients ``(R, K)`` and orbit sizes.
    Raises when an observable is not invariant (an orbit incomplete or unequally weighted)."""
    cx, cz, size = _canonical(x, z, perms)
    _, first, inverse = np.unique(_keys(cx, cz), return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    count = np.bincount(inverse)
    rep_c = c[first]
    spread = np.abs(c - rep_c[inverse]).max(initial=0.0)
    if (count != size[first]).any() or spread > 1e-12 * max(1.0, np.abs(c).max(initial=0.0)):
        raise ValueError(
            "an observable is not invariant under the symmetry (a Pauli orbit is incomplete or "
            "its strings carry different coefficients); pass symmetry=None."
        )
    return cx[first], cz[first], rep_c, size[first]
