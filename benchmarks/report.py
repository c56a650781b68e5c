"""Ratios, the results tables (text / markdown), the contention summary and the JSON writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "REQUIRED_KEYS",
    "BASELINE",
    "add_ratios",
    "contention",
    "format_table",
    "format_targets",
    "format_many_qubits",
    "print_report",
    "targets",
    "write_json",
    "write_markdown",
]

REQUIRED_KEYS = ("case", "simulator", "median_s", "max_abs_dev", "peak_rss_mb")
BASELINE = {"statevector": "equiqnn-c64", "density": "equiqnn-dm-c64"}
# issue 6: fastest peer / equiqnn at least this, per case (None: no target)
SPEED_TARGET = {
    "w1-sv-n4-L4-B64": 5.0,
    "w1-sv-n8-L4-B64": 5.0,
    "w1-sv-n12-L4-B64": 5.0,
    "w1-sv-n8-L4-B256": 5.0,
    "w1-sv-n16-L4-B64": 2.0,
    "w1-dm-n6-L2-B16": 5.0,
    "w1-dm-n8-L2-B16": 5.0,
    "w1-dm-n10-L2-B16": 5.0,
}

# statevector cases: the steady-state step's peak within 3x of B·2^n·8 bytes plus a fixed overhead
# (allocator arenas, index tables, the autograd graph: 0-11 MiB measured at n <= 12)
MEMORY_TARGET = 3.0
MEMORY_FIXED_MB = 16.0


def add_ratios(records: list[dict]) -> None:
    """``ratio`` = simulator median / equiqnn median (complex64 engine of the case's kind), so
    ratio > 1 means equiqnn is faster."""
    base: dict[str, float] = {}
    for r in records:
        if r["simulator"] == BASELINE.get(r.get("kind", ""), "") and r.get("median_s"):
            base[r["case"]] = r["median_s"]
    for r in records:
        b = base.get(r["case"])
        r["ratio"] = r["median_s"] / b if (b and r.get("median_s")) else None


def _fmt(v: Any, spec: str) -> str:
    if v is None:
        return "—"
    try:
        return format(v, spec)
    except (TypeError, ValueError):
        return str(v)


def _median_cell(r: dict) -> str:
    if r.get("median_s") is not None:
        cell = _fmt(r["median_s"], ".4g")
        return f"~{cell}" if r.get("extrapolated") else cell
    status = r.get("status") or "—"
    if r.get("estimated_unit_s") is not None:
        return f"{status} (est. {r['estimated_unit_s']:.3g})"
    return status


def _peak_cell(r: dict) -> str:
    """Peak memory; for equiqnn's workload rows the memory floor ``B·dim·8`` bytes beside it."""
    peak = _fmt(r.get("peak_rss_mb"), ".0f")
    if r.get("simulator", "").startswith("equiqnn") and r.get("floor_mb") is not None:
        return f"{peak} (floor {r['floor_mb']:.3g})"
    return peak


def _table(head: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(head)]
    widths[-1] = 0

    def fmt_row(row: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return "\n".join([fmt_row(head)] + [fmt_row(row) for row in rows])


def format_table(records: list[dict], markdown: bool = True) -> str:
    """The results table: case, simulator, median_s (or the status when not timed), ratio (this
    simulator's median ÷ equiqnn's: how many times faster equiqnn is), max_abs_dev, peak_rss_mb
    (with equiqnn's memory floor), other_cpu (cores used by other processes while timing), note."""
    head = ["case", "simulator", "median_s", "ratio", "max_abs_dev", "peak_rss_mb", "other_cpu"]
    head.append("note")
    rows = []
    for r in records:
        note = r.get("note", "") or ""
        if r.get("status") == "ok":
            extra = []
            if (r.get("compile_s") or 0) > 0.05:
                extra.append(f"first call +{r['compile_s']:.2g} s")
            if r.get("reps") and "budget" not in note:
                extra.append(f"{r['reps']} reps")
            if extra:
                note = f"{note}; {', '.join(extra)}" if note else ", ".join(extra)
        rows.append(
            [
                r["case"],
                r["simulator"],
                _median_cell(r),
                _fmt(r.get("ratio"), ".2f"),
                _fmt(r.get("max_abs_dev"), ".1e"),
                _peak_cell(r),
                _fmt(r.get("foreign_cpu_cores"), ".2f"),
                note,
            ]
        )
    return _table(head, rows, markdown)


def targets(records: list[dict]) -> list[dict]:
    """Per workload case: equiqnn's median, the fastest timed peer, their ratio and issue 6's
    target for it, and equiqnn's memory against the floor."""
    by_case: dict[str, list[dict]] = {}
    for r in records:
        if r.get("kind") in BASELINE:
            by_case.setdefault(r["case"], []).append(r)
    out = []
    for case, rs in by_case.items():
        kind = rs[0]["kind"]
        base = next((r for r in rs if r["simulator"] == BASELINE[kind]), None)
        peers = [
            r
            for r in rs
            if not r["simulator"].startswith("equiqnn") and r.get("median_s") is not None
        ]
        best = min(peers, key=lambda r: r["median_s"]) if peers else None
        row: dict[str, Any] = {
            "case": case,
            "kind": kind,
            "equiqnn_s": None if base is None else base.get("median_s"),
            "fastest_peer": None if best is None else best["simulator"],
            "fastest_peer_s": None if best is None else best["median_s"],
            "target": SPEED_TARGET.get(case),
        }
        row["speedup"] = (
            row["fastest_peer_s"] / row["equiqnn_s"]
            if row["equiqnn_s"] and row["fastest_peer_s"]
            else None
        )
        if base is not None and base.get("peak_rss_mb") is not None:
            row["peak_rss_mb"] = base["peak_rss_mb"]
            row["base_rss_mb"] = base.get("base_rss_mb")
            row["floor_mb"] = base.get("floor_mb")
            if row["floor_mb"] and base.get("base_rss_mb") is not None:
                row["mem_over_floor"] = (base["peak_rss_mb"] - base["base_rss_mb"]) / row[
                    "floor_mb"
                ]
            if row["floor_mb"] and base.get("step_peak_mb") is not None:
                row["step_peak_mb"] = base["step_peak_mb"]
                row["step_over_floor"] = base["step_peak_mb"] / row["floor_mb"]
        out.append(row)
    return out


def _verdict(value: float | None, target: float | None, higher_is_better: bool) -> str:
    if target is None:
        return "—"
    if value is None:
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return "meets" if ok else "MISSES"


def format_targets(rows: list[dict], markdown: bool = False) -> str:
    """Issue 6's targets: fastest peer ÷ equiqnn per case, and equiqnn's memory over its floor."""
    head = ["case", "equiqnn_s", "fastest peer", "peer_s", "peer/equiqnn", "target", "verdict"]
    head += ["peak_rss_mb", "base_rss_mb", "floor_mb", "(peak-base)/floor", "step_peak_mb"]
    head += ["step/floor", "memory (sv: step <= 3x floor + 16 MiB)"]
    body = []
    for r in rows:
        tgt = r.get("target")
        mem = None
        if r["case"].startswith("w1-sv") and r.get("step_peak_mb") is not None:
            mem = "meets" if r["step_peak_mb"] <= _memory_limit_mb(r["floor_mb"]) else "MISSES"
        body.append(
            [
                r["case"],
                _fmt(r.get("equiqnn_s"), ".4g"),
                r.get("fastest_peer") or "—",
                _fmt(r.get("fastest_peer_s"), ".4g"),
                _fmt(r.get("speedup"), ".2f"),
                "—" if tgt is None else f">= {tgt:g}x",
                _verdict(r.get("speedup"), tgt, True),
                _fmt(r.get("peak_rss_mb"), ".0f"),
                _fmt(r.get("base_rss_mb"), ".0f"),
                _fmt(r.get("floor_mb"), ".3g"),
                _fmt(r.get("mem_over_floor"), ".2f"),
                _fmt(r.get("step_peak_mb"), ".0f"),
                _fmt(r.get("step_over_floor"), ".2f"),
                mem or "—",
            ]
        )
    return _table(head, body, markdown)


def _memory_limit_mb(floor_mb: float) -> float:
    return MEMORY_TARGET * floor_mb + MEMORY_FIXED_MB


def format_many_qubits(records: list[dict], markdown: bool = False) -> str:
    """Issue 12's many-qubit cases against their targets."""
    head = ["case", "engine", "median_s", "target", "verdict", "peak_rss_mb", "note"]
    body = []
    for r in records:
        if r.get("kind") != "many-qubit":
            continue
        verdict = _verdict(r.get("median_s"), r.get("target_s"), False)
        if r.get("median_s") is None and r.get("target_s") is not None:
            verdict = r.get("status") or verdict
        body.append(
            [
                r["case"],
                r["simulator"],
                _median_cell(r),
                r.get("target") or "—",
                verdict,
                _fmt(r.get("peak_rss_mb"), ".0f"),
                r.get("note") or "",
            ]
        )
    return _table(head, body, markdown)


def contention(records: list[dict]) -> dict[str, float | None]:
    """Mean and max over the timed records of the CPU (cores) other processes used meanwhile."""
    vals = [r["foreign_cpu_cores"] for r in records if r.get("foreign_cpu_cores") is not None]
    if not vals:
        return {"mean": None, "max": None, "n": 0}
    return {"mean": sum(vals) / len(vals), "max": max(vals), "n": len(vals)}


def _header(info: dict, records: list[dict]) -> list[str]:
    c = contention(records)
    load = info.get("loadavg") or []
    end = info.get("loadavg_end") or []
    lines = [
        f"machine: {info['cpu']}; {info['cores']} cores; {info['memory_gib']} GiB; "
        f"Python {info['python']}; {info.get('platform', '')}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"load average (1/5/15 min): start {', '.join(f'{v:.2f}' for v in load)}; "
        f"end {', '.join(f'{v:.2f}' for v in end)}",
    ]
    busy = f"{info.get('busy_at_start_cores', 0.0):.2f} cores busy just before the run"
    if c["n"]:
        quiet = (c["max"] or 0.0) < 0.25
        lines.append(
            f"CPU contention (measured): other processes used {c['mean']:.2f} cores on average "
            f"(max {c['max']:.2f}) of {info['cores']} while the {c['n']} timings ran; {busy}. "
            + ("Quiet machine." if quiet else "DISTURBED: ratios are indicative only.")
        )
    else:
        lines.append(f"CPU contention (measured): no timed records; {busy}.")
    return lines


def print_report(records: list[dict], info: dict) -> None:
    """The full printed report: machine, contention, results, issue-6 and issue-12 targets."""
    print(f"# equiqnn benchmarks ({info.get('mode', '')})")
    print("\n".join(_header(info, records)))
    print()
    print(format_table(records, markdown=False))
    print("\nIssue 6 targets (ratio = fastest peer's median / equiqnn's):")
    print(format_targets(targets(records)))
    print("\nIssue 12 many-qubit cases (equiqnn only; no peer exists):")
    print(format_many_qubits(records))
    print(f"\ntotal {info.get('total_s', 0.0):.0f} s; command: {info.get('command', '')}")


def write_markdown(records: list[dict], info: dict, path: str) -> None:
    """The same report as markdown (for docs/performance.md)."""
    md = [
        *(f"{line}  " for line in _header(info, records)),
        "",
        format_table(records, markdown=True),
        "",
        "Issue 6 targets (fastest peer / equiqnn):",
        "",
        format_targets(targets(records), markdown=True),
        "",
        "Issue 12 many-qubit cases:",
        "",
        format_many_qubits(records, markdown=True),
        "",
    ]
    Path(path).write_text("\n".join(md))


def write_json(records: list[dict], path: str) -> None:
    """A list of objects with at least the keys ``case``, ``simulator``, ``median_s``,
    ``max_abs_dev`` and ``peak_rss_mb`` (None where not measured); extra keys kept."""
    out = []
    for r in records:
        row = {k: r.get(k) for k in REQUIRED_KEYS}
        row.update({k: v for k, v in r.items() if k not in row})
        out.append(row)
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1, default=_json_default)


def _json_default(v: Any) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)
