"""Symmetry metrics: per-element output deviation and label misassignment agree with explicit loops
over the group and with ``evaluate``; the McNemar–Bowker test matches hand computation and detects
directional label changes; the adaptive threshold recovers the accuracy lost to a shifted readout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from train_toys import Logistic, Pooled, make_data

from equiqnn.groups import cyclic, grid_d4
from equiqnn.train import evaluate
from equiqnn.train.symmetry_metrics import (
    BowkerTest,
    adaptive_threshold,
    apply_threshold,
    label_misassignment,
    mcnemar_bowker,
    mcnemar_bowker_model,
    output_deviation,
    readout_mean_shift,
)


def manual(model, group, x):
    """Per-element max |Δlogit| and label-change fractions, and predictions, by a loop."""
    with torch.no_grad():
        clean = model(torch.as_tensor(x))
        dev, changed, preds = {}, {}, {}
        for i, name in enumerate(group.names):
            out = model(torch.as_tensor(group.act(i, x)))
            dev[name] = float((out - clean).abs().max())
            changed[name] = float((out.argmax(1) != clean.argmax(1)).double().mean())
            preds[name] = out.argmax(1).numpy()
    return dev, changed, preds


class TopRow(torch.nn.Module):
    """Binary logits ``[0, mean(top row) − 1]``: not invariant, and directional on top-lit data."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.tensor(-1.0, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x[:, 0, :].mean(1) + self.bias
        return torch.stack([torch.zeros_like(s), s], dim=1)


def top_lit(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(size=(n, 4, 4))
    x[:, 0, :] += 1.0
    return x


# -- output deviation and label misassignment ---------------------------------------------------
@pytest.mark.parametrize("batch_size", [1, 3, 1024])
def test_non_invariant_model_matches_an_explicit_loop_and_evaluate(d4, batch_size):
    x, y = make_data(30, 5)
    model = Logistic(16, n_classes=3, seed=2)
    dev, changed, _ = manual(model, d4, x)
    od = output_deviation(model, x, d4, batch_size=batch_size)
    lm = label_misassignment(model, x, d4, batch_size=batch_size)
    assert list(od.per_element) == d4.names == list(lm.per_element)
    for name in d4.names:
        assert od.per_element[name] == pytest.approx(dev[name], abs=1e-6)
        assert lm.per_element[name] == pytest.approx(changed[name], abs=1e-12)
    assert od.per_element["e"] == 0.0 and lm.per_element["e"] == 0.0
    assert od.max == max(od.per_element.values()) and od.per_element[od.worst] == od.max
    assert lm.max == max(lm.per_element.values()) and lm.per_element[lm.worst] == lm.max
    ev = evaluate(model, x, y % 3, group=d4)
    assert od.max == pytest.approx(ev.max_output_deviation, abs=1e-6)
    assert lm.any == pytest.approx(ev.label_misassignment, abs=1e-12)
    assert lm.max <= lm.any and lm.max > 0
    assert "OutputDeviation(max=" in repr(od) and "\n" not in repr(lm)


def test_invariant_model_has_zero_deviation_and_no_label_changes(d4):
    x, _ = make_data(25, 6)
    model = Pooled(Logistic(16, seed=3), d4).double()
    od = output_deviation(model, x)  # group from model.group
    lm = label_misassignment(model, x)
    assert od.max < 1e-12 and lm.max == 0.0 and lm.any == 0.0
    bb = mcnemar_bowker_model(model, x)
    assert bb.min_p_value == 1.0 and bb.bonferroni_p_value == 1.0 and bb.n_tests == 7
    assert all(t.dof == 0 and t.statistic == 0.0 for t in bb.per_element.values())


def test_model_mode_is_restored(d4):
    model = Logistic(16)
    model.train()
    output_deviation(model, make_data(4, 1)[0], d4)
    assert model.training


def test_qnn_invariant_versus_control():
    from equiqnn.models import control_qnn, invariant_qnn

    g = grid_d4(8)
    inv = invariant_qnn(g, layers=1).double()
    ctl = control_qnn(g, layers=1).double()
    x = inv.example_inputs(24, seed=2)
    od_inv, od_ctl = output_deviation(inv, x), output_deviation(ctl, x)
    assert od_inv.max < 1e-10
    assert od_ctl.max > 1e-2
    assert label_misassignment(inv, x).any == 0.0
    assert mcnemar_bowker_model(inv, x).bonferroni_p_value == 1.0
    ctl_bb = mcnemar_bowker_model(ctl, x)
    assert 0.0 <= ctl_bb.bonferroni_p_value <= 1.0


# -- McNemar–Bowker -----------------------------------------------------------------------------
def test_bowker_matches_a_hand_computation():
    # table rows = label on x, columns = label on g·x
    table = np.array([[10, 4, 0], [1, 8, 3], [0, 3, 6]])
    a = np.repeat(np.arange(3), table.sum(1))
    b = np.concatenate([np.repeat(np.arange(3), table[i]) for i in range(3)])
    res = mcnemar_bowker(a, b, n_classes=3)
    # pairs (0,1): (4-1)^2/5; (0,2): no discordant counts, dropped; (1,2): (3-3)^2/6
    assert res.statistic == pytest.approx(9 / 5)
    assert res.dof == 2
    assert res.p_value == pytest.approx(stats.chi2.sf(9 / 5, 2))
    np.testing.assert_array_equal(res.table, table)
    assert not res.table.flags.writeable
    assert res.n == 35 and res.discordant == 11
    assert repr(res).startswith("BowkerTest(statistic=1.8, dof=2, p=") and "\n" not in repr(res)


def test_bowker_with_two_classes_is_mcnemar():
    a = np.array([0] * 20 + [0] * 9 + [1] * 3 + [1] * 15)
    b = np.array([0] * 20 + [1] * 9 + [0] * 3 + [1] * 15)
    res = mcnemar_bowker(torch.as_tensor(a), torch.as_tensor(b), 2)
    assert res.statistic == pytest.approx((9 - 3) ** 2 / 12) and res.dof == 1


def test_bowker_all_diagonal_is_defined():
    res = mcnemar_bowker([0, 1, 2, 2], [0, 1, 2, 2], n_classes=4)
    assert (res.statistic, res.dof, res.p_value) == (0.0, 0, 1.0)


@given(
    st.integers(2, 5).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), max_size=60),
        )
    )
)
def test_bowker_is_symmetric_in_its_arguments_and_relabelling(case):
    k, pairs = case
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    res = mcnemar_bowker(a, b, k)
    swapped = mcnemar_bowker(b, a, k)
    perm = np.random.default_rng(k).permutation(k)
    relabelled = mcnemar_bowker(perm[a], perm[b], k)
    assert res.statistic >= 0 and 0 <= res.p_value <= 1 and res.dof <= k * (k - 1) // 2
    assert swapped.statistic == pytest.approx(res.statistic) and swapped.dof == res.dof
    assert relabelled.statistic == pytest.approx(res.statistic) and relabelled.dof == res.dof


