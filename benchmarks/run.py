"""Run the benchmark suite: ``python -m benchmarks.run [--quick] [--json FILE] [--only PATTERN]``.

For every case of the grid (``benchmarks.workloads.grid``) the reference outputs are computed once
(complex128, cached under ``benchmarks/.cache``), then every simulator of the case's kind runs in
its own fresh process (``benchmarks.harness`` via ``benchmarks.child``): agreement check against
the reference (1e-5), warm-up, timed repeats, peak memory. A simulator whose package is missing is
reported as "not installed"; one that disagrees is reported and not timed. Then the issue-12
many-qubit cases (``benchmarks.many_qubits``, equiqnn only) run the same way. Every process has a
time limit (``--timeout``) and a memory limit (``--mem-limit-gb``): past them it is stopped and
reported as "timeout" / "out of memory".

``--only PATTERN`` keeps the (case, simulator) pairs where the regular expression matches
``"<case id> <simulator>"``, e.g. ``--only 'w1-sv-n8'`` or ``--only 'equiqnn|lightning'``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.child import failed_record, run_child
from benchmarks.harness import REGISTRY, SimSpec
from benchmarks.machine import machine_busy, machine_info, mem_available_bytes
from benchmarks.many_qubits import MQCase, mq_grid
from benchmarks.report import add_ratios, print_report, write_json, write_markdown
from benchmarks.workloads import Case, grid, label, make_data

CACHE = Path(__file__).resolve().parent / ".cache"

# (min timed reps, time budget for the reps, per-unit limit, process timeout), seconds
SETTINGS = {
    "quick": {1: (5, 8.0, 20.0, 180.0), 2: (3, 10.0, 20.0, 180.0), 3: (3, 8.0, 0.0, 90.0)},
    "full": {1: (5, 45.0, 240.0, 600.0), 2: (3, 45.0, 240.0, 600.0), 3: (5, 60.0, 0.0, 1200.0)},
}
QUIET_WAIT = {"quick": 0.0, "full": 15.0}  # max seconds to wait for other processes to go idle
QUICK_SKIP = ("equiqnn-c128", "equiqnn-dm-c128")  # complex128 twins: full runs only


def _installed(spec: SimSpec) -> str | None:
    """None when every package of ``spec`` can be imported, else the missing one's name."""
    for pkg in spec.packages:
        if importlib.util.find_spec(pkg) is None:
            return pkg
    return None


def _ref_key(case: Case) -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in ("workloads.py", "reference.py"):
        h.update((here / name).read_bytes())
    return f"{case.id}-{h.hexdigest()[:12]}"


