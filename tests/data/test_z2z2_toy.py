"""The Z2xZ2 toy: invariant labels, balance, noise, group."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.data import z2z2_group, z2z2_toy
from equiqnn.data.toys import PRODUCT_THRESHOLD, RING_RADIUS


def _rule(x, kind):
    if kind == "product":
        return (np.abs(x[:, 0] * x[:, 1]) > PRODUCT_THRESHOLD).astype(int)
    return (np.sum(x**2, axis=1) < RING_RADIUS**2).astype(int)


def test_thresholds_balance_the_classes():
    c = PRODUCT_THRESHOLD
    assert c * (1 - np.log(c)) == pytest.approx(0.5, abs=1e-14)
    assert np.pi * RING_RADIUS**2 == pytest.approx(2.0)
    for kind in ("product", "ring"):
        _, y = z2z2_toy(20000, seed=0, kind=kind)
        assert abs(y.mean() - 0.5) < 0.02


@pytest.mark.parametrize("kind", ["product", "ring"])
@given(seed=st.integers(0, 2**31 - 1))
def test_labels_are_invariant_under_every_sign_flip(kind, seed):
    x, y = z2z2_toy(64, seed=seed, kind=kind)
    assert x.shape == (64, 2) and x.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(y, _rule(x, kind))
    group = z2z2_group()
    for copy in group.act_all(x):
        np.testing.assert_array_equal(_rule(copy, kind), y)


def test_group_is_z2_times_z2():
    group = z2z2_group()
    assert group.order == 4 and group.shape == (2,)
    x = np.array([[0.3, -0.7]])
    images = {tuple(c[0]) for c in group.act_all(x)}
    assert images == {(0.3, -0.7), (-0.3, -0.7), (0.3, 0.7), (-0.3, 0.7)}


def test_noise_moves_points_not_labels_and_seeding():
    x0, y0 = z2z2_toy(100, seed=4)
    x1, y1 = z2z2_toy(100, seed=4, noise=0.1)
    np.testing.assert_array_equal(y0, y1)
    assert 0.05 < np.std(x1 - x0) < 0.15
    np.testing.assert_array_equal(z2z2_toy(5, seed=1)[0], z2z2_toy(5, seed=1)[0])


def test_errors():
    with pytest.raises(ValueError, match="noise must be a finite standard deviation >= 0; got -1"):
        z2z2_toy(3, seed=0, noise=-1)
    with pytest.raises(ValueError, match=r"kind must be one of \('product', 'ring'\); got 'xor'"):
        z2z2_toy(3, seed=0, kind="xor")
    with pytest.raises(TypeError, match="seed must be an integer or a numpy.random.Generator"):
        z2z2_toy(3, seed=1.5)
    with pytest.raises(ValueError, match="n must be an integer >= 1; got 0"):
        z2z2_toy(0, seed=0)
