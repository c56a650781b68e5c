"""Resuming a study: finished cells are read from the store, never recomputed; outputs cover the
current spec's cells only."""

import sqlite3
from pathlib import Path

import pytest

from equiqnn.experiments import executor, load_spec, run_study
from equiqnn.experiments.cells import Cell, expand_cells
from equiqnn.experiments.outputs import read_csv
from equiqnn.experiments.run import _duration, _Progress
from equiqnn.experiments.store import STORE_NAME, ResultStore

QUICKSTART = str(Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml")
TINY = [
    "models=[logistic]",
    "data.n_train=[20]",
    "train.epochs=1",
    "data.n_val=20",
    "data.n_test=20",
]


@pytest.fixture
def calls(monkeypatch):
    """Cells actually trained (workers=1 runs them in this process)."""
    seen: list[Cell] = []
    real = executor.run_cell

    def counting(cell, spec, pool):
        seen.append(cell)
        return real(cell, spec, pool)

    monkeypatch.setattr(executor, "run_cell", counting)
    return seen


def _stored(out):
    with ResultStore(out) as store:
        return {r["key"]: (r["finished_at"], r["metrics"]) for r in store.rows()}


def _count(out):
    conn = sqlite3.connect(out / STORE_NAME)
    try:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM cells").fetchone()
    finally:
        conn.close()


def test_rerun_skips_finished_cells_and_new_seeds_run_alone(tmp_path, calls):
    spec = load_spec(QUICKSTART, [*TINY, "seeds=0,1,2"])
    first = run_study(spec, tmp_path, progress=False, workers=1)
    assert [c.seed for c in calls] == [0, 1, 2] and first["computed"] == 3
    assert (tmp_path / "study.json").is_file()
    before, csv_before = _stored(tmp_path), (tmp_path / "results.csv").read_text()

    calls.clear()
    again = run_study(spec, tmp_path, progress=False, workers=1)
    assert calls == [] and again["skipped"] == 3 and again["computed"] == 0
    assert _stored(tmp_path) == before and _count(tmp_path) == (3, 3)
    assert (tmp_path / "results.csv").read_text() == csv_before
    assert (tmp_path / "report.md").is_file()

    wider = run_study(
        load_spec(QUICKSTART, [*TINY, "seeds=0,1,2,3"]), tmp_path, progress=False, workers=1
    )
    assert [(c.model, c.n_train, c.seed) for c in calls] == [("logistic", 20, 3)]
    assert wider["skipped"] == 3
    assert [r["seed"] for r in read_csv(tmp_path / "results.csv")] == [0, 1, 2, 3]
    assert all(_stored(tmp_path)[k] == v for k, v in before.items())


def test_changed_training_gives_new_cells_and_outputs_cover_the_current_spec(tmp_path, calls):
    run_study(load_spec(QUICKSTART, [*TINY, "seeds=0,1"]), tmp_path, progress=False, workers=1)
    calls.clear()
    longer = run_study(
        load_spec(QUICKSTART, [*TINY, "seeds=0,1", "train.epochs=2"]),
        tmp_path,
        progress=False,
        workers=1,
    )
    assert len(calls) == 2 and longer["skipped"] == 0
    assert _count(tmp_path) == (4, 4)
    rows = read_csv(tmp_path / "results.csv")
    assert len(rows) == 2 and [r["seed"] for r in rows] == [0, 1]


def test_fresh_recomputes_and_overwrites_in_place(tmp_path, calls):
    spec = load_spec(QUICKSTART, [*TINY, "seeds=0,1"])
    run_study(spec, tmp_path, progress=False, workers=1)
    before = _stored(tmp_path)
    calls.clear()
    run_study(spec, tmp_path, progress=False, workers=1, fresh=True)
    after = _stored(tmp_path)
    assert len(calls) == 2 and _count(tmp_path) == (2, 2) and set(after) == set(before)
    assert all(after[k][0] > before[k][0] for k in before)  # finished_at moved on


def test_history_from_run_cell_goes_to_the_store_not_the_csv(tmp_path, monkeypatch):
    real = executor.run_cell
    epochs = [{"epoch": 1, "train_loss": 0.7, "val_acc": 0.5}]

    def with_history(cell, spec, pool):
        return [{**r, "history": epochs} for r in real(cell, spec, pool)]

    monkeypatch.setattr(executor, "run_cell", with_history)
    seen = []
    spec = load_spec(QUICKSTART, TINY)
    rows = executor.run_cells(
        expand_cells(spec)[:1],
        spec,
        workers=1,
        on_done=lambda c, r, h: seen.append((c, r, h)),
    )
    assert seen[0][2] == epochs and "history" not in rows[0][0] and "history" not in seen[0][1][0]
    run_study(load_spec(QUICKSTART, [*TINY, "seeds=[0]"]), tmp_path, progress=False, workers=1)
    with ResultStore(tmp_path) as store:
        assert store.rows()[0]["history"] == epochs
    assert "history" not in read_csv(tmp_path / "results.csv")[0]


def test_progress_bar_runs(tmp_path, capsys):
    lines: list[str] = []
    spec = load_spec(QUICKSTART, [*TINY, "seeds=0,1"])
    run_study(spec, tmp_path, progress=True, workers=1, notify=lines.append)
    run_study(spec, tmp_path, progress=True, workers=1, notify=lines.append)
    assert lines[0].startswith("0 of 2 cells already in") and lines[1].startswith("2 of 2 cells")
    err = capsys.readouterr().err
    assert "done 2/2, running 0, left 0" in err


def test_progress_status_counts_and_estimates():
    bar = _Progress("x", total=10, skipped=4, workers=2, enabled=False)
    assert bar.status() == "done 4/10, running 2, left 4"
    bar.update(Cell("logistic", 20, 0), {"test_acc": 0.5})
    assert bar.status().startswith("done 5/10, running 2, left 3, ~") and bar.status().endswith(
        " to go"
    )
    bar.close()
    assert _duration(3725) == "1:02:05" and _duration(65.4) == "1:05"


def test_a_failing_cell_keeps_the_cells_finished_before_it(tmp_path, monkeypatch):
    real = executor.run_cell

    def fails_on_seed_1(cell, spec, pool):
        if cell.seed == 1:
            raise RuntimeError("boom")
        return real(cell, spec, pool)

    monkeypatch.setattr(executor, "run_cell", fails_on_seed_1)
    spec = load_spec(QUICKSTART, [*TINY, "seeds=0,1"])
    with pytest.raises(RuntimeError, match="boom"):
        run_study(spec, tmp_path, progress=False, workers=1)
    assert _count(tmp_path) == (1, 1) and not (tmp_path / "results.csv").exists()
    monkeypatch.setattr(executor, "run_cell", real)
    assert run_study(spec, tmp_path, progress=False, workers=1)["computed"] == 1
