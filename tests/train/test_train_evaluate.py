"""evaluate: clean and orbit metrics, checked against explicit loops over the group."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from train_toys import Logistic, Pooled, make_data

from equiqnn.groups import cyclic, grid_d4
from equiqnn.train import Evaluation, evaluate


def manual_orbit(model, group, x, y):
    """Per-element accuracy, max |logit change| and label misassignment by a loop over elements."""
    with torch.no_grad():
        clean = model(torch.as_tensor(x))
        accs, dev, changed = {}, 0.0, np.zeros(len(x), dtype=bool)
        for i, name in enumerate(group.names):
            out = model(torch.as_tensor(group.act(i, x)))
            pred = out.argmax(1).numpy()
            accs[name] = float(np.mean(pred == y))
            dev = max(dev, float((out - clean).abs().max()))
            changed |= pred != clean.argmax(1).numpy()
    return accs, dev, float(changed.mean())


def test_invariant_model_has_orbit_accuracy_equal_to_clean_accuracy(d4):
    x, y = make_data(50, 4)
    model = Pooled(Logistic(16, seed=5), d4)
    ev = evaluate(model, x, y)  # group taken from model.group
    assert ev.group_order == 8 and ev.group == repr(d4)
    assert ev.orbit_accuracy == ev.accuracy
    assert ev.invariance_gap == 0.0 and ev.label_misassignment == 0.0
    assert ev.max_output_deviation < 1e-6
    assert set(ev.per_element_accuracy.values()) == {ev.accuracy}


@pytest.mark.parametrize("batch_size", [1, 3, 20, 1024])
def test_orbit_accuracy_of_a_non_invariant_model_covers_every_copy(d4, batch_size):
    x, y = make_data(45, 5, label="corner")
    model = Logistic(16, seed=1)
    with torch.no_grad():
        model.linear.weight.zero_()
        model.linear.weight[1, :2] = torch.tensor([3.0, 0.3])  # the labelling rule: not invariant
    accs, dev, changed = manual_orbit(model, d4, x, y)
    ev = evaluate(model, x, y, group=d4, batch_size=batch_size)
    assert ev.per_element_accuracy == pytest.approx(accs)
    assert list(ev.per_element_accuracy) == d4.names
    assert ev.orbit_accuracy == pytest.approx(np.mean(list(accs.values())))
    assert ev.accuracy == pytest.approx(accs["e"]) and ev.accuracy == 1.0
    assert (
        ev.invariance_gap == pytest.approx(ev.accuracy - ev.orbit_accuracy)
        and ev.invariance_gap > 0.2
    )
    assert ev.max_output_deviation == pytest.approx(dev, rel=1e-6)
    assert ev.label_misassignment == pytest.approx(changed) and changed > 0


def test_loss_is_the_mean_cross_entropy():
    x, y = make_data(30, 6)
    model = Logistic(16, seed=2)
    with torch.no_grad():
        expected = torch.nn.functional.cross_entropy(model(torch.as_tensor(x)), torch.as_tensor(y))
    ev = evaluate(model, x, y, batch_size=7)
    assert ev.loss == pytest.approx(float(expected), rel=1e-6)


def test_without_any_group_orbit_metrics_are_none():
    x, y = make_data(10, 7)
    ev = evaluate(Logistic(16), x, y)
    assert ev.orbit_accuracy is None and ev.per_element_accuracy is None and ev.group is None
    assert ev.as_dict()["accuracy"] == ev.accuracy
    assert "no group" in repr(ev)


def test_flat_and_as_dict_views(d4):
    x, y = make_data(10, 8)
    ev = evaluate(Logistic(16), x, y, group=d4)
    flat = ev.flat("test_")
    assert flat["test_acc"] == ev.accuracy and flat["test_acc[r]"] == ev.per_element_accuracy["r"]
    assert ev.as_dict()["per_element_accuracy"] == ev.per_element_accuracy
    assert isinstance(ev, Evaluation) and "\n" not in repr(ev)


def test_channels_double_model_and_training_mode_restored():
    group = cyclic(6)
    x = np.random.default_rng(0).normal(size=(12, 2, 6))
    y = (x[:, 0].sum(1) > 0).astype(int)
    model = Pooled(Logistic(12, seed=0), group).double()
    model.train()
    ev = evaluate(model, torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y), batch_size=5)
    assert model.training
    assert ev.orbit_accuracy == ev.accuracy and ev.max_output_deviation < 1e-12


def test_clear_errors(d4):
    x, y = make_data(10, 9)
    with pytest.raises(TypeError, match="group must be an equiqnn.groups.PermutationGroup"):
        evaluate(Logistic(16), x, y, group="D4")
    with pytest.raises(ValueError, match=r"x must be shaped \(N, \.\.\., 3, 3\)"):
        evaluate(Logistic(16), x, y, group=grid_d4(3))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        evaluate(Logistic(16), x, y, batch_size=0)
    with pytest.raises(ValueError, match=r"evaluation labels y must be in \[0, K\) = \[0, 2\)"):
        evaluate(Logistic(16), x, y + 2)
    with pytest.raises(ValueError, match="one label per input"):
        evaluate(Logistic(16), x, y[:5])
    with pytest.raises(ValueError, match="empty"):
        evaluate(Logistic(16), x[:0], y[:0])
