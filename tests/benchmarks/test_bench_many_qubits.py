"""The issue-12 many-qubit benchmark cases: their models are the engines' exact models (checked
against the statevector at small n), their records carry the report's keys and targets, and an
infeasible case is stopped by the time or memory limit instead of hanging. No timing assertions."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.child import run_child  # noqa: E402
from benchmarks.report import REQUIRED_KEYS, format_many_qubits  # noqa: E402

from benchmarks import many_qubits as MQ  # noqa: E402


def test_grids_hold_the_issue_12_targets():
    full = {o.id: o.target_s for c in MQ.mq_grid(False) for o in c.outputs}
    assert full["mq-sn-n256-L3-B64"] == 0.4
    assert full["mq-sn-n1024-L3-B64"] == 5.0
    assert full["mq-sn-n1024-encode"] == 1.0
    assert full["mq-sn-n1024-train200"] == 1200.0
    assert full["mq-pauli-d4-8x8-L2-B64-fwd"] == 0.5
    quick = {o.id for c in MQ.mq_grid(True) for o in c.outputs}
    assert quick < set(full) and "mq-sn-n1024-L3-B64" not in quick
    for c in MQ.mq_grid(False) + MQ.mq_grid(True):
        assert MQ.mq_case_by_id(c.id).kind == c.kind
    with pytest.raises(ValueError, match="unknown many-qubit case"):
        MQ.mq_case_by_id("mq-nothing")


def test_sn_benchmark_model_is_the_statevector_model():
    """The S_n case's engine (same generators, observables, layers, data) equals the statevector
    engine on its own gate-level circuit at n = 6."""
    from equiqnn.sim import StatevectorEngine
    from equiqnn.sim.sn_sector import SnSectorEngine

    n = 6
    eng = SnSectorEngine(n, MQ.SN_GENERATORS, MQ.SN_OBSERVABLES, layers=3)
    x = MQ._features(n, 5)
    theta = MQ._params(eng.n_params).detach()
    got = eng(theta, eng.encode(x))
    sv = StatevectorEngine(eng.to_circuit(), eng.to_observables())
    want = sv(theta, torch.as_tensor(x))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-10)


def test_d4_benchmark_model_is_exact_against_statevector():
    from equiqnn.sim import StatevectorEngine
    from equiqnn.sim.pauli_propagation import PauliPropagationEngine

    circuit, obs = MQ.d4_model(side=3, layers=2)
    assert len(obs[0].terms) == 12  # the 12 nearest-neighbour pairs of a 3x3 grid
    theta = MQ._params(circuit.n_params).detach()
    x = torch.as_tensor(MQ._features(9, 4))
    got = PauliPropagationEngine(circuit, obs)(theta, x)
    want = StatevectorEngine(circuit, obs)(theta, x)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "case_id, n_out",
    [("mq-sn-n8-L3-B64-d4", 1), ("mq-sn-n8-encode", 1), ("mq-pauli-d4-3x3-L2-B4", 2)],
)
def test_run_mq_records(case_id, n_out):
    recs = MQ.run_mq(case_id, min_reps=2, budget_s=5.0)
    assert len(recs) == n_out
    for r in recs:
        assert all(k in r for k in REQUIRED_KEYS)
        assert r["status"] == "ok" and r["median_s"] > 0 and r["reps"] >= 1
        assert r["peak_rss_mb"] > 0 and r["kind"] == "many-qubit"
        if "error_estimate" in r:
            assert r["error_estimate"] == 0.0  # exact paths
    if case_id.endswith("-d4"):
        assert "4 distinct samples" in recs[0]["note"]
        assert recs[0]["encode_s_per_sample"] > 0


def test_train_record_times_every_step(monkeypatch):
    out = (MQ.Output("mq-x", 5.0, "≤ 5 s"), MQ.Output("mq-x-train", 1200.0, "≤ 20 min"))
    case = MQ.MQCase("mq-x", "sn-step", 6, 8, 2, out)
    monkeypatch.setattr(MQ, "mq_case_by_id", lambda _id: case)
    monkeypatch.setattr(MQ, "TRAIN_STEPS", 7)
    step, train = MQ.run_mq("mq-x", min_reps=1, budget_s=1.0)
    assert not train["extrapolated"] and "run and timed end to end" in train["note"]
    assert train["reps"] == 7 == len(train["times_s"])
    assert train["median_s"] == pytest.approx(sum(train["times_s"]))  # the total of the run
    assert train["step_median_s"] == pytest.approx(np.median(train["times_s"]))
    text = format_many_qubits([step, train])
    assert "~" not in text and "≤ 20 min" in text


@pytest.mark.parametrize(
    "limits, status",
    [
        ({"timeout": 0.5, "mem_limit_mb": 1e6}, "timeout"),
        ({"timeout": 60.0, "mem_limit_mb": 1}, "out of memory"),
    ],
)
def test_child_limits_stop_the_process(limits, status):
    ids = ["mq-sn-n1024-L3-B64", "mq-sn-n1024-train200"]
    recs = run_child(
        "mq-sn-n1024-L3-B64",
        "equiqnn-sn",
        ref_path=None,
        output_ids=ids,
        reps=1,
        budget=1.0,
        limit=0.0,
        **limits,
    )
    assert [r["case"] for r in recs] == ids
    assert all(r["status"] == status and r["median_s"] is None for r in recs)
    assert recs[0]["wall_s"] < 30
    text = format_many_qubits([dict(r, kind="many-qubit", target_s=5.0) for r in recs])
    assert status in text