def test_bowker_model_detects_directional_label_changes(d4):
    x = top_lit(200, 0)
    model = TopRow()
    bb = mcnemar_bowker_model(model, x, d4)
    _, _, preds = manual(model, d4, x)
    for name in d4.names:
        expect = mcnemar_bowker(preds["e"], preds[name], 2)
        np.testing.assert_array_equal(bb.per_element[name].table, expect.table)
        assert bb.per_element[name].statistic == pytest.approx(expect.statistic)
    # the top row stays on top under flip_cols only; every other element moves it away
    assert bb.per_element["flip_cols"].dof == 0
    assert bb.per_element["r"].table[1, 0] > 150 and bb.per_element["r"].table[0, 1] == 0
    assert bb.bonferroni_p_value < 1e-20
    assert bb.bonferroni_p_value == pytest.approx(min(1.0, 7 * bb.min_p_value))
    assert bb.worst in d4.names[1:] and "ElementBowker(min_p=" in repr(bb)


def test_symmetric_label_swaps_pass_bowker_but_show_in_misassignment():
    g = cyclic(4)
    x = np.random.default_rng(1).normal(size=(300, 4))

    class Diff(torch.nn.Module):  # score x0 - x2 changes sign under the half-turn: swaps labels
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([1.0, 0.0, -1.0, 0.0], dtype=torch.float64))

        def forward(self, x):
            s = x @ self.w
            return torch.stack([-s, s], 1)

    model = Diff()
    half_turn = g.names[2]
    assert label_misassignment(model, x, g).per_element[half_turn] == 1.0
    assert mcnemar_bowker_model(model, x, g).per_element[half_turn].p_value > 0.01


# -- readout shift and thresholds ---------------------------------------------------------------
def test_readout_mean_shift_per_output():
    clean = np.array([[0.5, -0.2], [0.3, 0.4], [0.1, 0.0]])
    noisy = 0.8 * clean  # global depolarizing shrinks every readout towards 0
    shift = readout_mean_shift(torch.as_tensor(noisy), clean)
    np.testing.assert_allclose(shift, -0.2 * clean.mean(0), atol=1e-15)
    assert readout_mean_shift([1.0, 2.0], [0.0]).shape == ()
    with pytest.raises(ValueError, match="same trailing shape"):
        readout_mean_shift(clean, clean[:, :1])
    with pytest.raises(ValueError, match="finite"):
        readout_mean_shift([np.nan], [0.0])


