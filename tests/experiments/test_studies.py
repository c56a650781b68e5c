"""Study kinds: every shipped config validates, every kind runs a tiny cell in process, sweeps from
the command line equal the same lists in YAML, unknown keys fail first, and test-time noise cells
(several rows each) resume to exactly one row per (cell, setting)."""

import math
import sqlite3
from pathlib import Path

import pytest
import yaml

from equiqnn.experiments import ConfigError, executor, load_spec, run_study
from equiqnn.experiments.cells import expand_cells, run_cell
from equiqnn.experiments.cells_data import make_pool
from equiqnn.experiments.store import STORE_NAME, ResultStore, cell_key, row_keys

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SHIPPED = ("quickstart", "generalization", "noise", "shortcut", "layers", "scaling", "images")
ALWAYS = (
    "study",
    "dataset",
    "model",
    "seed",
    "n_train",
    "layers",
    "encoding",
    "n_qubits",
    "n_params",
    "gate_count",
    "seconds",
    "test_acc",
    "orbit_acc",
    "train_acc",
    "train_test_gap",
    "val_acc",
    "invariance_gap",
    "max_output_deviation",
    "label_misassignment",
    "bowker_stat",
    "bowker_p",
)
NOISE_COLUMNS = ("noise_channel", "noise_strength", "noise_frame", "noise_placement", "noise_phase")
TINY = ["data.n_train=[20]", "seeds=[0]", "train.epochs=1", "data.n_val=20", "data.n_test=20"]


def _spec(name, *overrides, smoke=False):
    return load_spec(CONFIGS / f"{name}.yaml", list(overrides), smoke=smoke)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_config_validates_full_and_smoke(name):
    full, smoke = _spec(name), _spec(name, smoke=True)
    assert full.name == name and smoke.kind == full.kind
    cells, small = expand_cells(full), expand_cells(smoke)
    assert len(small) < len(cells) or name == "quickstart"
    keys = [k for c in cells for k in row_keys(full, c)]
    assert len(set(keys)) == len(keys)  # no two rows share a key


def test_shipped_kinds_cover_every_study_kind():
    assert {_spec(n).kind for n in SHIPPED} == {
        "generalization",
        "noise",
        "shortcut",
        "layers",
        "scaling",
    }


def test_quickstart_cells_keep_their_keys():
    """Hashes of the resolved configs written before study kinds existed (commit 7bb7b83)."""
    spec = _spec("quickstart")
    cells = {(c.model, c.n_train, c.seed): c for c in expand_cells(spec)}
    assert cells[("cnn", 80, 2)].key == "cnn|N=80|seed=2"
    assert (
        cell_key(spec, cells[("cnn", 80, 2)])
        == "989f34719eef3049c70fe2bef0ddcb4aff859107243d30abb181255774870d80"
    )
    assert (
        cell_key(spec, cells[("invariant", 20, 0)])
        == "cf20e486a8e725acd9bdf1592e61747d34362e23be4717f7364c8300e7ec492a"
    )


@pytest.mark.parametrize(
    ("cli", "yaml_edit"),
    [
        (
            ["qnn.layers=1,2,4", "seeds=0,1"],
            lambda r: r["qnn"].update(layers=[1, 2, 4]) or r.update(seeds=[0, 1]),
        ),
        (
            ["noise.strength=0,0.1", "qnn.frame=X,Z", "noise.phase=test,train"],
            lambda r: (
                r["noise"].update(strength=[0, 0.1], phase=["test", "train"])
                or r["qnn"].update(frame=["X", "Z"])
            ),
        ),
        (
            ["data.side=2,8", "data.dataset=ising,digits", "qnn.encoding=auto"],
            lambda r: (
                r["data"].update(side=[2, 8], dataset=["ising", "digits"])
                or r["qnn"].update(encoding="auto")
            ),
        ),
    ],
)
def test_sweeps_from_the_command_line_equal_the_same_lists_in_yaml(tmp_path, cli, yaml_edit):
    name = "noise" if any(c.startswith("noise") for c in cli) else "layers"
    raw = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    yaml_edit(raw)
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(raw))
    from_cli, from_yaml = _spec(name, *cli), load_spec(path)
    assert from_cli == from_yaml
    cells = expand_cells(from_cli)
    assert cells == expand_cells(from_yaml)
    assert [k for c in cells for k in row_keys(from_cli, c)] == [
        k for c in expand_cells(from_yaml) for k in row_keys(from_yaml, c)
    ]


