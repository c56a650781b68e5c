"""Circuit IR: ops validate themselves against the circuit, gate counts and depths are as documented,
and sequential composition shifts the parameter slots of the second circuit."""

from __future__ import annotations

import pytest

from equiqnn.circuits import (
    FIXED_GATES,
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
    hardware_efficient_ansatz,
    rotation_ops,
)
from equiqnn.symmetry import PauliSum


def _example() -> Circuit:
    ops = (
        DataRotation("Y", 0, 0),
        DataRotation("Y", 1, 1),
        PauliRotation("XXI", 0, 0.5),
        Barrier(),
        FixedGate("CNOT", (1, 2)),
        GeneratorRotation(PauliSum("1*XII + 1*ZII"), 1),
        FixedGate("H", (2,)),
    )
    return Circuit(3, ops, 2, "zero", 2, "example")


def test_gate_count_excludes_barriers():
    assert _example().gate_count == 6


def test_depth_is_the_longest_chain_of_gates_sharing_qubits():
    # q0: RY, XX, G -> 3; q1: RY, XX, CNOT -> 3; q2: CNOT, H -> 4 (CNOT waits for q1)
    assert _example().depth == 4
    assert Circuit(3, (), 0).depth == 0
    parallel = tuple(PauliRotation(lab, 0) for lab in ("XII", "IXI", "IIX"))
    assert Circuit(3, parallel, 1).depth == 1


def test_op_qubits_are_their_support():
    assert PauliRotation("IXIZ", 0).qubits == (1, 3)
    assert GeneratorRotation(PauliSum("1*XIII + 1*IIZI"), 0).qubits == (0, 2)
    assert DataRotation("X", 2, 0).qubits == (2,)
    assert Barrier().qubits == ()


def test_repr_is_pinned():
    assert repr(_example()) == "Circuit(example: 3 qubits, 2 params, 6 gates, depth 4)"


def test_composition_shifts_parameter_slots_of_the_second_circuit():
    a = Circuit(2, (PauliRotation("XI", 0), PauliRotation("IX", 1)), 2, name="a")
    b = Circuit(
        2, (PauliRotation("ZZ", 0), GeneratorRotation(PauliSum("1*XI + 1*ZI"), 1)), 2, name="b"
    )
    c = a + b
    assert c.n_params == 4 and c.name == "a+b"
    assert [op.slot for op in c.ops] == [0, 1, 2, 3]
    assert c.gate_count == a.gate_count + b.gate_count


def test_composition_keeps_the_first_circuits_input():
    enc = Circuit(2, (DataRotation("Y", 0, 0), DataRotation("Y", 1, 1)), 0, "plus", 2)
    c = enc + hardware_efficient_ansatz(2, layers=1)
    assert c.initial == "plus" and c.n_features == 2 and c.n_params == 2


