"""resize_symmetric: exact D4 equivariance, constants, means, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.data import area_weights, resize_symmetric
from equiqnn.groups import grid_d4

SIZES = [(28, 16), (8, 4), (8, 3), (16, 16), (5, 2), (3, 7), (28, 8)]


@pytest.mark.parametrize(("n", "side"), SIZES)
def test_resize_commutes_with_every_d4_element(n, side):
    rng = np.random.default_rng(n * 100 + side)
    x = rng.normal(size=(5, n, n))
    big, small = grid_d4(n), grid_d4(side)
    assert big.names == small.names
    for g in big.names:
        lhs = resize_symmetric(big.act(g, x), side)
        rhs = small.act(g, resize_symmetric(x, side))
        np.testing.assert_allclose(lhs, rhs, atol=1e-12, rtol=0, err_msg=g)


@given(n=st.integers(2, 20), side=st.integers(2, 20), seed=st.integers(0, 2**31 - 1))
def test_resize_equivariance_property(n, side, seed):
    x = np.random.default_rng(seed).uniform(size=(2, n, n))
    d4_in, d4_out = grid_d4(n), grid_d4(side)
    for g in ("r", "flip_rows", "transpose"):
        np.testing.assert_allclose(
            resize_symmetric(d4_in.act(g, x), side),
            d4_out.act(g, resize_symmetric(x, side)),
            atol=1e-12,
            rtol=0,
        )


@given(n=st.integers(1, 30), side=st.integers(1, 30))
def test_area_weights_are_reverse_symmetric_stochastic(n, side):
    a = area_weights(n, side)
    assert a.shape == (side, n)
    assert np.array_equal(a[::-1, ::-1], a)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, atol=1e-14)
    assert np.all(a >= 0)


@pytest.mark.parametrize(("n", "side"), SIZES)
def test_constant_images_stay_constant_and_mean_is_kept(n, side):
    out = resize_symmetric(np.full((3, n, n), 0.7), side)
    np.testing.assert_allclose(out, 0.7, atol=1e-14)
    x = np.random.default_rng(0).uniform(size=(4, n, n))
    np.testing.assert_allclose(
        resize_symmetric(x, side).mean(axis=(1, 2)), x.mean(axis=(1, 2)), atol=1e-12
    )


def test_same_side_is_identity_and_shapes_and_dtype():
    x = np.arange(2 * 3 * 16 * 16, dtype=np.uint8).reshape(2, 3, 16, 16)
    same = resize_symmetric(x, 16)
    assert same.dtype == np.float64 and np.array_equal(same, x.astype(np.float64))
    assert resize_symmetric(x, 4).shape == (2, 3, 4, 4)
    assert resize_symmetric(np.ones((8, 8)), 3).shape == (3, 3)


def test_block_average_value():
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(resize_symmetric(x, 2), [[2.5, 4.5], [10.5, 12.5]])


def test_non_square_input_is_rejected():
    with pytest.raises(ValueError, match=r"square images \(\.\.\., H, H\); got \(2, 28, 27\)"):
        resize_symmetric(np.zeros((2, 28, 27)), 16)


def test_bad_side_and_bad_kinds():
    with pytest.raises(ValueError, match="side must be an integer >= 1; got 0"):
        resize_symmetric(np.zeros((4, 4)), 0)
    with pytest.raises(TypeError, match="side must be an integer; got float"):
        resize_symmetric(np.zeros((4, 4)), 2.0)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., H, W\); got \(4,\)"):
        resize_symmetric(np.zeros(4), 2)
    with pytest.raises(TypeError, match="must hold real numbers"):
        resize_symmetric(np.zeros((4, 4), dtype=complex), 2)


def test_torch_tensor_gives_a_helpful_type_error():
    import torch

    with pytest.raises(TypeError, match=r"got a torch tensor.*\.numpy\(\)"):
        resize_symmetric(torch.zeros(2, 8, 8), 4)