def test_adaptive_threshold_recovers_accuracy_lost_to_a_shifted_readout():
    rng = np.random.default_rng(0)

    def sample(n):
        y = rng.integers(0, 2, size=n)
        return np.where(y == 1, 1.0, -1.0) + 0.3 * rng.normal(size=n), y

    (s_train, y_train), (s_test, y_test) = sample(400), sample(400)
    shift = 1.5  # noise moves the readout mean; the clean threshold 0 no longer separates
    noisy_train, noisy_test = s_train + shift, s_test + shift
    assert np.mean(apply_threshold(s_test, 0.0) == y_test) > 0.99
    lost = np.mean(apply_threshold(noisy_test, 0.0) == y_test)
    assert lost < 0.7
    t = adaptive_threshold(noisy_train, y_train)
    assert abs(t - shift) < 0.3
    assert np.mean(apply_threshold(noisy_test, t) == y_test) > 0.98
    # binary logits (N, 2): score l1 - l0
    logits = np.stack([-noisy_train / 2, noisy_train / 2], 1)
    assert adaptive_threshold(logits, y_train) == pytest.approx(t)


def test_adaptive_threshold_ties_and_edges():
    # separable: the whole gap (-1, 1) is optimal; its midpoint is returned
    assert adaptive_threshold([-3.0, -1.0, 1.0, 3.0], [0, 0, 1, 1]) == 0.0
    # two optimal gaps (3 of 4 right): the wider one, (2, 6), wins
    assert adaptive_threshold([0.0, 1.0, 2.0, 6.0], [0, 1, 0, 1]) == 4.0
    # duplicate scores cannot be split
    t = adaptive_threshold([0.0, 1.0, 1.0, 2.0], [0, 0, 1, 1])
    assert t in (0.5, 1.5)
    # one class only: every score on the same side
    t1 = adaptive_threshold([0.2, 0.4], [1, 1])
    assert t1 < 0.2 and list(apply_threshold([0.2, 0.4], t1)) == [1, 1]
    t0 = adaptive_threshold([0.3, 0.3], [0, 0])
    assert t0 > 0.3 and list(apply_threshold([0.3, 0.3], t0)) == [0, 0]
    # adjacent floats: the midpoint rounds, yet the rule still separates them
    a = 1.0
    b = np.nextafter(a, 2.0)
    t = adaptive_threshold([a, b], [0, 1])
    assert list(apply_threshold([a, b], t)) == [0, 1]


@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: adaptive_threshold([0.1, 0.2], [0, 2]), ValueError, "binary"),
        (lambda: adaptive_threshold([0.1, 0.2], [0.0, 1.0]), TypeError, "integer class labels"),
        (lambda: adaptive_threshold([0.1, 0.2], [0]), ValueError, "one label per output"),
        (lambda: adaptive_threshold(np.zeros((2, 3)), [0, 1]), ValueError, "binary logits"),
        (lambda: apply_threshold([0.1], float("nan")), ValueError, "finite"),
        (lambda: apply_threshold([0.1], "0"), TypeError, "real number"),
        (lambda: mcnemar_bowker([0, 1], [0], 2), ValueError, "same shape"),
        (lambda: mcnemar_bowker([0, 3], [0, 1], 2), ValueError, r"\[0, n_classes\)"),
        (lambda: mcnemar_bowker([0, 1], [0, 1], 1), ValueError, "n_classes must be"),
        (lambda: mcnemar_bowker([0.0], [0], 2), TypeError, "integer class labels"),
    ],
)
def test_invalid_inputs_are_refused(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_model_inputs_are_checked(d4):
    x, _ = make_data(4, 1)
    with pytest.raises(TypeError, match="PermutationGroup"):
        output_deviation(Logistic(16), x)  # no group given, model.group is None
    with pytest.raises(ValueError, match="shaped"):
        label_misassignment(Logistic(9), x[:, :3, :3], d4)
    with pytest.raises(ValueError, match="batch_size"):
        mcnemar_bowker_model(Logistic(16), x, d4, batch_size=0)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        output_deviation(lambda t: t, x, d4)


def test_bowker_test_is_a_frozen_result():
    res = mcnemar_bowker([0, 1], [1, 0], 2)
    assert isinstance(res, BowkerTest)
    with pytest.raises(AttributeError):
        res.statistic = 3.0  # type: ignore[misc]
