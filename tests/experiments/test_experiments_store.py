"""The result store: stable cell keys, one row per key, export round trips."""

import sqlite3
import sys
from pathlib import Path

import pytest
import yaml

from equiqnn.experiments import load_spec
from equiqnn.experiments.cells import Cell, expand_cells
from equiqnn.experiments.outputs import read_csv
from equiqnn.experiments.store import STORE_NAME, ResultStore, cell_config, cell_key

QUICKSTART = str(Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml")
SWEEP = ["models=[logistic,invariant]", "data.n_train=20,40", "seeds=0,1", "train.epochs=3"]


def _keys(spec):
    return [cell_key(spec, c) for c in expand_cells(spec)]


def test_overrides_and_yaml_give_the_same_cell_keys(tmp_path):
    raw = yaml.safe_load(Path(QUICKSTART).read_text())
    raw["models"] = ["logistic", "invariant"]
    raw["data"]["n_train"] = [20, 40]
    raw["seeds"] = [0, 1]
    raw["train"]["epochs"] = 3
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(raw))
    keys = _keys(load_spec(QUICKSTART, SWEEP))
    assert keys == _keys(load_spec(path))
    assert len(set(keys)) == len(keys) == 8
    assert all(len(k) == 64 and int(k, 16) >= 0 for k in keys)  # sha256 hex


def test_keys_follow_results_not_labels_or_sweep_lists():
    spec = load_spec(QUICKSTART, SWEEP)
    base = dict(zip(expand_cells(spec), _keys(spec)))
    # a bigger sweep, another name, an explicit default: the shared cells keep their keys
    wider = load_spec(
        QUICKSTART,
        [
            *SWEEP,
            "seeds=0,1,2",
            "models=[cnn,logistic,invariant]",
            "name=other",
            "train.classical_lr=0.01",
        ],
    )
    wider_keys = dict(zip(expand_cells(wider), _keys(wider)))
    assert all(wider_keys[c] == k for c, k in base.items())
    # anything that changes the numbers changes every key
    for change in ("train.epochs=4", "data.n_val=30", "qnn.frame=Z", "data.split_seed=1"):
        other = load_spec(QUICKSTART, [*SWEEP, change])
        assert not set(_keys(other)) & set(base.values()), change
    config = cell_config(spec, Cell("logistic", 20, 1))
    assert config["cell"] == {"model": "logistic", "n_train": 20, "seed": 1}
    assert (
        not {"name", "smoke", "models", "seeds"} & set(config) and "n_train" not in config["data"]
    )


def test_smoke_keys_equal_the_same_explicit_overrides():
    smoke = load_spec(QUICKSTART, smoke=True)
    explicit = load_spec(QUICKSTART, ["data.n_train=[20]", "seeds=[0]", "train.epochs=2"])
    assert _keys(smoke) == _keys(explicit)


def _row(cell, acc):
    return {
        "model": cell.model,
        "n_train": cell.n_train,
        "seed": cell.seed,
        "test_acc": acc,
        "gate_count": None,
        "seconds": 0.25,
    }


def test_put_is_one_row_per_key_and_keeps_the_first(tmp_path):
    spec = load_spec(QUICKSTART, SWEEP)
    cell = Cell("logistic", 20, 0)
    history = [{"epoch": 1, "val_acc": 0.5}, {"epoch": 2, "val_acc": 0.75}]
    with ResultStore(tmp_path) as store:
        assert store.path == tmp_path / STORE_NAME
        key = store.put(cell, _row(cell, 0.5), cell_config(spec, cell), history)
        assert key == cell_key(spec, cell)
        store.put(cell, _row(cell, 0.9), cell_config(spec, cell))  # ignored: already stored
        assert len(store) == 1 and store.done_keys() == {key}
        (row,) = store.rows()
        assert row["metrics"]["test_acc"] == 0.5 and row["history"] == history
        assert list(row["metrics"]) == list(_row(cell, 0.5))  # column order survives
        assert set(row["versions"]) >= {"equiqnn", "torch", "numpy"}
        assert row["seconds"] == 0.25 and row["finished_at"].endswith("+00:00")
        store.put(cell, _row(cell, 0.9), cell_config(spec, cell), replace=True)
        assert len(store) == 1 and store.metrics([key])[0]["test_acc"] == 0.9
        with pytest.raises(ValueError, match=r"config\['cell'\] must describe the cell"):
            store.put(Cell("logistic", 20, 1), _row(cell, 0.1), cell_config(spec, cell))
        with pytest.raises(TypeError, match="row must be a dict"):
            store.put(cell, [0.5], cell_config(spec, cell))  # type: ignore[arg-type]
    with sqlite3.connect(tmp_path / STORE_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_rows_follow_the_requested_key_order(tmp_path):
    spec = load_spec(QUICKSTART, SWEEP)
    cells = expand_cells(spec)
    with ResultStore(tmp_path / "x.sqlite") as store:
        for k, c in enumerate(reversed(cells)):
            store.put(c, _row(c, k / 10), cell_config(spec, c))
        got = store.metrics(_keys(spec)[:3] + ["missing"])
    assert [(r["model"], r["n_train"], r["seed"]) for r in got] == [
        (c.model, c.n_train, c.seed) for c in cells[:3]
    ]


def test_export_csv_round_trip_and_missing_store(tmp_path):
    spec = load_spec(QUICKSTART, SWEEP)
    cells = expand_cells(spec)[:3]
    with ResultStore(tmp_path) as store:
        for k, c in enumerate(cells):
            store.put(c, _row(c, 0.1 + k / 3), cell_config(spec, c), [{"epoch": 1}])
        assert store.export_csv(tmp_path / "all.csv") == 3
        stored = store.rows()
    back = read_csv(tmp_path / "all.csv")
    assert [b["key"] for b in back] == [r["key"] for r in stored]
    for b, r in zip(back, stored):
        assert {k: b[k] for k in r["metrics"]} == r["metrics"]
        assert b["version_torch"] and b["finished_at"] == r["finished_at"]
        assert yaml.safe_load(b["config_json"]) == r["config"]
    with pytest.raises(FileNotFoundError, match="no result store at"):
        ResultStore(tmp_path / "empty", create=False)


def test_export_parquet_names_the_install_when_missing(tmp_path, monkeypatch):
    with ResultStore(tmp_path) as store:
        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(ImportError, match=r"pip install pandas pyarrow"):
            store.export_parquet(tmp_path / "x.parquet")


def test_export_parquet_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    spec = load_spec(QUICKSTART, SWEEP)
    cell = Cell("invariant", 40, 1)
    with ResultStore(tmp_path) as store:
        store.put(cell, _row(cell, 0.75), cell_config(spec, cell))
        assert store.export_parquet(tmp_path / "x.parquet") == 1
    frame = pd.read_parquet(tmp_path / "x.parquet")
    assert frame.loc[0, "key"] == cell_key(spec, cell) and frame.loc[0, "test_acc"] == 0.75
