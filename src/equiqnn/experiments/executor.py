"""Run cells on a local process pool: one torch thread per worker, longest cells first.

Rows come back in cell order whatever the completion order, so results do not depend on the number
of workers (each cell is seeded by its own ``(seed, N)``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import torch

from equiqnn.experiments.cells import QUANTUM, Cell, Pool, make_pool, run_cell
from equiqnn.experiments.spec import StudySpec

__all__ = ["run_cells", "default_workers"]

_POOL: dict[str, Pool] = {}


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def _work(cell: Cell, spec: StudySpec) -> dict[str, Any]:
    key = spec.data.model_dump_json()
    if key not in _POOL:
        _POOL[key] = make_pool(spec)
    return run_cell(cell, spec, _POOL[key])


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
    on_done: Callable[[Cell, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Rows for ``cells`` in their order; ``workers=1`` runs in this process."""
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1; got {workers}.")
    rows: dict[Cell, dict[str, Any]] = {}
    if workers == 1 or len(cells) == 1:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for cell in cells:
                rows[cell] = _work(cell, spec)
                if on_done:
                    on_done(cell, rows[cell])
        finally:
            torch.set_num_threads(threads)
    else:
        order = sorted(cells, key=_cost, reverse=True)
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(1,)
        ) as ex:
            futures = {ex.submit(_work, cell, spec): cell for cell in order}
            for fut in as_completed(futures):
                cell = futures[fut]
                rows[cell] = fut.result()
                if on_done:
                    on_done(cell, rows[cell])
    return [rows[c] for c in cells]
