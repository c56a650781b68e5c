"""``build_report`` and ``equiqnn report DIR``: figures, tables, Bowker results, commands, HTML."""

import base64
import json
import re

import numpy as np
import pytest
from report_rows import KINDS, put_rows, rows_for

from equiqnn.cli.main import main
from equiqnn.experiments.report import build_report
from equiqnn.experiments.report_tables import bowker_summary, fmt_mean_se
from equiqnn.train import mcnemar_bowker

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _study(tmp_path, kind, rows):
    out = tmp_path / kind
    put_rows(out, rows)
    command = f"equiqnn run configs/{kind}.yaml --out {out} seeds=0,1,2"
    study = {"name": f"{kind}-study", "kind": kind, "command": command, "spec": {"seeds": [0]}}
    (out / "study.json").write_text(json.dumps(study))
    return out, command


def _assert_self_contained(text):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert "url(" not in text


@pytest.mark.parametrize("kind", KINDS)
def test_report_for_every_study_kind(kind, tmp_path):
    out, command = _study(tmp_path, kind, rows_for(kind))
    paths = build_report(out)
    md = paths["markdown"].read_text()
    page = paths["html"].read_text()
    assert paths["markdown"] == out / "report.md" and paths["html"] == out / "report.html"
    assert paths["figures"], kind
    for name, png in paths["figures"].items():
        data = png.read_bytes()
        assert png.parent == out and data[:8] == PNG_MAGIC
        assert f"]({png.name})" in md
        assert f'src="data:image/png;base64,{base64.b64encode(data).decode()}"' in page, name
    n = len(paths["figures"])
    assert md.count(f"Regenerate this figure: `equiqnn report {out}`") == n
    assert md.count(f"Data: `{command}`") == n
    assert page.count(f"<code>equiqnn report {out}</code>") >= n
    assert "## Summary over seeds" in md and "| seeds |" in md
    assert "## McNemar–Bowker" in md and "changes under the group?" in md
    assert "## Machine and versions" in md and "| torch |" in md
    assert f"kind: {kind}" in md
    _assert_self_contained(page)
    md_tables = sum(1 for line in md.splitlines() if line.startswith("| --- "))
    assert page.count("<table>") == md_tables >= 3  # summary, Bowker, versions


def test_summary_table_holds_mean_and_standard_error(tmp_path):
    rows = rows_for("generalization")
    out, _ = _study(tmp_path, "generalization", rows)
    md = build_report(out)["markdown"].read_text()
    acc = [
        r["test_acc"]
        for r in rows
        if (r["dataset"], r["model"], r["n_train"]) == ("ising", "control", 40)
    ]
    mean, se = np.mean(acc), np.std(acc, ddof=1) / np.sqrt(len(acc))
    line = next(x for x in md.splitlines() if x.startswith("| ising | matched control QNN | 40 |"))
    assert f"| 3 | {fmt_mean_se(mean, se, 3)} |" in line
    assert "Fixed in every cell" in md and "encoding register" in md


def test_bowker_results_match_equiqnn_train(tmp_path):
    labels_x = np.array([0, 0, 0, 1, 1, 2, 2, 2, 1, 0, 2, 1])
    changed = {
        "control": np.array([1, 1, 0, 1, 1, 0, 2, 0, 1, 2, 0, 1]),
        "invariant": labels_x.copy(),
    }
    rows, tests = [], {}
    for model, labels_gx in changed.items():
        test = mcnemar_bowker(labels_x, labels_gx, n_classes=3)
        tests[model] = test
        rows.append(
            {
                "model": model,
                "n_train": 20,
                "seed": 0,
                "test_acc": 0.8,
                "bowker_stat": test.statistic,
                "bowker_p": test.p_value,
                "label_misassignment": test.discordant / test.n,
            }
        )
    assert tests["control"].discordant == 6 and tests["control"].p_value < 1
    keys, groups = bowker_summary(rows)
    assert keys == ["model"]
    for g in groups:
        test = tests[g["values"][0]]
        assert g["stat_mean"] == test.statistic and g["p_median"] == test.p_value
        assert g["changed_mean"] == test.discordant / test.n
    put_rows(tmp_path, rows)
    md = build_report(tmp_path)["markdown"].read_text().split("## McNemar–Bowker")[1]
    control = next(x for x in md.splitlines() if x.startswith("| matched control QNN | 1 |"))
    t = tests["control"]
    assert f"| {t.statistic:.4g} | {t.p_value:.4g} | {t.p_value:.4g} |" in control
    assert f"| {t.discordant / t.n:.3f} |" in control
    assert ("yes (1/1)" in control) == (t.p_value < 0.05)
    invariant = next(x for x in md.splitlines() if x.startswith("| invariant QNN | 1 |"))
    assert "| 0 | 1 | 1 | no evidence (0/1) | 0 |" in invariant


