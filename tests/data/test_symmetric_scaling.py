"""scale_to_unit and SymmetricStandardizer: equivariance of the preprocessing."""

import numpy as np
import pytest

from equiqnn.data import SymmetricStandardizer, scale_to_unit, z2z2_group
from equiqnn.groups import grid_d4


def test_scale_to_unit_global_and_reusable():
    x = np.array([[1.0, 3.0], [5.0, 9.0]])
    np.testing.assert_allclose(scale_to_unit(x), [[0, 0.25], [0.5, 1.0]])
    np.testing.assert_allclose(scale_to_unit(np.array([5.0]), lo=1.0, hi=9.0), [0.5])
    with pytest.raises(ValueError, match=r"hi must be greater than lo; got lo=2.0, hi=2.0"):
        scale_to_unit(np.full(3, 2.0))
    with pytest.raises(ValueError, match="x is empty"):
        scale_to_unit(np.zeros(0))


def test_standardizer_commutes_with_d4():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 5, 5)) + np.linspace(0, 3, 25).reshape(5, 5)  # not symmetric
    g = grid_d4(5)
    st = SymmetricStandardizer(g).fit(x)
    for k in range(g.order):
        np.testing.assert_allclose(g.act(k, st.mean_), st.mean_, atol=1e-12)
        np.testing.assert_allclose(st.transform(g.act(k, x)), g.act(k, st.transform(x)), atol=1e-12)
    # its statistics are those of the augmented training set
    aug = g.act_all(x).reshape(-1, 5, 5)
    np.testing.assert_allclose(st.mean_, aug.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(st.std_, aug.std(axis=0), atol=1e-12)


def test_standardizer_with_sign_flips_centres_at_zero():
    x = np.random.default_rng(1).normal(loc=[2.0, -1.0], size=(100, 2))
    st = SymmetricStandardizer(z2z2_group())
    z = st.fit_transform(x)
    np.testing.assert_allclose(st.mean_, 0.0, atol=1e-12)
    np.testing.assert_allclose(st.transform(-x), -z, atol=1e-12)
    assert repr(st) == (
        "SymmetricStandardizer(Z2xZ2(sign flip of 0 of 2 sites; sign flip of 1 of 2 sites, "
        "order 4))"
    )


def test_standardizer_errors_and_constant_sites():
    st = SymmetricStandardizer(grid_d4(4))
    with pytest.raises(ValueError, match="not fitted yet; call fit"):
        st.transform(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4, 4\) for D4"):
        st.fit(np.zeros((2, 5, 5)))
    z = st.fit_transform(np.ones((3, 4, 4)))
    np.testing.assert_array_equal(st.std_, 1.0)
    np.testing.assert_array_equal(z, 0.0)
