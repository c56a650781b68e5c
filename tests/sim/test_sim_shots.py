"""ShotEstimator: finite-shot estimates are unbiased with the documented standard error, seeded and
reproducible, exact on identity terms, close to exact for huge shot counts; straight-through values
are the samples and gradients the exact ones; companion engines are rebuilt or built by a factory."""

from __future__ import annotations

import pytest
import torch

from equiqnn.circuits import Circuit, DataRotation, PauliRotation
from equiqnn.sim import StatevectorEngine
from equiqnn.sim.shots import ShotEstimator, with_shots
from equiqnn.symmetry import PauliSum

OBSERVABLES = [
    PauliSum("0.7*ZZI - 0.4*XIX + 1.5*III"),
    PauliSum("0.3*ZZI + 0.9*IYI - 0.2*XYZ"),
    PauliSum("2.0*III"),
]


def small_engine(**kw) -> StatevectorEngine:
    ops = [DataRotation("Y", q, q) for q in range(3)] + [
        PauliRotation("XXI", 0),
        PauliRotation("IYZ", 1),
        PauliRotation("ZIX", 2),
        PauliRotation("YII", 3),
    ]
    circ = Circuit(3, tuple(ops), n_params=4, n_features=3)
    return StatevectorEngine(circ, OBSERVABLES, **kw)


PARAMS = torch.tensor([0.3, -1.1, 0.7, 2.0], dtype=torch.float64)
INPUTS = torch.tensor(
    [[0.1, 0.5, -0.3], [1.2, -0.7, 0.4], [2.5, 0.2, 1.9], [-0.6, 3.0, 0.0]], dtype=torch.float64
)


def test_exact_recombination_matches_the_engine_and_settings_are_distinct_strings():
    engine = small_engine()
    est = ShotEstimator(engine, shots=10, seed=0)
    assert est.labels == ["ZZI", "XIX", "IYI", "XYZ"]  # ZZI shared by two observables: one setting
    assert est.n_settings == 4
    torch.testing.assert_close(
        est.exact(PARAMS, INPUTS), engine(PARAMS, INPUTS), rtol=0, atol=1e-12
    )
    assert est.term_engine.adjoint is engine.adjoint  # constructor state carried over


def test_mean_over_seeds_converges_to_exact():
    engine = small_engine()
    exact = engine(PARAMS, INPUTS)
    est0 = ShotEstimator(engine, shots=40, seed=0)
    se = est0.standard_error(PARAMS, INPUTS)
    n_seeds = 150
    draws = torch.stack(
        [ShotEstimator(engine, shots=40, seed=s)(PARAMS, INPUTS) for s in range(n_seeds)]
    )
    err = (draws.mean(0) - exact).abs()
    assert bool((err <= 4 * se / n_seeds**0.5 + 1e-12).all()), (err, se)


def test_repeated_calls_have_the_documented_standard_error():
    engine = small_engine()
    reps, shots = 3000, 25
    est = ShotEstimator(engine, shots=shots, seed=1)
    batch = INPUTS.repeat_interleave(reps, dim=0)  # every row gets independent shots
    out = est(PARAMS, batch).reshape(len(INPUTS), reps, -1)
    se = est.standard_error(PARAMS, INPUTS)
    exact = engine(PARAMS, INPUTS)
    assert bool(((out.mean(1) - exact).abs() <= 4 * se / reps**0.5 + 1e-12).all())
    std = out.std(1)
    nonconstant = se[:, :2]
    ratio = std[:, :2] / nonconstant
    assert bool(((ratio - 1).abs() < 0.1).all()), ratio
    # standard error formula from the exact per-string expectations
    e = est.term_expectations(PARAMS, INPUTS).detach()
    c = torch.tensor([[0.7, -0.4, 0, 0], [0.3, 0, 0.9, -0.2], [0, 0, 0, 0]], dtype=torch.float64)
    manual = (((1 - e**2) / shots) @ (c**2).T).sqrt()
    torch.testing.assert_close(se, manual, rtol=1e-12, atol=1e-15)


