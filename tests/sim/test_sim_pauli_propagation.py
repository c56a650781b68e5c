"""Pauli propagation agrees with the statevector engine (values and parameter gradients to 1e-10 in
float64) on invariant one-qubit-per-pixel models for every angle encoding, with and without merging
string orbits under the group and folding leading single-qubit gates; its encode/call split,
truncation error bar and refusals behave as documented; and the 8×8 (64-qubit) D4 two-layer ZZ
model runs exactly, merged and unmerged agreeing."""

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
from equiqnn.groups import cyclic, grid_d4, sign_flip
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


def _compare(
    circuit: Circuit, obs: list[PauliSum], seed: int, batch: int = 4, **kw: object
) -> PauliPropagationEngine:
    rng = np.random.default_rng(seed)
    pp = PauliPropagationEngine(circuit, obs, **kw)  # type: ignore[arg-type]
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
    return pp


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


def _rep(group, shape, axis="Y", init="zero"):
    return AngleEncoding(shape, axis=axis, init=init).representation(group)


@pytest.mark.parametrize(("axis", "init"), ENCODINGS[:3])
def test_orbit_merging_matches_statevector(axis: str, init: str) -> None:
    """D4 on 3×3 with all commuting pair letters: merged orbits, values and gradients to 1e-10."""
    group = grid_d4(3)
    circuit = _model(group, (3, 3), layers=2, axis=axis, init=init, singles="XZ")
    obs = _observables(9, _grid(3))[:2]
    pp = _compare(circuit, obs, seed=11, symmetry=_rep(group, (3, 3), axis, init))
    full = PauliPropagationEngine(circuit, obs)
    full.coefficients(torch.zeros(circuit.n_params, dtype=torch.float64))
    assert pp.n_strings["final"] < full.n_strings["final"]
    assert pp.n_strings["readout"] == full.n_strings["final"]


def test_twelve_qubit_ring_merged_and_unfolded_match_statevector() -> None:
    """n = 12 (the acceptance size): cyclic ring, three layers, complex128 statevector."""
    n = 12
    circuit = _model(cyclic(n), (n,), layers=3, singles="XZ")
    obs = _observables(n, _ring(n))[:2]
    _compare(circuit, obs, seed=12, batch=3, symmetry=_rep(cyclic(n), (n,)))
    _compare(circuit, obs, seed=12, batch=3, fold=False)


def test_merged_equals_unmerged_at_8x8() -> None:
    """64 qubits, D4, ZZ pairs and X singles, 2 layers, exact: one representative per orbit gives
    the same values and gradients as keeping every string, with about |G| times fewer strings."""
    side, n = 8, 64
    group = grid_d4(side)
    circuit = _model(group, (side, side), layers=2)
    obs = [_observables(n, _grid(side))[1]]
    rng = np.random.default_rng(8)
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params), requires_grad=True)
    x = torch.tensor(rng.uniform(0, np.pi, (8, n)))
    merged = PauliPropagationEngine(circuit, obs, symmetry=_rep(group, (side, side)))
    plain = PauliPropagationEngine(circuit, obs)
    a, b = merged(params, x), plain(params, x)
    torch.testing.assert_close(a, b, atol=1e-12, rtol=0)
    ga = torch.autograd.grad(a.sum(), params)[0]
    gb = torch.autograd.grad(b.sum(), params)[0]
    torch.testing.assert_close(ga, gb, atol=1e-12, rtol=0)
    assert merged.n_strings["final"] * 6 < plain.n_strings["final"]
    assert merged.n_strings["readout"] == plain.n_strings["final"]
    assert len(merged.strings_per_layer) == 2 and merged.strings_per_layer[-1] > 0
    assert bool((a.abs() <= 1).all()) and float(a.detach().abs().max()) > 1e-3


def test_folding_changes_nothing_but_the_count() -> None:
    circuit = _model(cyclic(6), (6,), layers=2, singles="XY")
    obs = _observables(6, _ring(6))
    folded = _compare(circuit, obs, seed=13)
    unfolded = _compare(circuit, obs, seed=13, fold=False)
    assert folded.n_strings["final"] < unfolded.n_strings["final"]


