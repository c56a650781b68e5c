"""The machine: CPU model, cores, memory, package versions, and measured CPU contention.

Contention is measured, not guessed: ``/proc/stat`` gives the CPU time the whole machine used, and
``os.times`` this process's own; their difference over a timed block is the CPU that *other*
processes took meanwhile (``ForeignLoad``), in cores' worth. On an idle machine it is ~0; a value
near the number of cores means every timing was shared with another job.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from typing import Any

__all__ = [
    "ForeignLoad",
    "cpu_busy_seconds",
    "machine_busy",
    "machine_info",
    "mem_available_bytes",
    "memory_status_mb",
    "own_cpu_seconds",
    "reset_peak_rss_mb",
]

PACKAGES = [
    "torch",
    "numpy",
    "scipy",
    "equiqnn",
    "pennylane",
    "pennylane_lightning",
    "qiskit",
    "qiskit-aer",
    "tensorcircuit-ng",
    "jax",
    "jaxlib",
    "psutil",
]


def memory_status_mb(pid: int | str = "self") -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` (peak resident memory since ``exec``) of a process in MiB."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, val = line.split(":")
                    out[key] = int(val.split()[0]) / 1024
    except OSError:  # non-Linux, or the process is gone
        if pid == "self":
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            out = {"VmRSS": float("nan"), "VmHWM": peak}
    return out


def reset_peak_rss_mb() -> float | None:
    """Start a fresh resident-memory high-water mark for this process: collect garbage, hand
    freed heap pages back to the system (glibc ``malloc_trim``, so that memory kept by the
    allocator is not counted as in use), reset ``VmHWM`` (``/proc/self/clear_refs``, Linux ≥ 4.0)
    and return the resident memory it starts from, in MiB; ``None`` where this is unsupported."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except (OSError, AttributeError):
        return None
    return memory_status_mb().get("VmRSS")


def cpu_busy_seconds() -> tuple[float, float] | None:
    """``(busy, total)`` CPU seconds of the whole machine since boot, from ``/proc/stat``."""
    try:
        with open("/proc/stat") as fh:
            vals = [float(v) for v in fh.readline().split()[1:]]
    except OSError:  # pragma: no cover - non-Linux
        return None
    tick = float(os.sysconf("SC_CLK_TCK"))
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0.0)  # idle + iowait
    total = sum(vals[:8])
    return (total - idle) / tick, total / tick


def machine_busy(interval: float = 0.5) -> float:
    """Cores' worth of CPU used by the whole machine over the next ``interval`` seconds."""
    a = cpu_busy_seconds()
    time.sleep(interval)
    b = cpu_busy_seconds()
    if a is None or b is None:
        return 0.0
    return (b[0] - a[0]) / interval


def own_cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    t = os.times()
    return t.user + t.system


class ForeignLoad:
    """Context manager: ``cores`` = CPU used by *other* processes while the block ran, in cores'
    worth on average (machine busy time minus this process's CPU time, over the wall time)."""

    cores: float = 0.0

    def __enter__(self) -> ForeignLoad:
        self.m0, self.p0, self.t0 = cpu_busy_seconds(), own_cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        m1, p1, t1 = cpu_busy_seconds(), own_cpu_seconds(), time.perf_counter()
        if self.m0 is None or m1 is None or t1 <= self.t0:
            self.cores = 0.0
        else:
            self.cores = max(0.0, ((m1[0] - self.m0[0]) - (p1 - self.p0)) / (t1 - self.t0))


def mem_available_bytes() -> int | None:
    """``MemAvailable`` from ``/proc/meminfo`` (None where unknown)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover
        pass
    return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or "unknown"


def _mem_total_gib() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:  # pragma: no cover
        pass
    return None


def machine_info() -> dict[str, Any]:
    """CPU model, usable cores, memory, Python, load average and the version of every package the
    suite may use ("not installed" for the missing ones)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        cores: int | None = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        cores = os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": cores,
        "memory_gib": _mem_total_gib(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
