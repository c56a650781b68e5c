"""Run cells on a Ray cluster, with the contract of ``equiqnn.experiments.executor.run_cells``.

Row lists come back in cell order; ``on_done(cell, rows, history)`` runs in this (the driver) process as
each cell finishes, which is where a study stores it; the longest cells are submitted first; each
task takes one CPU and runs with one torch thread. A cell computes the same row on Ray as on the
local pool (only its ``seconds`` differ): every cell is seeded by its own ``(seed, N)``.

Cluster: ``address`` joins an existing cluster (``ray.init(address=...)``, e.g. ``"auto"`` or
``"ray://host:10001"``); without it a local cluster of ``num_cpus`` CPUs (default 2) is started,
without the dashboard and without forwarding worker logs. Only what this function started is shut
down when it returns: a driver already connected (``ray.is_initialized()``) is reused and left
connected, and joining a cluster never stops that cluster. Every node of a joined cluster needs
``equiqnn`` (and the same torch) installed: tasks import it by name.

Ray is optional (``pip install 'equiqnn[ray]'``) and imported only when this runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from equiqnn.experiments.cells import Cell
from equiqnn.experiments.executor import CellResult, OnDone, longest_first
from equiqnn.experiments.spec import StudySpec

__all__ = ["run_cells_ray", "import_ray", "DEFAULT_NUM_CPUS"]

log = logging.getLogger(__name__)

#: CPUs of a local cluster started by ``run_cells_ray`` when ``num_cpus`` is not given.
DEFAULT_NUM_CPUS = 2


def import_ray() -> ModuleType:
    """The ``ray`` module, or an ``ImportError`` naming the extra that installs it."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(
            "the Ray executor needs Ray, which is not installed: pip install 'equiqnn[ray]' "
            "(or run with the local pool: --executor pool)."
        ) from exc
    return ray


def _ray_work(cell: Cell, spec: StudySpec) -> CellResult:
    """One cell inside a Ray worker, with one torch thread."""
    import torch

    from equiqnn.experiments.executor import _work

    torch.set_num_threads(1)
    return _work(cell, spec)


def run_cells_ray(
    cells: Sequence[Cell],
    spec: StudySpec,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    on_done: OnDone | None = None,
) -> list[list[dict[str, Any]]]:
    """Row lists for ``cells`` in their order, computed as Ray tasks (one CPU each).

    Args:
        address: join this running cluster; ``None`` starts a local one (or reuses the driver's
            existing connection, if ``ray.init`` was already called in this process).
        num_cpus: CPUs of the local cluster (default 2); not allowed together with ``address``,
            where the cluster's own resources decide.
        on_done: ``on_done(cell, rows, history)``, called in this process as each cell finishes.

    If a cell fails, the tasks not yet finished are cancelled and its error is raised (Ray's
    ``RayTaskError``, which is also an instance of the cell's own exception type); the cells that
    finished before it have already been through ``on_done``.
    """
    if num_cpus is not None and int(num_cpus) < 1:
        raise ValueError(f"num_cpus must be >= 1; got {num_cpus}.")
    if address is not None and num_cpus is not None:
        raise ValueError(
            f"num_cpus={num_cpus} applies only to a local cluster; with address={address!r} the "
            "cluster's own CPUs are used. Pass one or the other."
        )
    ray = import_ray()
    if not cells:
        return []
    started = False
    if ray.is_initialized():
        log.info("reusing this process's Ray connection; it stays open afterwards")
    elif address:
        ray.init(address=address, log_to_driver=False)
        started = True
    else:
        ray.init(
            num_cpus=int(num_cpus or DEFAULT_NUM_CPUS),
            include_dashboard=False,
            log_to_driver=False,
        )
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(_ray_work)
        spec_ref = ray.put(spec)
        pending: dict[Any, Cell] = {task.remote(c, spec_ref): c for c in longest_first(cells)}
        rows: dict[Cell, list[dict[str, Any]]] = {}
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    cell = pending.pop(ref)
                    row, history = ray.get(ref)
                    rows[cell] = row
                    if on_done:
                        on_done(cell, row, history)
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        return [rows[c] for c in cells]
    finally:
        if started:
            ray.shutdown()
