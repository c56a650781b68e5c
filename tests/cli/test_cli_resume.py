"""A sweep killed with SIGKILL and run again ends with exactly one row per cell; ``equiqnn export``."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from equiqnn.cli import main
from equiqnn.experiments import load_spec
from equiqnn.experiments.cells import expand_cells
from equiqnn.experiments.outputs import read_csv
from equiqnn.experiments.store import STORE_NAME, cell_key

QUICKSTART = str(Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml")
# 6 invariant-QNN cells of a few tenths of a second each, in one process: a window to kill in
SWEEP = [
    "models=[invariant]",
    "data.n_train=[20]",
    "seeds=0,1,2,3,4,5",
    "train.epochs=2",
    "data.n_val=20",
    "data.n_test=20",
]
ENTRY = "from equiqnn.cli import main; raise SystemExit(main())"


def _snapshot(db: Path) -> dict[str, tuple]:
    """Stored rows by key, read with a separate connection (the writer may still be alive)."""
    if not db.is_file():
        return {}
    conn = sqlite3.connect(db, timeout=5)
    try:
        rows = conn.execute(
            "SELECT key, finished_at, metrics_json, history_json, config_json FROM cells"
        ).fetchall()
    except sqlite3.OperationalError:  # the table is not created yet
        return {}
    finally:
        conn.close()
    return {r[0]: r[1:] for r in rows}


def test_sigkilled_sweep_resumes_to_one_row_per_cell(tmp_path, capsys):
    out = tmp_path / "killed"
    db = out / STORE_NAME
    args = ["run", QUICKSTART, "--out", str(out), "--quiet", "--workers", "1", *SWEEP]
    proc = subprocess.Popen(
        [sys.executable, "-c", ENTRY, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches any pool worker too
    )
    try:
        deadline = time.monotonic() + 60
        while not _snapshot(db):
            assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before any row"
            assert time.monotonic() < deadline, "no row stored within 60 s"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = _snapshot(db)
    spec = load_spec(QUICKSTART, SWEEP)
    expected = [cell_key(spec, c) for c in expand_cells(spec)]
    assert 1 <= len(before) < len(expected), "killed too late: every cell had finished"
    assert set(before) <= set(expected)
    assert not (out / "results.csv").exists()

    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"{len(before)} of {len(expected)} cells already in" in printed
    after = _snapshot(db)
    assert sorted(after) == sorted(expected)
    assert all(after[k] == v for k, v in before.items())  # rows from before the kill unchanged
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM cells").fetchone() == (6, 6)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    assert [r["seed"] for r in read_csv(out / "results.csv")] == list(range(6))


def test_export_cli_writes_csv_and_explains_failures(tmp_path, capsys):
    out = tmp_path / "run"
    sweep = ["models=[logistic]", "data.n_train=[20]", "seeds=0,1", "train.epochs=1"]
    assert main(["run", QUICKSTART, "--out", str(out), "--quiet", "--workers", "1", *sweep]) == 0
    capsys.readouterr()
    assert main(["export", str(out), "--csv", str(tmp_path / "all.csv")]) == 0
    assert "wrote 2 rows" in capsys.readouterr().out
    exported = read_csv(tmp_path / "all.csv")
    results = read_csv(out / "results.csv")
    assert [{k: e[k] for k in r} for e, r in zip(exported, results)] == results
    assert main(["export", str(tmp_path / "nothing"), "--csv", str(tmp_path / "x.csv")]) == 2
    assert "no result store at" in capsys.readouterr().err
    assert main(["export", str(out)]) == 2
    assert "--csv FILE and/or --parquet FILE" in capsys.readouterr().err


def test_export_parquet_without_pandas_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    out = tmp_path / "run"
    out.mkdir()
    sqlite3.connect(out / STORE_NAME).close()  # an empty database: the store makes its table
    assert main(["export", str(out), "--parquet", str(tmp_path / "x.parquet")]) == 2
    assert "pip install pandas pyarrow" in capsys.readouterr().err
