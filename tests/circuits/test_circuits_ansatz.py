"""Ansätze: the twirled and register ansätze commute with ``R(g)`` for every parameter value; their
matched controls keep the schedule, gate count, depth and parameters but break the symmetry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.circuits import (
    AngleEncoding,
    Barrier,
    Circuit,
    GeneratorRotation,
    PauliRotation,
    RegisterAmplitude,
    control_ansatz,
    default_pairs,
    equivariant_ansatz,
    register_ansatz,
)
from equiqnn.groups import cyclic, direct_product, grid_d4, grid_reflections, sign_flip, symmetric
from equiqnn.sim import dense_states
from equiqnn.symmetry import PauliSum, Representation, is_invariant_operator


def _schedule(c: Circuit) -> list[tuple]:
    """What the control must preserve: op kinds, slots and supports, in order."""
    return [(type(op).__name__, getattr(op, "slot", None), op.qubits) for op in c.ops]


def _asymmetry(circuit: Circuit, rep: Representation, seed: int = 0) -> float:
    """max_g ‖U R(g) ψ − R(g) U ψ‖ over random states ψ and random parameters (dense reference)."""
    rng = np.random.default_rng(seed)
    n, dim = circuit.n_qubits, 2**circuit.n_qubits
    amp = Circuit(n, circuit.ops, circuit.n_params, "amplitude", 0, circuit.name)
    params = torch.as_tensor(rng.uniform(-np.pi, np.pi, circuit.n_params))
    psi = rng.normal(size=(3, dim))
    psi /= np.linalg.norm(psi, axis=1, keepdims=True)

    def u(states: np.ndarray) -> np.ndarray:  # linear, so complex inputs go in as two real parts
        re = dense_states(amp, params, torch.tensor(np.real(states))).numpy()
        im = dense_states(amp, params, torch.tensor(np.imag(states))).numpy()
        return re + 1j * im

    u_psi = u(psi)
    worst = 0.0
    for g in range(rep.order):
        worst = max(worst, float(np.abs(u(rep.apply(g, psi)) - rep.apply(g, u_psi)).max()))
    return worst


TWIRL_CASES = {
    "cyclic6": lambda: AngleEncoding(6).representation(cyclic(6)),
    "symmetric4": lambda: AngleEncoding(4).representation(symmetric(4)),
    "grid_d4_2": lambda: AngleEncoding((2, 2)).representation(grid_d4(2)),
    "grid_reflections2x3": lambda: AngleEncoding((2, 3)).representation(grid_reflections(2, 3)),
    "sign_flip4_RY": lambda: AngleEncoding(4, "Y", "zero").representation(sign_flip(4)),
    "sign_flip4_RZ_plus": lambda: AngleEncoding(4, "Z", "plus").representation(sign_flip(4)),
    "d4_x_flip_2x2": lambda: AngleEncoding((2, 2)).representation(
        direct_product(grid_d4(2), sign_flip((2, 2)))
    ),
    "register8_X": lambda: RegisterAmplitude(8, "X").representation(grid_d4(8)),
    "register8_Z": lambda: RegisterAmplitude(8, "Z").representation(grid_d4(8)),
}
# groups whose orbits all have one element: the control must rotate whole slots to break them
SINGLETON_ORBITS = {"sign_flip4_RY", "sign_flip4_RZ_plus"}


@pytest.mark.parametrize("name", list(TWIRL_CASES))
def test_equivariant_ansatz_commutes_with_the_representation(name):
    rep = TWIRL_CASES[name]()
    circ = equivariant_ansatz(rep, layers=2)
    assert _asymmetry(circ, rep) < 1e-12


@pytest.mark.parametrize("name", list(TWIRL_CASES))
def test_each_shared_slot_rotates_about_an_invariant_generator(name):
    rep = TWIRL_CASES[name]()
    circ = equivariant_ansatz(rep, layers=1)

    by_slot: dict[int, dict[str, float]] = {}
    for op in circ.ops:
        if isinstance(op, PauliRotation):
            by_slot.setdefault(op.slot, {})[op.pauli] = op.coeff
        elif isinstance(op, GeneratorRotation):
            by_slot.setdefault(op.slot, {}).update(
                {k: v.real for k, v in op.generator.terms.items()}
            )
    assert sorted(by_slot) == list(range(circ.n_params))
    for terms in by_slot.values():
        assert is_invariant_operator(PauliSum(terms, rep.n_qubits), rep)


@pytest.mark.parametrize("name", list(TWIRL_CASES))
def test_equivariant_ansatz_is_layer_major_with_a_barrier_per_layer(name):
    rep = TWIRL_CASES[name]()
    one, three = equivariant_ansatz(rep, layers=1), equivariant_ansatz(rep, layers=3)
    assert three.n_params == 3 * one.n_params
    assert three.gate_count == 3 * one.gate_count
    assert sum(isinstance(op, Barrier) for op in three.ops) == 3
    assert isinstance(three.ops[-1], Barrier)
    first_layer = Circuit(one.n_qubits, three.ops[: len(one.ops)], three.n_params)
    assert _schedule(first_layer) == _schedule(one)


@pytest.mark.parametrize("name", list(TWIRL_CASES))
def test_control_ansatz_keeps_schedule_gate_count_depth_and_parameters(name):
    rep = TWIRL_CASES[name]()
    eq, ctl = equivariant_ansatz(rep, layers=2), control_ansatz(rep, layers=2)
    assert ctl.n_params == eq.n_params
    assert ctl.gate_count == eq.gate_count
    assert ctl.depth == eq.depth
    assert _schedule(ctl) == _schedule(eq)


@pytest.mark.parametrize("name", [k for k in TWIRL_CASES if k not in SINGLETON_ORBITS])
def test_control_ansatz_breaks_the_symmetry(name):
    rep = TWIRL_CASES[name]()
    assert _asymmetry(control_ansatz(rep, layers=2), rep) > 1e-3


@pytest.mark.parametrize("name", sorted(SINGLETON_ORBITS))
def test_control_ansatz_breaks_the_symmetry_of_groups_with_singleton_orbits(name):
    rep = TWIRL_CASES[name]()
    assert _asymmetry(control_ansatz(rep, layers=2), rep) > 1e-3


def test_control_of_a_non_commuting_generator_keeps_gate_count_and_depth():
    rep = AngleEncoding(4).representation(cyclic(4))
    kw = {"singles": "", "pair_letters": ("XY",)}
    eq, ctl = equivariant_ansatz(rep, layers=1, **kw), control_ansatz(rep, layers=1, **kw)
    assert any(isinstance(op, GeneratorRotation) for op in eq.ops)
    assert (ctl.gate_count, ctl.depth) == (eq.gate_count, eq.depth)


def test_non_commuting_orbits_become_one_exact_generator_rotation():
    rep = AngleEncoding(4).representation(cyclic(4))
    circ = equivariant_ansatz(rep, layers=1, singles="", pair_letters=("XY",))
    gens = [op for op in circ.ops if isinstance(op, GeneratorRotation)]
    assert gens and all(not op.generator.commuting() for op in gens)
    assert _asymmetry(circ, rep) < 1e-12


# -- the register model ------------------------------------------------------------------------


@pytest.mark.parametrize("side", [4, 8, 16])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("frame", ["X", "Z"])
def test_register_ansatz_has_six_parameters_per_layer_and_a_matched_control(side, layers, frame):
    circ = register_ansatz(side, layers=layers, frame=frame)
    ctl = register_ansatz(side, layers=layers, frame=frame, control=True)
    assert circ.n_params == ctl.n_params == 6 * layers
    assert circ.n_qubits == 2 * (side.bit_length() - 1)
    assert (ctl.gate_count, ctl.depth) == (circ.gate_count, circ.depth)
    assert _schedule(ctl) == _schedule(circ)


def test_register_ansatz_16_is_pinned():
    circ = register_ansatz(16, layers=1)
    assert circ.n_params == 6
    assert repr(circ) == "Circuit(register[X]x1: 8 qubits, 6 params, 25 gates, depth 6)"
    ctl = register_ansatz(16, layers=1, control=True)
    assert repr(ctl) == "Circuit(register-control[X]x1: 8 qubits, 6 params, 25 gates, depth 6)"


def test_register_block_is_rx_on_both_registers_then_yyyy():
    circ = register_ansatz(4, layers=1)
    first = [(op.pauli, op.slot) for op in circ.ops[:5]]
    assert first == [("XIII", 0), ("IIXI", 0), ("IXII", 1), ("IIIX", 1), ("YYYY", 2)]
    ctl = register_ansatz(4, layers=1, control=True)
    assert [op.pauli for op in ctl.ops[:5]] == ["XIII", "IIYI", "IXII", "IIIY", "YYZZ"]


def test_z_frame_register_ansatz_is_the_hadamard_conjugate_of_the_x_frame():
    x, z = register_ansatz(8, layers=1), register_ansatz(8, layers=1, frame="Z")
    for op_x, op_z in zip(x.ops, z.ops):
        if isinstance(op_x, PauliRotation):
            assert op_z.pauli == op_x.pauli.translate(str.maketrans("XZ", "ZX"))
            assert op_z.coeff == (-1) ** op_x.pauli.count("Y") * op_x.coeff


@pytest.mark.parametrize("side", [4, 8])
@pytest.mark.parametrize("frame", ["X", "Z"])
def test_register_ansatz_commutes_with_the_register_representation(side, frame):
    rep = RegisterAmplitude(side, frame).representation(grid_d4(side))
    assert _asymmetry(register_ansatz(side, layers=2, frame=frame), rep) < 1e-12


@pytest.mark.parametrize("side", [4, 8])
@pytest.mark.parametrize("frame", ["X", "Z"])
def test_register_control_breaks_the_register_symmetry(side, frame):
    rep = RegisterAmplitude(side, frame).representation(grid_d4(side))
    assert _asymmetry(register_ansatz(side, layers=2, frame=frame, control=True), rep) > 1e-3


@pytest.mark.parametrize("side", [2, 6, 12, True])
def test_register_ansatz_needs_a_power_of_two_side_of_at_least_four(side):
    with pytest.raises(ValueError, match=r"power of two >= 4"):
        register_ansatz(side, layers=1)


def test_register_ansatz_refuses_unknown_frames_and_bad_layers():
    with pytest.raises(ValueError, match=r"frame must be 'X' or 'Z'"):
        register_ansatz(8, layers=1, frame="Y")
    with pytest.raises(ValueError, match=r"layers must be an integer >= 1"):
        register_ansatz(8, layers=0)


# -- candidate pairs ---------------------------------------------------------------------------


def test_default_pairs_are_neighbours_for_site_qubits_and_all_pairs_otherwise():
    grid = AngleEncoding((2, 2)).representation(grid_d4(2))
    assert default_pairs(grid, "nn") == [(0, 1), (0, 2), (1, 3), (2, 3)]
    ring = AngleEncoding(5).representation(cyclic(5))
    assert default_pairs(ring, "nn") == [(0, 1), (0, 4), (1, 2), (2, 3), (3, 4)]
    reg = RegisterAmplitude(4).representation(grid_d4(4))
    assert default_pairs(reg, "nn") == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert len(default_pairs(ring, "all")) == 10
    assert default_pairs(ring, [(3, 1)]) == [(1, 3)]


def test_default_pairs_refuse_bad_specifications():
    ring = AngleEncoding(5).representation(cyclic(5))
    with pytest.raises(ValueError, match=r"pairs must be 'nn', 'all' or a list"):
        default_pairs(ring, "near")
    with pytest.raises(ValueError, match=r"distinct qubits in range\(5\)"):
        default_pairs(ring, [(1, 1)])
    with pytest.raises(ValueError, match=r"distinct qubits in range\(5\)"):
        default_pairs(ring, [(0, 5)])


def test_equivariant_ansatz_refuses_when_nothing_survives_the_twirl():
    rep = AngleEncoding(4).representation(sign_flip(4))
    with pytest.raises(ValueError, match=r"no candidate generator survives the twirl"):
        equivariant_ansatz(rep, layers=1, singles="X", pair_letters=())
    with pytest.raises(ValueError, match=r"two letters such as 'ZZ'"):
        equivariant_ansatz(rep, layers=1, pair_letters=("ZZZ",))
