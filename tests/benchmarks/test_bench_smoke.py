"""Smoke tests of the benchmark suite (benchmarks/): identical inputs for every simulator, equiqnn's
circuits equal to the workload definitions, agreement with the dense reference, and the JSON keys.
No timing assertions; peers that are not installed are skipped."""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.equiqnn_cases import (  # noqa: E402
    build,
    equiqnn_circuit,
    equiqnn_inputs,
    equiqnn_observable,
)
from benchmarks.reference import (  # noqa: E402
    reference_forward,
    reference_gradient,
    tensor_reference,
)
from benchmarks.report import REQUIRED_KEYS, add_ratios, format_table, write_json  # noqa: E402

from benchmarks import workloads as W  # noqa: E402

SMALL_W1 = "w1-sv-n4-L4-B4"
SMALL_W2 = "w2-sv-m3-n6-L2"
SMALL_DM = "w1-dm-n4-L2-B4"


def _have(*mods: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in mods)


def _import_quietly(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


def test_case_ids_round_trip():
    for case in W.grid(False) + W.grid(True):
        assert W.case_by_id(case.id) == case
    assert W.case_by_id(SMALL_W1) == W.w1_case(4, 4, 4)
    assert W.case_by_id(SMALL_W2) == W.w2_case(3, 2)


@pytest.mark.parametrize("case_id", [SMALL_W1, SMALL_W2])
def test_data_is_seeded_and_identical(case_id):
    case = W.case_by_id(case_id)
    a, b = W.make_data(case), W.make_data(case)
    for field in ("theta", "x", "amps", "labels", "head"):
        va, vb = getattr(a, field), getattr(b, field)
        assert (va is None) == (vb is None)
        if va is not None:
            np.testing.assert_array_equal(va, vb)
    assert a.theta.shape == (case.n_params,)
    if case.workload == 1:
        assert a.x.shape == (case.batch, case.n)
        assert np.all((0 <= a.x) & (a.x < np.pi)) and np.all((0 <= a.theta) & (a.theta < 2 * np.pi))
    else:
        assert a.amps.shape == (case.n_samples, 2**case.n)
        np.testing.assert_allclose(np.linalg.norm(a.amps, axis=1), 1.0, atol=1e-14)
        np.testing.assert_array_equal(a.labels[:4], [0, 1, 0, 1])
        # equiqnn's own encoder gives the same amplitudes from the raw images
        from equiqnn.circuits import RegisterAmplitude

        enc = RegisterAmplitude(2**case.m)
        prepared = enc.prepare(torch.as_tensor(W.images(case)))
        np.testing.assert_allclose(prepared.numpy(), a.amps, atol=1e-15)


def _family_inputs(case, data):
    """Every installed simulator family's view of the inputs, as float64 numpy arrays."""
    out = {"equiqnn-c64": equiqnn_inputs(case, data, torch.float32).double().numpy()}
    out["equiqnn-c128"] = equiqnn_inputs(case, data, torch.float64).numpy()
    key = "x" if case.workload == 1 else "amps"
    if _have("pennylane"):
        mod = _import_quietly("benchmarks.peers_pennylane")
        out["pennylane"] = mod.pennylane_inputs(case, data)[key].numpy()
    if _have("qiskit", "qiskit_aer"):
        mod = _import_quietly("benchmarks.peers_qiskit")
        out["qiskit"] = mod.qiskit_inputs(case, data)[key]
    if _have("tensorcircuit", "jax"):
        mod = _import_quietly("benchmarks.peers_tensorcircuit")
        out["tensorcircuit"] = np.real(np.asarray(mod.tensorcircuit_inputs(case, data)[key]))
    return out


@pytest.mark.parametrize("case_id", [SMALL_W1, SMALL_W2])
def test_every_simulator_gets_the_same_inputs(case_id):
    case = W.case_by_id(case_id)
    data = W.make_data(case)
    ref = data.x if case.workload == 1 else data.amps
    for name, arr in _family_inputs(case, data).items():
        single = name in ("equiqnn-c64", "tensorcircuit")  # float32 / complex64 families
        np.testing.assert_allclose(arr, ref, rtol=0, atol=1e-6 if single else 0, err_msg=name)


def _neutral_from_equiqnn(circuit):
    """The equiqnn circuit's ops as neutral gates (for comparison with the workload lists)."""
    from equiqnn.circuits import Barrier, DataRotation, FixedGate, PauliRotation

    out = []
    for op in circuit.ops:
        if isinstance(op, Barrier):
            continue
        if isinstance(op, DataRotation):
            out.append(W.Gate("R" + op.axis, (op.qubit,), feature=op.feature))
            assert op.scale == 1.0
        elif isinstance(op, FixedGate):
            out.append(W.Gate(op.name, tuple(op.qubits)))
        elif isinstance(op, PauliRotation):
            assert op.coeff == 1.0
            qs = tuple(q for q, c in enumerate(op.pauli) if c != "I")
            letters = "".join(op.pauli[q] for q in qs)
            if len(qs) == 1:
                out.append(W.Gate("R" + letters, qs, param=op.slot))
            else:
                out.append(W.Gate("PAULIROT", qs, param=op.slot, pauli=letters))
        else:  # pragma: no cover
            raise AssertionError(f"unexpected op {op!r}")
    return out


def _canonical(g: W.Gate):
    if g.name == "PAULIROT":  # YYYY on a set of qubits: order of the letters is irrelevant
        return (g.name, tuple(sorted(g.qubits)), g.param, g.feature, g.pauli)
    return (g.name, g.qubits, g.param, g.feature, g.pauli)


@pytest.mark.parametrize("case_id", [SMALL_W1, SMALL_W2, "w2-sv-m3-n6-L1", "w1-sv-n2-L2-B3"])
def test_equiqnn_circuit_is_the_workload(case_id):
    case = W.case_by_id(case_id)
    circuit = equiqnn_circuit(case)
    assert circuit.n_params == case.n_params
    assert circuit.initial == ("zero" if case.workload == 1 else "amplitude")
    got = [_canonical(g) for g in _neutral_from_equiqnn(circuit)]
    want = [_canonical(g) for g in W.gates(case)]
    assert got == want


def test_equiqnn_agrees_with_dense_reference_smallest_case():
    from equiqnn.sim import dense_expectations

    case = W.case_by_id(SMALL_W1)
    data = W.make_data(case)
    theta = torch.as_tensor(data.theta)
    dense = dense_expectations(
        equiqnn_circuit(case), [equiqnn_observable(case)], theta, torch.as_tensor(data.x)
    )[:, 0].numpy()
    # the suite's own tensor reference is the dense one
    np.testing.assert_allclose(reference_forward(case, data), dense, rtol=0, atol=1e-12)
    grad_ref = reference_gradient(case, data)
    for name, tol in (("equiqnn-c64", 1e-5), ("equiqnn-c128", 1e-10)):
        runner = build(name, case, data)
        np.testing.assert_allclose(runner.forward(), dense, rtol=0, atol=tol, err_msg=name)
        np.testing.assert_allclose(runner.step(0), grad_ref, rtol=0, atol=tol, err_msg=name)


def test_register_model_agrees_with_reference():
    case = W.case_by_id(SMALL_W2)
    data = W.make_data(case)
    ref = reference_forward(case, data)
    grad_ref = reference_gradient(case, data)
    runner = build("equiqnn-c128", case, data)
    np.testing.assert_allclose(runner.forward(), ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(runner.step(0), grad_ref, rtol=0, atol=1e-10)


def test_noisy_reference_matches_kraus_by_hand():
    """One qubit: RY(x) then depolarizing p: <Z> = (1 - 4p/3) cos x (a check of the DM reference)."""
    case = W.case_by_id("w1-dm-n2-L1-B3")
    data = W.make_data(case)
    # strip the layers: only the embedding (plus its noise) on qubit 0 matters for a 1-gate check
    x = torch.as_tensor(data.x)
    theta = torch.zeros(case.n_params, dtype=torch.float64)
    val = tensor_reference(case, theta, x, None).numpy()
    p = W.NOISE_P
    # with θ = 0 the layers are the identity up to the CNOT (0 -> 1), which keeps Z_0; each gate on
    # qubit 0 adds one depolarizing channel: RY(x), RY(0), RZ(0), CNOT -> 4 channels
    expect = (1 - 4 * p / 3) ** 4 * np.cos(data.x[:, 0])
    np.testing.assert_allclose(val, expect, atol=1e-12)


def test_equiqnn_density_engine_agrees_if_present():
    sim = pytest.importorskip("equiqnn.sim")
    if not hasattr(sim, "DensityMatrixEngine"):
        pytest.skip("equiqnn.sim.DensityMatrixEngine not available")
    case = W.case_by_id(SMALL_DM)
    data = W.make_data(case)
    ref = reference_forward(case, data)
    for name, tol in (("equiqnn-dm-c64", 1e-5), ("equiqnn-dm-c128", 1e-10)):
        runner = build(name, case, data)
        np.testing.assert_allclose(runner.forward(), ref, rtol=0, atol=tol, err_msg=name)


def test_harness_and_json_writer(tmp_path):
    from benchmarks.harness import run_pair

    case = W.case_by_id(SMALL_W1)
    data = W.make_data(case)
    ref = {"forward": reference_forward(case, data), "grad": reference_gradient(case, data)}
    rec = run_pair(case.id, "equiqnn-c64", ref, min_reps=1, budget_s=5.0, limit_s=60.0)
    assert rec["status"] == "ok" and rec["max_abs_dev"] < 1e-5
    # the steady-state step's memory: a fresh high-water mark above the live memory after warm-up
    assert rec["step_base_mb"] > 0 and 0 <= rec["step_peak_mb"] <= rec["peak_rss_mb"]
    rec["kind"] = case.kind
    missing = {"case": case.id, "simulator": "some-peer", "status": "not installed"}
    records = [rec, missing]
    add_ratios(records)
    assert rec["ratio"] == pytest.approx(1.0)
    text = format_table(records, markdown=True)
    assert "not installed" in text  # a missing peer is reported, never dropped
    path = tmp_path / "out.json"
    write_json(records, str(path))
    loaded = json.loads(path.read_text())
    assert isinstance(loaded, list) and len(loaded) == 2
    for row in loaded:
        for key in REQUIRED_KEYS:
            assert key in row
    assert loaded[1]["median_s"] is None
    assert isinstance(loaded[0]["median_s"], float)
