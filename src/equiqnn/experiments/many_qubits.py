"""The many-qubit studies: gradient variance, 2D Ising phases and 8×8 digits, one qubit per site.

    python -m equiqnn.experiments.many_qubits configs/many_qubits.yaml --out DIR \\
        [--smoke] [--only gradvar|ising|digits64] [--retry] [key=value ...]

Each cell (part, model, size, layers, seed) is stored in ``DIR/results.sqlite`` (the study's
``ResultStore``) in one transaction when it ends; a rerun skips stored cells, ``--retry`` redoes the
ones whose status is not ``ok``. A cell stops cooperatively after ``time_limit_s`` (fewer draws or
epochs, recorded in its ``status``) and, with ``workers >= 1``, is killed after ``kill_after_s``
(``status = "killed"``). Then ``DIR/many_qubits.md``, ``DIR/results.csv`` and the figures are
written from the stored rows.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import multiprocessing as mp
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import torch

from equiqnn.experiments.cells import Cell
from equiqnn.experiments.many_qubits_gradvar import gradvar_cell, n_qubits_of
from equiqnn.experiments.many_qubits_report import (
    GRADVAR_FIGURE,
    ISING_FIGURE,
    plot_gradvar,
    plot_ising,
    write_markdown,
)
from equiqnn.experiments.many_qubits_spec import PARTS, ManyQubitsSpec, load_many_qubits_spec
from equiqnn.experiments.many_qubits_tasks import digits64_cell, ising_cell
from equiqnn.experiments.spec import ConfigError
from equiqnn.experiments.store import ResultStore, _canonical

__all__ = ["Task", "plan", "execute", "store_key", "run_many_qubits", "main"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One cell: its store identity (``cell``, ``config``) and the work that produces its row."""

    part: str
    cell: Cell
    config: dict[str, Any]
    work: Callable[[], dict[str, Any]]
    cost: float
    kill_after_s: float = float("inf")


def _config(part: str, settings: dict[str, Any], cell: Cell, **extra: Any) -> dict[str, Any]:
    cfg = {"part": part, "settings": settings, **extra}
    cfg["cell"] = {"model": cell.model, "n_train": cell.n_train, "seed": cell.seed}
    return cfg


def plan(spec: ManyQubitsSpec, parts: Sequence[str], out: Path) -> list[Task]:
    """The cells of ``parts`` (``Cell.n_train`` holds the qubit count), cheapest part first."""
    tasks: list[Task] = []
    if "gradvar" in parts and spec.gradvar is not None:
        gv = spec.gradvar
        limit = gv.time_limit_s or spec.time_limit_s
        settings = gv.model_dump(
            mode="json", exclude={"families", "seeds", "layers", "time_limit_s"}
        )
        for label, fam in gv.families.items():
            fam_cfg = fam.model_dump(mode="json", exclude={"sizes", "time_limit_s"})
            fam_limit = fam.time_limit_s or limit
            for size in fam.sizes:
                n = n_qubits_of(fam, size)
                for layers in gv.layers:
                    for seed in gv.seeds:
                        cell = Cell(model=f"gradvar/{label}/L{layers}", n_train=n, seed=seed)
                        cfg = _config(
                            "gradvar", settings, cell, family=fam_cfg, size=size, layers=layers
                        )
                        work = _bind(gradvar_cell, gv, label, size, layers, seed, fam_limit)
                        kill = max(spec.kill_after_s, 2 * fam_limit)
                        tasks.append(Task("gradvar", cell, cfg, work, float(n * layers), kill))
    if "ising" in parts and spec.ising is not None:
        si = spec.ising
        limit = si.time_limit_s or spec.time_limit_s
        settings = si.model_dump(
            mode="json", exclude={"sizes", "models", "seeds", "translation_sizes", "time_limit_s"}
        )
        for L in si.sizes:
            for model in si.models:
                if model == "translation" and L not in si.translation_sizes:
                    continue
                for seed in si.seeds:
                    cell = Cell(model=f"ising/{model}", n_train=L * L, seed=seed)
                    work = _bind(ising_cell, si, model, L, seed, limit, out / "cache")
                    cost = 0.0 if model == "logistic" else float(L**4)
                    tasks.append(Task("ising", cell, _config("ising", settings, cell), work, cost))
    if "digits64" in parts and spec.digits64 is not None:
        sd = spec.digits64
        limit = sd.time_limit_s or spec.time_limit_s
        settings = sd.model_dump(mode="json", exclude={"models", "seeds", "time_limit_s"})
        for name in sd.models:
            for seed in sd.seeds:
                cell = Cell(model=f"digits64/{name}", n_train=64, seed=seed)
                work = _bind(digits64_cell, sd, name, seed, limit)
                cost = 1e6 if name == "invariant" else 0.0
                tasks.append(
                    Task("digits64", cell, _config("digits64", settings, cell), work, cost)
                )
    return [
        t
        if t.part == "gradvar"
        else replace(t, kill_after_s=max(spec.kill_after_s, 2 * _limit(spec, t.part)))
        for t in tasks
    ]


