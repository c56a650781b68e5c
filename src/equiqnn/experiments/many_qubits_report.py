"""What the many-qubit study writes: figures, ``results.csv`` and ``many_qubits.md``.

Everything is computed from the stored rows, so the figures and tables can be redrawn without
recomputing a cell.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from equiqnn.experiments.many_qubits_spec import DLASpec, ManyQubitsSpec
from equiqnn.experiments.outputs import machine_info, write_csv

__all__ = [
    "GRADVAR_FIGURE",
    "ISING_FIGURE",
    "plot_gradvar",
    "plot_ising",
    "gradvar_table",
    "ising_table",
    "digits64_table",
    "dla_rows",
    "write_markdown",
]

GRADVAR_FIGURE = "gradvar_vs_qubits.png"
ISING_FIGURE = "many_qubits_ising_accuracy.png"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ok(r: dict[str, Any], key: str) -> bool:
    v = r.get(key)
    return isinstance(v, (int, float)) and math.isfinite(v)


def _gradvar_points(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, int], list[tuple]]:
    """(model, layers) -> sorted [(n_qubits, mean grad_var, combined se)] averaged over seeds."""
    acc: dict[tuple[str, int, int], list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        if r.get("part") == "gradvar" and _ok(r, "grad_var"):
            acc[(r["model"], r["layers"], r["n_qubits"])].append((r["grad_var"], r["grad_var_se"]))
    out: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    for (model, layers, n), vals in acc.items():
        v = np.array(vals)
        se = float(np.sqrt((v[:, 1] ** 2).sum()) / len(v))
        out[(model, layers)].append((n, float(v[:, 0].mean()), se))
    return {k: sorted(v) for k, v in out.items()}


def plot_gradvar(rows: Sequence[dict[str, Any]], path: Path) -> bool:
    """Gradient variance vs qubits, log–log, one panel per depth; returns False with no data."""
    points = _gradvar_points(rows)
    if not points:
        return False
    plt = _plt()
    depths = sorted({layers for _, layers in points})
    fig, axes = plt.subplots(1, len(depths), figsize=(5.2 * len(depths), 4.2), squeeze=False)
    models = sorted({m for m, _ in points})
    colors = plt.get_cmap("tab10")
    for ax, layers in zip(axes[0], depths, strict=True):
        for k, m in enumerate(models):
            pts = points.get((m, layers))
            if not pts:
                continue
            n, v, se = (np.array(c) for c in zip(*pts, strict=True))
            lower = np.minimum(se, v * 0.999)  # keep the bar above zero on log axes
            ax.errorbar(
                n, v, yerr=[lower, se], marker="o", ms=4, capsize=3, color=colors(k), label=m
            )
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("qubits n")
        ax.set_ylabel("Var[∂⟨O⟩/∂θ] (mean over θ_k)")
        ax.set_title(f"{layers} layers")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle("Gradient variance at initialization (bootstrap ± 1 se)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return True


def _acc_summary(rows: Sequence[dict[str, Any]], part: str) -> dict[tuple[str, int], list[float]]:
    out: dict[tuple[str, int], list[float]] = defaultdict(list)
    for r in rows:
        if r.get("part") == part and _ok(r, "test_acc"):
            out[(r["model"], r["n_qubits"])].append(float(r["test_acc"]))
    return out


def plot_ising(rows: Sequence[dict[str, Any]], path: Path) -> bool:
    """Ising test accuracy vs qubits (mean ± std over seeds); returns False with no data."""
    summary = _acc_summary(rows, "ising")
    if not summary:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for model in sorted({m for m, _ in summary}):
        ns = sorted(n for m, n in summary if m == model)
        mean = np.array([np.mean(summary[(model, n)]) for n in ns])
        std = np.array([np.std(summary[(model, n)]) for n in ns])
        ax.errorbar(ns, mean, yerr=std, marker="o", capsize=3, label=model)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("qubits n = L²")
    ax.set_ylabel("test accuracy")
    ax.set_title("2D Ising phases, one qubit per spin")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return True


def _fmt(v: Any, spec: str = ".3g") -> str:
    return format(v, spec) if isinstance(v, (int, float)) and math.isfinite(v) else "–"


def gradvar_table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown: one line per gradient-variance cell, sorted by model, layers, qubits, seed."""
    lines = [
        "| model | engine | layers | qubits | seed | draws | grad var | bootstrap se | "
        "trunc. error | status | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    sel = [r for r in rows if r.get("part") == "gradvar"]
    for r in sorted(sel, key=lambda r: (r["model"], r["layers"], r["n_qubits"], r["seed"])):
        lines.append(
            f"| {r['model']} | {r.get('engine', '')} | {r['layers']} | {r['n_qubits']} | "
            f"{r['seed']} | {r.get('draws', '–')} | {_fmt(r.get('grad_var'))} | "
            f"{_fmt(r.get('grad_var_se'), '.2g')} | {_fmt(r.get('error_bar'), '.2g')} | "
            f"{r.get('status')} | {_fmt(r.get('seconds'), '.1f')} |"
        )
    return "\n".join(lines)


def _acc_table(rows: Sequence[dict[str, Any]], part: str) -> str:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r.get("part") == part:
            groups[(r["model"], r["n_qubits"])].append(r)
    lines = [
        "| model | engine | qubits | test acc | orbit acc | seeds | trunc. error | status | s/cell |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (model, n), rs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        acc = [r["test_acc"] for r in rs if _ok(r, "test_acc")]
        orb = [r["orbit_acc"] for r in rs if _ok(r, "orbit_acc")]
        status = ",".join(sorted({str(r.get("status")) for r in rs}))
        err = max((r.get("error_bar") or 0.0) for r in rs)
        secs = float(np.mean([r.get("seconds") or 0.0 for r in rs]))
        a = f"{np.mean(acc):.3f} ± {np.std(acc):.3f}" if acc else "–"
        o = f"{np.mean(orb):.3f} ± {np.std(orb):.3f}" if orb else "–"
        lines.append(
            f"| {model} | {rs[0].get('engine', '')} | {n} | {a} | {o} | {len(acc)} | "
            f"{_fmt(err, '.2g')} | {status} | {secs:.1f} |"
        )
    return "\n".join(lines)


def ising_table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown: Ising accuracy per model and size, mean ± std over seeds."""
    return _acc_table(rows, "ising")


def digits64_table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown: 8×8 digits accuracy (clean and D4 orbit) per model, mean ± std over seeds."""
    return _acc_table(rows, "digits64")


def dla_rows(spec: ManyQubitsSpec, out: Path | None = None) -> tuple[str, float]:
    """Markdown DLA table: S_n sizes of the study by the closed form, ring and D4 by closure.

    The closures (minutes) are kept in ``out/dla_table.json`` and reused for the same ``dla``
    section. Returns the table and the seconds the closures took when computed.
    """
    from equiqnn.symmetry import sn_dla_dimension

    lines = ["| family | qubits | generators | DLA dimension |", "|---|---|---|---|"]
    sn_sizes: set[int] = set()
    if spec.gradvar is not None:
        for fam in spec.gradvar.families.values():
            if fam.name == "sn":
                sn_sizes.update(fam.sizes)
    if spec.ising is not None and "sn" in spec.ising.models:
        sn_sizes.update(L * L for L in spec.ising.sizes)
    kinds = ("X", "Y", "Z", "ZZ", "XX", "YY")
    for n in sorted(sn_sizes):
        dim = sn_dla_dimension(n, kinds)
        lines.append(f"| S{n} (closed form) | {n} | ΣX, ΣY, ΣZ, ΣZZ, ΣXX, ΣYY | {dim} |")
    dla = spec.dla or DLASpec()
    key = json.dumps(dla.model_dump(mode="json"), sort_keys=True)
    path = None if out is None else out / "dla_table.json"
    if path is not None and path.is_file() and json.loads(path.read_text()).get("key") == key:
        cached = json.loads(path.read_text())
    else:
        t0 = time.perf_counter()
        cached = {"key": key, "rows": _closure_rows(dla), "seconds": time.perf_counter() - t0}
        if path is not None:
            path.write_text(json.dumps(cached))
    return "\n".join(lines + cached["rows"]), float(cached["seconds"])


def _closure_rows(dla: DLASpec) -> list[str]:
    from equiqnn.circuits import AngleEncoding
    from equiqnn.circuits.ansatz import equivariant_generators_for
    from equiqnn.groups import cyclic, grid_d4
    from equiqnn.symmetry import dla_table, format_dla_table

    fams: list[tuple] = []
    for n in dla.ring_sizes:
        rep = AngleEncoding(n).representation(cyclic(n))
        gens = equivariant_generators_for(rep)
        fams.append((f"C{n} ring", gens, rep, "twirled X,Y,Z + nn ZZ,XX,YY", dla.max_dim))
    for side in dla.d4_sides:
        rep = AngleEncoding((side, side)).representation(grid_d4(side))
        gens = equivariant_generators_for(rep, "X", ("ZZ",))
        fams.append((f"D4 {side}x{side} pixels", gens, rep, "twirled X + nn ZZ", dla.max_dim))
    return format_dla_table(dla_table(fams)).splitlines()[2:] if fams else []


def write_markdown(
    out: Path,
    spec: ManyQubitsSpec,
    rows: Sequence[dict[str, Any]],
    command: str,
    figures: dict[str, bool],
    wall_s: float,
    parts: Sequence[str],
) -> Path:
    """``results.csv`` and ``many_qubits.md``: tables, figures with their command, times, DLAs."""
    if rows:
        cols = list(dict.fromkeys(k for r in rows for k in r))
        write_csv([{k: r.get(k) for k in cols} for r in rows], out / "results.csv")
    secs: dict[str, float] = defaultdict(float)
    for r in rows:
        secs[str(r.get("part"))] += float(r.get("seconds") or 0.0)
    text = [f"# Many qubits: {spec.name}", "", f"Regenerate: `{command}`", ""]
    text += [
        f"Machine: {machine_info()}. Wall time of this run: {wall_s:.0f} s "
        f"({spec.workers} worker process(es)); cell time limit {spec.time_limit_s:g} s "
        f"(cooperative), killed after {spec.kill_after_s:g} s.",
        "",
        "| part | cells | summed cell seconds |",
        "|---|---|---|",
    ]
    for part in parts:
        n = sum(1 for r in rows if r.get("part") == part)
        text.append(f"| {part} | {n} | {secs[part]:.0f} |")
    if "gradvar" in parts:
        text += ["", "## Gradient variance vs qubits", ""]
        if figures.get("gradvar"):
            text += [
                f"![gradient variance vs qubits]({GRADVAR_FIGURE})",
                "",
                f"`{command} --only gradvar`",
                "",
            ]
        text += [
            "Var over random θ ~ U[-π, π) of ∂⟨ΣX/n⟩/∂θ_k, averaged over parameters and the fixed "
            "random product inputs; bootstrap standard error over the draws. `partial`: fewer "
            "draws than asked (time limit); `time_limit`/`killed`: no value.",
            "",
            gradvar_table(rows),
        ]
    if "ising" in parts:
        text += ["", "## 2D Ising phases, one qubit per spin", ""]
        if figures.get("ising"):
            text += [
                f"![Ising accuracy vs qubits]({ISING_FIGURE})",
                "",
                f"`{command} --only ising`",
                "",
            ]
        text += [
            "`sn`: S_n-invariant QNN (SnSectorEngine); `translation`: translation-invariant QNN "
            "(Pauli propagation); `logistic`: logistic regression on |m|.",
            "",
            ising_table(rows),
        ]
    if "digits64" in parts:
        text += [
            "",
            "## 8×8 digits, D4, one qubit per pixel (64 qubits)",
            "",
            f"`{command} --only digits64`",
            "",
            "`invariant`: D4-invariant QNN (Pauli propagation, truncation error beside it); "
            "`logistic`: logistic regression on the pixels; `logistic-d4`: the same trained on all "
            "8 D4 copies of every training image. Orbit accuracy: mean over the 8 copies of the "
            "test images.",
            "",
            digits64_table(rows),
        ]
    if spec.dla is not None:
        table, dla_s = dla_rows(spec, out)
        text += [
            "",
            "## DLA dimensions of the families (they predict trainability)",
            "",
            table,
            "",
            f"(computed in {dla_s:.0f} s; '≥' marks a closure stopped at max_dim)",
        ]
    path = out / "many_qubits.md"
    path.write_text("\n".join(text) + "\n")
    return path
