"""select_classes: filtering and relabelling."""

import numpy as np
import pytest

from equiqnn.data import select_classes


def test_relabels_by_position_and_keeps_order():
    x = np.arange(12.0).reshape(6, 2)
    y = np.array([4, 2, 9, 2, 4, 9])
    xs, ys = select_classes(x, y, [9, 4])
    np.testing.assert_array_equal(xs, x[[0, 2, 4, 5]])
    np.testing.assert_array_equal(ys, [1, 0, 1, 0])
    assert ys.dtype == np.int64


def test_errors():
    with pytest.raises(ValueError, match=r"classes must be among \[0, 1\]; got \(0, 5\)"):
        select_classes(np.zeros((3, 2)), np.array([0, 1, 1]), (0, 5))
    with pytest.raises(ValueError, match=r"1-D array of 3 labels .* got shape \(2,\)"):
        select_classes(np.zeros((3, 2)), np.array([0, 1]), (0, 1))
    with pytest.raises(TypeError, match="integer class labels; got dtype"):
        select_classes(np.zeros((2, 2)), np.array(["a", "b"]), (0,))
