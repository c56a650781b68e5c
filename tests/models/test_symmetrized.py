"""Tests for equiqnn.models.symmetrized: group-averaged models are exactly invariant."""

from __future__ import annotations

import pickle

import pytest
import torch

from equiqnn.groups import cyclic, grid_d4
from equiqnn.models.classical import LogisticRegression
from equiqnn.models.factories import baseline_qnn, control_qnn, invariant_qnn
from equiqnn.models.registry import build_model, registered_kinds
from equiqnn.models.symmetrized import Symmetrized, symmetrized
from equiqnn.symmetry import check_invariance


@pytest.fixture(scope="module")
def control_d4_8():
    return control_qnn(grid_d4(8), layers=2).double()


def test_symmetrized_control_is_invariant_while_bare_control_is_not(control_d4_8):
    sym = symmetrized(control_d4_8)
    assert check_invariance(sym).max_deviation < 1e-9
    assert check_invariance(control_d4_8).max_deviation > 1e-3


def test_symmetrized_angle_encoded_control_is_invariant():
    base = control_qnn(grid_d4(3), encoding="angle", layers=1, seed=3).double()
    sym = symmetrized(base)
    assert check_invariance(base, n_inputs=4).max_deviation > 1e-3
    assert check_invariance(sym, n_inputs=4).max_deviation < 1e-9


def test_symmetrized_multiclass_baseline_on_a_ring_is_invariant():
    sym = symmetrized(baseline_qnn(cyclic(4), layers=2, n_classes=3).double())
    assert check_invariance(sym, n_inputs=5).max_deviation < 1e-9


def test_symmetrizing_an_invariant_model_changes_nothing():
    base = invariant_qnn(grid_d4(4), encoding="register", layers=1).double()
    x = base.example_inputs(6)
    with torch.no_grad():
        torch.testing.assert_close(symmetrized(base)(x), base(x), atol=1e-10, rtol=0)


def test_forward_is_the_mean_of_the_base_logits_over_the_group(control_d4_8):
    sym = symmetrized(control_d4_8)
    x = control_d4_8.example_inputs(3, seed=1)
    with torch.no_grad():
        out = sym(x)
        expected = torch.stack([control_d4_8(sym.group.act(g, x)) for g in range(8)]).mean(0)
    assert out.shape == (3, 2)
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)


def test_properties_and_repr():
    base = control_qnn(grid_d4(8), layers=2)
    sym = symmetrized(base)
    assert isinstance(sym, Symmetrized)
    assert sym.group is base.group
    assert sym.input_shape == (8, 8)
    assert sym.n_classes == 2
    assert sym.n_params == base.n_params
    assert sym.gate_count == base.gate_count * 8
    assert sym.config == {"kind": "symmetrized", "base": base.config}
    assert repr(sym) == f"Symmetrized({base!r})"
    assert repr(sym).startswith("Symmetrized(ControlQNN(D4 | RegisterAmplitude 8x8 |")
    assert sym.example_inputs(2).shape == (2, 8, 8)


def test_classical_base_without_circuit_has_no_gate_count():
    base = LogisticRegression((4,), 2)
    base.group = cyclic(4)
    sym = symmetrized(base)
    assert sym.gate_count is None
    assert sym.example_inputs(3).shape == (3, 4)
    assert (
        check_invariance(
            sym, torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
        ).max_deviation
        < 1e-5
    )


def test_config_round_trip_rebuilds_identical_model():
    sym = symmetrized(control_qnn(grid_d4(4), encoding="register", layers=2, seed=5))
    assert "symmetrized" in registered_kinds()
    rebuilt = build_model(sym.config)
    assert isinstance(rebuilt, Symmetrized)
    assert rebuilt.config == sym.config
    assert repr(rebuilt) == repr(sym)
    x = sym.example_inputs(4)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), sym(x))
    rebuilt.load_state_dict(sym.state_dict())


def test_gradients_reach_every_parameter():
    sym = symmetrized(control_qnn(grid_d4(4), encoding="register", layers=2)).double()
    x = sym.example_inputs(4)
    loss = torch.nn.functional.cross_entropy(sym(x), torch.tensor([0, 1, 1, 0]))
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in sym.parameters())
    assert sym.base.theta.grad.abs().sum() > 0


def test_gradients_flow_to_the_inputs():
    sym = symmetrized(control_qnn(grid_d4(2), encoding="angle", layers=1)).double()
    x = sym.example_inputs(2).requires_grad_(True)
    sym(x)[:, 1].sum().backward()  # the binary logits are (-s, s): their plain sum is 0
    assert x.grad is not None and x.grad.shape == x.shape and x.grad.abs().sum() > 0


def test_shares_parameters_with_the_base_and_pickles():
    base = control_qnn(grid_d4(2), encoding="angle", layers=1)
    sym = symmetrized(base)
    assert sym.base is base
    assert [id(p) for p in sym.parameters()] == [id(p) for p in base.parameters()]
    restored = pickle.loads(pickle.dumps(sym))
    x = sym.example_inputs(3)
    with torch.no_grad():
        torch.testing.assert_close(restored(x), sym(x))


def test_numpy_inputs_are_accepted():
    sym = symmetrized(control_qnn(grid_d4(2), encoding="angle", layers=1)).double()
    x = sym.example_inputs(3)
    with torch.no_grad():
        torch.testing.assert_close(sym(x.numpy()), sym(x))


def test_rejects_models_without_a_group():
    with pytest.raises(TypeError, match="declares its group"):
        symmetrized(LogisticRegression((4,), 2))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        symmetrized("not a model")  # type: ignore[arg-type]


def test_rejects_a_group_on_another_shape():
    base = LogisticRegression((5,), 2)
    base.group = cyclic(4)
    with pytest.raises(ValueError, match=r"input_shape \(5,\) must equal"):
        symmetrized(base)


def test_rejects_inputs_of_the_wrong_shape():
    sym = symmetrized(control_qnn(grid_d4(2), encoding="angle", layers=1))
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 2, 2\)"):
        sym(torch.zeros(3, 4))


def test_bad_config_base_is_a_type_error():
    with pytest.raises(TypeError, match="'base'"):
        build_model({"kind": "symmetrized", "base": "control_qnn"})
