"""Memory estimates and the refusal engines raise before running out of memory."""

from __future__ import annotations

import os

import torch

__all__ = ["MemoryEstimateError", "available_memory_bytes", "check_memory", "format_bytes"]


class MemoryEstimateError(MemoryError):
    """Raised before running when an engine's estimate exceeds the memory it may use."""


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def available_memory_bytes(device: torch.device | str = "cpu") -> int:
    """Memory the process may still use on ``device`` (MemAvailable on Linux, free GPU memory)."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_memory(
    estimate: int, limit: int | None, device: torch.device, what: str, hint: str
) -> None:
    """Raise ``MemoryEstimateError`` naming the estimate and the limit when it would not fit.

    ``limit`` defaults to 85 % of the memory available on ``device`` now.
    """
    if limit is None:
        limit = int(0.85 * available_memory_bytes(device))
    if estimate > limit:
        raise MemoryEstimateError(
            f"{what} needs an estimated {format_bytes(estimate)}, over the limit of "
            f"{format_bytes(limit)} on {device}. {hint}"
        )