def _limit(spec: ManyQubitsSpec, part: str) -> float:
    return getattr(spec, part).time_limit_s or spec.time_limit_s


def _bind(fn: Callable[..., dict[str, Any]], *args: Any) -> Callable[[], dict[str, Any]]:
    def work() -> dict[str, Any]:
        return fn(*args)

    return work


def _attempt(task: Task) -> dict[str, Any]:
    """Run one cell; an exception becomes an ``error`` row naming it (the study goes on)."""
    t0 = time.perf_counter()
    try:
        return task.work()
    except (ValueError, RuntimeError, MemoryError, TypeError) as exc:
        return _failed(task, "error", f"{type(exc).__name__}: {exc}", time.perf_counter() - t0)


def _failed(task: Task, status: str, why: str, seconds: float) -> dict[str, Any]:
    return {
        "study": "many_qubits",
        "part": task.part,
        "model": task.cell.model.split("/")[1],
        "engine": (task.config.get("family") or {}).get("engine"),
        "n_qubits": task.cell.n_train,
        "layers": task.config.get("layers"),
        "seed": task.cell.seed,
        "status": status,
        "error": why[:500],
        "seconds": seconds,
    }


def _chain(task: Task) -> tuple:
    return (task.part, task.cell.model, task.cell.seed)


def _child(conn: Connection, task: Task, threads: int) -> None:  # pragma: no cover - subprocess
    torch.set_num_threads(threads)
    conn.send(_attempt(task))
    conn.close()


_FAILED = ("time_limit", "killed", "error", "skipped")


def execute(
    tasks: Sequence[Task],
    on_done: Callable[[Task, dict[str, Any]], None],
    *,
    workers: int,
) -> None:
    """Run ``tasks`` in order: in this process (``workers=0``) or each in its own forked process,
    at most ``workers`` at a time, killing any that runs past its ``kill_after_s``. A task is skipped
    (``status = "skipped"``) when a smaller size of its chain (same part, model, layers, seed)
    already failed (time limit, killed, error)."""
    failed: dict[tuple, int] = {}

    def done(task: Task, row: dict[str, Any]) -> None:
        if row.get("status") in _FAILED:
            chain = _chain(task)
            failed[chain] = min(failed.get(chain, task.cell.n_train), task.cell.n_train)
        on_done(task, row)

    def skip(task: Task) -> bool:
        smaller = failed.get(_chain(task))
        if smaller is None or smaller >= task.cell.n_train:
            return False
        done(task, _failed(task, "skipped", f"{smaller} qubits already failed", 0.0))
        return True

    if workers == 0:
        for task in tasks:
            if not skip(task):
                done(task, _attempt(task))
        return
    ctx: Any = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    pending = list(tasks)
    active: dict[Any, tuple[Task, Any, float]] = {}
    while pending or active:
        while pending and len(active) < workers:
            task = pending.pop(0)
            if skip(task):
                continue
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(send, task, 1), daemon=True)
            proc.start()
            send.close()
            active[recv] = (task, proc, time.perf_counter())
        ready: list[Any] = wait(list(active), timeout=1.0)
        for conn in ready:
            task, proc, t0 = active.pop(conn)
            try:
                row: dict[str, Any] = conn.recv()
            except EOFError:
                row = _failed(
                    task, "error", f"worker exited ({proc.exitcode})", time.perf_counter() - t0
                )
            proc.join()
            done(task, row)
        now = time.perf_counter()
        for conn, (task, proc, t0) in list(active.items()):
            if now - t0 > task.kill_after_s:
                proc.kill()
                proc.join()
                del active[conn]
                done(
                    task, _failed(task, "killed", f"killed after {task.kill_after_s:g} s", now - t0)
                )


