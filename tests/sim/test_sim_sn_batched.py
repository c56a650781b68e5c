"""S_n engine: batches of parameter rows, and the factored forward for small batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.sim.sn_sector import FACTOR_SHARE, SnSectorEngine

GENS = ["X", "Y", "Z", "ZZ", "XX", "YY", "XZ"]


def _engine(n: int, observables: list, layers: int = 2) -> SnSectorEngine:
    return SnSectorEngine(n, GENS, observables, layers=layers)


def _theta(engine: SnSectorEngine, rows: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.uniform(-np.pi, np.pi, (rows, engine.n_params)), requires_grad=True)


def _x(n: int, batch: int, seed: int = 1) -> torch.Tensor:
    return torch.tensor(np.random.default_rng(seed).uniform(0, np.pi, (batch, n)))


@pytest.mark.parametrize("observables", [["Z", "ZZ"], ["X", "ZZ", "XY"]], ids=["diag", "banded"])
@pytest.mark.parametrize("batch", [1, 2, 40])
def test_parameter_rows_equal_one_call_per_row(observables: list, batch: int) -> None:
    engine = _engine(24, observables)
    data = engine.encode(_x(24, batch))
    theta = _theta(engine, 3)
    rows = engine(theta, data)
    assert rows.shape == (3, batch, len(observables))
    (g_rows,) = torch.autograd.grad(rows.sum(), theta)
    for t in range(3):
        th = theta[t].detach().clone().requires_grad_(True)
        one = engine(th, data)
        torch.testing.assert_close(rows[t], one, atol=1e-12, rtol=0)
        (g,) = torch.autograd.grad(one.sum(), th)
        torch.testing.assert_close(g_rows[t], g, atol=1e-11, rtol=0)


@pytest.mark.parametrize("observables", [["Z", "ZZ"], ["X", "ZZ", "XY"]], ids=["diag", "banded"])
@pytest.mark.parametrize("n", [16, 64])
def test_factored_forward_matches_the_corner_forward(observables: list, n: int) -> None:
    engine = _engine(n, observables)
    data = engine.encode(_x(n, 2))
    factors = engine._factors(data)
    assert factors is not None and max(f.shape[-1] for f in factors) < max(
        b.shape[-1] for b in data.blocks
    )  # a real rank cut: the factored path runs on fewer columns
    theta = _theta(engine, 2)
    fwd = engine._forward
    fac = fwd(theta, data.two_j, data.blocks, data.frame, factors)
    corner = fwd(theta, data.two_j, data.blocks, data.frame, None)
    bound = float(engine.error_estimate(data).max())
    dev = float((fac - corner).detach().abs().max())
    assert dev <= bound and dev < 1e-10
    (g_fac,) = torch.autograd.grad(fac.sum(), theta)
    (g_cor,) = torch.autograd.grad(corner.sum(), theta)
    torch.testing.assert_close(g_fac, g_cor, atol=1e-9, rtol=0)


def test_small_batches_stay_within_the_bound_of_the_exact_path() -> None:
    n = 40
    fast, exact = (
        _engine(n, ["X", "ZZ"]),
        SnSectorEngine(n, GENS, ["X", "ZZ"], layers=2, tolerance=0),
    )
    x = _x(n, 1)
    data = fast.encode(x)
    assert fast._factors(data) is not None  # B = 1 runs factored
    theta = _theta(fast, 1)[0]
    err = (fast(theta, data) - exact(theta, exact.encode(x))).detach().abs()
    assert bool((err <= fast.error_estimate(data)).all())
    assert data.factors is not None
    mass = data.factors[1]
    assert bool((mass > 0).all()) and bool((mass <= FACTOR_SHARE * fast.tolerance).all())
    torch.testing.assert_close(  # the rank cut's dropped mass is in the bound
        fast.error_estimate(data), (data.error_bound + mass)[:, None] * torch.tensor([1.0, 1.0])
    )


def test_parameter_rows_are_checked() -> None:
    engine = _engine(6, ["Z"])
    data = engine.encode(_x(6, 1))
    with pytest.raises(ValueError, match=r"\(T, 14\)"):
        engine(torch.zeros(2, 3), data)


def test_memory_per_row_grows_with_depth_and_batch() -> None:
    x = _x(32, 3)
    small, deep = _engine(32, ["Z"], layers=1), _engine(32, ["Z"], layers=4)
    d_small, d_deep = small.encode(x), deep.encode(x)
    assert 0 < small.memory_per_row(d_small) < deep.memory_per_row(d_deep)
    assert small.memory_per_row(small.encode(x[:1])) < small.memory_per_row(d_small)


def test_sectors_with_nothing_above_the_rank_cut_contribute_nothing() -> None:
    engine = _engine(12, ["Z", "ZZ"])
    data = engine.encode(_x(12, 1))
    data.blocks = [b * 1e-14 if i else b for i, b in enumerate(data.blocks)]  # all but sector 0
    factors = engine._factors(data)
    assert factors is not None and all(f.shape[-1] == 0 for f in factors[1:])
    theta = _theta(engine, 1)
    out = engine(theta, data)
    only_top = engine._forward(theta, data.two_j[:1], data.blocks[:1], data.frame, None)
    torch.testing.assert_close(out, only_top, atol=1e-12, rtol=0)