def test_a_single_value_and_a_one_element_list_give_the_same_keys():
    one = _spec("layers", "qnn.layers=2")
    listed = _spec("layers", "qnn.layers=[2]")
    assert [cell_key(one, c) for c in expand_cells(one)] == [
        cell_key(listed, c) for c in expand_cells(listed)
    ]


def test_classical_models_collapse_qnn_axes():
    spec = _spec("generalization", "qnn.layers=1,2", "data.dataset=digits", *TINY)
    by_model = {}
    for c in expand_cells(spec):
        by_model.setdefault(c.model, []).append(c.get("qnn.layers"))
    assert by_model["invariant"] == [1, 2] and by_model["logistic"] == [None]


def test_noise_cells_train_once_and_give_a_row_per_test_setting():
    spec = _spec("noise", smoke=True)
    cells = expand_cells(spec)
    test = [c for c in cells if c.get("noise.phase") == "test"]
    train = [c for c in cells if c.get("noise.phase") == "train"]
    assert len(test) == 4 and all(len(c.variants) == 2 for c in test)  # 2 models x 2 frames
    assert len(train) == 4 and all(c.variants == ((),) for c in train)
    assert {c.get("noise.strength") for c in train} == {0.1}  # noise.train_phase.strength


@pytest.mark.parametrize(
    ("name", "overrides", "extra"),
    [
        ("generalization", ["models=[invariant,logistic]", "data.dataset=ising"], ()),
        ("layers", ["models=[control]", "qnn.layers=[1]"], ()),
        ("shortcut", ["models=[invariant,cnn]"], ("watermark_acc", "transformed_acc")),
        ("scaling", ["data.side=[2]", "scaling.draws=3", "models=[invariant]"], ("grad_var",)),
    ],
)
def test_every_kind_runs_a_tiny_cell_in_process(name, overrides, extra):
    spec = _spec(name, *TINY, *overrides, "data.ising.n_samples=120", "data.ising.sweeps=20")
    for cell in expand_cells(spec):
        (row,) = run_cell(cell, spec, make_pool(spec, cell))
        assert all(k in row for k in (*ALWAYS, *extra)), set(ALWAYS) - set(row)
        assert row["study"] == spec.kind and row["model"] == cell.model
        assert 0 <= row["test_acc"] <= 1 and 0 <= row["bowker_p"] <= 1
        assert row["train_test_gap"] == pytest.approx(row["train_acc"] - row["orbit_acc"])
        quantum = cell.model in ("invariant", "control")
        assert (row["n_qubits"] is None) is (not quantum) and (row["layers"] is None) is not quantum
        if cell.model == "invariant":
            assert row["test_acc"] == row["orbit_acc"] and row["max_output_deviation"] < 1e-4
        if name == "scaling":
            assert row["grad_var"] > 0 and math.isfinite(row["grad_var_se"])
        if name == "shortcut":
            assert row["clean_acc"] == row["test_acc"]


def test_scaling_beyond_train_max_qubits_gives_gradient_variance_only():
    spec = _spec(
        "scaling",
        *TINY,
        "data.side=[4]",
        "scaling.draws=3",
        "scaling.inputs=1",
        "scaling.train_max_qubits=9",
        "models=[invariant]",
    )
    (cell,) = expand_cells(spec)
    (row,) = run_cell(cell, spec, make_pool(spec, cell))
    assert row["n_qubits"] == 16 and row["grad_var"] > 0
    assert row["test_acc"] is None and row["bowker_p"] is None  # never invented


