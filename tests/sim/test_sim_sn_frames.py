"""Several frames per batch (``SnSectorEngine(frames=k)``): samples with no common direction are
grouped by their own aligned angle, each group encoded in its own frame; the outputs come back in
sample order and match the exact full-sector path within the reported bound (values, gradients,
parameter rows), and the groups' corners are narrower than one frame's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from equiqnn.sim import SnData, SnFrames, SnSectorEngine
from equiqnn.sim.sn_frames import frame_groups, sample_frames

GENS = ["X", "Y", "Z", "ZZ", "XX", "YY"]
OBS = ["X", "ZZ", {"XZ": 1.0, "Y": 0.5}]


def _phases(n: int, seed: int = 0) -> torch.Tensor:
    """Ising-like spins ±1: a third mostly +1, a third mostly −1, a third disordered."""
    rng = np.random.default_rng(seed)
    p_up = np.repeat([0.95, 0.05, 0.5], 4)
    spins = np.where(rng.random((12, n)) < p_up[:, None], 1.0, -1.0)
    return torch.as_tensor(spins[rng.permutation(12)])


@pytest.mark.parametrize("n,frames", [(9, 3), (12, 4), (12, 12)])
def test_frames_match_the_exact_path_in_sample_order(n, frames):
    x = _phases(n)
    kw = {"layers": 2, "scale": math.pi / 8}
    grouped = SnSectorEngine(n, GENS, OBS, frames=frames, **kw)
    exact = SnSectorEngine(n, GENS, OBS, tolerance=0, **kw)
    data = grouped.encode(x)
    assert isinstance(data, SnFrames) and data.batch_size == 12
    assert sorted(np.concatenate(data.positions).tolist()) == list(range(12))
    assert len({round(g.frame, 12) for g in data.groups}) > 1  # frames differ
    rng = np.random.default_rng(1)
    p0 = torch.tensor(rng.normal(size=grouped.n_params))
    w = torch.tensor(rng.normal(size=(12, len(OBS))))
    outs, grads = [], []
    for eng, d in ((grouped, data), (exact, exact.encode(x))):
        p = p0.clone().requires_grad_(True)
        out = eng(p, d)
        (out * w).sum().backward()
        outs.append(out.detach())
        grads.append(p.grad)
    bound = grouped.error_estimate(data)
    assert bound.shape == (12, len(OBS)) and (bound >= 0).all() and (bound <= 1e-9).all()
    assert ((outs[0] - outs[1]).abs() <= bound + 1e-12).all()
    assert torch.allclose(grads[0], grads[1], atol=1e-9)
    rows = torch.tensor(rng.normal(size=(3, grouped.n_params)))  # parameter rows
    assert torch.allclose(grouped(rows, data), exact(rows, exact.encode(x)), atol=1e-9)


def test_sample_order_follows_the_input_order():
    n, x = 10, _phases(10, seed=3)
    eng = SnSectorEngine(n, GENS, OBS, frames=3, scale=math.pi / 8)
    p = torch.linspace(-1, 1, eng.n_params, dtype=torch.float64)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(0))
    out, out_perm = eng(p, eng.encode(x)), eng(p, eng.encode(x[perm]))
    assert torch.allclose(out[perm], out_perm, atol=1e-10)


def test_groups_have_narrower_corners_than_one_frame():
    n, x = 64, _phases(64, seed=2)
    one = SnSectorEngine(n, GENS, OBS, scale=math.pi / 8).encode(x)
    grouped = SnSectorEngine(n, GENS, OBS, scale=math.pi / 8, frames=3).encode(x)
    assert isinstance(one, SnData) and isinstance(grouped, SnFrames)
    width = max(b.shape[-1] for b in one.blocks)
    assert max(b.shape[-1] for g in grouped.groups for b in g.blocks) < width


def test_an_explicit_frame_or_a_single_sample_gives_one_frame():
    eng = SnSectorEngine(6, GENS, OBS, frames=4)
    x = torch.rand(5, 6, dtype=torch.float64)
    assert isinstance(eng.encode(x, frame=0.3), SnData)
    assert isinstance(eng.encode(x[:1]), SnData)
    assert isinstance(eng.encode(x, frames=1), SnData)  # per-call override (sn_model uses it)
    assert isinstance(SnSectorEngine(6, GENS, OBS).encode(x, frames=2), SnFrames)


def test_frame_groups_split_sorted_angles_into_equal_groups():
    a = torch.tensor([[0.5, 0.5], [-0.3, -0.3], [0.1, 0.1], [0.9, 0.9], [-0.8, -0.8]])
    assert np.allclose(sample_frames(a), [0.5, -0.3, 0.1, 0.9, -0.8])
    groups = frame_groups(a, 2)
    assert [g.tolist() for g in groups] == [[1, 2, 4], [0, 3]]
    assert len(frame_groups(a, 10)) == 5  # never more groups than samples


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_frames_are_refused(bad):
    with pytest.raises(ValueError, match="frames must be a positive integer"):
        SnSectorEngine(4, GENS, OBS, frames=bad)


def test_frames_need_the_fast_path():
    with pytest.raises(ValueError, match="fast path"):
        SnSectorEngine(4, GENS, OBS, frames=2, tolerance=0)