def test_bowker_over_seeds_reports_median_and_count(tmp_path):
    rows = [
        {"model": "control", "n_train": 20, "seed": s, "bowker_stat": st, "bowker_p": p}
        for s, (st, p) in enumerate([(9.0, 0.003), (2.0, 0.16), (6.0, 0.014)])
    ]
    _, (g,) = bowker_summary(rows)
    assert g["p_median"] == 0.014 and g["p_min"] == 0.003 and g["significant"] == 2
    assert g["stat_mean"] == pytest.approx(17 / 3)


def test_old_quickstart_store_still_reports(tmp_path):
    """Rows as the quickstart stored them: no study, dataset, layers or noise columns."""
    rows = []
    for model in ("invariant", "control", "logistic"):
        for n in (20, 40):
            for seed in (0, 1):
                acc = 0.9 - 0.01 * seed
                rows.append(
                    {
                        "model": model,
                        "n_train": n,
                        "seed": seed,
                        "test_acc": acc,
                        "orbit_acc": acc if model == "invariant" else 0.55,
                        "invariance_gap": 0.0 if model == "invariant" else acc - 0.55,
                        "max_output_deviation": 1e-6 if model == "invariant" else 0.3,
                        "train_acc": 1.0,
                        "train_test_gap": 1.0 - acc,
                        "val_acc": acc,
                        "final_test_acc": acc,
                        "final_orbit_acc": 0.5,
                        "best_epoch": 3,
                        "stopped_epoch": 13,
                        "n_params": 14,
                        "gate_count": None,
                        "seconds": 1.5,
                    }
                )
    put_rows(tmp_path, rows)
    paths = build_report(tmp_path)
    md = paths["markdown"].read_text()
    assert set(paths["figures"]) == {"accuracy_vs_n"}
    assert "kind: generalization" in md and "dataset digits" in md
    assert "| model | N | params | seeds | clean test acc | orbit test acc |" in md
    assert "not recorded (no study.json)" in md
    assert "No cell stored a McNemar–Bowker result" in md
    _assert_self_contained(paths["html"].read_text())


def test_html_escapes_table_cells_and_markdown_escapes_pipes(tmp_path):
    rows = [
        {
            "model": "<b>&x|y</b>",
            "n_train": n,
            "seed": s,
            "test_acc": 0.5,
            "study": "generalization",
        }
        for n in (20, 40)
        for s in (0, 1)
    ]
    put_rows(tmp_path, rows)
    paths = build_report(tmp_path, command='equiqnn run "a<b>.yaml" --out x')
    page = paths["html"].read_text()
    assert "<b>&x" not in page and "&lt;b&gt;&amp;x|y&lt;/b&gt;" in page
    assert "equiqnn run &quot;a&lt;b&gt;.yaml&quot; --out x" in page
    assert "| <b>&x\\|y</b> |" in paths["markdown"].read_text()


def test_rows_that_differ_only_in_config_are_not_averaged(tmp_path):
    """Two runs of one cell with different epochs in one directory: two summary rows."""
    rows = [
        {"model": "invariant", "n_train": 20, "seed": s, "test_acc": acc}
        for acc in (0.6, 0.9)
        for s in (0, 1)
    ]
    configs = [{"train": {"epochs": e, "lr": 0.05}} for e in (20, 40) for _ in (0, 1)]
    put_rows(tmp_path, rows, configs)
    md = build_report(tmp_path)["markdown"].read_text()
    assert "| invariant QNN | 20 | train.epochs=20 | 2 | 0.600 ± 0 |" in md
    assert "| invariant QNN | 20 | train.epochs=40 | 2 | 0.900 ± 0 |" in md
    assert "train.lr" not in md


def test_empty_store_reports_no_cells(tmp_path):
    put_rows(tmp_path, [])
    paths = build_report(tmp_path)
    assert paths["figures"] == {}
    assert "The store holds no finished cell yet." in paths["markdown"].read_text()


def test_missing_store_fails_clearly(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match=r"results\.sqlite; run `equiqnn run SPEC"):
        build_report(tmp_path / "nothing")
    assert main(["report", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "nothing" / "results.sqlite") in err and "equiqnn run" in err
    assert not (tmp_path / "nothing").exists()


def test_cli_report_writes_the_files(tmp_path, capsys):
    out, command = _study(tmp_path, "shortcut", rows_for("shortcut"))
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "report.md" in printed and "shortcut_bars.png" in printed
    assert (out / "report.html").is_file() and (out / "shortcut_bars.png").is_file()
    assert f"Data: `{command}`" in (out / "report.md").read_text()
    assert main(["report", str(out), "--command", "equiqnn run other.yaml --out y"]) == 0
    assert "Data: `equiqnn run other.yaml --out y`" in (out / "report.md").read_text()