def test_seeded_reproducible_fresh_per_call_and_reset():
    engine = small_engine()
    a, b = ShotEstimator(engine, 30, seed=7), with_shots(engine, 30, seed=7)
    first = a(PARAMS, INPUTS)
    torch.testing.assert_close(first, b(PARAMS, INPUTS), rtol=0, atol=0)
    second = a(PARAMS, INPUTS)
    assert not torch.equal(first[:, :2], second[:, :2])  # fresh samples, like a device
    a.reset()
    torch.testing.assert_close(a(PARAMS, INPUTS), first, rtol=0, atol=0)
    torch.testing.assert_close(a(PARAMS, INPUTS), second, rtol=0, atol=0)
    other = ShotEstimator(engine, 30, seed=8)(PARAMS, INPUTS)
    assert not torch.equal(other[:, :2], first[:, :2])


def test_identity_terms_are_exact():
    ops = (PauliRotation("XI", 0), PauliRotation("IY", 1))
    circ = Circuit(2, ops, n_params=2)
    obs = [PauliSum("1.5*II + 0.5*ZZ"), PauliSum("-2*II")]
    est = ShotEstimator(StatevectorEngine(circ, obs), shots=1, seed=3)
    params = torch.tensor([0.8, 1.3], dtype=torch.float64)
    out = est(params, torch.zeros(200, 0))
    assert set(out[:, 0].tolist()) == {1.0, 2.0}  # one shot: 1.5 ± 0.5
    assert set(out[:, 1].tolist()) == {-2.0}
    assert est.standard_error(params, torch.zeros(1, 0))[0, 1].item() == 0.0


def test_identity_only_observables_need_no_engine_call():
    circ = Circuit(1, (PauliRotation("X", 0),), n_params=1)
    est = ShotEstimator(StatevectorEngine(circ, [PauliSum("3*I")]), shots=5, seed=0)
    assert est.term_engine is None and est.n_settings == 0
    out = est(torch.tensor([0.4]), torch.zeros(2, 0))
    assert out.dtype == torch.float32 and out.tolist() == [[3.0], [3.0]]
    assert est.standard_error(torch.tensor([0.4]), torch.zeros(2, 0)).tolist() == [[0.0], [0.0]]


def test_huge_shot_count_is_close_to_exact():
    engine = small_engine()
    est = ShotEstimator(engine, shots=10**12, seed=0)
    torch.testing.assert_close(est(PARAMS, INPUTS), engine(PARAMS, INPUTS), rtol=0, atol=1e-4)


def test_shared_strings_share_samples():
    circ = Circuit(2, (PauliRotation("XY", 0),), n_params=1)
    est = ShotEstimator(
        StatevectorEngine(circ, [PauliSum("ZX"), PauliSum("2*ZX + 1*II")]), shots=7, seed=2
    )
    out = est(torch.tensor([0.9]), torch.zeros(50, 0))
    torch.testing.assert_close(out[:, 1], 2 * out[:, 0] + 1, rtol=0, atol=1e-6)


def test_straight_through_values_are_samples_and_gradients_exact():
    engine = small_engine()
    st = ShotEstimator(engine, 20, seed=4, straight_through=True)
    plain = ShotEstimator(engine, 20, seed=4)
    p1 = PARAMS.clone().requires_grad_(True)
    out = st(p1, INPUTS)
    torch.testing.assert_close(out.detach(), plain(PARAMS, INPUTS), rtol=0, atol=1e-12)
    (g_st,) = torch.autograd.grad(out.sum(), p1)
    p2 = PARAMS.clone().requires_grad_(True)
    (g_exact,) = torch.autograd.grad(engine(p2, INPUTS).sum(), p2)
    torch.testing.assert_close(g_st, g_exact, rtol=1e-10, atol=1e-12)
    assert not plain(PARAMS.clone().requires_grad_(True), INPUTS).requires_grad


