"""Run cells on a local process pool: one torch thread per worker, longest cells first.

Each worker process is pinned to its share of the cores, one core each (``os.sched_setaffinity``:
worker ``i`` to the ``i``-th core this process may run on, cycling when there are more workers than
cores). Where the platform has no ``sched_setaffinity`` (macOS, Windows) or refuses it (a
restricted container), workers run unpinned, silently: pinning is a performance hint, never a
requirement. ``workers=1`` runs in the calling process, which is never pinned.

Rows come back in cell order whatever the completion order, so results do not depend on the number
of workers (each cell is seeded by its own ``(seed, N)``). A cell gives a list of rows (one per
entry of ``cell.variants``: several for test-time noise). ``on_done`` is called in the calling
process as each cell finishes, with all its rows, which is where a study stores them in one
transaction (see ``equiqnn.experiments.store``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

import torch

from equiqnn.experiments.cells import QUANTUM, Cell, Pool, make_pool, run_cell
from equiqnn.experiments.cells_data import pool_key
from equiqnn.experiments.spec import StudySpec

__all__ = [
    "run_cells",
    "default_workers",
    "OnDone",
    "CellResult",
    "available_cores",
    "longest_first",
]

#: ``on_done(cell, rows, history)``: a finished cell, its flat metric rows (one per variant) and its
#: per-epoch history.
OnDone = Callable[[Cell, list[dict[str, Any]], list[dict[str, Any]]], None]

#: What one cell's work returns: its flat metric rows and its per-epoch history.
CellResult = tuple[list[dict[str, Any]], list[dict[str, Any]]]

_POOL: dict[tuple[object, ...], Pool] = {}


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def available_cores() -> list[int]:
    """The cores this process may run on (sorted); ``[]`` where the platform cannot say."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is None:
        return []
    try:
        return sorted(getaffinity(0))
    except OSError:
        return []


def _pin(cores: Sequence[int], counter: Any) -> None:
    """Pin this worker to its core: the next free slot of ``counter`` (a shared ``mp.Value``)
    picks ``cores[slot % len(cores)]``. Does nothing where pinning is unavailable or refused."""
    setaffinity = getattr(os, "sched_setaffinity", None)
    if setaffinity is None or not cores:
        return
    with counter.get_lock():
        slot = int(counter.value)
        counter.value += 1
    try:
        setaffinity(0, {cores[slot % len(cores)]})
    except OSError:  # e.g. a core outside a cgroup's cpuset: run unpinned
        pass


def _init_worker(threads: int, cores: Sequence[int] = (), counter: Any = None) -> None:
    torch.set_num_threads(threads)
    if counter is not None:
        _pin(cores, counter)


def _pool_executor(workers: int) -> ProcessPoolExecutor:
    """A spawn-context pool of ``workers`` processes, each with one torch thread and pinned to one
    core (where the platform allows)."""
    ctx = mp.get_context("spawn")
    cores = available_cores()
    counter = ctx.Value("i", 0) if cores and hasattr(os, "sched_setaffinity") else None
    return ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(1, cores, counter)
    )


def _work(cell: Cell, spec: StudySpec) -> CellResult:
    """Run one cell; split the per-epoch history (a ``"history"`` entry of the rows, when
    ``run_cell`` provides one) from the flat metric rows. A pool is made once per worker process
    and data set."""
    key = pool_key(spec, cell)
    if key not in _POOL:
        _POOL[key] = make_pool(spec, cell)
    out = run_cell(cell, spec, _POOL[key])
    rows = [dict(r) for r in (out if isinstance(out, list) else [out])]
    history: list[dict[str, Any]] = []
    for row in rows:
        history = row.pop("history", None) or history
    return rows, [dict(h) for h in history]


def _cost(cell: Cell) -> float:
    """Rough relative cost, to start the longest cells first: quantum > classical, larger images,
    deeper circuits, training under noise and more evaluated noise settings cost more."""
    if cell.model not in QUANTUM:
        return 1.0
    cost = 3.0 if cell.model == "symmetrized" else 2.0
    cost *= max(1.0, (int(cell.get("data.side") or 8) / 8) ** 2)
    cost *= (1 + int(cell.get("qnn.layers") or 2)) / 3
    if cell.get("noise.phase") == "train" and float(cell.get("noise.strength") or 0) > 0:
        cost *= 8.0
    return cost * (1 + 0.5 * (len(cell.variants) - 1))


def longest_first(cells: Sequence[Cell]) -> list[Cell]:
    """``cells`` ordered by decreasing estimated cost (stable: ties keep their order)."""
    return sorted(cells, key=_cost, reverse=True)


def run_cells(
    cells: Sequence[Cell],
    spec: StudySpec,
    *,
    workers: int | None = None,
    on_done: OnDone | None = None,
) -> list[list[dict[str, Any]]]:
    """Row lists for ``cells`` in their order; ``workers=1`` runs in this process.

    ``on_done(cell, rows, history)`` runs in this process as each cell finishes. If a cell fails,
    the cells not yet started are cancelled and the error is raised; the cells that finished before
    it have already been through ``on_done``.
    """
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1; got {workers}. Pass workers=1 to run in-process.")
    rows: dict[Cell, list[dict[str, Any]]] = {}
    if workers == 1 or len(cells) <= 1:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for cell in cells:
                row, history = _work(cell, spec)
                rows[cell] = row
                if on_done:
                    on_done(cell, row, history)
        finally:
            torch.set_num_threads(threads)
    else:
        order = longest_first(cells)
        with _pool_executor(workers) as ex:
            futures: dict[Future[CellResult], Cell] = {
                ex.submit(_work, cell, spec): cell for cell in order
            }
            try:
                for fut in as_completed(futures):
                    cell = futures[fut]
                    row, history = fut.result()
                    rows[cell] = row
                    if on_done:
                        on_done(cell, row, history)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    return [rows[c] for c in cells]
