"""Encodings are equivariant: ``ψ(g·x) = e^{iφ} R(g) ψ(x)`` to 1e-12 for every shipped encoding and
group pair, with ``R`` the representation the encoding derives; the states are those the circuits
simulate, and inputs or groups an encoding cannot represent are refused with a clear message."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.circuits import AngleEncoding, RegisterAmplitude, check_encoding_equivariance
from equiqnn.groups import (
    cyclic,
    grid_d4,
    grid_reflections,
    grid_rotations,
    grid_translations,
    sign_flip,
    symmetric,
)
from equiqnn.sim import dense_states
from equiqnn.symmetry import Representation

ANGLE_AXES = [("Y", "zero"), ("X", "zero"), ("Y", "plus"), ("Z", "plus")]
ANGLE_GROUPS = {
    "grid_d4_3": lambda: grid_d4(3),
    "grid_d4_4": lambda: grid_d4(4),
    "grid_translations3x3": lambda: grid_translations(3, 3),
    "cyclic8": lambda: cyclic(8),
    "symmetric4": lambda: symmetric(4),
    "sign_flip4": lambda: sign_flip(4),
    "grid_rotations4": lambda: grid_rotations(4),
    "grid_reflections2x3": lambda: grid_reflections(2, 3),
}
REGISTER_GROUPS = {
    "grid_d4_4": lambda: grid_d4(4),
    "grid_d4_8": lambda: grid_d4(8),
    "grid_d4_16": lambda: grid_d4(16),
    "grid_rotations8": lambda: grid_rotations(8),
    "grid_reflections8x8": lambda: grid_reflections(8, 8),
}


def _inputs(shape, batch=3, seed=0, signed=True):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1 if signed else 0, 1, size=(batch, *shape))


@pytest.mark.parametrize(("axis", "init"), ANGLE_AXES)
@pytest.mark.parametrize("group_name", list(ANGLE_GROUPS))
def test_angle_encoding_is_equivariant(group_name, axis, init):
    group = ANGLE_GROUPS[group_name]()
    enc = AngleEncoding(group.shape, axis, init, scale=np.pi)
    x = _inputs(group.shape, batch=2 if group.n_sites > 12 else 3)
    assert check_encoding_equivariance(enc, group, x) < 1e-12


@pytest.mark.parametrize("premap", [False, True])
@pytest.mark.parametrize("frame", ["X", "Z"])
@pytest.mark.parametrize("group_name", list(REGISTER_GROUPS))
def test_register_encoding_is_equivariant(group_name, frame, premap):
    group = REGISTER_GROUPS[group_name]()
    enc = RegisterAmplitude(group.shape[0], frame=frame, premap=premap)
    x = _inputs(group.shape, signed=False)
    assert check_encoding_equivariance(enc, group, x) < 1e-12


def test_register_encoding_of_a_whole_image_sign_flip_is_a_global_phase():
    enc = RegisterAmplitude(4)
    x = _inputs((4, 4))
    rep = enc.representation(sign_flip((4, 4)))
    assert rep.paulis == ["IIII", "IIII"]
    assert check_encoding_equivariance(enc, sign_flip((4, 4)), x) < 1e-12
    np.testing.assert_allclose(enc.state(-x), -enc.state(x), atol=1e-15)


@pytest.mark.parametrize(
    ("enc", "group"),
    [
        (AngleEncoding((2, 2), "Y", "plus"), grid_d4(2)),
        (AngleEncoding(4, "X", "zero"), sign_flip(4)),
        (AngleEncoding((2, 2), "Z", "plus"), sign_flip((2, 2), [0])),
        (RegisterAmplitude(4, "Z", premap=True), grid_d4(4)),
        (RegisterAmplitude(8, "X"), grid_d4(8)),
    ],
    ids=repr,
)
def test_equivariance_holds_with_dense_representation_matrices(enc, group):
    """Independent of ``check_encoding_equivariance``: ψ(g·x) = c·R(g)ψ(x) with |c| = 1, one c per g."""
    x = _inputs(group.shape, signed=group.is_signed)
    if isinstance(enc, RegisterAmplitude):
        x = np.abs(x) + 0.1
    rep = enc.representation(group)
    psi = enc.state(x)
    for g in range(group.order):
        lhs = enc.state(group.act(g, x))
        rhs = psi @ rep.matrix(g).T
        c = np.vdot(rhs[0], lhs[0])
        assert abs(abs(c) - 1) < 1e-12
        np.testing.assert_allclose(lhs, c * rhs, atol=1e-12)


def test_the_equivariance_check_detects_a_wrong_representation():
    group, enc = cyclic(6), AngleEncoding(6)
    right = enc.representation(group)
    inverse_perms = np.stack([group.perms[group.inverse(g)] for g in range(group.order)])
    wrong = Representation(group, inverse_perms, right.paulis)
    enc.representation = lambda _group: wrong  # type: ignore[method-assign]
    assert check_encoding_equivariance(enc, group, _inputs((6,))) > 0.1


def test_the_equivariance_check_detects_a_missing_sign_flip_pauli():
    group, enc = sign_flip(4), AngleEncoding(4)
    unsigned = Representation(group, group.perms, ["IIII", "IIII"])
    enc.representation = lambda _group: unsigned  # type: ignore[method-assign]
    assert check_encoding_equivariance(enc, group, _inputs((4,))) > 0.1


# -- the states are the circuits' states -------------------------------------------------------


@pytest.mark.parametrize(("axis", "init"), ANGLE_AXES)
def test_angle_state_is_the_state_of_its_circuit(axis, init):
    enc = AngleEncoding((2, 3), axis, init, scale=1.7)
    x = _inputs((2, 3))
    circ = enc.circuit()
    assert circ.n_params == 0 and circ.n_features == 6 and circ.initial == init
    ref = dense_states(circ, torch.zeros(0, dtype=torch.float64), torch.as_tensor(enc.prepare(x)))
    np.testing.assert_allclose(enc.state(x), ref.numpy(), atol=1e-13)


@pytest.mark.parametrize("premap", [False, True])
@pytest.mark.parametrize("frame", ["X", "Z"])
def test_register_state_is_the_state_of_its_circuit(frame, premap):
    enc = RegisterAmplitude(8, frame, premap)
    x = _inputs((8, 8), signed=False)
    circ = enc.circuit()
    assert circ.initial == "amplitude" and circ.n_params == 0
    assert circ.gate_count == 0  # the Z frame's Hadamards are part of the state preparation
    ref = dense_states(circ, torch.zeros(0, dtype=torch.float64), torch.as_tensor(enc.prepare(x)))
    np.testing.assert_allclose(enc.state(x), ref.numpy(), atol=1e-13)


def test_z_frame_prepares_the_hadamard_transform_of_the_x_frame_state():
    x = _inputs((4, 4), signed=False)
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    h4 = np.kron(np.kron(h, h), np.kron(h, h))
    for premap in (False, True):
        psi_x = RegisterAmplitude(4, "X", premap).prepare(x)
        psi_z = RegisterAmplitude(4, "Z", premap).prepare(x)
        np.testing.assert_allclose(psi_z, psi_x @ h4.T, atol=1e-15)


def test_register_amplitudes_are_the_normalized_pixels_row_major():
    x = _inputs((4, 4), signed=False)
    psi = RegisterAmplitude(4).state(x)
    flat = x.reshape(3, 16)
    np.testing.assert_allclose(psi, flat / np.linalg.norm(flat, axis=1, keepdims=True), atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(psi, axis=1), 1, atol=1e-14)


def test_premap_is_a_sine_of_the_centred_pixel():
    x = _inputs((4, 4), signed=False)
    flat = np.sin(np.pi / 2 * (2 * x.reshape(3, 16) - 1))
    np.testing.assert_allclose(
        RegisterAmplitude(4, premap=True).prepare(x),
        flat / np.linalg.norm(flat, axis=1, keepdims=True),
        atol=1e-15,
    )


def test_prepare_accepts_numpy_and_torch_alike():
    x = _inputs((4, 4), signed=False)
    for enc in (RegisterAmplitude(4, premap=True), AngleEncoding((4, 4))):
        out_t = enc.prepare(torch.as_tensor(x))
        assert isinstance(out_t, torch.Tensor)
        np.testing.assert_allclose(out_t.numpy(), enc.prepare(x), atol=1e-15)


def test_angle_state_of_zero_input_is_the_initial_product_state():
    np.testing.assert_allclose(AngleEncoding(3).state(np.zeros((1, 3)))[0], np.eye(8)[0], atol=0)
    np.testing.assert_allclose(
        AngleEncoding(3, "Y", "plus").state(np.zeros((1, 3)))[0], np.full(8, 8**-0.5)
    )


# -- configuration and repr --------------------------------------------------------------------


def test_reprs_and_configs_are_pinned():
    a = AngleEncoding((3, 3), "Z", "plus", scale=2.0)
    assert repr(a) == "AngleEncoding(3x3 -> 9 qubits, RZ from |+>)"
    assert a.config() == {
        "type": "angle",
        "shape": [3, 3],
        "axis": "Z",
        "init": "plus",
        "scale": 2.0,
    }
    r = RegisterAmplitude(16, "Z", premap=True)
    assert repr(r) == "RegisterAmplitude(16x16 -> 8 qubits, frame=Z)"
    assert r.config() == {"type": "register", "side": 16, "frame": "Z", "premap": True}
    assert (r.m, r.n_qubits, r.input_shape, r.initial) == (4, 8, (16, 16), "amplitude")
    assert AngleEncoding(5).input_shape == (5,)


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("axis", "init"), [("Z", "zero"), ("X", "plus")])
def test_trivial_angle_encodings_are_refused(axis, init):
    with pytest.raises(ValueError, match=r"only adds a global phase: it encodes nothing"):
        AngleEncoding(4, axis, init)


def test_unknown_axis_and_init_are_refused():
    with pytest.raises(ValueError, match=r"axis must be 'X', 'Y' or 'Z'"):
        AngleEncoding(4, "W")
    with pytest.raises(ValueError, match=r"init must be 'zero' or 'plus'"):
        AngleEncoding(4, "Y", "one")
    with pytest.raises(ValueError, match=r"frame must be 'X' or 'Z'"):
        RegisterAmplitude(4, frame="Y")


@pytest.mark.parametrize("side", [6, 1, 0, 12, True, 4.0])
def test_register_side_must_be_a_power_of_two(side):
    with pytest.raises(ValueError, match=r"power of two"):
        RegisterAmplitude(side)


def test_register_encoding_of_translations_is_refused():
    with pytest.raises(
        ValueError, match=r"does not act on the basis index as a qubit permutation.*AngleEncoding"
    ):
        RegisterAmplitude(4).representation(grid_translations(4, 4))


def test_register_encoding_of_a_partial_sign_flip_is_refused():
    with pytest.raises(ValueError, match=r"flips the sign of some pixels only"):
        RegisterAmplitude(4).representation(sign_flip((4, 4), [0]))


def test_premapped_register_encoding_of_a_whole_image_sign_flip_is_refused():
    with pytest.raises(ValueError, match=r"element 'flip'.*premap .* is not odd.*premap=False"):
        RegisterAmplitude(4, premap=True).representation(sign_flip((4, 4)))


@pytest.mark.parametrize("bad_shape", [(2, 8, 8), (2, 16), (4, 4), (2, 4, 5)])
def test_images_that_do_not_fit_the_encoding_are_refused(bad_shape):
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 4, 4\)"):
        RegisterAmplitude(4).prepare(np.ones(bad_shape))
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 4, 4\)"):
        AngleEncoding((4, 4)).prepare(torch.ones(bad_shape))


def test_a_square_image_of_another_size_gets_a_resize_hint():
    with pytest.raises(ValueError, match=r"resize_symmetric\(x, side=4\)"):
        RegisterAmplitude(4).prepare(np.ones((2, 8, 8)))


def test_a_group_on_another_shape_is_refused():
    with pytest.raises(ValueError, match=r"acts on data of shape \(4, 4\), but AngleEncoding"):
        AngleEncoding((3, 3)).representation(grid_d4(4))
    with pytest.raises(
        ValueError, match=r"acts on images of shape \(8, 8\), but RegisterAmplitude"
    ):
        RegisterAmplitude(4).representation(grid_d4(8))


@pytest.mark.parametrize("as_torch", [False, True])
def test_an_all_zero_image_is_refused_by_amplitude_encoding(as_torch):
    x = np.ones((3, 4, 4))
    x[1] = 0
    with pytest.raises(
        ValueError, match=r"non-zero norm; images at batch index \[1\] are all zero"
    ):
        RegisterAmplitude(4).prepare(torch.as_tensor(x) if as_torch else x)


def test_an_image_that_is_zero_after_the_premap_is_refused():
    with pytest.raises(ValueError, match=r"non-zero norm.*after the premap"):
        RegisterAmplitude(4, premap=True).prepare(np.full((1, 4, 4), 0.5))
