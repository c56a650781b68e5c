"""Optional tracking: each computed cell logged to a local MLflow file store under OUT/mlruns (no
network); a missing package is a clear error before any work; tracking never stops a study."""

import logging
import sys
from pathlib import Path

import pytest

from equiqnn.cli import main
from equiqnn.experiments import load_spec, run_study
from equiqnn.experiments.store import ResultStore
from equiqnn.experiments.tracking import flatten, make_tracker

QUICKSTART = str(Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml")
SMOKE = [
    "models=[logistic]",
    "data.n_train=[20]",
    "seeds=0,1",
    "train.epochs=1",
    "data.n_val=20",
    "data.n_test=20",
]
NO_MLFLOW = "MLflow is not installed (pip install 'equiqnn[mlflow]'); MLflow tracking is not tested"


@pytest.fixture
def file_store_env(monkeypatch):
    """Let the tracker set MLFLOW_ALLOW_FILE_STORE itself, and unset it again afterwards."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "unset-after-the-test")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")


def test_track_mlflow_logs_each_computed_cell_to_a_local_file_store(
    tmp_path, capsys, file_store_env
):
    pytest.importorskip("mlflow", reason=NO_MLFLOW)
    from mlflow import MlflowClient

    argv = ["run", QUICKSTART, "--out", str(tmp_path), "--quiet", "--workers", "1"]
    assert main([*argv, "--track", "mlflow", *SMOKE]) == 0, capsys.readouterr().err
    assert (tmp_path / "mlruns").is_dir()
    with ResultStore(tmp_path) as store:
        stored = {r["key"]: r for r in store.rows()}

    client = MlflowClient(tracking_uri=f"file:{tmp_path / 'mlruns'}")
    experiment = client.get_experiment_by_name("quickstart")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2
    assert {r.info.run_name for r in runs} == {"logistic|N=20|seed=0", "logistic|N=20|seed=1"}
    for run in runs:
        assert run.info.status == "FINISHED"
        row = stored[run.data.tags["equiqnn.key"]]
        assert run.data.tags["equiqnn.study"] == "quickstart"
        for name in ("test_acc", "orbit_acc", "val_acc", "train_acc", "best_epoch", "n_params"):
            assert run.data.metrics[name] == pytest.approx(row["metrics"][name], abs=0, rel=0)
        params = run.data.params
        assert params["cell.model"] == "logistic" and params["cell.seed"] == str(row["seed"])
        assert params["train.epochs"] == "1" and params["data.n_val"] == "20"
        assert params == {k: str(v) for k, v in flatten(row["config"]).items()}
        curve = client.get_metric_history(run.info.run_id, "history/val_acc")
        assert [(m.step, m.value) for m in curve] == [
            (int(h["epoch"]), h["val_acc"]) for h in row["history"]
        ]

    # a rerun computes nothing, so logs nothing: the store stays the source of truth
    assert main([*argv, "--track", "mlflow", *SMOKE]) == 0
    assert len(client.search_runs([experiment.experiment_id])) == 2


def test_a_failure_to_log_is_a_warning_and_the_study_completes(
    tmp_path, monkeypatch, caplog, file_store_env
):
    pytest.importorskip("mlflow", reason=NO_MLFLOW)
    from equiqnn.experiments import tracking

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tracking.MLflowTracker, "log_cell", broken)
    with caplog.at_level(logging.WARNING, logger="equiqnn.experiments.run"):
        result = run_study(
            load_spec(QUICKSTART, SMOKE), tmp_path, progress=False, workers=1, track="mlflow"
        )
    assert result["computed"] == 2 and len(result["rows"]) == 2
    assert caplog.text.count("could not log cell") == 2 and "disk full" in caplog.text


@pytest.mark.parametrize(
    ("track", "module", "hint"),
    [
        ("mlflow", "mlflow", "pip install 'equiqnn[mlflow]'"),
        ("wandb", "wandb", "pip install wandb"),
    ],
)
def test_tracking_without_its_package_is_a_clear_error_before_any_work(
    tmp_path, monkeypatch, capsys, track, module, hint
):
    monkeypatch.setitem(sys.modules, module, None)  # `import <module>` now raises ImportError
    out = tmp_path / "x"
    code = main(["run", QUICKSTART, "--out", str(out), "--track", track, *SMOKE])
    assert code == 2
    assert hint in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(ImportError, match="not installed"):
        make_tracker(track, tmp_path, "study")


def test_unknown_or_no_tracker(tmp_path):
    assert make_tracker(None, tmp_path, "study") is None
    with pytest.raises(ValueError, match="unknown tracker 'tensorboard'"):
        make_tracker("tensorboard", tmp_path, "study")
    with pytest.raises(ValueError, match="unknown tracker"):
        run_study(load_spec(QUICKSTART, SMOKE), tmp_path / "y", track="tensorboard")
    assert not (tmp_path / "y").exists()
