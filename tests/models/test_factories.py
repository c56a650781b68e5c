"""Factories: ``invariant_qnn`` is invariant under its group for random parameters and inputs (to 1e-9
in complex128) for every shipped group and encoding, while the matched control and the
hardware-efficient baseline on the same inputs are not; the register model's Z frame is the X frame
seen in another basis; encodings, ansätze and readouts are chosen as documented."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equiqnn.circuits import AngleEncoding, RegisterAmplitude
from equiqnn.groups import (
    PermutationGroup,
    cyclic,
    direct_product,
    grid_d4,
    grid_reflections,
    grid_translations,
    sign_flip,
    symmetric,
)
from equiqnn.models import baseline_qnn, control_qnn, default_readout, invariant_qnn, make_encoding
from equiqnn.symmetry import PauliSum, is_invariant_operator

seeds = st.integers(0, 2**16)


def _inputs(model, n: int, seed: int) -> torch.Tensor:
    """Random inputs in the model's dtype: [-1, 1) for signed groups, (0, 1] otherwise."""
    rng = np.random.default_rng(seed)
    x = (
        rng.uniform(-1, 1, size=(n, *model.input_shape))
        if model.group.is_signed
        else (1 - rng.uniform(0, 1, size=(n, *model.input_shape)))
    )
    return torch.as_tensor(x, dtype=model.theta.dtype)


def deviation(model, x: torch.Tensor, elements: list[int | str] | None = None) -> float:
    """max over ``g`` and the batch of |f(g·x) − f(x)|, all copies in one forward pass.

    With ``elements`` = the generators this is enough: invariance under generators implies
    invariance under the group they generate.
    """
    group: PermutationGroup = model.group
    elements = list(range(group.order)) if elements is None else elements
    copies = torch.cat([x] + [group.act(g, x) for g in elements])
    with torch.no_grad():
        out = model(copies).reshape(len(elements) + 1, x.shape[0], -1)
    return float((out[1:] - out[0]).abs().max())


def _generators(group: PermutationGroup) -> list[str]:
    return list(group.generators)


# (id, group factory, extra keywords for the factories, layers); all evaluated over the whole group
SMALL = {
    "grid_d4_3": (lambda: grid_d4(3), {}, 2),
    "cyclic8": (lambda: cyclic(8), {}, 2),
    "symmetric4": (lambda: symmetric(4), {}, 2),
    "sign_flip4": (lambda: sign_flip(4), {}, 2),
    "register_d4_8_X": (lambda: grid_d4(8), {"frame": "X"}, 2),
    "register_d4_8_Z": (lambda: grid_d4(8), {"frame": "Z"}, 2),
    "register_d4_16_X": (lambda: grid_d4(16), {"frame": "X"}, 1),
    "register_d4_16_Z": (lambda: grid_d4(16), {"frame": "Z", "premap": True}, 1),
}
# sixteen qubits: one layer, two inputs, the generators only
LARGE = {
    "grid_d4_4": (lambda: grid_d4(4), {}, 1),
    "grid_translations4x4": (lambda: grid_translations(4, 4), {}, 1),
}


@pytest.mark.parametrize("name", list(SMALL))
@given(model_seed=seeds, input_seed=seeds)
def test_invariant_qnn_is_invariant_for_random_parameters_and_inputs(name, model_seed, input_seed):
    group_factory, kw, layers = SMALL[name]
    model = invariant_qnn(group_factory(), layers=layers, seed=model_seed, **kw).double()
    assert deviation(model, _inputs(model, 3, input_seed)) < 1e-9


@pytest.mark.parametrize("name", list(LARGE))
@settings(max_examples=3)
@given(model_seed=seeds, input_seed=seeds)
def test_sixteen_qubit_invariant_qnn_is_invariant_for_random_parameters_and_inputs(
    name, model_seed, input_seed
):
    group_factory, kw, layers = LARGE[name]
    group = group_factory()
    model = invariant_qnn(group, layers=layers, seed=model_seed, **kw).double()
    assert model.encoding.n_qubits == 16
    assert deviation(model, _inputs(model, 2, input_seed), _generators(group)) < 1e-9


@pytest.mark.parametrize("family", [control_qnn, baseline_qnn], ids=["control", "baseline"])
@pytest.mark.parametrize("name", list(SMALL) + list(LARGE))
def test_control_and_baseline_are_not_invariant_on_the_same_inputs(name, family):
    group_factory, kw, layers = {**SMALL, **LARGE}[name]
    group = group_factory()
    model = family(group, layers=layers, seed=1, **kw).double()
    x = _inputs(model, 2 if name in LARGE else 3, seed=2)
    invariant = invariant_qnn(group, layers=layers, seed=1, **kw).double()
    assert deviation(invariant, x, _generators(group)) < 1e-9  # same inputs, invariant family
    assert deviation(model, x, _generators(group)) > 1e-3


