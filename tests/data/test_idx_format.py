"""read_idx / save_idx: round trips, gzip detection, damaged files."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from equiqnn.data import read_idx, save_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@given(
    data=st.data(),
    dtype=st.sampled_from(DTYPES),
    gz=st.booleans(),
)
def test_round_trip(tmp_path_factory, data, dtype, gz):
    arr = data.draw(
        hnp.arrays(
            dtype,
            hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
            elements={"allow_nan": False} if np.dtype(dtype).kind == "f" else None,
        )
    )
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if gz else "a.idx")
    save_idx(path, arr)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_mnist_header_layout(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = save_idx(tmp_path / "x-idx3-ubyte", images).read_bytes()
    assert raw[:4] == bytes([0, 0, 0x08, 3])
    assert struct.unpack(">3I", raw[4:16]) == (2, 3, 4)
    assert raw[16:] == images.tobytes()


def test_gzip_is_detected_by_content_and_deterministic(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    a = save_idx(tmp_path / "a.gz", arr).read_bytes()
    b = save_idx(tmp_path / "b.gz", arr).read_bytes()
    assert a == b  # no timestamp in the gzip header
    (tmp_path / "renamed").write_bytes(a)
    np.testing.assert_array_equal(read_idx(tmp_path / "renamed"), arr)


def test_not_an_idx_file(tmp_path):
    (tmp_path / "page.html").write_bytes(b"<html>not found</html>")
    with pytest.raises(ValueError, match=r"is not an IDX file.*HTML error page"):
        read_idx(tmp_path / "page.html")


def test_truncated_payload(tmp_path):
    raw = save_idx(tmp_path / "a", np.zeros((4, 2, 2), dtype=np.uint8)).read_bytes()
    (tmp_path / "cut.gz").write_bytes(gzip.compress(raw[:-3]))
    with pytest.raises(ValueError, match=r"holds 13 data bytes .* shape \(4, 2, 2\).*damaged"):
        read_idx(tmp_path / "cut.gz")


def test_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match=r"got dtype int64\. Convert first"):
        save_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))