def run_many_qubits(
    spec: ManyQubitsSpec,
    out: str | Path,
    *,
    parts: Sequence[str] = PARTS,
    retry: bool = False,
    command: str = "python -m equiqnn.experiments.many_qubits configs/many_qubits.yaml --out DIR",
) -> dict[str, Any]:
    """Run the cells of ``parts`` not yet stored in ``out``, then write the figures and markdown.

    Returns ``{"rows": [...], "ran": n, "skipped": n, "figures": {...}, "markdown": path}``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tasks = plan(spec, parts, out)
    with ResultStore(out) as store:
        stored = {r["key"]: r["metrics"] for r in store.rows()}
        keys = [store_key(t) for t in tasks]
        todo = [
            t
            for t, k in zip(tasks, keys, strict=True)
            if k not in stored or (retry and stored[k].get("status") != "ok")
        ]
        todo.sort(key=lambda t: t.cost)  # small first: a failed size skips the larger ones

        def on_done(task: Task, row: dict[str, Any]) -> None:
            store.put(task.cell, row, task.config, replace=retry)
            _log.info(
                "[%s] %s n=%d seed=%d: %s %.1f s",
                task.part,
                task.cell.model,
                task.cell.n_train,
                task.cell.seed,
                row.get("status"),
                row.get("seconds") or 0.0,
            )

        execute(todo, on_done, workers=spec.workers)
        rows = store.metrics(keys)
    present = [p for p in PARTS if p in parts and getattr(spec, p) is not None]
    figures = {
        "gradvar": "gradvar" in present and plot_gradvar(rows, out / GRADVAR_FIGURE),
        "ising": "ising" in present and plot_ising(rows, out / ISING_FIGURE),
    }
    md = write_markdown(out, spec, rows, command, figures, time.perf_counter() - t0, present)
    return {
        "rows": rows,
        "ran": len(todo),
        "skipped": len(tasks) - len(todo),
        "figures": figures,
        "markdown": md,
    }


def store_key(task: Task) -> str:
    """The store key of a task (the hash ``ResultStore.put`` computes from its config)."""
    return hashlib.sha256(_canonical(task.config).encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec", help="configs/many_qubits.yaml")
    ap.add_argument("overrides", nargs="*", help="key=value overrides, e.g. gradvar.draws=50")
    ap.add_argument("--out", required=True, help="output directory (store, figures, markdown)")
    ap.add_argument("--smoke", action="store_true", help="apply the spec's smoke section")
    ap.add_argument("--only", choices=PARTS, action="append", help="run only this part")
    ap.add_argument("--retry", action="store_true", help="redo stored cells whose status != ok")
    args = ap.parse_intermixed_args(argv)
    try:
        spec = load_many_qubits_spec(args.spec, args.overrides, smoke=args.smoke)
    except ConfigError as exc:
        print(f"ConfigError: {exc}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    cmd = " ".join(
        [
            "python -m equiqnn.experiments.many_qubits",
            shlex.quote(args.spec),
            "--out",
            shlex.quote(args.out),
        ]
        + (["--smoke"] if args.smoke else [])
        + [shlex.quote(o) for o in args.overrides]
    )
    res = run_many_qubits(spec, args.out, parts=args.only or PARTS, retry=args.retry, command=cmd)
    print(f"{res['ran']} cells run, {res['skipped']} already stored; see {res['markdown']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
