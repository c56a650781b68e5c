"""Circuit IR: what a circuit does, independent of the engines that run it.

Conventions: rotation about a Pauli string ``P`` is ``exp(-i θ P / 2)``; character ``k`` of a label
acts on qubit ``k``; qubit 0 is the most significant bit. Trainable angles are ``coeff · params[slot]``,
so several gates can share one parameter slot (orbit sharing). Data angles are
``scale · x[..., feature]`` for angle encodings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from equiqnn.symmetry import PauliString, PauliSum

__all__ = [
    "PauliRotation",
    "GeneratorRotation",
    "DataRotation",
    "FixedGate",
    "Barrier",
    "Circuit",
    "FIXED_GATES",
    "Op",
]

FIXED_GATES = {"H": 1, "X": 1, "Y": 1, "Z": 1, "S": 1, "CNOT": 2, "CZ": 2, "SWAP": 2}


@dataclass(frozen=True)
class PauliRotation:
    """``exp(-i · coeff · params[slot] · P / 2)`` for a full-length Pauli label ``P``."""

    pauli: str
    slot: int
    coeff: float = 1.0

    @property
    def qubits(self) -> tuple[int, ...]:
        return PauliString(self.pauli).support


@dataclass(frozen=True)
class GeneratorRotation:
    """``exp(-i · params[slot] · H / 2)`` for a Hermitian Pauli sum ``H`` whose terms do not all
    commute: exponentiated exactly on the union of their supports (never Trotterized)."""

    generator: PauliSum = field(compare=False)
    slot: int
    key: str = ""

    @property
    def qubits(self) -> tuple[int, ...]:
        return tuple(sorted({q for s in self.generator.strings() for q in s.support}))


@dataclass(frozen=True)
class DataRotation:
    """``R_axis(scale · x[feature])`` on one qubit: the angle encoding's gate."""

    axis: str
    qubit: int
    feature: int
    scale: float = 1.0

    @property
    def qubits(self) -> tuple[int, ...]:
        return (self.qubit,)


@dataclass(frozen=True)
class FixedGate:
    """A parameter-free gate: H, X, Y, Z, S (one qubit) or CNOT (control, target), CZ, SWAP."""

    name: str
    qubits: tuple[int, ...]


@dataclass(frozen=True)
class Barrier:
    """Marks the end of a layer: ``placement="layer"`` noise acts here, once per qubit."""

    label: str = "layer"

    @property
    def qubits(self) -> tuple[int, ...]:
        return ()


Op = PauliRotation | GeneratorRotation | DataRotation | FixedGate | Barrier


@dataclass(frozen=True)
class Circuit:
    """An ordered list of ops on ``n_qubits`` qubits with ``n_params`` trainable slots.

    Args:
        n_qubits: number of qubits.
        ops: the operations in time order.
        n_params: number of trainable parameter slots (``params`` has shape ``(n_params,)``).
        initial: ``"zero"`` (|0…0⟩), ``"plus"`` (|+…+⟩) or ``"amplitude"`` (the input is the state).
        n_features: number of data features the ``DataRotation`` ops read (0 for amplitude inputs).
        name: short label shown in the repr.
    """

    n_qubits: int
    ops: tuple[Op, ...]
    n_params: int
    initial: str = "zero"
    n_features: int = 0
    name: str = "circuit"

    def __post_init__(self) -> None:
        if self.initial not in ("zero", "plus", "amplitude"):
            raise ValueError(
                f"initial must be 'zero', 'plus' or 'amplitude'; got {self.initial!r}."
            )
        for op in self.ops:
            _validate_op(op, self.n_qubits, self.n_params, self.n_features)

    @property
    def gate_count(self) -> int:
        """Number of gates (barriers excluded; a generator rotation counts as one gate)."""
        return sum(1 for op in self.ops if not isinstance(op, Barrier))

    @property
    def depth(self) -> int:
        """Circuit depth: longest chain of gates sharing qubits."""
        level = [0] * self.n_qubits
        for op in self.ops:
            qs = op.qubits
            if qs:
                d = max(level[q] for q in qs) + 1
                for q in qs:
                    level[q] = d
        return max(level, default=0)

    def __add__(self, other: Circuit) -> Circuit:
        """Sequential composition: ``other`` after ``self``; parameter slots of ``other`` shift."""
        if other.n_qubits != self.n_qubits:
            raise ValueError(
                f"cannot compose circuits on {self.n_qubits} and {other.n_qubits} qubits."
            )
        if other.initial != "zero" and other.ops:
            raise ValueError(
                "the second circuit of a composition must start from 'zero' (no input)."
            )
        shifted = tuple(_shift(op, self.n_params) for op in other.ops)
        return Circuit(
            self.n_qubits,
            self.ops + shifted,
            self.n_params + other.n_params,
            self.initial,
            max(self.n_features, other.n_features),
            f"{self.name}+{other.name}",
        )

    def __repr__(self) -> str:
        return (
            f"Circuit({self.name}: {self.n_qubits} qubits, {self.n_params} params, "
            f"{self.gate_count} gates, depth {self.depth})"
        )


