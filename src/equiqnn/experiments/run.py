"""Run a study: expand cells, skip the ones already stored, train the rest (with a progress bar),
store each as it finishes, then write results, table, figure and report from the store.

A cell is done when every one of its rows is stored (a test-time noise cell has one row per noise
setting, stored together in one transaction), so a killed and resumed study holds exactly one row
per (cell, setting). ``DIR/study.json`` records the study's name, kind, command, resolved spec and
equiqnn version at every run.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from equiqnn.experiments.cells import Cell, expand_cells
from equiqnn.experiments.cells_data import check_data_files
from equiqnn.experiments.executor import default_workers, run_cells
from equiqnn.experiments.outputs import (
    format_table,
    plot_accuracy_vs_n,
    summarize,
    write_csv,
    write_report,
)
from equiqnn.experiments.spec import StudySpec
from equiqnn.experiments.store import STORE_NAME, ResultStore, cell_config, row_keys

__all__ = ["run_study", "EXECUTORS"]

#: Executors accepted by ``run_study`` (and ``equiqnn run --executor``).
EXECUTORS = ("pool", "ray")

log = logging.getLogger(__name__)


def _duration(seconds: float) -> str:
    s = max(0, round(seconds))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class _Progress:
    """Cells done / running / left and an estimate of the time remaining, on a tqdm bar."""

    def __init__(self, name: str, total: int, skipped: int, workers: int, enabled: bool) -> None:
        self.total, self.done, self.computed = total, skipped, 0
        self.workers = workers
        self.t0 = time.perf_counter()
        self.bar = tqdm(total=total, initial=skipped, desc=name, unit="cell", disable=not enabled)
        self._show("")
        self.bar.refresh()

    def status(self) -> str:
        """``done D/T, running R, left L[, ~M:SS to go]`` (the estimate from this run's rate)."""
        pending = self.total - self.done
        running = min(self.workers, pending)
        text = f"done {self.done}/{self.total}, running {running}, left {pending - running}"
        if self.computed and pending:
            rate = self.computed / (time.perf_counter() - self.t0)  # cells per second, all workers
            text += f", ~{_duration(pending / rate)} to go"
        return text

    def _show(self, last: str) -> None:
        self.bar.set_postfix_str(f"{self.status()}{'; ' + last if last else ''}", refresh=False)

    def update(self, cell: Cell, row: dict[str, Any]) -> None:
        """One more cell done; ``row`` is its (first) row."""
        self.done += 1
        self.computed += 1
        acc = row.get("test_acc")
        last = f"{cell.key} test={acc:.3f}" if isinstance(acc, float) else cell.key
        self._show(last)
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


def run_study(
    spec: StudySpec,
    out: str | os.PathLike[str],
    *,
    command: str = "",
    progress: bool = True,
    workers: int | None = None,
    fresh: bool = False,
    notify: Callable[[str], None] | None = None,
    executor: str = "pool",
    address: str | None = None,
    track: str | None = None,
) -> dict[str, Any]:
    """Train and evaluate every cell of ``spec`` not yet in ``out/results.sqlite``; store each cell
    as it finishes; write ``study.json``, ``results.csv`` and the report (``report.md``, figures:
    ``equiqnn.experiments.report.build_report`` where present) into ``out`` from the stored rows
    of this spec's cells (in cell order).

    Args:
        workers: local pool processes (default: up to 2; ``1`` runs in this process); with
            ``executor="ray"`` and no ``address``, the CPUs of the local Ray cluster (default 2).
        fresh: recompute every cell and overwrite its stored row.
        notify: called with one line saying how many cells are skipped and how many run.
        executor: ``"pool"`` (local processes, ``equiqnn.experiments.executor``) or ``"ray"``
            (``equiqnn.experiments.ray_executor``; needs ``pip install 'equiqnn[ray]'``). Both
            store the same rows.
        address: with ``executor="ray"``, join this running cluster instead of starting one.
        track: also log each computed cell to ``"mlflow"`` (``out/mlruns``) or ``"wandb"``
            (offline, ``out/wandb``); see ``equiqnn.experiments.tracking``. A failure to log is
            reported as a warning in the log and never stops the study.

    A missing optional package (Ray, MLflow, wandb) raises ``ImportError`` naming what to install,
    and missing MNIST-family files ``FileNotFoundError`` naming where they were looked for and
    how to get them, before any cell runs or ``out`` is created.

    Returns ``{"rows", "summary", "table", "seconds", "skipped", "computed", "store"}``.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}.")
    if address is not None and executor != "ray":
        raise ValueError(f"address={address!r} needs executor='ray' (got {executor!r}).")
    if executor == "ray":
        from equiqnn.experiments.ray_executor import import_ray

        import_ray()  # fail before any work when Ray is missing
    if track is not None:
        from equiqnn.experiments.tracking import TRACKERS

        if track not in TRACKERS:
            raise ValueError(f"unknown tracker {track!r}; choose one of {', '.join(TRACKERS)}.")
    check_data_files(spec)
    out = Path(out)
    tracker = None
    if track is not None:
        from equiqnn.experiments.tracking import make_tracker

        tracker = make_tracker(track, out, spec.name)  # ImportError before out is created
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    _write_study_json(out, spec, command)
    cells = expand_cells(spec)
    configs = {c: [cell_config(spec, c, v) for v in c.variants] for c in cells}
    keys_of = {c: row_keys(spec, c) for c in cells}
    keys = [k for c in cells for k in keys_of[c]]
    if executor == "ray":
        from equiqnn.experiments.ray_executor import DEFAULT_NUM_CPUS

        n_workers = int(workers or DEFAULT_NUM_CPUS)
    else:
        n_workers = default_workers() if workers is None else int(workers)
    with ResultStore(out / STORE_NAME) as store:
        done = set() if fresh else store.done_keys()
        todo = [c for c in cells if not set(keys_of[c]) <= done]
        skipped = len(cells) - len(todo)
        line = (
            f"{skipped} of {len(cells)} cells already in {store.path}, skipped; running {len(todo)}."
            if not fresh
            else f"--fresh: recomputing all {len(cells)} cells into {store.path}."
        )
        log.info(line)
        if notify:
            notify(line)
        bar = _Progress(spec.name, len(cells), skipped, min(n_workers, max(1, len(todo))), progress)

        def on_done(cell: Cell, rows: list[dict[str, Any]], history: list[dict[str, Any]]) -> None:
            if len(rows) != len(cell.variants):
                raise RuntimeError(
                    f"cell {cell.key} returned {len(rows)} rows for {len(cell.variants)} settings."
                )
            store.put_many(
                cell, list(zip(rows, configs[cell], strict=True)), history, replace=fresh
            )
            bar.update(cell, rows[0])
            if tracker is not None:
                for row, config, key in zip(rows, configs[cell], keys_of[cell], strict=True):
                    try:
                        tracker.log_cell(cell, key, config, row, history)
                    except Exception as exc:  # tracking mirrors the store; it never stops a study
                        log.warning("could not log cell %s to %s: %r", cell.key, track, exc)

        try:
            if todo and executor == "ray":
                from equiqnn.experiments.ray_executor import run_cells_ray

                run_cells_ray(
                    todo,
                    spec,
                    address=address,
                    num_cpus=None if address else workers,
                    on_done=on_done,
                )
            elif todo:
                run_cells(todo, spec, workers=workers, on_done=on_done)
        finally:
            bar.close()
            if tracker is not None:
                tracker.close()
        rows = store.metrics(keys)
    if len(rows) != len(keys):
        raise RuntimeError(
            f"the store {out / STORE_NAME} holds {len(rows)} of this spec's {len(keys)} rows "
            "after the run; rerun the same command to fill the gaps."
        )
    write_csv(rows, out / "results.csv")
    summary = summarize(rows)
    table = format_table(summary)
    seconds = time.perf_counter() - t0
    try:
        from equiqnn.experiments.report import build_report
    except ImportError:  # the report module is being written (issue 11); until then, the old one
        _legacy_report(spec, out, command, rows, summary, table, seconds, len(cells), skipped)
    else:
        build_report(out)
    log.info("wrote %s", out)
    return {
        "rows": rows,
        "summary": summary,
        "table": table,
        "seconds": seconds,
        "skipped": skipped,
        "computed": len(todo),
        "store": out / STORE_NAME,
    }


def _write_study_json(out: Path, spec: StudySpec, command: str) -> None:
    """``out/study.json``: name, kind, command, resolved spec and equiqnn version."""
    import equiqnn

    study = {
        "name": spec.name,
        "kind": spec.kind,
        "command": command,
        "spec": spec.model_dump(mode="json"),
        "equiqnn_version": str(equiqnn.__version__),
    }
    (out / "study.json").write_text(json.dumps(study, indent=2) + "\n")


def _legacy_report(
    spec: StudySpec,
    out: Path,
    command: str,
    rows: list[dict[str, Any]],
    summary: list[dict[str, Any]],
    table: str,
    seconds: float,
    n_cells: int,
    skipped: int,
) -> None:
    """accuracy_vs_n.png and report.md through ``outputs`` (until ``report.build_report``)."""
    plot_accuracy_vs_n(summary, out / "accuracy_vs_n.png", f"{spec.name}: {spec.data.dataset}, D4")
    cell_seconds = sum(float(r.get("seconds") or 0.0) for r in rows)
    notes = (
        f"Data: {spec.data.dataset}, classes {spec.data.classes}, side {spec.data.side}; "
        f"validation {spec.data.n_val}, test {spec.data.n_test} images (fixed). QNNs: "
        f"{spec.qnn.encoding} encoding, frame {spec.qnn.frame}, {spec.qnn.layers} layers, lr "
        f"{spec.train.lr}; classical lr {spec.train.classical_lr}; up to {spec.train.epochs} epochs, "
        f"patience {spec.train.patience}.\n\n"
        f"Cells: {n_cells} ({skipped} reused from `{STORE_NAME}`, {n_cells - skipped} computed in "
        f"this run); summed cell time {cell_seconds:.0f} s."
    )
    write_report(out, spec.name, command, table, "accuracy_vs_n.png", seconds, notes)
