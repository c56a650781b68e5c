"""Pauli propagation agrees with the statevector engine (values and parameter gradients to 1e-10 in
float64) on invariant one-qubit-per-pixel models for every angle encoding; its encode/call split,
truncation error bar and refusals behave as documented; and it runs at 8×8 (64 qubits)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.circuits import (
    AngleEncoding,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
    equivariant_ansatz,
)
from equiqnn.groups import cyclic, grid_d4
from equiqnn.sim import StatevectorEngine
from equiqnn.sim.pauli_propagation import PauliPropagationEngine, PropData
from equiqnn.symmetry import PauliString, PauliSum

ENCODINGS = [("Y", "zero"), ("X", "zero"), ("Z", "plus"), ("Y", "plus")]


def _model(group, shape, layers=1, axis="Y", init="zero", pair_letters=("ZZ",), singles="X"):
    enc = AngleEncoding(shape, axis=axis, init=init)
    rep = enc.representation(group)
    ansatz = equivariant_ansatz(rep, layers=layers, singles=singles, pair_letters=pair_letters)
    return enc.circuit() + ansatz


def _observables(n: int, pairs: list[tuple[int, int]]) -> list[PauliSum]:
    mean_x = PauliSum({PauliString.on(n, {q: "X"}).label: 1 / n for q in range(n)})
    mean_zz = PauliSum(
        {PauliString.on(n, {a: "Z", b: "Z"}).label: 1 / len(pairs) for a, b in pairs}
    )
    mixed = PauliSum({"Y" * n: 0.3, PauliString.on(n, {0: "Z"}).label: -0.7, "I" * n: 0.25})
    return [mean_x, mean_zz, mixed]


def _ring(n: int) -> list[tuple[int, int]]:
    return [(q, (q + 1) % n) for q in range(n)]


def _grid(side: int) -> list[tuple[int, int]]:
    out = []
    for r in range(side):
        for c in range(side):
            if c + 1 < side:
                out.append((r * side + c, r * side + c + 1))
            if r + 1 < side:
                out.append((r * side + c, (r + 1) * side + c))
    return out


def _compare(circuit: Circuit, obs: list[PauliSum], seed: int, batch: int = 4) -> None:
    rng = np.random.default_rng(seed)
    pp = PauliPropagationEngine(circuit, obs)
    sv = StatevectorEngine(circuit, obs, adjoint=False)
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params), requires_grad=True)
    x = torch.tensor(rng.uniform(-np.pi, np.pi, (batch, circuit.n_features)))
    got, want = pp(params, pp.encode(x)), sv(params, x)
    assert got.shape == (batch, len(obs))
    torch.testing.assert_close(got, want, atol=1e-10, rtol=0)
    g_got = torch.autograd.grad(got.sum(), params)[0]
    g_want = torch.autograd.grad(want.sum(), params)[0]
    torch.testing.assert_close(g_got, g_want, atol=1e-10, rtol=0)
    # the replayed plan (second call) is identical
    torch.testing.assert_close(pp(params, x), got.detach(), atol=1e-13, rtol=0)


@pytest.mark.parametrize(("axis", "init"), ENCODINGS)
def test_d4_grid_matches_statevector(axis: str, init: str) -> None:
    circuit = _model(grid_d4(3), (3, 3), layers=1, axis=axis, init=init)
    _compare(circuit, _observables(9, _grid(3)), seed=1)


def test_d4_grid_all_pair_letters_two_layers() -> None:
    circuit = _model(grid_d4(2), (2, 2), layers=2, pair_letters=("ZZ", "XX", "YY"), singles="XYZ")
    assert not any(isinstance(op, GeneratorRotation) for op in circuit.ops)
    _compare(circuit, _observables(4, _grid(2)), seed=2)


@pytest.mark.parametrize(("axis", "init"), ENCODINGS[:2])
def test_cyclic_ring_matches_statevector(axis: str, init: str) -> None:
    circuit = _model(cyclic(8), (8,), layers=2, axis=axis, init=init)
    _compare(circuit, _observables(8, _ring(8)), seed=3)


def test_random_pauli_rotations_and_fixed_paulis() -> None:
    """Arbitrary-weight rotations, shared slots with coefficients, fixed X/Y/Z, several data
    rotations per qubit."""
    rng = np.random.default_rng(4)
    n = 5
    ops: list = [DataRotation("Y", q, q, 0.7) for q in range(n)]
    ops += [DataRotation("Z", q, (q + 1) % n, 1.3) for q in range(n)]
    for _ in range(14):
        label = "".join(rng.choice(list("IXYZ"), size=n))
        ops.append(PauliRotation(label, int(rng.integers(3)), float(rng.uniform(-2, 2))))
    ops += [FixedGate("X", (1,)), FixedGate("Y", (2,)), FixedGate("Z", (3,))]
    ops += [PauliRotation("XYZXY", 0, 1.0), PauliRotation("ZZIIZ", 2, -0.5)]
    circuit = Circuit(n, tuple(ops), 3, "zero", n)
    obs = [PauliSum({"XIIII": 1.0, "IZZII": 0.5}), PauliSum({"YYYYY": 1.0, "IIIIX": -2.0})]
    _compare(circuit, obs, seed=5, batch=6)


def test_encode_data_is_cacheable_and_storable(tmp_path) -> None:
    circuit = _model(cyclic(6), (6,), layers=1)
    pp = PauliPropagationEngine(circuit, _observables(6, _ring(6)))
    x = torch.tensor(np.random.default_rng(6).uniform(-2, 2, (3, 6)))
    data = pp.encode(x)
    assert isinstance(data, PropData) and data.bloch.shape == (3, 6, 3)
    assert not data.bloch.requires_grad
    torch.testing.assert_close(data.bloch.norm(dim=-1), torch.ones(3, 6, dtype=torch.float64))
    data.save(tmp_path / "d.pt")
    loaded = PropData.load(tmp_path / "d.pt")
    params = torch.linspace(-1, 1, circuit.n_params, dtype=torch.float64)
    torch.testing.assert_close(pp(params, loaded), pp(params, x), atol=0, rtol=0)
    assert pp.n_strings["final"] > 0 and pp.n_strings["peak"] >= pp.n_strings["final"]


def test_truncation_error_bar() -> None:
    n = 8
    circuit = _model(cyclic(n), (n,), layers=2)
    obs = _observables(n, _ring(n))
    rng = np.random.default_rng(7)
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params))
    x = torch.tensor(rng.uniform(-np.pi, np.pi, (5, n)))
    exact = StatevectorEngine(circuit, obs)(params, x)
    full = PauliPropagationEngine(circuit, obs, max_weight=n)
    assert full.max_weight is None and not full.truncated
    assert float(full.error_estimate(params, x).abs().max()) == 0.0
    errors = []
    for w in (2, 4, 6):
        eng = PauliPropagationEngine(circuit, obs, max_weight=w)
        value = eng(params, x)
        bar = eng.error_estimate(params, x)
        assert bar.shape == value.shape and bool((bar >= 0).all())
        errors.append(float((value - exact).abs().max()))
    assert errors[-1] < errors[0]
    torch.testing.assert_close(full(params, x), exact, atol=1e-10, rtol=0)
    # the coefficient threshold keeps the values close and the strings fewer
    thin = PauliPropagationEngine(circuit, obs, min_coeff=1e-3)
    assert float((thin(params, x) - exact).abs().max()) < 0.05
    assert thin.n_strings["final"] < full.n_strings["final"]


def test_min_coeff_gradients_flow() -> None:
    circuit = _model(cyclic(6), (6,), layers=1)
    eng = PauliPropagationEngine(circuit, _observables(6, _ring(6)), min_coeff=1e-8)
    params = torch.full((circuit.n_params,), 0.3, dtype=torch.float64, requires_grad=True)
    value = eng(params, torch.zeros(2, 6, dtype=torch.float64))
    (grad,) = torch.autograd.grad(value.sum(), params)
    assert torch.isfinite(grad).all()


def test_refusals() -> None:
    n = 3
    enc = [DataRotation("Y", q, q) for q in range(n)]
    obs = [PauliSum({"ZII": 1.0})]
    gen = PauliSum({"XXI": 1.0, "ZII": 1.0})
    cases = {
        "re-uploading": Circuit(
            n, (*enc, PauliRotation("XXI", 0), DataRotation("Y", 0, 0)), 1, "zero", n
        ),
        "fixed gate H": Circuit(n, (*enc, FixedGate("H", (0,))), 0, "zero", n),
        "non-commuting": Circuit(n, (*enc, GeneratorRotation(gen, 0)), 1, "zero", n),
    }
    for match, circuit in zip(
        ["re-uploading", "fixed gate H", "non-commuting"], cases.values(), strict=True
    ):
        with pytest.raises(ValueError, match=match):
            PauliPropagationEngine(circuit, obs)
    good = Circuit(n, (*enc, PauliRotation("XXI", 0)), 1, "zero", n)
    with pytest.raises(ValueError, match="amplitude"):
        PauliPropagationEngine(Circuit(n, (PauliRotation("XXI", 0),), 1, "amplitude"), obs)
    with pytest.raises(ValueError, match="Hermitian"):
        PauliPropagationEngine(good, [PauliSum({"ZII": 1j})])
    with pytest.raises(ValueError, match="max_weight"):
        PauliPropagationEngine(good, obs, max_weight=-1)
    with pytest.raises(ValueError, match="min_coeff"):
        PauliPropagationEngine(good, obs, min_coeff=-1.0)
    eng = PauliPropagationEngine(good, obs)
    with pytest.raises(ValueError, match="params"):
        eng(torch.zeros(2), torch.zeros(1, n))
    with pytest.raises(ValueError, match="shape"):
        eng(torch.zeros(1), torch.zeros(1, n + 1))
    with pytest.raises(ValueError, match="max_strings"):
        PauliPropagationEngine(good, obs, max_strings=1)(torch.ones(1), torch.zeros(1, n))


@pytest.mark.slow
def test_8x8_d4_two_layers_runs() -> None:
    """64 qubits, D4, ZZ pairs and X singles, 2 layers, batch 64, weight-truncated at 4."""
    side, n = 8, 64
    circuit = _model(grid_d4(side), (side, side), layers=2)
    obs = _observables(n, _grid(side))
    rng = np.random.default_rng(8)
    eng = PauliPropagationEngine(circuit, obs, max_weight=4)
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params), requires_grad=True)
    data = eng.encode(torch.tensor(rng.uniform(0, np.pi, (64, n))))
    value = eng(params, data)
    (grad,) = torch.autograd.grad(value.sum(), params)
    assert value.shape == (64, 3) and torch.isfinite(value).all() and torch.isfinite(grad).all()
    assert 0 < eng.n_strings["final"] < 100_000
    assert torch.isfinite(eng.error_estimate(params, data)).all()
