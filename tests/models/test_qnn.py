"""``QNNClassifier``: pinned reprs, precision switching, a config that rebuilds the model exactly,
binary and multiclass heads, gradients to every parameter, and the invariance checks that read the
symmetry a model declares."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from equiqnn.circuits import AngleEncoding, hardware_efficient_ansatz
from equiqnn.groups import cyclic, direct_product, grid_d4, sign_flip
from equiqnn.models import QNNClassifier, baseline_qnn, build_model, control_qnn, invariant_qnn
from equiqnn.symmetry import (
    InvarianceError,
    InvarianceReport,
    PauliSum,
    assert_invariant,
    check_invariance,
)

MODELS = {
    "invariant_register16": lambda: invariant_qnn(grid_d4(16), layers=1, seed=1),
    "invariant_register8_Z_premap": lambda: invariant_qnn(
        grid_d4(8), layers=2, frame="Z", premap=True, seed=2
    ),
    "invariant_angle_d4_3": lambda: invariant_qnn(grid_d4(3), layers=1, seed=3),
    "invariant_multiclass": lambda: invariant_qnn(grid_d4(3), layers=1, n_classes=3, seed=4),
    "invariant_sign_flip_RZ": lambda: invariant_qnn(
        sign_flip(4), layers=1, axis="Z", init="plus", seed=5
    ),
    "invariant_direct_product": lambda: invariant_qnn(
        direct_product(grid_d4(3), sign_flip((3, 3))), layers=1
    ),
    "control_cyclic6": lambda: control_qnn(cyclic(6), layers=2, seed=6),
    "control_register8": lambda: control_qnn(grid_d4(8), layers=1, seed=7),
    "baseline_budget": lambda: baseline_qnn(grid_d4(3), layers=2, n_params=7, seed=8),
}


# -- reprs -------------------------------------------------------------------------------------


def test_repr_of_the_register_model_is_pinned():
    model = invariant_qnn(grid_d4(16), layers=1)
    assert (
        repr(model)
        == "InvariantQNN(D4 | RegisterAmplitude 16x16 | 6 params | statevector complex64)"
    )
    assert (
        repr(model.double())
        == "InvariantQNN(D4 | RegisterAmplitude 16x16 | 6 params | statevector complex128)"
    )


def test_reprs_of_control_and_baseline_are_pinned():
    assert repr(control_qnn(grid_d4(16), layers=1)) == (
        "ControlQNN(D4 | RegisterAmplitude 16x16 | 6 params | statevector complex64)"
    )
    assert repr(baseline_qnn(cyclic(6), layers=2)) == (
        "BaselineQNN(C6 | AngleEncoding 6 | 12 params | statevector complex64)"
    )


def test_invariance_report_repr_is_pinned():
    report = InvarianceReport(1.234e-5, "r", 8, 4, {"e": 0.0, "r": 1.234e-5})
    assert repr(report) == "InvarianceReport(max_deviation=1.2e-05, worst=r, 8 elements x 4 inputs)"


def test_check_invariance_report_describes_the_check():
    model = invariant_qnn(grid_d4(8), layers=1)
    report = check_invariance(model, n_inputs=5)
    assert re.fullmatch(
        r"InvarianceReport\(max_deviation=\d\.\de[+-]\d\d, worst=\w+, 8 elements x 5 inputs\)",
        repr(report),
    )
    assert set(report.per_element) == set(model.group.names)
    assert report.per_element["e"] == 0.0
    assert report.max_deviation == max(report.per_element.values())
    assert report.per_element[report.worst] == report.max_deviation


# -- sizes, precision, parameters --------------------------------------------------------------


def test_register_model_sizes():
    model = invariant_qnn(grid_d4(16), layers=1)
    assert model.ansatz.n_params == 6
    assert model.n_params == 6 + 2  # ansatz angles, then the binary head's weight and bias
    assert model.gate_count == model.circuit.gate_count == 25
    assert model.input_shape == (16, 16)
    assert model.representation.n_qubits == 8


def test_multiclass_head_has_a_temperature_instead_of_weight_and_bias():
    model = invariant_qnn(grid_d4(3), layers=1, n_classes=3)
    names = {n for n, _ in model.named_parameters()}
    assert names == {"theta", "log_temperature"}
    assert model.n_params == model.ansatz.n_params + 1


def test_double_switches_the_simulation_to_complex128():
    model = invariant_qnn(grid_d4(8), layers=1, seed=3)
    x = model.example_inputs(3, seed=1)
    out32 = model(x)
    assert x.dtype == torch.float32 and out32.dtype == torch.float32
    model.double()
    x64 = model.example_inputs(3, seed=1)
    out64 = model(x64)
    assert x64.dtype == out64.dtype == model.theta.dtype == torch.float64
    torch.testing.assert_close(out32.double(), out64, rtol=0, atol=1e-5)


def test_initial_parameters_are_uniform_in_minus_pi_pi_and_follow_the_seed():
    a, b, c = (invariant_qnn(cyclic(8), layers=3, seed=s) for s in (0, 0, 1))
    torch.testing.assert_close(a.theta, b.theta, rtol=0, atol=0)
    assert not torch.equal(a.theta, c.theta)
    assert float(a.theta.detach().abs().max()) <= np.pi


def test_example_inputs_are_in_the_unit_interval_or_signed_for_signed_groups():
    x = invariant_qnn(grid_d4(3), layers=1).example_inputs(50, seed=0)
    assert x.shape == (50, 3, 3) and float(x.min()) >= 0 and float(x.max()) < 1
    y = invariant_qnn(sign_flip(4), layers=1).example_inputs(50, seed=0)
    assert y.shape == (50, 4) and float(y.min()) < 0 <= float(y.max()) < 1


# -- heads -------------------------------------------------------------------------------------


def test_binary_logits_are_antisymmetric_and_softmax_gives_the_tanh_probability():
    model = invariant_qnn(grid_d4(3), layers=1, seed=2).double()
    with torch.no_grad():
        model.weight.fill_(1.7)
        model.bias.fill_(-0.3)
        x = model.example_inputs(4, seed=3)
        z = model.readout(x)[:, 0]
        logits = model(x)
    s = 1.7 * z - 0.3
    torch.testing.assert_close(logits, torch.stack([-s, s], dim=1))
    torch.testing.assert_close(torch.softmax(logits, dim=1)[:, 1], (1 + torch.tanh(s)) / 2)


def test_multiclass_logits_are_readouts_times_the_temperature():
    model = invariant_qnn(grid_d4(3), layers=1, n_classes=3, seed=2).double()
    with torch.no_grad():
        model.log_temperature.fill_(0.5)
        x = model.example_inputs(4, seed=3)
        torch.testing.assert_close(model(x), model.readout(x) * np.exp(0.5))
    assert model(x).shape == (4, 3)


def test_standardize_centres_and_scales_the_readout_on_the_training_set():
    model = invariant_qnn(cyclic(6), layers=2, seed=4).double()
    x = model.example_inputs(32, seed=5)
    model.standardize(x)
    with torch.no_grad():
        z = (model.readout(x) - model.readout_mean) / model.readout_std
    assert abs(float(z.mean())) < 1e-12
    assert float(z.std()) == pytest.approx(1.0, abs=1e-12)
    assert check_invariance(model, x[:4]).max_deviation < 1e-9


def test_readout_values_are_expectations_in_minus_one_one():
    model = invariant_qnn(grid_d4(8), layers=2, n_classes=3, seed=6).double()
    z = model.readout(model.example_inputs(16, seed=7))
    assert z.shape == (16, 3) and float(z.detach().abs().max()) <= 1 + 1e-12


# -- configs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_build_model_from_config_gives_identical_outputs_after_loading_the_state(name):
    model = MODELS[name]()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.25)
    model.standardize(model.example_inputs(8, seed=1))
    config = json.loads(json.dumps(model.config))
    rebuilt = build_model(config)
    assert type(rebuilt) is QNNClassifier and repr(rebuilt) == repr(model)
    rebuilt.load_state_dict(model.state_dict())
    x = model.example_inputs(5, seed=2)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x), rtol=0, atol=0)


def test_config_lists_everything_that_rebuilds_the_model():
    config = invariant_qnn(grid_d4(16), layers=1).config
    assert config == {
        "kind": "invariant_qnn",
        "group": ["grid_d4", 16],
        "encoding": {"type": "register", "side": 16, "frame": "X", "premap": False},
        "layers": 1,
        "n_classes": 2,
        "readout": ["0.5*XIIIIIII + 0.5*IIIIXIII"],
        "seed": 0,
        "ansatz": "register",
    }


def test_a_model_built_without_a_config_says_so():
    enc = AngleEncoding(3)
    model = QNNClassifier(
        enc, hardware_efficient_ansatz(3, layers=1), [PauliSum("1*ZII")], cyclic(3)
    )
    with pytest.raises(ValueError, match=r"built without a config"):
        _ = model.config


def test_classifier_refuses_bad_class_counts_and_readouts():
    enc, ansatz, group = AngleEncoding(3), hardware_efficient_ansatz(3, layers=1), cyclic(3)
    with pytest.raises(ValueError, match=r"n_classes must be >= 2"):
        QNNClassifier(enc, ansatz, [PauliSum("1*ZII")], group, n_classes=1)
    with pytest.raises(ValueError, match=r"3 classes need 3 readout observables; got 1"):
        QNNClassifier(enc, ansatz, [PauliSum("1*ZII")], group, n_classes=3)


# -- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_gradients_reach_every_parameter(name):
    model = MODELS[name]().double()
    x = model.example_inputs(6, seed=3)
    y = torch.arange(6) % model.n_classes
    torch.nn.functional.cross_entropy(model(x), y).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        assert float(p.grad.abs().max()) > 0, pname
    assert int((model.theta.grad != 0).sum()) == model.ansatz.n_params


@pytest.mark.parametrize(
    "name", ["invariant_register8_Z_premap", "invariant_angle_d4_3", "control_cyclic6"]
)
def test_parameter_gradients_match_finite_differences(name):
    model = MODELS[name]().double()
    x = model.example_inputs(3, seed=4)
    inputs = model.encoding.prepare(x)

    def readout(theta: torch.Tensor) -> torch.Tensor:
        return model.engine(theta, inputs)

    theta = model.theta.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(readout, (theta,), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_input_gradients_flow_for_angle_encodings():
    model = invariant_qnn(cyclic(6), layers=1, seed=5).double()
    x = model.example_inputs(3, seed=6).requires_grad_(True)
    model(x)[:, 1].sum().backward()
    assert x.grad is not None and float(x.grad.abs().max()) > 0


# -- invariance checks read the declared symmetry ----------------------------------------------


def test_assert_invariant_passes_the_invariant_model_and_returns_the_report():
    model = invariant_qnn(grid_d4(8), layers=2, seed=8).double()
    report = assert_invariant(model, atol=1e-9)
    assert isinstance(report, InvarianceReport) and report.n_elements == 8 and report.n_inputs == 16


def test_assert_invariant_raises_on_the_control():
    model = control_qnn(grid_d4(8), layers=2, seed=8).double()
    with pytest.raises(
        InvarianceError, match=r"model is not invariant within atol=1e-06: InvarianceReport\("
    ):
        assert_invariant(model)
    assert issubclass(InvarianceError, AssertionError)
    assert check_invariance(model).max_deviation > 1e-3  # the check itself never raises


def test_check_invariance_accepts_numpy_inputs_and_an_explicit_group():
    model = invariant_qnn(cyclic(6), layers=1, seed=9).double()
    x = np.random.default_rng(0).uniform(size=(3, 6))
    assert check_invariance(model, x).n_inputs == 3
    bigger = control_qnn(cyclic(6), layers=1, seed=9)
    assert check_invariance(model, x, group=cyclic(6)).max_deviation < 1e-9
    assert check_invariance(bigger, x, group=cyclic(6)).max_deviation > 1e-3


def test_check_invariance_needs_a_group_and_inputs():
    def plain(x):
        return x.reshape(x.shape[0], -1)

    with pytest.raises(TypeError, match=r"declares no group"):
        check_invariance(plain, np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"no example_inputs\(\)"):
        check_invariance(plain, group=cyclic(3))
    assert check_invariance(plain, np.ones((2, 3)), group=cyclic(3)).max_deviation == 0.0
