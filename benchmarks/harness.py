"""Run one (case, simulator) pair in a fresh process: agreement check, warm-up, timed repeats, peak
memory. ``python -m benchmarks.harness --case ID --sim NAME --ref FILE --out FILE``; writes a JSON
list of records (one, or one per output of a many-qubit case ``mq-…``).

A fresh process per pair makes peak memory attributable: ``peak_rss_mb`` is the process's
``VmHWM`` (the high-water mark of its resident memory, which starts afresh at ``exec``, unlike
``ru_maxrss``), ``base_rss_mb`` its ``VmRSS`` after importing the simulator and building the data
(the fixed overhead). ``step_peak_mb`` is the steady-state step's own memory: after the warm-up the
allocator's free pages are handed back and the high-water mark is reset, so it is the peak of the
timed units above ``step_base_mb`` (live data, caches and compiled code at that point).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.machine import (
    ForeignLoad,
    mem_available_bytes,
    memory_status_mb,
    own_cpu_seconds,
    reset_peak_rss_mb,
)

__all__ = ["Runner", "SimSpec", "REGISTRY", "TOL", "FOREIGN_WARN", "run_pair", "spec"]

TOL = 1e-5  # agreement tolerance on forward outputs (WORKLOAD.md)
GRAD_TOL = 1e-4  # gradients are compared too, and flagged above this (not a timing gate)
FOREIGN_WARN = 0.25  # cores used by other processes during timing above which a result is flagged
#: fast units are repeated until this much timed work (seconds) or MAX_REPS units
MIN_WINDOW_S = 1.0
MAX_REPS = 200


def torch_loss(case: Any, f: Any, head: Any, y: Any) -> Any:
    """The workload's loss on torch outputs ``f`` (B,): MSE to 0.5 (workload 1), or the tanh head
    ``p = (1 + tanh(w f + b)) / 2`` with binary cross-entropy (workload 2; ``head = (w, b)``)."""
    import torch

    if case.workload == 1:
        return ((f - 0.5) ** 2).mean()
    p = (1 + torch.tanh(head[0] * f + head[1])) / 2
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


class Runner:
    """A simulator bound to one case: build once, then ``forward``, ``step`` and ``unit``."""

    note: str = ""
    first_call_note: str = ""
    compiles_in_forward = False  # the first forward includes a one-off compilation (jit)

    def forward(self) -> np.ndarray:
        """Quantum outputs (the observable's expectation) on ``agreement_slice(case)``."""
        raise NotImplementedError

    def step(self, k: int) -> np.ndarray:
        """Forward over batch ``k`` and gradient of its loss wrt all parameters; returns the
        gradient (θ, then w, b for workload 2)."""
        raise NotImplementedError

    def unit(self) -> None:
        """One timed unit: a training step (workload 1) or an epoch of 10 steps (workload 2)."""
        raise NotImplementedError

    def prepare(self) -> None:
        """One-off setup before the warm-up, excluded from the timings (e.g. building one circuit
        per image); called only when the pair is going to be timed."""

    def estimate_bytes(self) -> int | None:
        """Memory a training step needs, for simulators that would otherwise exhaust the machine
        (checked before running; None: no estimate)."""
        return None

    def estimate_unit_s(self, forward_s: float) -> float | None:
        """Predicted time of one unit from the forward time, for simulators whose unit is known
        to be a fixed multiple of a forward (parameter shift); None otherwise."""
        return None


@dataclass(frozen=True)
class SimSpec:
    name: str
    module: str
    kind: str  # "statevector" or "density"
    packages: tuple[str, ...]  # import names that must be installed
    family: str


REGISTRY: list[SimSpec] = [
    SimSpec("equiqnn-c64", "benchmarks.equiqnn_cases", "statevector", ("equiqnn",), "equiqnn"),
    SimSpec("equiqnn-c128", "benchmarks.equiqnn_cases", "statevector", ("equiqnn",), "equiqnn"),
    SimSpec("equiqnn-dm-c64", "benchmarks.equiqnn_cases", "density", ("equiqnn",), "equiqnn"),
    SimSpec("equiqnn-dm-c128", "benchmarks.equiqnn_cases", "density", ("equiqnn",), "equiqnn"),
    SimSpec(
        "pennylane-default.qubit",
        "benchmarks.peers_pennylane",
        "statevector",
        ("pennylane",),
        "pennylane",
    ),
    SimSpec(
        "pennylane-lightning.qubit",
        "benchmarks.peers_pennylane",
        "statevector",
        ("pennylane", "pennylane_lightning"),
        "pennylane",
    ),
    SimSpec(
        "pennylane-default.mixed",
        "benchmarks.peers_pennylane",
        "density",
        ("pennylane",),
        "pennylane",
    ),
    SimSpec(
        "tensorcircuit-ng",
        "benchmarks.peers_tensorcircuit",
        "statevector",
        ("tensorcircuit", "jax"),
        "tensorcircuit",
    ),
    SimSpec(
        "tensorcircuit-ng-dm",
        "benchmarks.peers_tensorcircuit",
        "density",
        ("tensorcircuit", "jax"),
        "tensorcircuit",
    ),
    SimSpec(
        "qiskit-aer-sv",
        "benchmarks.peers_qiskit",
        "statevector",
        ("qiskit", "qiskit_aer"),
        "qiskit",
    ),
    SimSpec(
        "qiskit-aer-dm", "benchmarks.peers_qiskit", "density", ("qiskit", "qiskit_aer"), "qiskit"
    ),
]


def spec(name: str) -> SimSpec:
    for s in REGISTRY:
        if s.name == name:
            return s
    raise KeyError(f"unknown simulator {name!r}; known: {[s.name for s in REGISTRY]}")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_pair(
    case_id: str,
    sim: str,
    ref: dict[str, np.ndarray],
    *,
    min_reps: int,
    budget_s: float,
    limit_s: float,
) -> dict:
    """Agreement, warm-up and timing of one pair in this process; returns the result record.

    ``min_reps`` timed units are run unless they would exceed ``budget_s`` (then as many as fit,
    at least one, and the note says so), and fast units are repeated until ``MIN_WINDOW_S`` of
    timed work (at most ``MAX_REPS``); a unit predicted to exceed ``limit_s`` is not run.
    """
    from benchmarks.reference import agreement_slice
    from benchmarks.workloads import batch_slices, case_by_id, make_data

    case = case_by_id(case_id)
    rec: dict = {"case": case_id, "simulator": sim, "median_s": None, "max_abs_dev": None}
    rec["peak_rss_mb"] = None
    s = spec(sim)
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(s.module)
        rec["versions"] = mod.versions()
    except ImportError as exc:
        missing = (getattr(exc, "name", None) or "").split(".")[0]
        if missing in s.packages and missing != "equiqnn":  # a peer package is absent
            rec.update(status="not installed", note=f"not installed ({exc})")
        else:  # the package is there but failed to import: an error, not an absence
            rec.update(status="error", note=f"import failed: {exc}")
        return rec
    rec["import_s"] = time.perf_counter() - t0
    data = make_data(case)
    try:
        t0 = time.perf_counter()
        runner = mod.build(sim, case, data)
        rec["build_s"] = time.perf_counter() - t0
    except ImportError as exc:
        rec.update(status="not available", note=f"not available ({exc})")
        return rec
    need = runner.estimate_bytes()
    if need is not None:
        rec["estimated_bytes"] = need
        avail = mem_available_bytes()
        if avail is not None and need > 0.8 * avail:
            rec.update(
                status="skipped",
                note=f"{runner.note}; not run: needs an estimated {need / 2**30:.1f} GiB "
                f"(> 80 % of the {avail / 2**30:.1f} GiB available)",
                peak_rss_mb=memory_status_mb().get("VmHWM"),
            )
            return rec
    rec["base_rss_mb"] = memory_status_mb().get("VmRSS")
    rec["niceness"] = os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else None
    rec["note"] = runner.note
    notes: list[str] = []
    # --- agreement -----------------------------------------------------------------------------
    t0 = time.perf_counter()
    out = np.asarray(runner.forward(), dtype=np.float64)
    rec["forward_s"] = time.perf_counter() - t0  # includes any one-off compilation of the forward
    expected = ref["forward"]
    if out.shape != expected.shape:
        rec.update(status="disagrees", note=f"output shape {out.shape} != {expected.shape}")
        return rec
    dev = float(np.max(np.abs(out - expected)))
    rec["max_abs_dev"] = dev
    if not np.isfinite(dev) or dev > TOL:
        rec["status"] = "disagrees"
        rec["note"] = (
            f"{runner.note}; DISAGREES with the reference (max |dev| {dev:.2e} > {TOL:g}): not timed"
        )
        rec["peak_rss_mb"] = memory_status_mb().get("VmHWM")
        return rec
    # --- predicted cost: do not start what cannot finish --------------------------------------
    n_batches = len(batch_slices(case))
    fwd_batches = max(1, (agreement_slice(case).stop - agreement_slice(case).start) // case.batch)
    fwd_s = rec["forward_s"]
    est = runner.estimate_unit_s(fwd_s)
    slow = (est if est is not None else 2 * fwd_s * n_batches / fwd_batches) > limit_s
    if slow or runner.compiles_in_forward:
        # the first forward may include one-off compilation (jit): time a second one first
        t0 = time.perf_counter()
        runner.forward()
        fwd_s = rec["forward_warm_s"] = time.perf_counter() - t0
        est = runner.estimate_unit_s(fwd_s)
    if est is None:  # a gradient costs at least about two forwards
        est_min = 2 * fwd_s * n_batches / fwd_batches
        if est_min > 2 * limit_s:
            return _skip(
                rec, runner, f"forward x2 x batches = {est_min:.0f} s", case, limit_s, est_min
            )
    else:
        if est > limit_s:
            return _skip(
                rec, runner, f"forward time x circuits per {case.unit}", case, limit_s, est
            )
    t0 = time.perf_counter()
    runner.prepare()
    rec["build_s"] += time.perf_counter() - t0
    # --- warm-up: the first step (includes any jit compilation), and the gradient check ---------
    t0 = time.perf_counter()
    grad = np.asarray(runner.step(0), dtype=np.float64)
    rec["first_step_s"] = time.perf_counter() - t0
    if "grad" in ref:
        gdev = float(np.max(np.abs(grad - ref["grad"])))
        rec["max_abs_grad_dev"] = gdev
        if not np.isfinite(gdev) or gdev > GRAD_TOL:
            notes.append(f"GRADIENT DEVIATES ({gdev:.1e})")
    if n_batches > 1:  # one more step, uncompiled time, to decide whether a whole epoch fits
        t0 = time.perf_counter()
        runner.step(1)
        est = (time.perf_counter() - t0) * n_batches
        if est > limit_s:
            return _skip(rec, runner, f"second step x {n_batches}", case, limit_s, est)
    # --- timed repeats ---------------------------------------------------------------------------
    # memory of the steady-state step: a fresh high-water mark from the live memory after the
    # warm-up (caches, plans and compiled code are the fixed overhead; the process peak is kept)
    warm_peak = memory_status_mb().get("VmHWM")
    step_base = reset_peak_rss_mb()
    times: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + budget_s
    window_start = time.perf_counter()
    with ForeignLoad() as load:
        # at least min_reps units, and for fast units at least MIN_WINDOW_S of timed work (up to
        # MAX_REPS): a median of 5 one-millisecond steps is noise, and /proc/stat counts in 10 ms
        # ticks, so a shorter window cannot tell other processes' CPU apart from rounding
        while len(times) < min_reps or (
            time.perf_counter() - window_start < MIN_WINDOW_S and len(times) < MAX_REPS
        ):
            c0 = own_cpu_seconds()
            times.append(_timed(runner.unit))
            cpu.append(own_cpu_seconds() - c0)
            if len(times) < min_reps and time.perf_counter() + statistics.median(times) > deadline:
                notes.append(f"{len(times)} timed {case.unit}s (time budget {budget_s:.0f} s)")
                break
    rec["foreign_cpu_cores"] = load.cores
    rec["contended"] = load.cores > FOREIGN_WARN  # shown in the report's other_cpu column
    rec["times_s"] = times
    rec["cpu_s"] = cpu  # this process's CPU time (all threads) per unit
    rec["min_s"] = min(times)
    rec["reps"] = len(times)
    rec["median_s"] = statistics.median(times)
    per_step = rec["median_s"] / n_batches
    # first-call overhead (jit): of the first step, and of the first forward when re-timed
    rec["compile_s"] = max(0.0, rec["first_step_s"] - per_step)
    if "forward_warm_s" in rec:
        rec["compile_s"] += max(0.0, rec["forward_s"] - rec["forward_warm_s"])
    rec["status"] = "ok"
    end_peak = memory_status_mb().get("VmHWM")
    rec["peak_rss_mb"] = max([p for p in (warm_peak, end_peak) if p is not None], default=None)
    if step_base is not None and end_peak is not None:
        rec["step_base_mb"] = step_base
        rec["step_peak_mb"] = end_peak - step_base
    if runner.first_call_note:
        notes.append(runner.first_call_note)
    if notes:
        rec["note"] = "; ".join([runner.note, *notes])
    return rec


def _skip(rec: dict, runner: Runner, how: str, case, limit_s: float, est: float) -> dict:
    rec["status"] = "skipped"
    rec["estimated_unit_s"] = est
    rec["note"] = (
        f"{runner.note}; not timed: one {case.unit} estimated at {est:.0f} s ({how}) > limit "
        f"{limit_s:.0f} s"
    )
    rec["peak_rss_mb"] = memory_status_mb().get("VmHWM")
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--case", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--ref", default="", help=".npz with 'forward' (and optionally 'grad')")
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--limit", type=float, default=240.0)
    args = ap.parse_args(argv)
    try:
        if args.case.startswith("mq-"):  # issue-12 many-qubit cases: no reference, no peer
            from benchmarks.many_qubits import run_mq

            recs = run_mq(args.case, min_reps=args.min_reps, budget_s=args.budget)
        else:
            recs = [
                run_pair(
                    args.case,
                    args.sim,
                    dict(np.load(args.ref)),
                    min_reps=args.min_reps,
                    budget_s=args.budget,
                    limit_s=args.limit,
                )
            ]
    except Exception as exc:  # report, never crash the suite
        recs = [
            {
                "case": args.case,
                "simulator": args.sim,
                "median_s": None,
                "max_abs_dev": None,
                "peak_rss_mb": memory_status_mb().get("VmHWM"),
                "status": "error",
                "note": f"error: {type(exc).__name__}: {exc}"[:400],
                "traceback": traceback.format_exc()[-3000:],
            }
        ]
    with open(args.out, "w") as fh:
        json.dump(recs, fh, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
