"""``equiqnn report DIR``: figures, tables and McNemar–Bowker results from a study's stored rows.

``build_report(DIR)`` reads ``DIR/results.sqlite`` (and ``DIR/study.json`` when present), draws
every figure whose axes the rows hold (PNG, into ``DIR``), and writes ``DIR/report.md`` and a
self-contained ``DIR/report.html`` (figures embedded as data URIs, inline CSS, no network). Nothing
is retrained: the report is a function of the store, so ``equiqnn report DIR`` regenerates every
figure, and the study command recorded beside each figure regenerates the data.

Stores written before studies had kinds (the quickstart's) lack ``study`` and ``dataset``; they are
reported as a generalization study on digits.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

from equiqnn.experiments.figures import FIGURES
from equiqnn.experiments.outputs import machine_details
from equiqnn.experiments.report_data import (
    LABELS,
    axis_value,
    distinct,
    load_rows,
    load_study,
    mean_se,
    normalize_rows,
)
from equiqnn.experiments.report_render import (
    Block,
    Bullets,
    Code,
    Figure,
    Heading,
    Para,
    Table,
    to_html,
    to_markdown,
)
from equiqnn.experiments.report_tables import ALPHA, bowker_table, constants, summary_table

__all__ = ["build_report", "CAPTIONS"]

#: What each figure shows, printed under it.
CAPTIONS = {
    "accuracy_vs_n.png": "Clean test accuracy (solid) and orbit test accuracy on every transformed "
    "copy of each test image (dashed) against the training-set size; mean ± standard error over "
    "seeds (bands).",
    "noise_metrics.png": "Accuracy and symmetry-breaking metrics against the noise strength γ, one "
    "column per channel and noise phase (test-time: trained noiseless, evaluated under noise; "
    "train-time: trained and evaluated under noise); line style and marker give the noise frame "
    "and placement; mean ± s.e. over seeds.",
    "deviation_vs_depth.png": "Largest output deviation |f(g·x) − f(x)| against the number of "
    "layers, one line per noise strength γ (symmetric-log y axis); mean ± s.e. over seeds.",
    "shortcut_bars.png": "Test accuracy on watermarked, transformed and clean test images; mean ± "
    "s.e. over seeds (error bars).",
    "gap_vs_layers.png": "Generalization gap, training accuracy minus orbit test accuracy, against "
    "the number of layers; mean ± s.e. over seeds.",
    "grad_var_vs_qubits.png": "Variance of the loss gradient at initialization against the qubit "
    "count (log y); error bars: the larger of the between-seed s.e. and the stored within-cell "
    "s.e. Where the study also trained at several qubit counts, the right panel gives clean "
    "(solid) and orbit (dashed) test accuracy, mean ± s.e. over seeds.",
}


def _commands(out_dir: Path, command: str | None) -> tuple[str, str]:
    report = f"equiqnn report {shlex.quote(str(out_dir))}"
    data = (
        f"`{command}`"
        if command
        else "not recorded (no study.json); rerun the study's spec with "
        f"`equiqnn run SPEC --out {shlex.quote(str(out_dir))}`"
    )
    return report, data


def _versions_table(versions: list[dict[str, str]]) -> tuple[Table, str]:
    """Package versions found in the store (with how many cells used each), else current ones."""
    note = "as stored with the cells"
    if not any(versions):
        from equiqnn.experiments.store import package_versions

        versions, note = [package_versions()], "current (the store records none)"
    packages = list(dict.fromkeys(k for v in versions for k in v))
    body = []
    for pkg in packages:
        counts = Counter(v[pkg] for v in versions if pkg in v)
        body.append((pkg, ", ".join(f"{ver} ({n} cells)" for ver, n in counts.items())))
    return Table(("package", "version (cells)"), tuple(body)), note


def _overview(
    out_dir: Path, rows: list[dict[str, Any]], study: dict[str, Any], command: str | None
) -> list[Block]:
    name = str(study.get("name") or out_dir.resolve().name)
    kinds = ", ".join(str(k) for k in distinct(rows, "study")) or "unknown"
    seeds = distinct(rows, "seed")
    seconds = sum(float(r.get("seconds") or 0.0) for r in rows)
    report_cmd, data_cmd = _commands(out_dir, command)
    fixed = constants(rows)
    items = [
        f"Study: {name} (kind: {kinds}); {len(rows)} stored cells in "
        f"`{out_dir / 'results.sqlite'}`; seeds: {', '.join(map(str, seeds)) or '—'}; summed "
        f"cell time {seconds:.0f} s.",
        f"Regenerate: {data_cmd} (the data; cells already stored are reused), then "
        f"`{report_cmd}` (this page and every figure, from the store alone).",
    ]
    if fixed:
        items.append(
            "Fixed in every cell: "
            + "; ".join(f"{LABELS.get(k, k)} {axis_value(k, v)}" for k, v in fixed.items())
            + "."
        )
    if study.get("equiqnn_version"):
        items.append(f"Study written by equiqnn {study['equiqnn_version']}.")
    return [Heading(f"Report: {name}", 1), Bullets(tuple(items))]


def _figures(
    out_dir: Path, rows: list[dict[str, Any]], command: str | None
) -> tuple[list[Block], dict[str, Path]]:
    report_cmd, data_cmd = _commands(out_dir, command)
    blocks: list[Block] = []
    written: dict[str, Path] = {}
    for file, title, draw in FIGURES:
        path = draw(rows, out_dir / file)
        if path is None:
            continue
        written[Path(file).stem] = path
        cmds = (f"Regenerate this figure: `{report_cmd}`", f"Data: {data_cmd}")
        blocks.append(Figure(file, title, CAPTIONS.get(file, ""), cmds))
    if not blocks:
        return [Heading("Figures"), Para("No figure applies to the stored columns.")], written
    return [Heading("Figures"), *blocks], written


def _bowker(rows: list[dict[str, Any]]) -> list[Block]:
    table = bowker_table(rows)
    head: list[Block] = [Heading("McNemar–Bowker: does the prediction change under the group?")]
    if table is None:
        return [*head, Para("No cell stored a McNemar–Bowker result (`bowker_stat`, `bowker_p`).")]
    changed, _, n = mean_se(r.get("label_misassignment") for r in rows)
    text = (
        "For each cell, the K×K table of labels predicted on the test images against labels "
        "predicted on their transformed copies is tested for symmetry (McNemar–Bowker; "
        "`equiqnn.train.mcnemar_bowker`). A small p-value says the group moves predictions in a "
        f"preferred direction; the verdict counts cells with p < {ALPHA}. The test misses label "
        "swaps that balance out, so read it with the fraction of test images whose label "
        "changes under at least one group element."
    )
    if n:
        text += f" Over all cells that fraction averages {changed:.3f}."
    return [*head, Para(text), table]


def _machine(versions: list[dict[str, str]]) -> list[Block]:
    m = machine_details()
    table, note = _versions_table(versions)
    return [
        Heading("Machine and versions"),
        Para(
            f"Report written on: {m['cpu']}, {m['cores']} logical cores, {m['os']}, {m['python']}. "
            f"The store keeps the package versions of each cell ({note}):"
        ),
        table,
    ]


def build_report(out_dir: Path, *, command: str | None = None) -> dict[str, Any]:
    """Write the figures, ``report.md`` and ``report.html`` of the study stored in ``out_dir``.

    Args:
        out_dir: a study's output directory holding ``results.sqlite`` (and maybe ``study.json``).
        command: the ``equiqnn run ...`` command that produced the data; default the one recorded
            in ``study.json``.

    Returns:
        ``{"markdown": Path, "html": Path, "figures": {name: Path}}`` of the files written.

    Raises:
        FileNotFoundError: ``out_dir/results.sqlite`` is missing (run ``equiqnn run`` first).
    """
    out_dir = Path(out_dir)
    stored, versions = load_rows(out_dir)
    study = load_study(out_dir)
    rows = normalize_rows(stored, study)
    command = command or study.get("command") or None
    blocks = _overview(out_dir, rows, study, command)
    figure_blocks, figures = _figures(out_dir, rows, command)
    blocks += figure_blocks
    blocks += [Heading("Summary over seeds")]
    if rows:
        blocks += [
            Para("Mean ± standard error of the mean over seeds, per group of the other axes."),
            summary_table(rows),
        ]
    else:
        blocks += [Para("The store holds no finished cell yet.")]
    blocks += _bowker(rows)
    blocks += _machine(versions)
    if study.get("spec") is not None:
        blocks += [
            Heading("Resolved spec"),
            Code(json.dumps(study["spec"], indent=2, sort_keys=True, default=str), "json"),
        ]
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(to_markdown(blocks), encoding="utf-8")
    title = str(study.get("name") or out_dir.resolve().name)
    html_path.write_text(to_html(blocks, out_dir, f"equiqnn report: {title}"), encoding="utf-8")
    return {"markdown": md_path, "html": html_path, "figures": figures}
