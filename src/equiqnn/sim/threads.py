"""One torch thread for small work.

A circuit on a few qubits is hundreds of tensor operations on a few thousand amplitudes each. Some of
them (matrix products, copies) still enter an OpenMP parallel region; with a second thread that costs
a synchronisation per operation, and where the threads sleep between regions
(``OMP_WAIT_POLICY=PASSIVE``, the usual setting on a shared machine) a wake-up per operation. Measured
on 2 cores, statevector training step at n = 4, batch 64: 0.42 ms on one thread, 0.44 ms on two
spinning threads, 1.27 ms on two passive ones. The engines therefore run such work on one thread and
restore the caller's setting afterwards; larger work keeps every thread. :func:`few_threads` covers a
forward pass, :func:`few_threads_backward` the autograd backward pass through an output.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["SMALL_WORK", "few_threads", "few_threads_backward"]

SMALL_WORK = 1 << 15
"""Elements per operation (e.g. ``B · 2^n`` amplitudes) up to which one thread is used."""


def _small(work: int, limit: int | None) -> bool:
    return torch.get_num_threads() > 1 and work <= (SMALL_WORK if limit is None else limit)


@contextmanager
def few_threads(work: int, limit: int | None = None) -> Iterator[None]:
    """Run the block on one torch thread when ``work`` (elements per operation) is at most ``limit``
    (default :data:`SMALL_WORK`); otherwise, or when one thread is already set, change nothing."""
    if not _small(work, limit):
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def few_threads_backward(out: torch.Tensor, work: int, limit: int | None = None) -> torch.Tensor:
    """Make the backward pass through ``out`` run on one thread when the work is small: a hook on
    ``out`` sets one thread when its gradient arrives and queues the restore for the end of that
    backward pass (higher-order gradients are unaffected). Returns ``out``."""
    if not out.requires_grad or not _small(work, limit):
        return out

    def hook(grad: torch.Tensor) -> None:
        n = torch.get_num_threads()
        if n > 1:
            torch.set_num_threads(1)
            torch.autograd.Variable._execution_engine.queue_callback(  # type: ignore[attr-defined]
                lambda: torch.set_num_threads(n)
            )

    out.register_hook(hook)
    return out
