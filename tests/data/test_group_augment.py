"""augment / epoch_augmenter: all copies once, fresh random elements per epoch, numpy and torch."""

import numpy as np
import pytest
import torch

from equiqnn.data import EpochAugmenter, augment, epoch_augmenter, z2z2_group
from equiqnn.groups import grid_d4, grid_translations


def _batch(n=5, side=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, side, side))


def test_once_gives_every_copy_element_major():
    g = grid_d4(4)
    x, y = _batch(), np.arange(5)
    xa, ya = augment(x, y, g, mode="once")
    assert xa.shape == (40, 4, 4) and ya.shape == (40,)
    np.testing.assert_array_equal(xa[:5], x)
    for k in range(8):
        np.testing.assert_array_equal(xa[5 * k : 5 * (k + 1)], g.act(k, x))
    np.testing.assert_array_equal(ya, np.tile(y, 8))


def test_none_returns_copies():
    x, y = _batch(), np.arange(5)
    xa, ya = augment(x, y, grid_d4(4), mode="none")
    np.testing.assert_array_equal(xa, x)
    assert xa is not x and ya is not y


def test_once_with_signed_group():
    x = np.array([[0.5, -2.0]])
    xa, ya = augment(x, np.array([1]), z2z2_group(), mode="once")
    assert {tuple(r) for r in xa} == {(0.5, -2.0), (-0.5, -2.0), (0.5, 2.0), (-0.5, 2.0)}
    assert ya.tolist() == [1, 1, 1, 1]


def test_epoch_iterator_redraws_elements():
    g = grid_d4(4)
    x, y = _batch(64), np.arange(64)
    epochs = augment(x, y, g, mode="epoch", seed=0)
    x1, y1 = next(epochs)
    x2, _ = next(epochs)
    np.testing.assert_array_equal(y1, y)
    assert x1.shape == x.shape and not np.array_equal(x1, x2)
    orbit = g.act_all(x)  # (8, 64, 4, 4)
    for i in range(64):  # every sample is one of its own transformed copies
        assert any(np.array_equal(x1[i], orbit[k, i]) for k in range(8))


def test_epoch_augmenter_matches_act_numpy_and_torch():
    g = grid_translations(3, 3)
    aug = epoch_augmenter(g, seed=3)
    assert isinstance(aug, EpochAugmenter) and repr(aug).startswith("EpochAugmenter(T(")
    x = _batch(10, 3)
    out = aug(x)
    for i, k in enumerate(aug.last_elements):
        np.testing.assert_array_equal(out[i], g.act(int(k), x[i]))
    xt = torch.as_tensor(x, dtype=torch.float32)
    outt = aug(xt)
    assert isinstance(outt, torch.Tensor) and outt.dtype == torch.float32
    for i, k in enumerate(aug.last_elements):
        expected = torch.as_tensor(g.act(int(k), x[i]), dtype=torch.float32)
        torch.testing.assert_close(outt[i], expected)


def test_epoch_augmenter_is_seeded_and_uses_all_elements():
    g = grid_d4(4)
    a, b = epoch_augmenter(g, seed=7), epoch_augmenter(g, seed=7)
    x = _batch(200)
    np.testing.assert_array_equal(a(x), b(x))
    assert set(a.last_elements.tolist()) == set(range(8))


def test_errors():
    g = grid_d4(16)
    x, y = np.zeros((3, 28, 28)), np.zeros(3)
    with pytest.raises(
        ValueError,
        match=r"x must have shape \(batch, 16, 16\) for D4\(square grid "
        r"16x16, order 8\); got \(3, 28, 28\)\. Resize first: "
        r"equiqnn\.data\.resize_symmetric\(x, side=16\)",
    ):
        augment(x, y, g, mode="once")
    x = np.zeros((3, 16, 16))
    with pytest.raises(ValueError, match=r"mode must be one of \('none', 'once', 'epoch'\)"):
        augment(x, y, g, mode="twice")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="mode='epoch' draws random group elements; pass seed="):
        augment(x, y, g, mode="epoch")
    with pytest.raises(ValueError, match=r"1-D array of 3 labels .* got shape \(2,\)"):
        augment(x, y[:2], g)
    with pytest.raises(TypeError, match="group must be an equiqnn.groups group"):
        epoch_augmenter("D4", seed=0)  # type: ignore[arg-type]
