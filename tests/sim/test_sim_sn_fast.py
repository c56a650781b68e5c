"""The fast path of the S_n sector engine (data-aligned frame, sector and corner cuts chosen from the
measured tails) matches the exact full-sector path to 1e-10 with the error bound it reports, for
values and gradients; its corners are the exact blocks' corners in the aligned frame."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.sim.sn_corner import aligned_frame, encode_corner_sectors
from equiqnn.sim.sn_encode import encode_product_sectors
from equiqnn.sim.sn_sector import SnSectorEngine

GENS = ["ZZ", "X", "YY", "Z", {"XY": 0.4, "Y": 1.0}]
OBS = ["Z", "ZZ", "X", "XX", {"XZ": 1.5, "Y": -0.5}]


def _pair(n: int, gens=GENS, obs=OBS, layers: int = 2, **kw):
    fast = SnSectorEngine(n, gens, obs, layers=layers, **kw)
    exact = SnSectorEngine(n, gens, obs, layers=layers, tolerance=0, **kw)
    return fast, exact


def _check(n: int, x: torch.Tensor, seed: int, **kw) -> None:
    fast, exact = _pair(n, **kw)
    df, de = fast.encode(x), exact.encode(x)
    rng = np.random.default_rng(seed)
    p0 = torch.tensor(rng.normal(size=fast.n_params) * 2)
    weights = torch.tensor(rng.normal(size=(x.shape[0], len(OBS))))
    outs, grads = [], []
    for eng, data in ((fast, df), (exact, de)):
        p = p0.clone().requires_grad_(True)
        out = eng(p, data)
        (out * weights).sum().backward()
        outs.append(out.detach())
        grads.append(p.grad)
    assert (df.error_bound <= 1e-10).all()  # per unit observable norm
    bound = fast.error_estimate(df)
    assert ((outs[0] - outs[1]).abs() <= bound + 1e-12).all()
    # a gradient is a commutator with a generator (‖ZZ‖ ~ n²/2), so its error scales with n²
    torch.testing.assert_close(grads[0], grads[1], atol=max(1e-9, 1e-12 * n**2), rtol=0)


@pytest.mark.parametrize(
    ("n", "low", "high", "kw"),
    [
        (16, 0.0, np.pi, {}),
        (40, -np.pi, np.pi, {"encoding_axis": "X"}),  # weak mean: little alignment
        (64, 0.0, np.pi, {}),
        (64, 0.2, 0.9, {"encoding_axis": "Z", "init": "plus"}),  # nearly aligned inputs
    ],
)
def test_fast_path_matches_exact_path(n: int, low: float, high: float, kw: dict) -> None:
    rng = np.random.default_rng(n)
    x = torch.tensor(rng.uniform(low, high, size=(5, n)))
    _check(n, x, n, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("n", [128, 256])
def test_fast_path_matches_exact_path_many_qubits(n: int) -> None:
    rng = np.random.default_rng(n)
    x = torch.tensor(rng.uniform(0, np.pi, size=(3, n)))
    _check(n, x, n)


def test_corners_are_the_exact_blocks_in_the_aligned_frame() -> None:
    rng = np.random.default_rng(1)
    n = 48
    a = torch.tensor(rng.uniform(0.0, 2.0, size=(4, n)))
    alpha = aligned_frame(a)
    assert abs(alpha - float(torch.atan2(torch.sin(a).sum(), torch.cos(a).sum()))) < 1e-12
    two_j, blocks, dropped = encode_product_sectors(a - alpha)
    exact = dict(zip(two_j, blocks, strict=True))
    tj, corners, removed, bound = encode_corner_sectors(a - alpha, tolerance=1e-10)
    assert list(tj) == sorted(tj, reverse=True) and all(t - u == 2 for t, u in zip(tj, tj[1:]))
    widths = [c.shape[-1] for c in corners]
    assert max(widths) < n // 2  # the cut is real: most of every block is dropped
    for t, c in zip(tj, corners, strict=True):
        w = c.shape[-1]
        assert w <= t + 1
        # equal up to the cut's effect (trace-norm change ≤ the bound)
        torch.testing.assert_close(c, exact[t][:, :w, :w], atol=float(bound.max()), rtol=0)
    total = torch.stack([c.diagonal(dim1=-2, dim2=-1).sum(-1) for c in corners], -1).sum(-1)
    torch.testing.assert_close(total + removed, torch.ones(4, dtype=torch.float64))
    assert (bound >= removed).all() and (bound <= 1e-10).all()
    # a looser tolerance keeps fewer and narrower blocks, and reports a larger bound
    tj2, corners2, _, bound2 = encode_corner_sectors(a - alpha, tolerance=1e-4)
    assert sum(c.shape[-1] ** 2 for c in corners2) < sum(w**2 for w in widths)
    assert (bound2 > bound).all() and (bound2 <= 1e-4).all()


def test_loose_tolerance_error_stays_within_its_bound() -> None:
    """Negative control: with tolerance 1e-3 the error is visible, and still within the bound."""
    rng = np.random.default_rng(9)
    n = 32
    x = torch.tensor(rng.uniform(0, np.pi, size=(4, n)))
    loose = SnSectorEngine(n, GENS, OBS, layers=2, tolerance=1e-3)
    exact = SnSectorEngine(n, GENS, OBS, layers=2, tolerance=0)
    p = torch.tensor(rng.normal(size=loose.n_params) * 2)
    dl = loose.encode(x)
    err = (loose(p, dl) - exact(p, exact.encode(x))).abs()
    assert err.max() > 1e-9
    assert (err <= loose.error_estimate(dl) + 1e-12).all()


def test_frame_can_be_shared_and_is_stored(tmp_path) -> None:
    rng = np.random.default_rng(4)
    n = 20
    eng = SnSectorEngine(n, ["ZZ", "X"], ["Z"], layers=2)
    x = torch.tensor(rng.uniform(0, 1.5, size=(6, n)))
    data = eng.encode(x)
    part = eng.encode(x[:2], frame=data.frame)
    assert part.frame == data.frame != 0.0
    p = torch.tensor(rng.normal(size=eng.n_params))
    torch.testing.assert_close(eng(p, part), eng(p, data)[:2], atol=1e-12, rtol=0)
    data.save(tmp_path / "d.pt")
    loaded = type(data).load(tmp_path / "d.pt")
    assert loaded.frame == data.frame
    torch.testing.assert_close(loaded.error_bound, data.error_bound)
    torch.testing.assert_close(eng(p, loaded), eng(p, data), atol=0, rtol=0)


def test_refuses_bad_tolerance() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        SnSectorEngine(4, ["ZZ"], ["Z"], tolerance=-1e-3)
    with pytest.raises(ValueError, match="tail_weight applies to the exact path"):
        SnSectorEngine(4, ["ZZ"], ["Z"], tail_weight=1e-6)
    with pytest.raises(ValueError, match="tolerance must be > 0"):
        encode_corner_sectors(torch.zeros(1, 3, dtype=torch.float64), tolerance=0)