@pytest.mark.parametrize("name", list(SMALL) + list(LARGE))
def test_control_matches_the_invariant_models_gate_count_depth_and_parameters(name):
    group_factory, kw, layers = {**SMALL, **LARGE}[name]
    group = group_factory()
    inv = invariant_qnn(group, layers=layers, **kw)
    ctl = control_qnn(group, layers=layers, **kw)
    assert ctl.ansatz.n_params == inv.ansatz.n_params
    assert (ctl.gate_count, ctl.circuit.depth) == (inv.gate_count, inv.circuit.depth)
    assert [str(o) for o in ctl.observables] == [str(o) for o in inv.observables]
    assert type(ctl.encoding) is type(inv.encoding)


def test_baseline_matches_a_smaller_parameter_budget_by_sharing_slots():
    inv = invariant_qnn(grid_d4(8), layers=2)  # 12 params on 6 qubits
    base = baseline_qnn(grid_d4(8), layers=2, n_params=inv.ansatz.n_params)
    assert base.ansatz.n_params == inv.ansatz.n_params == 12
    assert base.config["n_params"] == 12


def test_baseline_matches_the_invariant_models_parameter_count():
    inv = invariant_qnn(grid_d4(3), layers=2)  # 30 params on 9 qubits
    base = baseline_qnn(grid_d4(3), layers=2, n_params=inv.ansatz.n_params)
    assert base.ansatz.n_params == inv.ansatz.n_params == 30


@pytest.mark.parametrize("family", [invariant_qnn, control_qnn], ids=["invariant", "control"])
@pytest.mark.parametrize("side", [4, 8, 16])
@pytest.mark.parametrize("layers", [1, 2])
def test_register_z_frame_model_equals_the_x_frame_model(family, side, layers):
    """H⊗…⊗H after loading, every gate conjugated by it and a Z readout: the same function."""
    mx = family(grid_d4(side), encoding="register", layers=layers, frame="X", seed=3).double()
    mz = family(grid_d4(side), encoding="register", layers=layers, frame="Z", seed=3).double()
    torch.testing.assert_close(mz.theta, mx.theta, rtol=0, atol=0)
    x = _inputs(mx, 4, seed=4)
    with torch.no_grad():
        torch.testing.assert_close(mz.readout(x), mx.readout(x), rtol=0, atol=1e-10)
        torch.testing.assert_close(mz(x), mx(x), rtol=0, atol=1e-10)


def test_invariant_model_on_a_direct_product_with_sign_flips_is_invariant():
    model = invariant_qnn(direct_product(grid_d4(3), sign_flip((3, 3))), layers=1, seed=5).double()
    assert deviation(model, _inputs(model, 3, 6)) < 1e-9


@pytest.mark.parametrize(
    ("axis", "init"), [("Y", "zero"), ("X", "zero"), ("Y", "plus"), ("Z", "plus")]
)
@pytest.mark.parametrize(
    "group_factory", [lambda: cyclic(6), lambda: sign_flip(4), lambda: grid_reflections(2, 3)]
)
def test_invariant_qnn_is_invariant_with_every_valid_angle_encoding(group_factory, axis, init):
    group = group_factory()
    model = invariant_qnn(
        group, encoding="angle", layers=2, axis=axis, init=init, scale=np.pi, seed=7
    ).double()
    assert deviation(model, _inputs(model, 3, 8)) < 1e-9
    ctl = control_qnn(
        group, encoding="angle", layers=2, axis=axis, init=init, scale=np.pi, seed=7
    ).double()
    assert deviation(ctl, _inputs(ctl, 3, 8)) > 1e-3


@pytest.mark.parametrize("n_classes", [3, 4])
def test_multiclass_invariant_models_are_invariant(n_classes):
    for group, kw in ((grid_d4(3), {}), (grid_d4(8), {"frame": "Z"})):
        model = invariant_qnn(group, layers=1, n_classes=n_classes, seed=9, **kw).double()
        x = _inputs(model, 3, 10)
        assert model(x).shape == (3, n_classes)
        assert deviation(model, x) < 1e-9


# -- what the factories choose -----------------------------------------------------------------


