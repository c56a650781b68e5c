"""balanced_split: fixed val/test pools, balanced nested training sets, errors, repr."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equiqnn.data import Split, balanced_split, load_digits_images


def _pool(n=300, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % k)
    x = np.arange(n * 4, dtype=np.float64).reshape(n, 2, 2)  # row i is identifiable
    return x, y


def test_repr_is_one_line_contract():
    x, y = load_digits_images((0, 1))
    split = balanced_split(x, y, 40, n_val=200, n_test=100, seed=0)
    assert repr(split) == "Split(train=40, val=200, test=100, classes=2, shape=(8, 8))"


def test_parts_are_disjoint_balanced_and_consistent():
    x, y = _pool()
    s = balanced_split(x, y, 30, n_val=31, n_test=60, seed=1)
    all_idx = np.concatenate([s.idx_train, s.idx_val, s.idx_test])
    assert len(set(all_idx.tolist())) == all_idx.size
    assert np.bincount(s.y_train).tolist() == [10, 10, 10]
    assert np.bincount(s.y_val).tolist() == [11, 10, 10]
    assert np.bincount(s.y_test).tolist() == [20, 20, 20]
    for xs, ys, idx in ((s.x_train, s.y_train, s.idx_train), (s.x_val, s.y_val, s.idx_val)):
        np.testing.assert_array_equal(xs, x[idx])
        np.testing.assert_array_equal(ys, y[idx])
    assert s.y_train.dtype == np.int64 and s.x_train.dtype == x.dtype


@given(n_small=st.integers(0, 20), extra=st.integers(0, 20), seed=st.integers(0, 2**31 - 1))
def test_val_test_fixed_and_training_sets_nested(n_small, extra, seed):
    x, y = _pool()
    small = balanced_split(x, y, 3 * n_small, n_val=30, n_test=45, seed=seed)
    large = balanced_split(x, y, 3 * (n_small + extra), n_val=30, n_test=45, seed=seed)
    np.testing.assert_array_equal(small.idx_val, large.idx_val)
    np.testing.assert_array_equal(small.idx_test, large.idx_test)
    np.testing.assert_array_equal(small.x_test, large.x_test)
    assert set(small.idx_train.tolist()) <= set(large.idx_train.tolist())


def test_seed_changes_the_split_and_generators_work():
    x, y = _pool()
    a = balanced_split(x, y, 6, n_val=9, n_test=9, seed=0)
    b = balanced_split(x, y, 6, n_val=9, n_test=9, seed=1)
    c = balanced_split(x, y, 6, n_val=9, n_test=9, seed=np.random.default_rng(0))
    assert not np.array_equal(a.idx_val, b.idx_val)
    np.testing.assert_array_equal(a.idx_val, c.idx_val)


def test_split_is_frozen():
    x, y = _pool()
    s = balanced_split(x, y, 3, n_val=3, n_test=3, seed=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.x_train = None  # type: ignore[misc]
    assert isinstance(s, Split) and s.n_classes == 3


def test_errors():
    x, y = _pool(30, 2)
    with pytest.raises(
        ValueError,
        match=r"n_train must be divisible by the number of classes "
        r"\(2\) .* got 5\. Use 4 or 6",
    ):
        balanced_split(x, y, 5, n_val=2, n_test=2, seed=0)
    needs = (
        r"class 0 has 15 samples, but the split needs 10 \(train\) \+ 5 \(val\) \+ 5 \(test\) "
        r"= 20 of it"
    )
    with pytest.raises(ValueError, match=needs):
        balanced_split(x, y, 20, n_val=10, n_test=10, seed=0)
    with pytest.raises(ValueError, match="n_val must be an integer >= 0; got -1"):
        balanced_split(x, y, 2, n_val=-1, n_test=0, seed=0)
    with pytest.raises(TypeError, match="seed must be an integer or a numpy.random.Generator"):
        balanced_split(x, y, 2, n_val=1, n_test=1, seed="0")
    with pytest.raises(ValueError, match=r"1-D array of 30 labels"):
        balanced_split(x, y[:10], 2, n_val=1, n_test=1, seed=0)
