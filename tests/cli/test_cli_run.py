"""The main job end to end at a tiny size: table, results.csv, figure and report from one command."""

import csv
import json
from pathlib import Path

from equiqnn.cli import main
from equiqnn.experiments.outputs import read_csv, summarize

QUICKSTART = str(Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml")


def test_run_writes_results_figure_and_report(tmp_path, capsys):
    out = tmp_path / "qs"
    code = main(
        [
            "run",
            QUICKSTART,
            "--out",
            str(out),
            "--quiet",
            "--smoke",
            "models=[invariant,control,logistic]",
            "data.n_val=20",
            "data.n_test=20",
            "train.epochs=1",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "| invariant QNN | 20 |" in printed and "orbit test acc" in printed
    assert "0 of 3 cells already in" in printed and (out / "results.sqlite").is_file()
    rows = list(csv.DictReader((out / "results.csv").read_text().splitlines()))
    assert [r["model"] for r in rows] == ["invariant", "control", "logistic"]
    inv = rows[0]
    assert float(inv["test_acc"]) == float(inv["orbit_acc"])  # invariant: orbit accuracy = clean
    assert float(inv["max_output_deviation"]) < 1e-4
    assert (out / "accuracy_vs_n.png").stat().st_size > 1000
    assert "equiqnn run" in (out / "report.md").read_text()
    assert summarize(read_csv(out / "results.csv"))[0]["seeds"] == 1
    study = json.loads((out / "study.json").read_text())
    assert study["name"] == "quickstart" and study["kind"] == "generalization"
    assert study["command"].startswith("equiqnn run ") and "--smoke" in study["command"]
    assert study["spec"]["train"]["epochs"] == 1 and study["equiqnn_version"]


def test_unknown_key_fails_before_any_work(tmp_path, capsys):
    code = main(["run", QUICKSTART, "--out", str(tmp_path / "x"), "train.epoch=2"])
    assert code == 2
    assert "did you mean 'epochs'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_check_prints_reports(capsys):
    assert main(["check", "--side", "4"]) == 0
    out = capsys.readouterr().out
    assert out.count("InvarianceReport") == 4
