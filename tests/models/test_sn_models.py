"""S_n invariant QNNs on the sector engine: ``invariant_qnn(symmetric(n), encoding='angle')`` picks
it when asked (``engine='sn'``) or when the statevector would not fit; the model equals the
statevector model at small n, is permutation invariant, caches its encodings and trains with fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.groups import cyclic, symmetric
from equiqnn.models import build_model, invariant_qnn
from equiqnn.sim.sn_model import SN_GENERATORS, SN_READOUTS, SnModelEngine
from equiqnn.symmetry import PauliSum
from equiqnn.train import fit


@pytest.mark.parametrize("n_classes", [2, 3])
def test_sn_model_equals_statevector_model(n_classes: int) -> None:
    sv = invariant_qnn(symmetric(5), encoding="angle", layers=2, n_classes=n_classes).double()
    sn = invariant_qnn(
        symmetric(5), encoding="angle", layers=2, n_classes=n_classes, engine="sn"
    ).double()
    assert isinstance(sn.engine, SnModelEngine) and sv.engine.name == "statevector"
    assert sn.ansatz.n_params == sv.ansatz.n_params == 2 * len(SN_GENERATORS)
    x = torch.rand(6, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    torch.testing.assert_close(sn.readout(x), sv.readout(x), atol=1e-10, rtol=0)
    for model in (sn, sv):
        model(x).sum().backward()
    torch.testing.assert_close(sn.theta.grad, sv.theta.grad, atol=1e-10, rtol=0)


def test_sn_model_is_permutation_invariant_and_caches() -> None:
    model = invariant_qnn(symmetric(40), encoding="angle", layers=2, engine="sn").double()
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(4, 40, generator=gen, dtype=torch.float64) * np.pi
    perm = torch.randperm(40, generator=gen)
    out = model(x)
    assert len(model.engine._cache) == 4
    torch.testing.assert_close(model(x[:, perm]), out, atol=1e-10, rtol=0)
    torch.testing.assert_close(model(x[[2, 0]]), out[[2, 0]], atol=1e-12, rtol=0)  # from the cache
    assert len(model.engine._cache) == 8  # the permuted copies are new samples
    assert (model.engine.error_estimate(x) <= 1e-10).all()
    # negative control: a non-permutation change of the input changes the output
    assert (model(x.flip(0)[:, :1].expand(-1, 40).contiguous()) - out).abs().max() > 1e-3


def test_factory_picks_sn_when_the_statevector_does_not_fit() -> None:
    small = invariant_qnn(symmetric(4), encoding="angle", layers=1)
    assert small.engine.name == "statevector"
    big = invariant_qnn(symmetric(1024), encoding="angle", layers=3, n_classes=3)
    assert isinstance(big.engine, SnModelEngine) and big.engine.name == "sn_sector"
    assert big.ansatz.n_params == 3 * len(SN_GENERATORS) and len(big.observables) == 3
    assert big.config["readout"] == list(SN_READOUTS[:3])
    assert "InvariantQNN(S1024 | AngleEncoding 1024 | 18 params | sn_sector" in repr(big)
    again = build_model(big.config)
    assert isinstance(again.engine, SnModelEngine) and again.config == big.config


def test_sn_engine_refuses_models_it_cannot_run() -> None:
    with pytest.raises(ValueError, match="engine='sn' runs"):
        invariant_qnn(cyclic(5), encoding="angle", engine="sn")
    with pytest.raises(ValueError, match="collective-spin terms"):
        invariant_qnn(
            symmetric(5), encoding="angle", engine="sn", readout=[PauliSum({"ZIIII": 1.0})]
        )


def test_sn_model_trains_with_fit() -> None:
    rng = np.random.default_rng(0)
    n = 24
    # class 1: features near 0 (nearly aligned spins), class 0: spread over [0, π]
    x = np.concatenate([rng.uniform(0, 0.5, (8, n)), rng.uniform(0, np.pi, (8, n))])
    y = np.array([1] * 8 + [0] * 8)
    model = invariant_qnn(symmetric(n), encoding="angle", layers=1, engine="sn", readout=["Z"])
    model = model.double().standardize(x)
    result = fit(model, (x, y), (x, y), epochs=12, batch_size=8, lr=0.1, progress=False)
    assert len(model.engine._cache) == 16  # each sample encoded once over all epochs
    losses = [h["val_loss"] for h in result.history]
    assert np.isfinite(losses).all() and min(losses) < losses[0]
    acc = (model(torch.as_tensor(x)).argmax(1).numpy() == y).mean()
    assert acc > 0.8
