"""The many-qubit study runner: spec validation, each part end to end at tiny sizes, resume."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from equiqnn.experiments.cells import Cell
from equiqnn.experiments.many_qubits import Task, execute, main, run_many_qubits
from equiqnn.experiments.many_qubits_gradvar import bootstrap_var, gradvar_cell
from equiqnn.experiments.many_qubits_spec import (
    GradVarSpec,
    ManyQubitsSpec,
    load_many_qubits_spec,
)
from equiqnn.experiments.spec import ConfigError
from equiqnn.experiments.store import ResultStore

CONFIG = Path(__file__).parents[2] / "configs" / "many_qubits.yaml"


def _gradvar(**kw) -> dict:
    base = {
        "layers": [1],
        "draws": 6,
        "min_draws": 3,
        "bootstrap": 20,
        "error_draws": 1,
        "families": {
            "sn": {"name": "sn", "engine": "sn", "sizes": [3, 4]},
            "ring": {"name": "ring", "engine": "statevector", "sizes": [3]},
            "d4": {
                "name": "d4",
                "engine": "pauli",
                "sizes": [2],
                "singles": "X",
                "pair_letters": ["ZZ"],
                "max_weight": 2,
            },
        },
    }
    return {**base, **kw}


def _spec(**parts) -> ManyQubitsSpec:
    return ManyQubitsSpec.model_validate({"workers": 0, "dla": None, **parts})


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return p


# -- spec -----------------------------------------------------------------------------------------


def test_unknown_key_is_rejected_with_a_close_match(tmp_path):
    path = _write(tmp_path, "gradvar:\n  draw: 5\n  families: {}\n")
    with pytest.raises(ConfigError, match=r"unknown key 'gradvar.draw' \(did you mean 'draws'\?\)"):
        load_many_qubits_spec(path)


def test_unknown_key_inside_a_family_is_rejected(tmp_path):
    path = _write(tmp_path, "gradvar:\n  families:\n    sn: {name: sn, engine: sn, sizez: [4]}\n")
    with pytest.raises(ConfigError, match=r"unknown key 'gradvar.families.sn.sizez'"):
        load_many_qubits_spec(path)


def test_unknown_override_is_rejected():
    with pytest.raises(ConfigError, match=r"unknown key 'ising.epoch'"):
        load_many_qubits_spec(CONFIG, ["ising.epoch=3"])


def test_family_on_the_wrong_engine_is_rejected(tmp_path):
    path = _write(tmp_path, "gradvar:\n  families:\n    r: {name: ring, engine: sn, sizes: [4]}\n")
    with pytest.raises(ConfigError, match="cannot run family 'ring'"):
        load_many_qubits_spec(path)


def test_shipped_config_and_its_smoke_section_load():
    full = load_many_qubits_spec(CONFIG)
    smoke = load_many_qubits_spec(CONFIG, ["gradvar.draws=7"], smoke=True)
    assert max(full.gradvar.families["sn"].sizes) == 1024
    assert full.gradvar.layers == [4, 16]
    assert max(smoke.gradvar.families["sn"].sizes) <= 16
    assert smoke.gradvar.draws == 20  # the smoke section is applied after the overrides
    assert load_many_qubits_spec(CONFIG, ["gradvar.draws=7"]).gradvar.draws == 7


# -- gradient variance ----------------------------------------------------------------------------


def test_bootstrap_var_matches_numpy_and_brackets_the_value():
    g = np.random.default_rng(0).normal(size=(50, 2, 3))
    value, se, lo, hi = bootstrap_var(g, 200, np.random.default_rng(1))
    assert value == pytest.approx(g.var(axis=0, ddof=1).mean())
    assert se > 0 and lo < value < hi


@pytest.mark.parametrize(
    ("name", "a", "b", "size"), [("sn", "sn", "statevector", 4), ("d4", "statevector", "pauli", 2)]
)
def test_gradient_variance_agrees_across_engines(name, a, b, size):
    def cell(engine: str) -> dict:
        fam = {"name": name, "engine": engine, "sizes": [size]}
        if name == "d4":
            fam.update(singles="X", pair_letters=["ZZ"])
        spec = GradVarSpec.model_validate(_gradvar(inputs=2, families={"f": fam}))
        return gradvar_cell(spec, "f", size, 2, 0, 60.0)

    ra, rb = cell(a), cell(b)
    assert ra["status"] == rb["status"] == "ok"
    assert ra["grad_var"] > 1e-4
    assert ra["grad_var"] == pytest.approx(rb["grad_var"], rel=1e-9, abs=1e-12)


# -- end to end -----------------------------------------------------------------------------------


def test_gradvar_part_runs_resumes_exactly_once_and_draws_its_figure(tmp_path):
    spec = _spec(gradvar=_gradvar())
    first = run_many_qubits(spec, tmp_path)
    assert first["ran"] == 4 and first["skipped"] == 0
    assert {r["status"] for r in first["rows"]} == {"ok"}
    assert all(r["grad_var"] > 0 for r in first["rows"])
    assert (tmp_path / "gradvar_vs_qubits.png").stat().st_size > 1000
    md = (tmp_path / "many_qubits.md").read_text()
    assert "gradvar_vs_qubits.png" in md and "| sn | sn | 1 | 4 |" in md
    again = run_many_qubits(spec, tmp_path)
    assert again["ran"] == 0 and again["skipped"] == 4
    with ResultStore(tmp_path) as store:
        assert len(store) == 4
    more = run_many_qubits(_spec(gradvar=_gradvar(seeds=[0, 1])), tmp_path)
    assert more["ran"] == 4 and more["skipped"] == 4


def test_time_limit_is_reported_skips_larger_sizes_and_retry_redoes(tmp_path):
    spec = _spec(
        gradvar=_gradvar(
            time_limit_s=1e-9, families={"sn": {"name": "sn", "engine": "sn", "sizes": [3, 4]}}
        )
    )
    rows = run_many_qubits(spec, tmp_path)["rows"]
    assert [(r["n_qubits"], r["status"]) for r in rows] == [(3, "time_limit"), (4, "skipped")]
    assert rows[0]["grad_var"] is None and rows[0]["draws"] == 1
    assert run_many_qubits(spec, tmp_path)["ran"] == 0
    assert run_many_qubits(spec, tmp_path, retry=True)["ran"] == 2


def test_ising_part_runs_each_model(tmp_path):
    ising = {
        "sizes": [4],
        "translation_sizes": [4],
        "n_train": 12,
        "n_test": 12,
        "sweeps": 5,
        "layers": 1,
        "epochs": 2,
        "seeds": [0],
    }
    out = run_many_qubits(_spec(ising=ising), tmp_path)
    rows = {r["model"]: r for r in out["rows"]}
    assert set(rows) == {"sn", "translation", "logistic"}
    assert all(r["status"] == "ok" and 0 <= r["test_acc"] <= 1 for r in rows.values())
    assert rows["sn"]["n_qubits"] == 16 and rows["sn"]["epochs_done"] == 2
    assert (tmp_path / "many_qubits_ising_accuracy.png").is_file()


def test_digits64_part_reports_orbit_accuracy_and_truncation_error(tmp_path):
    digits = {"n_train": 8, "n_test": 16, "layers": 1, "max_weight": 2, "epochs": 1, "seeds": [0]}
    out = run_many_qubits(_spec(digits64=digits), tmp_path)
    rows = {r["model"]: r for r in out["rows"]}
    assert rows["invariant"]["n_qubits"] == 64 and rows["invariant"]["error_bar"] > 0
    # the invariant model gives the same answer on every D4 copy; logistic regression need not
    assert rows["invariant"]["orbit_acc"] == pytest.approx(rows["invariant"]["test_acc"])
    # logistic regression trained on the 8 D4 copies of each image is the classical control
    assert set(rows) == {"invariant", "logistic", "logistic-d4"}
    assert 0 <= rows["logistic-d4"]["orbit_acc"] <= 1
    assert "8×8 digits" in (tmp_path / "many_qubits.md").read_text()


# -- execution ------------------------------------------------------------------------------------


def _task(work, model: str = "gradvar/x/L1", n: int = 2, kill: float = 30.0) -> Task:
    cell = Cell(model=model, n_train=n, seed=0)
    return Task("gradvar", cell, {"cell": {}}, work, 0.0, kill)


def test_subprocess_worker_returns_rows_and_is_killed_past_its_limit():
    got: list[tuple[int, dict]] = []

    def slow() -> dict:
        time.sleep(30)
        return {"status": "ok"}

    tasks = [
        _task(lambda: {"status": "ok", "x": 1}),
        _task(slow, n=3, kill=0.5),
        _task(lambda: {"status": "ok"}, n=4),
    ]
    execute(tasks, lambda t, r: got.append((t.cell.n_train, r)), workers=1)
    status = {n: r["status"] for n, r in got}
    assert status == {2: "ok", 3: "killed", 4: "skipped"}
    assert dict(got)[2]["x"] == 1


def test_cli_runs_one_part_and_rejects_a_bad_override(tmp_path, capsys):
    assert main([str(CONFIG), "--out", str(tmp_path), "bad.key=1"]) == 2
    assert "unknown key 'bad'" in capsys.readouterr().err
    args = [
        str(CONFIG),
        "--out",
        str(tmp_path),
        "--smoke",
        "--only",
        "gradvar",
        "workers=0",
        "dla=null",
        "gradvar.layers=[1]",
        "gradvar.families.sn.sizes=[3]",
        "gradvar.families.sn-normalized.sizes=[3]",
        "gradvar.families.ring.sizes=[3]",
        "gradvar.families.d4-statevector.sizes=[2]",
        "gradvar.families.d4-pauli.sizes=[2]",
    ]
    # the smoke section would override the sizes again: run without it
    args.remove("--smoke")
    args += ["gradvar.draws=4", "gradvar.min_draws=3", "gradvar.bootstrap=10"]
    assert main(args) == 0
    assert (tmp_path / "many_qubits.md").is_file()
    with ResultStore(tmp_path) as store:
        assert {r["model"] for r in store.table()} == {
            "gradvar/sn/L1",
            "gradvar/sn-normalized/L1",
            "gradvar/ring/L1",
            "gradvar/d4-statevector/L1",
            "gradvar/d4-pauli/L1",
        }


def test_report_lists_dla_dimensions_and_reuses_the_closures(tmp_path):
    dla = {"ring_sizes": [4], "d4_sides": [2], "max_dim": 100}
    fams = {"sn": {"name": "sn", "engine": "sn", "sizes": [3, 4]}}
    spec = ManyQubitsSpec.model_validate(
        {"workers": 0, "dla": dla, "gradvar": _gradvar(families=fams)}
    )
    run_many_qubits(spec, tmp_path)
    md = (tmp_path / "many_qubits.md").read_text()
    assert "| S4 (closed form) | 4 | ΣX, ΣY, ΣZ, ΣZZ, ΣXX, ΣYY | 33 |" in md
    assert "| C4 ring | 4 |" in md and "| D4 2x2 pixels | 4 |" in md
    cache = tmp_path / "dla_table.json"
    before = cache.read_text()
    run_many_qubits(spec, tmp_path)
    assert cache.read_text() == before
