"""Run a study: expand cells, train them (with a progress bar), write results, table, figure, report."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from equiqnn.experiments.cells import expand_cells
from equiqnn.experiments.executor import run_cells
from equiqnn.experiments.outputs import (
    format_table,
    plot_accuracy_vs_n,
    summarize,
    write_csv,
    write_report,
)
from equiqnn.experiments.spec import StudySpec

__all__ = ["run_study"]

log = logging.getLogger(__name__)


def run_study(
    spec: StudySpec,
    out: str | os.PathLike[str],
    *,
    command: str = "",
    progress: bool = True,
    workers: int | None = None,
) -> dict[str, Any]:
    """Train and evaluate every cell of ``spec``; write ``results.csv``, ``accuracy_vs_n.png`` and
    ``report.md`` into ``out``. Returns ``{"rows", "summary", "table", "seconds"}``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cells = expand_cells(spec)
    bar = tqdm(total=len(cells), desc=spec.name, unit="cell", disable=not progress)

    def done(cell, row):
        bar.set_postfix_str(f"{cell.key} test={row['test_acc']:.3f}")
        bar.update()

    rows = run_cells(cells, spec, workers=workers, on_done=done)
    bar.close()
    write_csv(rows, out / "results.csv")
    summary = summarize(rows)
    table = format_table(summary)
    plot_accuracy_vs_n(
        summary, out / "accuracy_vs_n.png", f"{spec.name}: digits {spec.data.classes}, D4"
    )
    seconds = time.perf_counter() - t0
    notes = (
        f"Data: scikit-learn digits, classes {spec.data.classes}, {spec.data.side}x{spec.data.side}; "
        f"validation {spec.data.n_val}, test {spec.data.n_test} images (fixed). QNNs: "
        f"{spec.qnn.encoding} encoding, frame {spec.qnn.frame}, {spec.qnn.layers} layers, lr "
        f"{spec.train.lr}; classical lr {spec.train.classical_lr}; up to {spec.train.epochs} epochs, "
        f"patience {spec.train.patience}."
    )
    write_report(out, spec.name, command, table, "accuracy_vs_n.png", seconds, notes)
    log.info("wrote %s", out)
    return {"rows": rows, "summary": summary, "table": table, "seconds": seconds}