def test_noise_kind_runs_test_and_train_phase_rows_in_process():
    spec = _spec("noise", *TINY, "models=[invariant]", "qnn.frame=[X]", smoke=True)
    cells = expand_cells(spec)
    rows = [r for c in cells for r in run_cell(c, spec, make_pool(spec, c))]
    assert len(rows) == 3  # test phase: strengths 0 and 0.1; train phase: 0.1
    for row in rows:
        assert all(k in row for k in (*ALWAYS, *NOISE_COLUMNS))
        assert row["noise_frame"] == "X" and row["noise_channel"] == "amplitude_damping"
    clean, noisy, trained = rows
    assert (clean["noise_phase"], clean["noise_strength"]) == ("test", 0.0)
    assert (noisy["noise_phase"], noisy["noise_strength"]) == ("test", 0.1)
    assert trained["noise_phase"] == "train"
    assert clean["val_acc"] == noisy["val_acc"]  # the same trained weights
    assert clean["max_output_deviation"] < 1e-4  # noiseless invariant model
    # amplitude damping does not commute with the X frame's X-strings: invariance breaks
    assert noisy["max_output_deviation"] > 1e-4


def test_unknown_keys_fail_before_any_work(tmp_path):
    with pytest.raises(
        ConfigError, match=r"unknown key 'noise.strenght' \(did you mean 'strength'"
    ):
        _spec("noise", "noise.strenght=0.1")
    with pytest.raises(ConfigError, match=r"unknown key 'noise.train_phase.chanel'"):
        _spec("noise", "noise.train_phase.chanel=[depolarizing]")
    with pytest.raises(ConfigError, match=r"'shortcut' section is used by kind: shortcut only"):
        _spec("noise", "shortcut.size=2")
    with pytest.raises(ConfigError, match=r"simulates quantum models only"):
        _spec("noise", "models=[invariant,logistic]")
    with pytest.raises(ConfigError, match=r"data.path"):
        _spec("images", "data.dataset=mnist")
    assert not any(tmp_path.iterdir())


def test_missing_mnist_files_name_the_path_before_any_work(tmp_path):
    spec = _spec("images", "data.dataset=fashion_mnist", f"data.path={tmp_path / 'none'}")
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match=r"none.*download_mnist_family"):
        run_study(spec, out, progress=False, workers=1)
    assert not out.exists()


def _count(out):
    conn = sqlite3.connect(out / STORE_NAME)
    try:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM cells").fetchone()
    finally:
        conn.close()


def test_multi_row_noise_cells_resume_to_one_row_per_setting(tmp_path, monkeypatch):
    args = [*TINY, "models=[invariant]", "qnn.frame=[Z]", "noise.phase=[test]"]
    spec = _spec("noise", *args, smoke=True)
    trained = []
    real = executor.run_cell

    def counting(cell, spec, pool):
        trained.append(cell)
        return real(cell, spec, pool)

    monkeypatch.setattr(executor, "run_cell", counting)
    run_study(spec, tmp_path, progress=False, workers=1)
    assert len(trained) == 1 and _count(tmp_path) == (2, 2)  # one cell, two noise settings
    # a wider strength list: the cell reruns (one setting is missing) but stored rows stay single
    wider = _spec("noise", *args, "noise.strength=0,0.1,0.2", smoke=True)
    (cell,) = expand_cells(wider)
    with ResultStore(tmp_path) as store:
        before = {r["key"]: r["finished_at"] for r in store.rows()}
    result = run_study(wider, tmp_path, progress=False, workers=1)
    assert len(trained) == 2 and result["computed"] == 1 and _count(tmp_path) == (3, 3)
    with ResultStore(tmp_path) as store:
        after = {r["key"]: r["finished_at"] for r in store.rows()}
    assert all(after[k] == v for k, v in before.items())  # the first rows were kept, not doubled
    assert set(row_keys(wider, cell)) == set(after)
    again = run_study(wider, tmp_path, progress=False, workers=1)
    assert again["computed"] == 0 and len(trained) == 2 and _count(tmp_path) == (3, 3)