def test_auto_encoding_is_one_qubit_per_site_up_to_twenty_qubits_then_the_register():
    assert isinstance(make_encoding(grid_d4(4)), AngleEncoding)  # 16 qubits
    assert isinstance(make_encoding(cyclic(20)), AngleEncoding)
    reg = make_encoding(grid_d4(8))
    assert isinstance(reg, RegisterAmplitude) and reg.n_qubits == 6
    assert isinstance(make_encoding(grid_d4(16), frame="Z"), RegisterAmplitude)
    assert isinstance(make_encoding(grid_d4(4), "register"), RegisterAmplitude)


def test_auto_encoding_never_exceeds_twenty_qubits():
    try:
        enc = make_encoding(grid_d4(5))
    except ValueError:
        return  # refusing is acceptable
    assert enc.n_qubits <= 20


def test_make_encoding_accepts_config_dicts_and_instances():
    enc = AngleEncoding((3, 3), "Z", "plus", 2.0)
    assert make_encoding(grid_d4(3), enc) is enc
    rebuilt = make_encoding(grid_d4(3), enc.config())
    assert rebuilt.config() == enc.config()
    reg = RegisterAmplitude(8, "Z", True)
    assert make_encoding(grid_d4(8), reg.config()).config() == reg.config()


def test_make_encoding_refuses_unknown_names_and_non_square_registers():
    with pytest.raises(ValueError, match=r"encoding must be 'auto', 'angle', 'register'"):
        make_encoding(grid_d4(4), "qram")
    with pytest.raises(ValueError, match=r"the register encoding needs square images"):
        make_encoding(grid_reflections(4, 8), "register")


def test_register_models_use_the_register_ansatz_and_angle_models_the_twirled_one():
    assert invariant_qnn(grid_d4(8), layers=1).config["ansatz"] == "register"
    assert invariant_qnn(grid_d4(3), layers=1).config["ansatz"] == "twirl"
    twirl_on_register = invariant_qnn(grid_d4(8), layers=1, ansatz="twirl").double()
    assert deviation(twirl_on_register, _inputs(twirl_on_register, 2, 0)) < 1e-9
    with pytest.raises(ValueError, match=r"ansatz='register' needs the register encoding"):
        invariant_qnn(grid_d4(3), layers=1, ansatz="register")
    with pytest.raises(ValueError, match=r"ansatz must be 'auto', 'register' or 'twirl'"):
        invariant_qnn(grid_d4(3), layers=1, ansatz="brick")


def test_default_binary_readouts():
    (reg,) = invariant_qnn(grid_d4(8), layers=1).observables
    assert reg.allclose(PauliSum("0.5*XIIIII + 0.5*IIIXII"))
    (reg_z,) = invariant_qnn(grid_d4(8), layers=1, frame="Z").observables
    assert reg_z.allclose(PauliSum("0.5*ZIIIII + 0.5*IIIZII"))
    (mean_x,) = invariant_qnn(cyclic(4), layers=1).observables
    assert mean_x.allclose(PauliSum("0.25*XIII + 0.25*IXII + 0.25*IIXI + 0.25*IIIX"))
    # X anticommutes with the Z-string of a sign flip: the first invariant observable instead
    (flip,) = invariant_qnn(sign_flip(4), layers=1).observables
    assert flip.allclose(PauliSum("1*ZIII"))


@pytest.mark.parametrize(
    "model_factory",
    [
        lambda: invariant_qnn(grid_d4(3), layers=1, n_classes=3),
        lambda: invariant_qnn(grid_d4(8), layers=1, n_classes=3),
        lambda: invariant_qnn(sign_flip(4), layers=1),
        lambda: invariant_qnn(grid_translations(3, 3), layers=1),
    ],
)
def test_default_readouts_are_invariant_operators(model_factory):
    model = model_factory()
    rep = model.representation
    assert all(is_invariant_operator(o, rep) for o in model.observables)


def test_too_many_classes_for_the_invariant_observables_is_refused():
    rep = AngleEncoding(2).representation(symmetric(2))
    with pytest.raises(
        ValueError, match=r"only \d+ invariant observables of weight <= 2 exist.*readout="
    ):
        default_readout(AngleEncoding(2), rep, n_classes=9)


def test_an_explicit_readout_is_used_as_given():
    model = invariant_qnn(cyclic(4), layers=1, readout=["1*ZZII + 1*IIZZ"])
    assert model.observables[0].allclose(PauliSum("1*ZZII + 1*IIZZ"))
    assert model.config["readout"] == ["1.0*ZZII + 1.0*IIZZ"]


def test_groups_can_be_given_as_specs():
    model = invariant_qnn(["grid_d4", 3], layers=1)
    assert repr(model.group) == "D4(square grid 3x3, order 8)"
