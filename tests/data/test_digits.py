"""load_digits_images: scikit-learn's 8x8 digits, offline."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from equiqnn.data import load_digits_images


def test_default_pair_shapes_dtypes_range():
    x, y = load_digits_images()
    assert x.dtype == np.float64 and y.dtype == np.int64
    assert x.ndim == 3 and x.shape[1:] == (8, 8) and x.shape[0] == y.shape[0]
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() == 1.0
    assert set(np.unique(y).tolist()) == {0, 1}


def test_relabelling_follows_the_order_of_classes():
    bunch = load_digits()
    x, y = load_digits_images((7, 2, 9))
    assert set(y.tolist()) == {0, 1, 2}
    mask = np.isin(bunch.target, [7, 2, 9])
    np.testing.assert_array_equal(x, bunch.images[mask] / 16.0)
    expected = np.select([bunch.target[mask] == c for c in (7, 2, 9)], [0, 1, 2])
    np.testing.assert_array_equal(y, expected)


def test_all_classes_keep_their_labels():
    x, y = load_digits_images(None)
    assert x.shape == (1797, 8, 8)
    assert np.bincount(y).size == 10


def test_images_are_upright_row_zero_at_top():
    # a zero has ink on its left and right strokes but a hole in the centre
    x, y = load_digits_images((0,))
    mean = x.mean(axis=0)
    assert mean[3:5, 3:5].mean() < mean[3:5, 1:3].mean()


@pytest.mark.parametrize(
    ("classes", "err", "match"),
    [
        ((0, 10), ValueError, r"must be among \[0, 1, .*got \(0, 10\) \(\[10\] not present\)"),
        ((1, 1), ValueError, r"classes must be distinct; got \(1, 1\)"),
        ((), ValueError, "at least one class"),
        (3, TypeError, r"sequence of integer labels, e\.g\. \(0, 1\); got 3"),
        (("a",), TypeError, "each class must be an integer"),
    ],
)
def test_bad_classes(classes, err, match):
    with pytest.raises(err, match=match):
        load_digits_images(classes)