class ScaledEngine:
    """A stand-in for an engine with extra constructor state: global depolarizing noise that scales
    every non-identity expectation by ``factor``."""

    name = "scaled"

    def __init__(self, circuit, observables, *, factor, store=True):
        self.circuit, self.observables = circuit, list(observables)
        if store:
            self.factor = factor
        self._factor = factor
        self._inner = StatevectorEngine(circuit, self.observables)

    def __call__(self, params, inputs):
        const = torch.tensor(
            [o.terms.get("I" * o.n_qubits, 0).real for o in self.observables], dtype=params.dtype
        )
        return self._factor * (self._inner(params, inputs) - const) + const


def test_engines_with_extra_state_are_rebuilt_or_built_by_a_factory():
    base = small_engine()
    scaled = ScaledEngine(base.circuit, OBSERVABLES, factor=0.5)
    est = ShotEstimator(scaled, 10**12, seed=0)
    assert est.term_engine.factor == 0.5  # carried over from the attribute
    torch.testing.assert_close(est(PARAMS, INPUTS), scaled(PARAMS, INPUTS), rtol=0, atol=1e-4)

    hidden = ScaledEngine(base.circuit, OBSERVABLES, factor=0.5, store=False)
    with pytest.raises(TypeError, match="make_engine"):
        ShotEstimator(hidden, 10, seed=0)
    est = ShotEstimator(
        hidden,
        10**12,
        seed=0,
        make_engine=lambda obs: ScaledEngine(base.circuit, obs, factor=0.5, store=False),
    )
    torch.testing.assert_close(est(PARAMS, INPUTS), hidden(PARAMS, INPUTS), rtol=0, atol=1e-4)

    wrong = ShotEstimator(hidden, 10, seed=0, make_engine=lambda obs: small_engine())
    with pytest.raises(ValueError, match="make_engine"):
        wrong(PARAMS, INPUTS)


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        ({"shots": 0}, ValueError, "shots must be an integer >= 1"),
        ({"shots": 2.5}, TypeError, "shots must be an integer"),
        ({"shots": True}, TypeError, "shots must be an integer"),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0"),
        ({"seed": None}, TypeError, "seed must be an integer"),
        ({"straight_through": 1}, TypeError, "straight_through must be a bool"),
        ({"make_engine": 3}, TypeError, "make_engine must be a callable"),
    ],
)
def test_invalid_arguments_are_refused(kw, err, match):
    args = {"shots": 10, "seed": 0, **kw}
    with pytest.raises(err, match=match):
        ShotEstimator(small_engine(), args.pop("shots"), args.pop("seed"), **args)


def test_invalid_engines_are_refused():
    with pytest.raises(TypeError, match="engine must be callable"):
        ShotEstimator(object(), 10, seed=0)
    circ = Circuit(1, (PauliRotation("X", 0),), n_params=1)
    with pytest.raises(ValueError, match="Hermitian"):
        ShotEstimator(StatevectorEngine(circ, [PauliSum({"Z": 1j})]), 10, seed=0)


def test_a_qnn_engine_is_estimated_and_can_replace_the_models_engine():
    from equiqnn.groups import grid_d4
    from equiqnn.models import invariant_qnn

    model = invariant_qnn(grid_d4(8), layers=1).double()
    x = model.example_inputs(6, seed=1)
    inputs = model.encoding.prepare(x)
    exact = model.engine(model.theta, inputs)
    est = ShotEstimator(model.engine, shots=400, seed=0)
    torch.testing.assert_close(est.exact(model.theta, inputs), exact, rtol=0, atol=1e-12)
    out = est(model.theta, inputs)
    se = est.standard_error(model.theta, inputs)
    assert out.shape == exact.shape == (6, 1)
    assert bool(((out - exact).abs() <= 6 * se + 1e-12).all())
    clean_logits = model(x)
    model.engine = ShotEstimator(model.engine, shots=400, seed=0, straight_through=True)
    assert "400shots" in repr(model)
    noisy_logits = model(x)
    assert noisy_logits.shape == clean_logits.shape and not torch.equal(noisy_logits, clean_logits)
    noisy_logits.sum().backward()
    assert model.theta.grad is not None and bool(torch.isfinite(model.theta.grad).all())
