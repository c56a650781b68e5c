"""cached_arrays: keyed by every parameter, reused, robust to damaged files."""

import numpy as np

from equiqnn.data import cache_key, cached_arrays


def test_cache_hit_miss_and_disabled(tmp_path):
    calls = []

    def make():
        calls.append(1)
        return {"a": np.arange(3), "b": np.ones((2, 2))}

    params = {"n": 3, "seed": 0}
    first = cached_arrays(tmp_path, "toy", params, make)
    second = cached_arrays(tmp_path, "toy", dict(reversed(list(params.items()))), make)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["b"], second["b"])
    cached_arrays(tmp_path, "toy", {"n": 3, "seed": 1}, make)
    assert len(calls) == 2
    cached_arrays(None, "toy", params, make)
    assert len(calls) == 3
    assert not list(tmp_path.glob(".toy-*"))  # no temporary files left behind


def test_damaged_or_foreign_file_is_regenerated(tmp_path, caplog):
    params = {"n": 1}
    path = tmp_path / f"toy-{cache_key(params)}.npz"
    path.write_bytes(b"garbage")
    out = cached_arrays(tmp_path, "toy", params, lambda: {"a": np.zeros(2)})
    np.testing.assert_array_equal(out["a"], np.zeros(2))
    assert "ignoring unreadable cache file" in caplog.text
    # a file under the right name with other parameters is not trusted
    np.savez(path, a=np.ones(2), __params__=np.array('{"n":2}'))
    out = cached_arrays(tmp_path, "toy", params, lambda: {"a": np.full(2, 7.0)})
    np.testing.assert_array_equal(out["a"], [7.0, 7.0])