def reference(case: Case, log) -> tuple[Path, dict]:
    """Compute (or load) the reference of ``case``; returns the .npz path and info."""
    from benchmarks.reference import dense_reference, reference_forward, reference_gradient

    CACHE.mkdir(exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")  # the cache never shows up in git status
    path = CACHE / f"ref-{_ref_key(case)}.npz"
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists():
        return path, json.loads(info_path.read_text())
    data = make_data(case)
    t0 = time.perf_counter()
    arrays = {"forward": reference_forward(case, data)}
    info: dict = {"ref_forward_s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    grad = reference_gradient(case, data)
    if grad is not None:
        arrays["grad"] = grad
        info["ref_grad_s"] = time.perf_counter() - t0
    try:
        dense = dense_reference(case, data)
    except Exception as exc:  # the project's dense reference is a cross-check only
        dense = None
        info["dense_error"] = f"{type(exc).__name__}: {exc}"
    if dense is not None:
        info["ref_cross_dev"] = float(np.max(np.abs(dense - arrays["forward"])))
    np.savez(path, **arrays)  # type: ignore[arg-type]
    info_path.write_text(json.dumps(info))
    log(f"  reference {case.id}: {info}")
    return path, info


def _needs_rerun(rec: dict) -> bool:
    """Missing results, failures, and timings taken on a loaded machine are re-run by --resume."""
    from benchmarks.harness import FOREIGN_WARN

    bad = rec.get("status") in (None, "timeout", "crashed", "error", "out of memory")
    return bad or (rec.get("foreign_cpu_cores") or 0.0) > FOREIGN_WARN


def _requirement_unmet(need: str, req: dict | None, batch: int, timeout: float) -> str:
    """Why a many-qubit case cannot run given the record it requires ('' when it can): that
    record failed, or encoding ``batch`` samples at its per-sample time would not fit the limit."""
    if not need:
        return ""
    if req is None or req.get("status") != "ok":
        why = "not run" if req is None else req.get("status")
        return f"not run: {need} is {why} (encoding the batch would not finish)"
    est = (req.get("median_s") or 0.0) * batch
    if est > 0.8 * timeout:
        return (
            f"not run: encoding {batch} samples estimated at {est:.0f} s from {need} "
            f"(> 80 % of the {timeout:.0f} s limit; raise --timeout)"
        )
    return ""


def _pairs(quick: bool, pattern: re.Pattern | None) -> list[tuple[Case | MQCase, str]]:
    """Every (case, simulator) of the run, in order, filtered by ``pattern``."""
    out: list[tuple[Case | MQCase, str]] = []
    for case in grid(quick):
        for spec in REGISTRY:
            if spec.kind == case.kind and not (quick and spec.name in QUICK_SKIP):
                out.append((case, spec.name))
    out += [(mq, mq.simulator) for mq in mq_grid(quick)]

    def chosen(case, sim: str) -> bool:
        ids = [case.id] + [o.id for o in getattr(case, "outputs", ())]
        return not pattern or any(pattern.search(f"{i} {sim}") for i in ids)

    return [(c, s) for c, s in out if chosen(c, s)]


def _quick_skipped(pattern: re.Pattern | None) -> list[dict]:
    """Records for the many-qubit outputs that --quick does not run (so they are not dropped)."""
    quick_ids = {o.id for c in mq_grid(True) for o in c.outputs}
    recs = []
    for c in mq_grid(False):
        for o in c.outputs:
            if o.id not in quick_ids and (not pattern or pattern.search(f"{o.id} {c.simulator}")):
                recs.append(
                    failed_record(
                        o.id,
                        c.simulator,
                        "skipped",
                        "skipped in --quick (slowest case: run the full suite)",
                        kind="many-qubit",
                        label=c.label,
                        target_s=o.target_s,
                        target=o.target,
                    )
                )
    return recs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--quick", action="store_true", help="a subset, fewer repeats (< 5 min)")
    ap.add_argument("--json", metavar="FILE", help="write the results as a JSON list")
    ap.add_argument("--only", metavar="PATTERN", help="regex on '<case id> <simulator>'")
    ap.add_argument("--markdown", metavar="FILE", help="write the tables as markdown")
    ap.add_argument("--list", action="store_true", help="list the pairs and exit")
    ap.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="per-case time limit in seconds for each process (default: 180 / 90 s quick for "
        "the workloads / many-qubit cases, 600 / 1200 s full)",
    )
    ap.add_argument(
        "--mem-limit-gb",
        type=float,
        default=None,
        help="stop a process above this resident memory (default: 60%% of the available memory)",
    )
    ap.add_argument(
        "--omp-passive",
        action="store_true",
        help="set OMP_WAIT_POLICY=PASSIVE for the timed processes (idle OpenMP threads sleep: "
        "for a machine other processes load, where spinning threads collapse; it makes every "
        "small parallel region of the torch-based simulators pay a wake-up). Default: OpenMP's "
        "own policy, as users run",
    )
    ap.add_argument("--omp-active", action="store_true", help=argparse.SUPPRESS)  # the default
    ap.add_argument(
        "--resume",
        metavar="FILE",
        help="a previous --json output: keep its good records, re-run the pairs that are missing, "
        "failed, or were timed while other processes loaded the machine",
    )
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full"
    pattern = re.compile(args.only) if args.only else None

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    pairs = _pairs(args.quick, pattern)
    if args.list:
        for case, sim in pairs:
            print(case.id, sim)
        return 0
    previous: dict[tuple[str, str], dict] = {}
    if args.resume and Path(args.resume).exists():
        previous = {
            (r["case"], r["simulator"]): r for r in json.loads(Path(args.resume).read_text())
        }
    avail = mem_available_bytes() or 8 * 2**30
    mem_limit_mb = (args.mem_limit_gb * 1024) if args.mem_limit_gb else 0.6 * avail / 2**20
    info = machine_info()
    info["busy_at_start_cores"] = machine_busy(1.0)
    log(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, load "
        f"{info['loadavg']}, busy {info['busy_at_start_cores']:.2f} cores; mode {mode}"
    )
    t_start = time.perf_counter()
    records: list[dict] = []
    refs: dict[str, tuple[Path, dict]] = {}
    for case, sim in pairs:
        outputs = [o.id for o in getattr(case, "outputs", ())] or [case.id]
        old = [previous.get((i, sim)) for i in outputs]
        if all(o is not None and not _needs_rerun(o) for o in old):
            records += [o for o in old if o is not None]  # with --resume: kept as it was
            continue
        workload = 3 if isinstance(case, MQCase) else case.workload
        reps, budget, limit, timeout = SETTINGS[mode][workload]
        timeout = args.timeout or timeout
        extra: dict = {}
        if isinstance(case, MQCase):
            need = case.requires
            req = next((r for r in records if r["case"] == need), None) if need else None
            why = _requirement_unmet(need, req, case.batch, timeout)
            if why:
                recs = [failed_record(o.id, sim, "skipped", why) for o in case.outputs]
            else:
                recs = run_child(
                    case.id,
                    sim,
                    ref_path=None,
                    output_ids=outputs,
                    reps=reps,
                    budget=budget,
                    limit=limit,
                    timeout=timeout,
                    mem_limit_mb=mem_limit_mb,
                    quiet_wait=QUIET_WAIT[mode],
                    omp_passive=False,  # equiqnn alone: OpenMP's default wait policy, as users run it
                )
            by_id = {o.id: o for o in case.outputs}
            for r in recs:
                o = by_id.get(r["case"])
                r.setdefault("kind", "many-qubit")
                r.setdefault("label", case.label)
                if o is not None:
                    r.setdefault("target_s", o.target_s)
                    r.setdefault("target", o.target)
        else:
            extra = {
                "kind": case.kind,
                "label": label(case),
                "floor_mb": case.memory_floor_bytes / 2**20,
            }
            spec = next(s for s in REGISTRY if s.name == sim)
            missing = _installed(spec)
            if missing:
                recs = [
                    failed_record(
                        case.id, sim, "not installed", f"not installed (no module {missing!r})"
                    )
                ]
            else:
                if case.id not in refs:
                    refs[case.id] = reference(case, log)
                ref_path, ref_info = refs[case.id]
                extra.update({k: v for k, v in ref_info.items() if k == "ref_cross_dev"})
                recs = run_child(
                    case.id,
                    sim,
                    ref_path=ref_path,
                    output_ids=outputs,
                    reps=reps,
                    budget=budget,
                    limit=limit,
                    timeout=timeout,
                    mem_limit_mb=mem_limit_mb,
                    quiet_wait=QUIET_WAIT[mode],
                    omp_passive=args.omp_passive,
                )
        for rec in recs:
            rec.update({k: v for k, v in extra.items() if k not in rec})
            records.append(rec)
            med = rec.get("median_s")
            log(
                f"{rec['case']:28s} {sim:26s} {rec.get('status', '?'):13s} "
                f"median {med if med is None else f'{med:.4g}'} s  dev {rec.get('max_abs_dev')}  "
                f"peak {rec.get('peak_rss_mb')} MB  other-cpu {rec.get('foreign_cpu_cores')}  "
                f"[{time.perf_counter() - t_start:.0f} s]"
            )
        if args.json:  # progress survives an interrupted run (resume with --resume FILE)
            write_json(records, args.json)
    if args.quick:
        records += _quick_skipped(pattern)
    add_ratios(records)
    info["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    info["total_s"] = time.perf_counter() - t_start
    info["mode"] = mode
    info["omp_wait_policy"] = (
        "PASSIVE" if args.omp_passive else os.environ.get("OMP_WAIT_POLICY", "default")
    )
    info["command"] = "python -m benchmarks.run " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    print_report(records, info)
    if args.json:
        write_json(records, args.json)
        Path(args.json).with_suffix(".machine.json").write_text(json.dumps(info, indent=1))
    if args.markdown:
        write_markdown(records, info, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