def test_composition_refuses_other_sizes_and_a_second_input():
    with pytest.raises(ValueError, match=r"cannot compose circuits on 2 and 3 qubits"):
        Circuit(2, (), 0) + Circuit(3, (), 0)
    with pytest.raises(ValueError, match=r"must start from 'zero'"):
        Circuit(2, (), 0) + Circuit(2, (PauliRotation("XI", 0),), 1, "plus")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Circuit(2, (), 0, initial="one"),
            r"initial must be 'zero', 'plus' or 'amplitude'",
        ),
        (lambda: Circuit(2, (PauliRotation("XXX", 0),), 1), r"must have 2 letters"),
        (lambda: Circuit(2, (PauliRotation("XQ", 0),), 1), r"Pauli letter"),
        (lambda: Circuit(2, (PauliRotation("XX", 3),), 2), r"parameter slot 3 out of range for 2"),
        (lambda: Circuit(2, (GeneratorRotation(PauliSum("1j*XX"), 0),), 1), r"Hermitian Pauli sum"),
        (lambda: Circuit(2, (GeneratorRotation(PauliSum("1*XXX"), 0),), 1), r"Hermitian Pauli sum"),
        (
            lambda: Circuit(2, (DataRotation("W", 0, 0),), 0, "zero", 1),
            r"axis must be 'X', 'Y' or 'Z'",
        ),
        (
            lambda: Circuit(2, (DataRotation("X", 0, 2),), 0, "zero", 2),
            r"reads feature 2 on qubit 0",
        ),
        (lambda: Circuit(2, (DataRotation("X", 2, 0),), 0, "zero", 2), r"out of range"),
        (lambda: Circuit(2, (FixedGate("T", (0,)),), 0), r"unknown fixed gate 'T'"),
        (lambda: Circuit(2, (FixedGate("CNOT", (0, 0)),), 0), r"CNOT needs 2 distinct qubits"),
        (lambda: Circuit(2, (FixedGate("H", (0, 1)),), 0), r"H needs 1 distinct qubits"),
        (lambda: Circuit(2, (FixedGate("SWAP", (0, 2)),), 0), r"out of range for 2 qubits"),
    ],
)
def test_invalid_ops_are_refused_when_the_circuit_is_built(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_fixed_gate_table_lists_arities():
    assert FIXED_GATES == {"H": 1, "X": 1, "Y": 1, "Z": 1, "S": 1, "CNOT": 2, "CZ": 2, "SWAP": 2}


def test_rotation_ops_splits_commuting_generators_and_keeps_others_whole():
    ops = rotation_ops(PauliSum("0.5*XXI - 1*ZZI"), 3)
    assert ops == [PauliRotation("XXI", 3, 0.5), PauliRotation("ZZI", 3, -1.0)]
    (gen,) = rotation_ops(PauliSum("1*XI + 1*ZI"), 2)
    assert isinstance(gen, GeneratorRotation) and gen.slot == 2
    with pytest.raises(ValueError, match=r"must be Hermitian"):
        rotation_ops(PauliSum("1j*XI"), 0)


@pytest.mark.parametrize(("n", "layers"), [(1, 1), (3, 2), (5, 3)])
def test_hardware_efficient_ansatz_is_ry_layers_and_cnot_chains(n, layers):
    c = hardware_efficient_ansatz(n, layers=layers)
    assert c.n_params == n * layers
    assert c.gate_count == layers * (n + n - 1)
    rotations = [op for op in c.ops if isinstance(op, PauliRotation)]
    assert [op.slot for op in rotations] == list(range(n * layers))
    assert all(op.pauli.replace("I", "") == "Y" for op in rotations)
    assert sum(isinstance(op, Barrier) for op in c.ops) == layers


def test_hardware_efficient_ansatz_matches_a_parameter_budget_by_reusing_slots():
    c = hardware_efficient_ansatz(4, layers=2, n_params=3)
    assert c.n_params == 3
    slots = [op.slot for op in c.ops if isinstance(op, PauliRotation)]
    assert slots == [k % 3 for k in range(8)]
    big = hardware_efficient_ansatz(4, layers=2, n_params=100)  # layers added to fit the budget
    assert big.n_params == 100 and big.gate_count == 25 * (4 + 3)
    with pytest.raises(ValueError, match=r"n_params must be >= 1"):
        hardware_efficient_ansatz(4, layers=2, n_params=0)


@pytest.mark.parametrize("layers", [0, -1, 1.5, True])
def test_layers_must_be_a_positive_integer(layers):
    with pytest.raises(ValueError, match=r"layers must be an integer >= 1"):
        hardware_efficient_ansatz(3, layers=layers)


@pytest.mark.parametrize("initial", ["zero", "amplitude"])
def test_a_data_rotation_in_a_circuit_without_features_is_refused(initial):
    with pytest.raises(ValueError, match=r"feature"):
        Circuit(1, (DataRotation("Y", 0, 0),), 0, initial, 0)
