"""2D Ising generator: phases, shapes, seeding, caching, errors."""

import math

import numpy as np
import pytest

from equiqnn.data import T_CRITICAL, ising_configurations, ising_dataset, magnetization


def test_critical_temperature():
    assert T_CRITICAL == pytest.approx(2.269185314213022, abs=1e-12)


def test_phases_at_low_and_high_temperature_l16():
    temps = np.array([1.5] * 64 + [3.5] * 64)
    x = ising_configurations(16, temps, sweeps=200, seed=0)
    m = np.abs(magnetization(x))
    assert m[:64].mean() > 0.8
    assert m[64:].mean() < 0.3


def test_low_temperature_matches_onsager():
    # spontaneous magnetization (1 - sinh(2/T)^-4)^(1/8) at T = 2.0 is 0.9113
    x = ising_configurations(16, np.full(64, 2.0), sweeps=300, seed=1)
    exact = (1 - math.sinh(2 / 2.0) ** -4) ** 0.125
    assert abs(np.abs(magnetization(x)).mean() - exact) < 0.03


def test_both_magnetization_signs_occur_below_tc():
    x = ising_configurations(8, np.full(40, 1.2), sweeps=20, seed=3)
    m = magnetization(x)
    assert (m > 0).any() and (m < 0).any()


@pytest.mark.parametrize("L", [8, 16, 32])
def test_dataset_shapes_dtypes_labels(L):
    x, y, t = ising_dataset(24, L, sweeps=5, seed=0)
    assert x.shape == (24, L, L) and x.dtype == np.float64
    assert set(np.unique(x).tolist()) <= {-1.0, 1.0}
    assert y.dtype == np.int64 and t.dtype == np.float64
    assert np.all((t >= 1.0) & (t <= 3.5))
    np.testing.assert_array_equal(y, (t < T_CRITICAL).astype(np.int64))


def test_seeding_is_reproducible_and_seed_sensitive():
    a = ising_dataset(10, 8, sweeps=10, seed=5)
    b = ising_dataset(10, 8, sweeps=10, seed=5)
    c = ising_dataset(10, 8, sweeps=10, seed=6)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[2], c[2])


def test_generator_seed_and_starts():
    rng = np.random.default_rng(0)
    hot = ising_configurations(8, [2.0, 2.0], sweeps=0, seed=rng, start="hot")
    cold = ising_configurations(8, [3.0, 3.0], sweeps=0, seed=rng, start="cold")
    assert np.all(np.abs(magnetization(cold)) == 1.0)
    assert np.all(np.abs(magnetization(hot)) < 1.0)


def test_cache_is_written_and_reused(tmp_path):
    first = ising_dataset(6, 8, t_range=(1.0, 2.0), sweeps=3, seed=0, cache_dir=tmp_path)
    files = list(tmp_path.glob("ising-L8-n6-*.npz"))
    assert len(files) == 1
    before = files[0].stat().st_mtime_ns
    second = ising_dataset(6, 8, t_range=(1.0, 2.0), sweeps=3, seed=0, cache_dir=tmp_path)
    assert files[0].stat().st_mtime_ns == before
    for u, v in zip(first, second, strict=True):
        np.testing.assert_array_equal(u, v)
    assert np.all(second[1] == 1)  # every T in (1, 2) is below T_c
    ising_dataset(6, 8, t_range=(1.0, 2.0), sweeps=4, seed=0, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2  # a different parameter is a different key


def test_cache_file_content_is_what_is_returned(tmp_path):
    x, _, t = ising_dataset(4, 8, sweeps=2, seed=9, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    with np.load(path) as f:
        np.testing.assert_array_equal(f["x"], x)
        np.testing.assert_array_equal(f["T"], t)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        (dict(n_samples=4, L=7), ValueError, r"L must be even .*got 7\. Use L=8 or L=6"),
        (dict(n_samples=0, L=8), ValueError, "n_samples must be an integer >= 1; got 0"),
        (dict(n_samples=4, L=8, t_range=(3.0, 1.0)), ValueError, "0 < t_min <= t_max"),
        (dict(n_samples=4, L=8, t_range="hot"), TypeError, "t_range must be a pair"),
        (dict(n_samples=4, L=8, sweeps=-1), ValueError, "sweeps must be an integer >= 0"),
    ],
)
def test_dataset_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        ising_dataset(seed=0, **kwargs)


def test_configuration_errors():
    with pytest.raises(TypeError, match="needs an integer seed .* cache key"):
        ising_dataset(4, 8, seed=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"temperatures must be finite and > 0"):
        ising_configurations(8, [1.0, -1.0], 1, seed=0)
    with pytest.raises(ValueError, match=r"start must be one of \('auto', 'hot', 'cold'\)"):
        ising_configurations(8, [1.0], 1, seed=0, start="warm")
    with pytest.raises(TypeError, match=r"seed must be an integer or a numpy.random.Generator"):
        ising_configurations(8, [1.0], 1, seed=None)


def test_dataset_defaults_give_the_phases():
    x_lo, y_lo, _ = ising_dataset(32, 16, t_range=(1.5, 1.5), seed=0)
    x_hi, y_hi, _ = ising_dataset(32, 16, t_range=(3.5, 3.5), seed=0)
    assert np.abs(magnetization(x_lo)).mean() > 0.8 and np.all(y_lo == 1)
    assert np.abs(magnetization(x_hi)).mean() < 0.3 and np.all(y_hi == 0)


@pytest.mark.slow
def test_correlations_are_isotropic_near_tc():
    x = ising_configurations(16, np.full(400, 2.5), sweeps=1000, seed=2)
    horizontal = (x * np.roll(x, 1, axis=2)).mean()
    vertical = (x * np.roll(x, 1, axis=1)).mean()
    diagonal = (x * np.roll(np.roll(x, 1, axis=1), 1, axis=2)).mean()
    antidiagonal = (x * np.roll(np.roll(x, 1, axis=1), -1, axis=2)).mean()
    assert abs(horizontal - vertical) < 0.02
    assert abs(diagonal - antidiagonal) < 0.02


def test_bad_start_is_rejected_before_the_cache_is_consulted(tmp_path):
    with pytest.raises(ValueError, match=r"start must be one of \('auto', 'hot', 'cold'\)"):
        ising_dataset(4, 8, seed=0, cache_dir=tmp_path, start="warm")
    assert not list(tmp_path.iterdir())
