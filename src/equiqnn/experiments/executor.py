"""Run cells on a local process pool: one torch thread per worker, longest cells first.

Rows come back in cell order whatever the completion order, so results do not depend on the number
of workers (each cell is seeded by its own ``(seed, N)``). ``on_done`` is called in the calling
process as each cell finishes, which is where a study stores it (see ``equiqnn.experiments.store``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any

import torch

from equiqnn.experiments.cells import QUANTUM, Cell, Pool, make_pool, run_cell
from equiqnn.experiments.spec import StudySpec

__all__ = ["run_cells", "default_workers", "OnDone"]

#: ``on_done(cell, row, history)``: a finished cell, its flat metric row and its per-epoch history.
OnDone = Callable[[Cell, dict[str, Any], list[dict[str, Any]]], None]

_POOL: dict[str, Pool] = {}


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def _work(cell: Cell, spec: StudySpec) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one cell; split the per-epoch history (a ``"history"`` entry of the row, when
    ``run_cell`` provides one) from the flat metric row."""
    key = spec.data.model_dump_json()
    if key not in _POOL:
        _POOL[key] = make_pool(spec)
    row = dict(run_cell(cell, spec, _POOL[key]))
    history = row.pop("history", None) or []
    return row, [dict(h) for h in history]


def _cost(cell: Cell) -> float:
    """Rough relative cost, to start the longest cells first."""
    if cell.model == "symmetrized":
        return 3.0
    return 2.0 if cell.model in QUANTUM else 1.0


def run_cells(
    cells: Sequence[Cell],
    spec: StudySpec,
    *,
    workers: int | None = None,
    on_done: OnDone | None = None,
) -> list[dict[str, Any]]:
    """Rows for ``cells`` in their order; ``workers=1`` runs in this process.

    ``on_done(cell, row, history)`` runs in this process as each cell finishes. If a cell fails,
    the cells not yet started are cancelled and the error is raised; the cells that finished before
    it have already been through ``on_done``.
    """
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1; got {workers}. Pass workers=1 to run in-process.")
    rows: dict[Cell, dict[str, Any]] = {}
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
        order = sorted(cells, key=_cost, reverse=True)
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(1,)
        ) as ex:
            futures: dict[Future[tuple[dict[str, Any], list[dict[str, Any]]]], Cell] = {
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
