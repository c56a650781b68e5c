"""watermark: corner blocks by class, copies, errors."""

import numpy as np
import pytest

from equiqnn.data import CORNERS, watermark


def test_default_binary_corners():
    x = np.zeros((4, 8, 8))
    y = np.array([0, 1, 1, 0])
    out = watermark(x, y, size=2, value=0.5)
    assert np.all(out[[0, 3], :2, :2] == 0.5) and np.all(out[[1, 2], -2:, -2:] == 0.5)
    assert out[[0, 3]].sum() == 2 * 4 * 0.5 and out[[1, 2]].sum() == 2 * 4 * 0.5
    assert np.all(x == 0)  # input untouched
    assert out.dtype == np.float64


def test_explicit_mapping_marks_only_named_classes():
    x = np.full((3, 6, 6), 0.2)
    y = np.array([0, 1, 2])
    out = watermark(x, y, size=1, corner_by_class={2: "bottom_left", 0: "top_right"})
    assert out[0, 0, -1] == 1.0 and out[2, -1, 0] == 1.0
    np.testing.assert_array_equal(out[1], x[1])


def test_four_classes_get_four_corners():
    y = np.arange(4)
    out = watermark(np.zeros((4, 4, 4)), y, size=1)
    corners = [(0, 0), (3, 3), (0, 3), (3, 0)]
    assert [out[i][corners[i]] for i in range(4)] == [1.0] * 4
    assert CORNERS == ("top_left", "bottom_right", "top_right", "bottom_left")


def test_errors():
    x, y = np.zeros((2, 8, 8)), np.array([0, 1])
    with pytest.raises(
        ValueError,
        match=r"size must be an integer in \[1, min\(H, W\) // 2\] = "
        r"\[1, 4\] for images of shape \(8, 8\); got 5",
    ):
        watermark(x, y, size=5)
    with pytest.raises(ValueError, match="size must be an integer >= 1; got 0"):
        watermark(x, y, size=0)
    with pytest.raises(TypeError, match="size must be an integer; got float"):
        watermark(x, y, size=1.5)
    with pytest.raises(ValueError, match=r"corner_by_class values must be among"):
        watermark(x, y, corner_by_class={0: "centre"})
    with pytest.raises(ValueError, match="marks at most 4 classes; y has 5"):
        watermark(np.zeros((5, 8, 8)), np.arange(5))
    with pytest.raises(ValueError, match=r"x must have shape \(N, H, W\); got \(8, 8\)"):
        watermark(np.zeros((8, 8)), y)
    with pytest.raises(ValueError, match=r"1-D array of 2 labels"):
        watermark(x, np.array([0, 1, 1]))