def _shift(op: Op, offset: int) -> Op:
    if isinstance(op, PauliRotation):
        return PauliRotation(op.pauli, op.slot + offset, op.coeff)
    if isinstance(op, GeneratorRotation):
        return GeneratorRotation(op.generator, op.slot + offset, op.key)
    return op


def _validate_op(op: Op, n: int, n_params: int, n_features: int) -> None:
    if isinstance(op, PauliRotation):
        if len(op.pauli) != n:
            raise ValueError(f"PauliRotation label {op.pauli!r} must have {n} letters.")
        PauliString(op.pauli)
    if isinstance(op, (PauliRotation, GeneratorRotation)) and not 0 <= op.slot < n_params:
        raise ValueError(f"parameter slot {op.slot} out of range for {n_params} parameters.")
    if isinstance(op, GeneratorRotation) and (
        op.generator.n_qubits != n or not op.generator.is_hermitian()
    ):
        raise ValueError("a GeneratorRotation needs a Hermitian Pauli sum on the circuit's qubits.")
    if isinstance(op, DataRotation):
        if op.axis not in ("X", "Y", "Z"):
            raise ValueError(f"DataRotation axis must be 'X', 'Y' or 'Z'; got {op.axis!r}.")
        if not 0 <= op.qubit < n:
            raise ValueError(f"DataRotation on qubit {op.qubit}: out of range for {n} qubits.")
        if not 0 <= op.feature < n_features:
            raise ValueError(
                f"DataRotation reads feature {op.feature} on qubit {op.qubit}, but the circuit reads {n_features} "
                "features (amplitude circuits read none): set n_features, or drop the rotation."
            )
    if isinstance(op, FixedGate):
        if op.name not in FIXED_GATES:
            raise ValueError(f"unknown fixed gate {op.name!r}; known: {sorted(FIXED_GATES)}.")
        if len(op.qubits) != FIXED_GATES[op.name] or len(set(op.qubits)) != len(op.qubits):
            raise ValueError(
                f"{op.name} needs {FIXED_GATES[op.name]} distinct qubits; got {op.qubits}."
            )
        if any(not 0 <= q < n for q in op.qubits):
            raise ValueError(f"{op.name} on qubits {op.qubits}: out of range for {n} qubits.")


def rotation_ops(generator: PauliSum, slot: int) -> list[Op]:
    """Ops for ``exp(-i θ H / 2)``: a product of Pauli rotations when the terms commute, one exact
    ``GeneratorRotation`` otherwise. Coefficients must be real."""
    if not generator.is_hermitian():
        raise ValueError(f"generator must be Hermitian (real coefficients); got {generator!r}.")
    if generator.commuting():
        return [PauliRotation(k, slot, float(v.real)) for k, v in generator.terms.items()]
    return [GeneratorRotation(generator, slot, str(generator))]


def labels_on(n: int, letters: Sequence[tuple[int, str]]) -> str:
    """Full-length label with the given ``(qubit, letter)`` pairs."""
    return PauliString.on(n, dict(letters)).label