def test_orbit_merging_with_truncation() -> None:
    """Weight and coefficient truncation act the same on representatives as on every string."""
    group = cyclic(10)
    circuit = _model(group, (10,), layers=3)
    obs = _observables(10, _ring(10))[:2]
    rng = np.random.default_rng(14)
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params))
    x = torch.tensor(rng.uniform(-np.pi, np.pi, (4, 10)))
    for kw in ({"max_weight": 4}, {"min_coeff": 1e-3}, {"max_weight": 5, "min_coeff": 1e-4}):
        a = PauliPropagationEngine(circuit, obs, symmetry=_rep(group, (10,)), **kw)  # type: ignore[arg-type]
        b = PauliPropagationEngine(circuit, obs, **kw)  # type: ignore[arg-type]
        torch.testing.assert_close(a(params, x), b(params, x), atol=1e-10, rtol=0)
        torch.testing.assert_close(
            a.error_estimate(params, x), b.error_estimate(params, x), atol=1e-10, rtol=0
        )


def test_orbit_merging_refuses_what_is_not_invariant() -> None:
    group = grid_d4(3)
    rep = _rep(group, (3, 3))
    circuit = _model(group, (3, 3), layers=1)
    local = [PauliSum({PauliString.on(9, {0: "Z"}).label: 1.0})]
    with pytest.raises(ValueError, match="observable is not invariant"):
        PauliPropagationEngine(circuit, local, symmetry=rep)
    obs = _observables(9, _grid(3))[:1]
    broken = Circuit(
        9,
        (*circuit.ops, PauliRotation(PauliString.on(9, {4: "X", 5: "X"}).label, 0)),
        circuit.n_params,
        "zero",
        9,
    )
    with pytest.raises(ValueError, match="not mapped to themselves"):
        PauliPropagationEngine(broken, obs, symmetry=rep)
    with pytest.raises(ValueError, match="Pauli parts"):
        PauliPropagationEngine(
            _model(sign_flip(4), (4,), layers=1, singles="Z", pair_letters=("ZZ",)),
            [PauliSum({"ZIII": 1.0})],
            symmetry=AngleEncoding((4,)).representation(sign_flip(4)),
        )
    with pytest.raises(ValueError, match="permutation"):
        PauliPropagationEngine(circuit, obs, symmetry=np.zeros((2, 9), dtype=int))


@pytest.mark.slow
def test_8x8_truncated_three_layers_error_bar() -> None:
    """64 qubits, 3 layers, weight-truncated: finite values and a finite error bar."""
    side, n = 8, 64
    group = grid_d4(side)
    circuit = _model(group, (side, side), layers=3)
    obs = [_observables(n, _grid(side))[1]]
    rng = np.random.default_rng(15)
    eng = PauliPropagationEngine(circuit, obs, symmetry=_rep(group, (side, side)), max_weight=4)
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params), requires_grad=True)
    data = eng.encode(torch.tensor(rng.uniform(0, np.pi, (16, n))))
    value = eng(params, data)
    (grad,) = torch.autograd.grad(value.sum(), params)
    assert torch.isfinite(value).all() and torch.isfinite(grad).all()
    bar = eng.error_estimate(params, data)
    assert bar.shape == value.shape and torch.isfinite(bar).all() and float(bar.max()) > 0


def test_models_wire_the_engine() -> None:
    """``invariant_qnn(..., engine="pauli")`` equals the statevector model at 3×3 and trains with
    ``fit`` at 8×8 (64 qubits, orbit merging under D4). (Model-level wiring of this engine.)"""
    from equiqnn.models import build_model, invariant_qnn
    from equiqnn.train import fit

    ansatz = {"type": "twirl", "singles": "X", "pair_letters": ["ZZ"]}
    kw = {"encoding": "angle", "layers": 2, "ansatz": ansatz, "seed": 3}
    small = invariant_qnn(grid_d4(3), engine="pauli", **kw).double()  # type: ignore[arg-type]
    exact = invariant_qnn(grid_d4(3), engine="statevector", **kw).double()  # type: ignore[arg-type]
    x = small.example_inputs(5, seed=1)
    torch.testing.assert_close(small.readout(x), exact.readout(x), atol=1e-10, rtol=0)
    assert "pauli_propagation" in repr(small)

    readout = [_observables(64, _grid(8))[1]]
    model = invariant_qnn(grid_d4(8), engine="pauli", readout=readout, **kw)  # type: ignore[arg-type]
    assert isinstance(model.engine, PauliPropagationEngine) and "symmetry order 8" in repr(
        model.engine
    )
    assert repr(build_model(model.config)) == repr(model)
    xs = model.example_inputs(24, seed=2)
    ys = (xs.mean((1, 2)) > 0.5).long()
    before = model.theta.detach().clone()
    result = fit(
        model, (xs[:16], ys[:16]), (xs[16:], ys[16:]), epochs=1, batch_size=8, progress=False
    )
    assert np.isfinite(result.best_val_loss) and not torch.equal(before, model.theta.detach())
