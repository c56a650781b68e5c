"""Tests for the classical baselines in equiqnn.models.classical."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.groups import (
    PermutationGroup,
    cyclic,
    direct_product,
    grid_d4,
    grid_reflections,
    grid_rotations,
    grid_translations,
    sign_flip,
)
from equiqnn.models.classical import MLP, GroupInvariantCNN, LogisticRegression, SmallCNN
from equiqnn.models.registry import build_model, registered_kinds


def _x(shape: tuple[int, ...], batch: int = 4, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, *shape, generator=g, dtype=dtype)


MODEL_FACTORIES = {
    "logistic": lambda: LogisticRegression((8, 8), 2),
    "mlp": lambda: MLP((8, 8), 3, hidden=(16, 8)),
    "cnn": lambda: SmallCNN((8, 8), 2),
    "invariant_cnn_d4": lambda: GroupInvariantCNN(grid_d4(8), 2),
    "invariant_cnn_ring_max": lambda: GroupInvariantCNN(cyclic(6), 4, channels=(3,), pool="max"),
}
each_model = pytest.mark.parametrize("make", MODEL_FACTORIES.values(), ids=MODEL_FACTORIES.keys())


# -- contract: shapes, properties, reprs --------------------------------------------------------
@each_model
def test_forward_returns_logits_batch_by_classes(make):
    model = make()
    out = model(_x(model.input_shape, batch=5))
    assert out.shape == (5, model.n_classes)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert model.gate_count is None


@each_model
def test_gradients_reach_every_parameter(make):
    model = make()
    model(_x(model.input_shape)).logsumexp(dim=1).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_contract_attributes():
    m = SmallCNN([3, 3], 3, channels=[4])
    assert m.input_shape == (3, 3) and m.n_classes == 3 and m.group is None
    assert LogisticRegression(5, 2).input_shape == (5,)
    g = grid_d4(8)
    inv = GroupInvariantCNN(g, 2)
    assert inv.group is g and inv.input_shape == (8, 8)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (LogisticRegression((8, 8), 2), 64 * 2 + 2),
        (LogisticRegression((5,), 3), 5 * 3 + 3),
        (MLP((8, 8), 2), 64 * 32 + 32 + 32 * 2 + 2),
        (MLP((4,), 2, hidden=()), 4 * 2 + 2),
        (MLP((4,), 3, hidden=(5, 6)), (4 * 5 + 5) + (5 * 6 + 6) + (6 * 3 + 3)),
        (SmallCNN((8, 8), 2), (9 * 8 + 8) + (9 * 8 * 16 + 16) + (16 * 2 + 2)),
        (SmallCNN((3, 3), 3, channels=(4,)), (9 * 4 + 4) + (4 * 3 + 3)),
        (GroupInvariantCNN(grid_d4(8), 2), 1282),
        (GroupInvariantCNN(cyclic(6), 2, channels=(3,)), (3 * 3 + 3) + (3 * 2 + 2)),
    ],
    ids=repr,
)
def test_n_params_exact(model, expected):
    assert model.n_params == expected
    assert model.n_params == sum(p.numel() for p in model.parameters())


def test_n_params_counts_only_trainable():
    m = LogisticRegression((8, 8), 2)
    m.linear.bias.requires_grad_(False)
    assert m.n_params == 128


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (LogisticRegression((8, 8), 2), "LogisticRegression(8x8 -> 2 classes | 130 params)"),
        (LogisticRegression(10, 3), "LogisticRegression(10 -> 3 classes | 33 params)"),
        (MLP((8, 8), 2), "MLP(8x8 -> 2 classes | 2146 params)"),
        (SmallCNN((16, 16), 2), "SmallCNN(16x16 -> 2 classes | 1282 params)"),
        (
            GroupInvariantCNN(grid_d4(8), 2),
            "GroupInvariantCNN(D4 | 8x8 -> 2 classes | 1282 params)",
        ),
        (
            GroupInvariantCNN(grid_translations(4, 4), 3, channels=(4,)),
            "GroupInvariantCNN(T | 4x4 -> 3 classes | 55 params)",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_repr_is_one_line_contract(model, expected):
    assert repr(model) == expected


@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
    n_classes=st.integers(2, 5),
    hidden=st.lists(st.integers(1, 6), max_size=2).map(tuple),
    batch=st.integers(1, 3),
)
def test_mlp_any_shape(shape, n_classes, hidden, batch):
    m = MLP(shape, n_classes, hidden=hidden)
    widths = [math.prod(shape), *hidden, n_classes]
    assert m.n_params == sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))
    assert m(_x(shape, batch=batch)).shape == (batch, n_classes)


@pytest.mark.parametrize("side", [1, 2, 3, 8, 16])
def test_small_cnn_handles_small_and_large_images(side):
    assert SmallCNN((side, side), 2)(_x((side, side))).shape == (4, 2)
    assert SmallCNN((side, side + 1), 2)(_x((side, side + 1))).shape == (4, 2)


# -- input handling -----------------------------------------------------------------------------
def test_input_is_cast_to_model_dtype():
    m = SmallCNN((3, 3), 2)
    x = _x((3, 3))
    assert torch.equal(m(x.double()), m(x))
    board = torch.tensor([[[1, -1, 0], [0, 1, 0], [-1, 0, 1]]])
    assert torch.equal(m(board), m(board.float()))
    assert m.double()(x).dtype == torch.float64


def test_wrong_input_shape_names_expected_shape():
    m = LogisticRegression((8, 8), 2)
    with pytest.raises(ValueError, match=r"expects x shaped \(batch, 8, 8\); got \(4, 16, 16\)"):
        m(_x((16, 16)))
    with pytest.raises(ValueError, match=r"got \(8, 8\)\. Add a batch dimension"):
        m(torch.zeros(8, 8))
    with pytest.raises(ValueError, match=r"\(batch, 8, 8\)"):
        GroupInvariantCNN(grid_d4(8), 2)(torch.zeros(2, 64))


def test_non_tensor_and_complex_inputs_rejected():
    m = MLP((4,), 2)
    with pytest.raises(TypeError, match=r"torch\.Tensor; got ndarray.*torch\.as_tensor"):
        m(np.zeros((2, 4)))
    with pytest.raises(TypeError, match="real-valued"):
        m(torch.zeros(2, 4, dtype=torch.complex64))


# -- argument validation ------------------------------------------------------------------------
def test_small_cnn_rejects_non_image_shape():
    with pytest.raises(ValueError, match=r"image input_shape \(H, W\); got \(16,\).*use MLP"):
        SmallCNN((16,), 2)
    with pytest.raises(ValueError, match=r"\(H, W\); got \(2, 3, 4\)"):
        SmallCNN((2, 3, 4), 2)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: LogisticRegression((8, 8), 1), ValueError, r"n_classes must be >= 2.*n_classes=2"),
        (lambda: LogisticRegression((8, 8), 0), ValueError, r"n_classes must be >= 2.*got 0"),
        (
            lambda: LogisticRegression((8, 8), 2.0),  # type: ignore[arg-type]
            TypeError,
            "n_classes must be an int; got float",
        ),
        (lambda: LogisticRegression((8, 8), True), TypeError, "n_classes must be an int"),
        (lambda: LogisticRegression((8, 0), 2), ValueError, "each entry of input_shape must be >="),
        (lambda: LogisticRegression((), 2), ValueError, "input_shape must have at least one entry"),
        (
            lambda: LogisticRegression("8x8", 2),  # type: ignore[arg-type]
            TypeError,
            "input_shape must be a sequence of ints",
        ),
        (lambda: LogisticRegression((8, 8), 2, seed=-1), ValueError, "seed must be >= 0"),
        (lambda: MLP((4,), 2, hidden=(0,)), ValueError, "each entry of hidden must be >= 1"),
        (lambda: SmallCNN((8, 8), 2, channels=()), ValueError, "channels must have at least one"),
        (lambda: GroupInvariantCNN(grid_d4(4), 2, pool="sum"), ValueError, r"pool must be one of"),
        (lambda: GroupInvariantCNN("grid_d4", 2), TypeError, "group must be a PermutationGroup"),
        (
            lambda: GroupInvariantCNN(sign_flip((2, 2, 2)), 2),
            ValueError,
            r"vectors \(n,\) or images \(H, W\).*\(2, 2, 2\)",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(build, error, message):
    with pytest.raises(error, match=message):
        build()


# -- invariance ---------------------------------------------------------------------------------
INVARIANT_CASES = [
    (grid_d4(8), "mean"),
    (grid_rotations(8), "mean"),
    (grid_translations(4, 4), "mean"),
    (grid_d4(8), "max"),
    (grid_reflections(4, 6), "mean"),
    (direct_product(grid_d4(4), sign_flip((4, 4))), "mean"),
    (cyclic(7), "mean"),
    (sign_flip(5), "max"),
]


@pytest.mark.parametrize(("group", "pool"), INVARIANT_CASES, ids=lambda v: repr(v))
def test_group_invariant_cnn_is_exactly_invariant(group, pool):
    model = GroupInvariantCNN(group, 3, channels=(4, 6), pool=pool, seed=1).double()
    x = _x(group.shape, batch=3, dtype=torch.float64)
    ref = model(x)
    for g in range(group.order):
        assert torch.allclose(model(group.act(g, x)), ref, rtol=0, atol=1e-12), group.names[g]


def test_group_invariant_cnn_matches_act_all_reference():
    group = direct_product(grid_d4(4), sign_flip((4, 4)))
    model = GroupInvariantCNN(group, 3, channels=(4,), seed=2).double()
    x = _x((4, 4), batch=3, dtype=torch.float64)
    copies = group.act_all(x)  # (|G|, B, 4, 4)
    feats = model.features(copies.reshape(-1, 1, 4, 4)).reshape(group.order, 3, -1)
    assert torch.allclose(model(x), model.head(feats.mean(dim=0)), rtol=0, atol=1e-12)


def test_small_cnn_is_not_invariant_negative_control():
    group = grid_d4(8)
    model = SmallCNN((8, 8), 3, seed=1).double()
    x = _x((8, 8), batch=3, dtype=torch.float64)
    ref = model(x)
    worst = max((model(group.act(g, x)) - ref).abs().max().item() for g in range(1, group.order))
    assert worst > 1e-6


def test_invariance_is_specific_to_the_group():
    # Pooling over rotations alone does not make the model invariant under the transpose.
    model = GroupInvariantCNN(grid_rotations(8), 3, seed=1).double()
    x = _x((8, 8), batch=3, dtype=torch.float64)
    d4 = grid_d4(8)
    assert (model(d4.act("transpose", x)) - model(x)).abs().max().item() > 1e-6


def test_max_and_mean_pooling_differ():
    x = _x((8, 8))
    mean = GroupInvariantCNN(grid_d4(8), 2, pool="mean")(x)
    assert not torch.allclose(mean, GroupInvariantCNN(grid_d4(8), 2, pool="max")(x))


# -- seeding ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "factory",
    [
        lambda s: LogisticRegression((8, 8), 2, seed=s),
        lambda s: MLP((8, 8), 2, seed=s),
        lambda s: SmallCNN((8, 8), 2, seed=s),
        lambda s: GroupInvariantCNN(grid_d4(8), 2, seed=s),
    ],
)
def test_seeded_init_is_reproducible_and_leaves_global_rng_alone(factory):
    state = torch.get_rng_state()
    a, b, c = factory(0), factory(0), factory(1)
    assert torch.equal(torch.get_rng_state(), state)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa)


def test_same_seed_same_init_for_small_and_invariant_cnn():
    # Same backbone and head built in the same order: the group-pooled model starts from the same
    # weights, so the two differ only by the pooling.
    a = SmallCNN((8, 8), 2, seed=3).state_dict()
    b = GroupInvariantCNN(grid_d4(8), 2, seed=3).state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# -- config round trip --------------------------------------------------------------------------
@each_model
def test_config_round_trip_through_json(make):
    model = make()
    config = json.loads(json.dumps(model.config))
    assert config == model.config
    rebuilt = build_model(config)
    assert type(rebuilt) is type(model)
    assert repr(rebuilt) == repr(model) and rebuilt.config == model.config
    x = _x(model.input_shape)
    assert torch.equal(rebuilt(x), model(x))  # same seed -> same untrained weights
    with torch.no_grad():  # "train": perturb every weight, then load into a fresh copy
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    fresh = build_model(config)
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh(x), model(x))


def test_configs_are_plain_kwargs():
    assert LogisticRegression((8, 8), 2).config == {
        "kind": "logistic",
        "input_shape": [8, 8],
        "n_classes": 2,
        "seed": 0,
    }
    assert MLP(4, 3, hidden=(5,), seed=2).config == {
        "kind": "mlp",
        "input_shape": [4],
        "n_classes": 3,
        "hidden": [5],
        "seed": 2,
    }
    assert SmallCNN((3, 3), 2).config == {
        "kind": "cnn",
        "input_shape": [3, 3],
        "n_classes": 2,
        "channels": [8, 16],
        "seed": 0,
    }
    assert GroupInvariantCNN(grid_d4(8), 2, pool="max").config == {
        "kind": "invariant_cnn",
        "group": ["grid_d4", 8],
        "n_classes": 2,
        "channels": [8, 16],
        "pool": "max",
        "seed": 0,
    }
    assert {"logistic", "mlp", "cnn", "invariant_cnn"} <= set(registered_kinds())


def test_group_spec_is_accepted_in_place_of_group():
    m = GroupInvariantCNN(["grid_translations", 4, 4], 2)
    assert m.group is not None and m.group.order == 16 and m.input_shape == (4, 4)


def test_state_dict_holds_only_weights():
    keys = set(GroupInvariantCNN(grid_d4(4), 2).state_dict())
    assert keys == set(SmallCNN((4, 4), 2).state_dict())


def test_config_of_custom_group_model_explains_what_is_needed():
    custom = PermutationGroup({"swap": [1, 0, 3, 2]}, (4,), name="K")
    model = GroupInvariantCNN(custom, 2)
    assert repr(model) == "GroupInvariantCNN(K | 4 -> 2 classes | 466 params)"
    x = _x((4,), dtype=torch.float64)
    model.double()
    assert torch.allclose(model(custom.act("swap", x)), model(x), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="needs a group built by an equiqnn.groups factory"):
        _ = model.config
