"""Gradient-variance draws through the S_n engine's parameter rows equal one draw at a time."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.experiments import many_qubits_gradvar as GV
from equiqnn.sim import SnSectorEngine


def _engine() -> SnSectorEngine:
    return SnSectorEngine(10, ["X", "Y", "ZZ"], ["X"], layers=2)


def test_rows_give_the_per_draw_gradients() -> None:
    engine = _engine()
    data = engine.encode(np.random.default_rng(0).uniform(0, np.pi, (2, 10)))
    theta = torch.tensor(np.random.default_rng(1).uniform(-np.pi, np.pi, (5, engine.n_params)))
    rows = GV._gradients(engine, theta, data, rows_ok=True)
    one = GV._gradients(engine, theta, data, rows_ok=False)
    assert len(rows) == len(one) == 5
    for a, b in zip(rows, one, strict=True):
        assert a.shape == (2, engine.n_params)
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_batched_sampling_keeps_the_draws_and_their_order(monkeypatch) -> None:
    engine = _engine()
    x = np.random.default_rng(2).uniform(0, np.pi, (1, 10))
    batched, _ = GV.gradient_samples(engine, x, 12, np.random.default_rng(3))
    monkeypatch.setattr(GV, "MAX_ROWS", 1)  # one draw per call
    single, _ = GV.gradient_samples(engine, x, 12, np.random.default_rng(3))
    assert batched.shape == single.shape == (12, 1, engine.n_params)
    np.testing.assert_allclose(batched, single, atol=1e-12)


def test_normalized_family_divides_each_generator_by_its_terms() -> None:
    from equiqnn.experiments.many_qubits_spec import FamilySpec

    plain = GV.build_engine(FamilySpec(name="sn", engine="sn", sizes=[6]), 6, 1)
    norm = GV.build_engine(FamilySpec(name="sn", engine="sn", sizes=[6], normalized=True), 6, 1)
    scales = {"X": 6, "Y": 6, "Z": 6, "ZZ": 15, "XX": 15, "YY": 15}
    for ((term, c0),), ((term1, c1),) in zip(plain.generators, norm.generators, strict=True):
        assert term == term1 and c0 == 1.0
        assert c1 == pytest.approx(1 / scales["".join(term)])
