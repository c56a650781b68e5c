"""The runner end to end on a tiny selection: the printed report (machine, measured contention,
table, targets), the JSON keys, a missing peer reported as "not installed", and --quick's skipped
many-qubit cases listed rather than dropped. No timing assertions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.machine import ForeignLoad, machine_info  # noqa: E402
from benchmarks.report import (  # noqa: E402
    REQUIRED_KEYS,
    add_ratios,
    contention,
    format_table,
    format_targets,
    targets,
)

from benchmarks import run as R  # noqa: E402


def test_machine_info_and_foreign_load():
    info = machine_info()
    assert info["cores"] >= 1 and info["cpu"] and "torch" in info["versions"]
    with ForeignLoad() as load:
        sum(range(10_000))
    assert load.cores >= 0.0


def test_ratio_is_peer_over_equiqnn_and_contention_summary():
    recs = [
        {"case": "c", "simulator": "equiqnn-c64", "kind": "statevector", "median_s": 0.1},
        {"case": "c", "simulator": "peer", "kind": "statevector", "median_s": 0.5},
        {"case": "c", "simulator": "slow", "kind": "statevector", "status": "timeout"},
    ]
    recs[0]["foreign_cpu_cores"], recs[1]["foreign_cpu_cores"] = 0.1, 0.5
    add_ratios(recs)
    assert recs[1]["ratio"] == pytest.approx(5.0) and recs[2]["ratio"] is None
    assert contention(recs) == {"mean": pytest.approx(0.3), "max": 0.5, "n": 2}
    assert "timeout" in format_table(recs, markdown=False)


def test_targets_judge_statevector_memory_by_the_steady_state_step():
    recs = [
        {"case": "w1-sv-n16-L4-B64", "simulator": "equiqnn-c64", "kind": "statevector"},
        {"case": "w1-sv-n16-L4-B64", "simulator": "peer", "kind": "statevector", "median_s": 2.0},
    ]
    recs[0].update(median_s=0.5, peak_rss_mb=500.0, base_rss_mb=300.0, floor_mb=32.0)
    recs[0].update(step_peak_mb=80.0)
    (row,) = targets(recs)
    assert row["speedup"] == pytest.approx(4.0) and row["step_over_floor"] == pytest.approx(2.5)
    assert row["mem_over_floor"] == pytest.approx(6.25)
    line = format_targets([row]).splitlines()[-1]
    assert line.split()[-3:] == ["80", "2.50", "meets"]
    recs[0]["step_peak_mb"] = 113.0  # above 3 x 32 MiB + 16 MiB of fixed overhead
    assert format_targets(targets(recs)).splitlines()[-1].split()[-1] == "MISSES"


def test_pairs_quick_and_only():
    quick = R._pairs(True, None)
    sims = {s for _, s in quick}
    assert not sims & set(R.QUICK_SKIP) and "equiqnn-sn" in sims
    only = R._pairs(False, R.re.compile("train200"))
    assert [c.id for c, _ in only] == ["mq-sn-n1024-L3-B64"]  # selected through its outputs
    skipped = R._quick_skipped(None)
    assert {r["case"] for r in skipped} == {"mq-sn-n1024-L3-B64", "mq-sn-n1024-train200"}
    assert all(r["status"] == "skipped" and "--quick" in r["note"] for r in skipped)


def test_run_end_to_end(tmp_path, monkeypatch, capsys):
    real = R._installed
    monkeypatch.setattr(R, "_installed", lambda s: "fake_qiskit" if "qiskit" in s.name else real(s))
    out = tmp_path / "b.json"
    argv = [
        "--quick",
        "--json",
        str(out),
        "--only",
        r"^w1-sv-n8-L4-B64 (equiqnn-c64|qiskit-aer-sv)$",
    ]
    assert R.main(argv) == 0
    text = capsys.readouterr().out
    assert "machine:" in text and "versions:" in text and "load average" in text
    assert "CPU contention (measured)" in text and "floor" in text
    recs = json.loads(out.read_text())
    assert [(r["case"], r["simulator"]) for r in recs] == [
        ("w1-sv-n8-L4-B64", "equiqnn-c64"),
        ("w1-sv-n8-L4-B64", "qiskit-aer-sv"),
    ]
    for r in recs:
        assert all(k in r for k in REQUIRED_KEYS)
    eq, peer = recs
    assert eq["status"] == "ok" and eq["max_abs_dev"] < 1e-5 and eq["peak_rss_mb"] > 0
    assert eq["ratio"] == pytest.approx(1.0) and eq["floor_mb"] == pytest.approx(
        64 * 2**8 * 8 / 2**20
    )
    assert peer["status"] == "not installed" and peer["median_s"] is None
    assert "not installed" in text
    machine = json.loads(out.with_suffix(".machine.json").read_text())
    assert machine["mode"] == "quick" and "busy_at_start_cores" in machine


def test_many_qubit_requirement():
    ok = {"status": "ok", "median_s": 2.0}
    assert R._requirement_unmet("", None, 64, 100.0) == ""
    assert R._requirement_unmet("enc", ok, 64, 1000.0) == ""
    assert "timeout" in R._requirement_unmet("enc", {"status": "timeout"}, 64, 1000.0)
    assert "estimated at 128 s" in R._requirement_unmet("enc", ok, 64, 100.0)


@pytest.mark.parametrize(
    "body, packages, status",
    [
        ("import fakepkg_not_there\n", ("fakepkg_not_there",), "not installed"),
        ("from equiqnn.sim import no_such_engine\n", ("equiqnn",), "error"),
    ],
)
def test_missing_peer_vs_broken_import(tmp_path, monkeypatch, body, packages, status):
    """A peer whose package is absent is "not installed"; a present package that fails to import
    (e.g. an engine mid-edit) is an error, never passed off as an absence."""
    from benchmarks.reference import reference_forward
    from benchmarks.workloads import case_by_id, make_data

    from benchmarks import harness as H

    (tmp_path / "fake_peer_mod.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = H.SimSpec("fake-peer", "fake_peer_mod", "statevector", packages, "fake")
    monkeypatch.setattr(H, "REGISTRY", [*H.REGISTRY, fake])
    case = case_by_id("w1-sv-n2-L1-B2")
    ref = {"forward": reference_forward(case, make_data(case))}
    rec = H.run_pair(case.id, "fake-peer", ref, min_reps=1, budget_s=1.0, limit_s=1.0)
    assert rec["status"] == status and rec["median_s"] is None
