"""The S_n total-spin-sector engine agrees with the statevector engine (values 1e-10, gradients
1e-10) on non-symmetric product inputs for every generator and observable type and every angle
encoding; its sector weights are the S² spectral weights; the truncation bound holds; and at many
qubits it matches closed forms for product-preserving and one-axis-twisting circuits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equiqnn.sim import StatevectorEngine
from equiqnn.sim.sn_sector import SnData, SnSectorEngine, encode_product_sectors
from equiqnn.sim.sn_spin import block_operator, canonical_spec, spin_matrices

TERMS = ["X", "Y", "Z", "XX", "YY", "ZZ", "XY", "XZ", "YZ"]
ENCODINGS = [("Y", "zero"), ("X", "zero"), ("Z", "plus"), ("Y", "plus")]


def _pair(n, gens, obs, layers=1, axis="Y", init="zero", scale=1.0, **kw):
    eng = SnSectorEngine(
        n, gens, obs, layers=layers, encoding_axis=axis, init=init, scale=scale, **kw
    )
    sv = StatevectorEngine(eng.to_circuit(), eng.to_observables(), adjoint=False)
    return eng, sv


def _inputs(rng: np.random.Generator, batch: int, n: int) -> torch.Tensor:
    return torch.tensor(rng.uniform(-np.pi, np.pi, size=(batch, n)), dtype=torch.float64)


@pytest.mark.parametrize(("axis", "init"), ENCODINGS)
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_all_terms_match_statevector(axis: str, init: str, layers: int) -> None:
    rng = np.random.default_rng(layers)
    n = 5
    gens = [*TERMS, {"ZZ": 0.7, "X": -0.4}, {"XY": 0.3, "Z": 1.1, "YY": -0.2}]
    obs = [*TERMS, {"Z": 0.5, "XX": -1.5, "YZ": 0.25}]
    eng, sv = _pair(n, gens, obs, layers, axis, init, scale=0.9)
    x = _inputs(rng, 4, n)
    params = torch.tensor(rng.normal(size=eng.n_params))
    got = eng(params, eng.encode(x))
    assert got.shape == (4, len(obs)) and got.dtype == torch.float64
    torch.testing.assert_close(got, sv(params, x), atol=1e-10, rtol=0)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10])
def test_qubit_counts_match_statevector(n: int) -> None:
    rng = np.random.default_rng(n)
    gens = ["X", "Z", "Y"] if n == 1 else ["ZZ", "X", "YY", "Z"]
    obs = ["Z", "X", "Y"] if n == 1 else ["Z", "ZZ", "XX", "X"]
    eng, sv = _pair(n, gens, obs, layers=2)
    x = _inputs(rng, 3, n)
    params = torch.tensor(rng.normal(size=eng.n_params))
    torch.testing.assert_close(eng(params, eng.encode(x)), sv(params, x), atol=1e-10, rtol=0)


@pytest.mark.parametrize(
    ("axis", "init", "n", "gens"),
    [
        ("Y", "zero", 8, ["ZZ", "X", "YY", "Z"]),
        ("X", "zero", 6, ["ZZ", "X", "XY", {"Z": 1.0, "YY": 0.5}]),
        ("Z", "plus", 6, ["XX", "Y", "XZ", {"Z": 1.0, "X": 0.5}]),
    ],
)
def test_gradients_match_statevector_autograd(axis: str, init: str, n: int, gens: list) -> None:
    rng = np.random.default_rng(7)
    eng, sv = _pair(n, gens, ["Z", "ZZ", "XZ"], 2, axis, init)
    x = _inputs(rng, 3, n)
    weights = torch.tensor(rng.normal(size=(3, 3)))
    p0 = torch.tensor(rng.normal(size=eng.n_params))
    grads = []
    for run in (lambda p: eng(p, eng.encode(x)), lambda p: sv(p, x)):
        p = p0.clone().requires_grad_(True)
        (run(p) * weights).sum().backward()
        grads.append(p.grad)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-10, rtol=0)


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(2, 6),
    gens=st.lists(st.sampled_from(TERMS), min_size=1, max_size=4),
    obs=st.lists(st.sampled_from(TERMS), min_size=1, max_size=3),
    layers=st.integers(1, 3),
    enc=st.sampled_from(ENCODINGS),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_circuits_match_statevector(n, gens, obs, layers, enc, seed) -> None:
    rng = np.random.default_rng(seed)
    eng, sv = _pair(n, gens, obs, layers, *enc, scale=float(rng.uniform(0.5, 2)))
    x = _inputs(rng, 2, n)
    params = torch.tensor(rng.normal(size=eng.n_params) * 2)
    torch.testing.assert_close(eng(params, eng.encode(x)), sv(params, x), atol=1e-10, rtol=0)


def test_sector_weights_are_s2_spectral_weights() -> None:
    """``Tr ρ_j`` equals ``⟨ψ|Π_j|ψ⟩`` with ``Π_j`` the brute-force S² eigenprojector."""
    rng = np.random.default_rng(3)
    n = 6
    eng = SnSectorEngine(n, [], ["Z"], encoding_axis="X")
    x = _inputs(rng, 3, n)
    data = eng.encode(x)
    psi = eng.encoding.state(x.numpy())  # (B, 2^n)
    single = {a: m for a, m in zip("XYZ", spin_matrices(1), strict=True)}
    s2 = sum(_collective(single[a], n) @ _collective(single[a], n) for a in "XYZ")
    evals, evecs = np.linalg.eigh(s2)
    for tj, w in zip(data.two_j, data.weights.T, strict=True):
        j = tj / 2
        sel = np.abs(evals - j * (j + 1)) < 1e-8
        proj = evecs[:, sel]
        expected = (np.abs(psi.conj() @ proj) ** 2).sum(-1)
        np.testing.assert_allclose(w.numpy(), expected, atol=1e-12)
    torch.testing.assert_close(data.weights.sum(1), torch.ones(3, dtype=torch.float64))
    for tj, block in zip(data.two_j, data.blocks, strict=True):
        assert block.shape == (3, tj + 1, tj + 1)
        torch.testing.assert_close(block, block.mT)
        assert torch.linalg.eigvalsh(block).min() > -1e-12


def _embed(op: np.ndarray, q: int, n: int) -> np.ndarray:
    return np.kron(np.kron(np.eye(2**q), op), np.eye(2 ** (n - q - 1)))


def _collective(op: np.ndarray, n: int) -> np.ndarray:
    return sum((_embed(op, q, n) for q in range(n)), np.zeros((2**n, 2**n), dtype=complex))


def test_block_operators_are_collective_spin_polynomials() -> None:
    """``XY`` is ``2{S_x, S_y}``, ``ZZ`` is ``2 S_z² − n/2`` (checked on the top sector)."""
    n = 4
    jx, jy, jz = spin_matrices(n)
    xy = block_operator(canonical_spec("YX", n), n, n)
    np.testing.assert_allclose(xy, 2 * (jx @ jy + jy @ jx), atol=1e-13)
    zz = block_operator(canonical_spec({"ZZ": 2.0}, n), n, n)
    np.testing.assert_allclose(zz, 2 * (2 * jz @ jz - n / 2 * np.eye(n + 1)), atol=1e-13)


def test_encode_is_deterministic_batch_independent_and_storable(tmp_path) -> None:
    rng = np.random.default_rng(11)
    n = 9
    eng = SnSectorEngine(n, ["ZZ", "X"], ["Z", "ZZ"], layers=2)
    x = _inputs(rng, 5, n)
    a, b = eng.encode(x), eng.encode(x.clone())
    sub = eng.encode(x[1:3], frame=a.frame)  # the fast path aligns its frame with the batch
    assert a.two_j == b.two_j == sub.two_j and len(a) == 5
    for ba, bb, bs in zip(a.blocks, b.blocks, sub.blocks, strict=True):
        assert torch.equal(ba, bb)
        torch.testing.assert_close(ba[1:3], bs, atol=1e-15, rtol=0)
    params = torch.tensor(rng.normal(size=eng.n_params))
    ref = eng(params, a)
    torch.testing.assert_close(
        eng(params, x), ref, atol=0, rtol=0
    )  # raw features encode on the fly
    torch.testing.assert_close(eng(params, a.select([1, 2])), ref[1:3], atol=1e-15, rtol=0)
    path = tmp_path / "sn.pt"
    a.save(path)
    loaded = SnData.load(path)
    assert loaded.two_j == a.two_j and loaded.encoding == a.encoding
    torch.testing.assert_close(eng(params, loaded), ref, atol=0, rtol=0)
    single = a.to(dtype=torch.float32)
    assert single.blocks[0].dtype == torch.float32
    assert not eng(params, a.to("cpu")).requires_grad
    torch.testing.assert_close(eng.error_estimate(a), torch.zeros(5, 2, dtype=torch.float64))


def test_product_preserving_circuit_matches_closed_form() -> None:
    """``∏ R_X(θ)`` keeps the product: ``⟨Z⟩ = cos θ · mean cos x_i``, ``⟨ZZ⟩`` from pair products."""
    rng = np.random.default_rng(5)
    n = 40
    eng = SnSectorEngine(n, ["X"], ["Z", "ZZ", "Y"])
    x = _inputs(rng, 3, n)
    theta = 0.73
    got = eng(torch.tensor([theta], dtype=torch.float64), eng.encode(x))
    z = torch.cos(x) * math.cos(theta)  # Bloch (sin x, 0, cos x) rotated about X by θ
    y = -torch.cos(x) * math.sin(theta)
    zz = (z.sum(1) ** 2 - (z**2).sum(1)) / (n * (n - 1))
    expected = torch.stack([z.mean(1), zz, y.mean(1)], 1)
    torch.testing.assert_close(got, expected, atol=1e-10, rtol=0)


def _twisting_x(x: torch.Tensor, theta: float) -> torch.Tensor:
    """``⟨Σ X_i⟩/n`` after ``exp(−iθ Σ_{i<j} Z_iZ_j / 2)`` on ``⊗ R_Y(x_i)|0⟩`` (closed form)."""
    c, s = torch.cos(x / 2), torch.sin(x / 2)
    zi = torch.cos(x).to(torch.complex128)
    out = []
    for i in range(x.shape[1]):
        others = torch.cat([zi[:, :i], zi[:, i + 1 :]], 1)
        plus = torch.prod(math.cos(theta) + 1j * math.sin(theta) * others, 1)
        minus = torch.prod(math.cos(theta) - 1j * math.sin(theta) * others, 1)
        out.append((c[:, i] * s[:, i] * (plus + minus)).real)
    return torch.stack(out, 1).mean(1)


def test_one_axis_twisting_matches_closed_form() -> None:
    rng = np.random.default_rng(8)
    n = 30
    eng = SnSectorEngine(n, ["ZZ"], ["X"])
    x = _inputs(rng, 2, n)
    got = eng(torch.tensor([0.31], dtype=torch.float64), eng.encode(x))
    torch.testing.assert_close(got[:, 0], _twisting_x(x, 0.31), atol=1e-11, rtol=0)


def test_truncation_error_is_within_the_bound() -> None:
    rng = np.random.default_rng(2)
    n = 24
    x = torch.tensor(rng.uniform(0, 0.6, size=(4, n)))  # nearly aligned: weight near j = n/2
    exact = SnSectorEngine(n, ["ZZ", "X"], ["Z", "ZZ", {"X": 2.0}], layers=2, tolerance=0)
    trunc = SnSectorEngine(
        n, ["ZZ", "X"], ["Z", "ZZ", {"X": 2.0}], layers=2, tolerance=0, tail_weight=1e-6
    )
    de, dt = exact.encode(x), trunc.encode(x)
    assert len(dt.two_j) < len(de.two_j)
    assert (dt.dropped > 0).all() and (dt.dropped <= 1e-6).all()
    torch.testing.assert_close(dt.weights.sum(1) + dt.dropped, torch.ones(4, dtype=torch.float64))
    params = torch.tensor(rng.normal(size=exact.n_params))
    err = (exact(params, de) - trunc(params, dt)).abs()
    bound = trunc.error_estimate(dt)
    assert (bound[:, 2] == 2 * dt.dropped).all()
    assert (err <= bound + 1e-13).all()


def test_encode_product_sectors_single_qubit() -> None:
    a = torch.tensor([[0.4]], dtype=torch.float64)
    two_j, blocks, dropped = encode_product_sectors(a)
    c, s = math.cos(0.2), math.sin(0.2)
    assert two_j == (1,) and float(dropped) == 0
    torch.testing.assert_close(
        blocks[0][0], torch.tensor([[c * c, c * s], [c * s, s * s]]).double()
    )


def test_refuses_bad_configuration_and_inputs() -> None:
    with pytest.raises(ValueError, match="unknown collective-spin term"):
        SnSectorEngine(4, ["ZX Y"], ["Z"])
    with pytest.raises(ValueError, match="unknown collective-spin term"):
        SnSectorEngine(4, ["Z"], ["ZZZ"])
    with pytest.raises(ValueError, match="two-body"):
        SnSectorEngine(1, ["ZZ"], ["Z"])
    with pytest.raises(ValueError, match="finite"):
        SnSectorEngine(4, [{"Z": float("nan")}], ["Z"])
    with pytest.raises(ValueError, match="lists of specs"):
        SnSectorEngine(4, "ZZ", ["Z"])
    with pytest.raises(ValueError, match="at least one observable"):
        SnSectorEngine(4, ["ZZ"], [])
    with pytest.raises(ValueError, match="encodes nothing"):
        SnSectorEngine(4, ["ZZ"], ["Z"], encoding_axis="Z", init="zero")
    with pytest.raises(ValueError, match="tail_weight"):
        SnSectorEngine(4, ["ZZ"], ["Z"], tolerance=0, tail_weight=1.0)
    with pytest.raises(ValueError, match="layers"):
        SnSectorEngine(4, ["ZZ"], ["Z"], layers=0)
    eng = SnSectorEngine(4, ["ZZ", "X"], ["Z"])
    with pytest.raises(ValueError, match=r"params must have shape \(2,\)"):
        eng(torch.zeros(3, dtype=torch.float64), torch.zeros(1, 4))
    with pytest.raises(ValueError, match=r"shape \(batch, 4\)"):
        eng.encode(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="finite"):
        eng.encode(torch.full((1, 4), float("inf")))
    other = SnSectorEngine(4, ["ZZ"], ["Z"], scale=2.0).encode(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="re-encode|Re-encode"):
        eng(torch.zeros(2, dtype=torch.float64), other)
    with pytest.raises(ValueError, match="5 qubits"):
        eng(
            torch.zeros(2, dtype=torch.float64),
            SnSectorEngine(5, ["Z"], ["Z"]).encode(torch.zeros(1, 5)),
        )


def test_float32_runs_close_to_float64() -> None:
    rng = np.random.default_rng(4)
    n = 12
    x = _inputs(rng, 3, n)
    e64 = SnSectorEngine(n, ["ZZ", "X"], ["Z", "XX"], layers=2)
    e32 = SnSectorEngine(n, ["ZZ", "X"], ["Z", "XX"], layers=2, dtype=torch.float32)
    params = torch.tensor(rng.normal(size=e64.n_params))
    got = e32(params.float(), e32.encode(x))
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), e64(params, e64.encode(x)), atol=1e-5, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("n", [64, 128])
def test_many_qubits_normalized_and_closed_form(n: int) -> None:
    rng = np.random.default_rng(n)
    x = torch.tensor(rng.uniform(0, np.pi, size=(3, n)))
    eng = SnSectorEngine(n, ["ZZ", "X", "Y"], ["Z", "ZZ", "X", "XY"], layers=3)
    data = eng.encode(x)
    torch.testing.assert_close(data.weights.sum(1), torch.ones(3, dtype=torch.float64))
    params = torch.tensor(rng.normal(size=eng.n_params), requires_grad=True)
    out = eng(params, data)
    assert torch.isfinite(out).all() and (out.abs() <= 1 + 1e-10).all()
    out.sum().backward()
    assert params.grad is not None and torch.isfinite(params.grad).all()
    twist = SnSectorEngine(n, ["ZZ"], ["X"])
    got = twist(torch.tensor([0.07], dtype=torch.float64), data)
    torch.testing.assert_close(got[:, 0], _twisting_x(x, 0.07), atol=1e-10, rtol=0)
