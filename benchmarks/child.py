"""Run one benchmark process (``python -m benchmarks.harness``) under a time and a memory limit.

The parent polls the child every 0.2 s: past ``timeout`` seconds, or past ``mem_limit_mb`` of
resident memory, the child's process group is killed and the result is the record ``"timeout"`` or
``"out of memory"`` (for every record id the process would have produced), so an infeasible case
never hangs the suite nor exhausts a shared machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import machine_busy, memory_status_mb

__all__ = ["run_child", "wait_for_quiet", "failed_record", "PRIORITY"]

ROOT = Path(__file__).resolve().parent.parent
PRIORITY = -10  # niceness of the timed processes, when permitted (see _raise_priority)


def _raise_priority(pid: int) -> None:
    """Give the child (just started, before it imports anything) a higher scheduling priority when
    permitted, so that other processes on a shared machine disturb the timings less; ignored when
    not permitted. (Set from the parent: a ``preexec_fn`` would fork a multithreaded parent.)"""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, PRIORITY)
    except (OSError, AttributeError):
        pass


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> tuple[float, float]:
    """Wait (up to ``max_wait`` s) until the machine uses less than ``threshold`` cores; returns
    (seconds waited, last measured machine load in cores). ``max_wait = 0`` only measures."""
    t0 = time.perf_counter()
    busy = machine_busy(0.3)
    while busy > threshold and time.perf_counter() - t0 < max_wait:
        time.sleep(2.0)
        busy = machine_busy(0.3)
    return time.perf_counter() - t0, busy


def failed_record(case_id: str, simulator: str, status: str, note: str, **extra) -> dict:
    """A record for a pair that produced no timing (the required keys set to None)."""
    rec = {
        "case": case_id,
        "simulator": simulator,
        "median_s": None,
        "max_abs_dev": None,
        "peak_rss_mb": None,
        "status": status,
        "note": note,
    }
    rec.update(extra)
    return rec


def run_child(
    case_id: str,
    simulator: str,
    *,
    ref_path: Path | None,
    output_ids: list[str],
    reps: int,
    budget: float,
    limit: float,
    timeout: float,
    mem_limit_mb: float,
    quiet_wait: float = 0.0,
    omp_passive: bool = False,
) -> list[dict]:
    """One fresh benchmark process; its records, or failure records for every id in
    ``output_ids`` when it timed out, ran out of memory or crashed."""
    waited, busy = wait_for_quiet(quiet_wait)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rec.json"
        cmd = [sys.executable, "-m", "benchmarks.harness", "--case", case_id, "--sim", simulator]
        cmd += ["--ref", str(ref_path or ""), "--out", str(out), "--min-reps", str(reps)]
        cmd += ["--budget", str(budget), "--limit", str(limit)]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        if omp_passive:  # idle OpenMP threads sleep instead of spinning (docs/performance.md)
            env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        t0 = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a kill reaches all of it
        )
        _raise_priority(proc.pid)
        status, peak_seen = "", 0.0
        while proc.poll() is None:
            time.sleep(0.2)
            rss = memory_status_mb(proc.pid).get("VmRSS", 0.0)
            peak_seen = max(peak_seen, rss)
            if time.perf_counter() - t0 > timeout:
                status = "timeout"
            elif rss > mem_limit_mb:
                status = "out of memory"
            if status:
                os.killpg(proc.pid, signal.SIGKILL)
                break
        _, stderr = proc.communicate()
        wall = time.perf_counter() - t0
        if status == "timeout":
            note = f"timeout: stopped after the per-case limit of {timeout:.0f} s (--timeout)"
        elif status:
            note = f"out of memory: stopped at {peak_seen:.0f} MiB > limit {mem_limit_mb:.0f} MiB"
        elif not out.exists():
            status = "crashed"
            note = f"crashed (exit {proc.returncode}): {stderr.strip()[-300:]}"
        if status:
            recs = [
                failed_record(i, simulator, status, note, peak_rss_mb=peak_seen or None)
                for i in output_ids
            ]
        else:
            recs = json.loads(out.read_text())
    for rec in recs:
        rec.update(wall_s=wall, waited_for_quiet_s=waited, load_before_cores=busy)
    return recs
