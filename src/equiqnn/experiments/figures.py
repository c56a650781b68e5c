"""The field's figures, drawn from stored rows only (PNG, matplotlib's Agg canvas).

Every figure function takes the flat rows of a result store and a path, writes a PNG there and
returns the path, or returns None without writing when the rows lack the figure's axes. Lines are
the mean over seeds with a band (or error bar) of ± one standard error of the mean. Series are one
colour per model; an axis that varies inside a model's rows but is not drawn (the encoding, the
depth, ...) splits the series rather than being averaged over.

============================  ===========================================================
figure                        columns it needs
============================  ===========================================================
``accuracy_vs_n``             ``n_train``, ``test_acc`` (``orbit_acc`` dashed if present)
``noise_metrics``             ``noise_strength`` and one of the accuracy/symmetry metrics
``deviation_vs_depth``        ``layers`` (two values or more), ``noise_strength``, a deviation
``shortcut_bars``             one of ``watermark_acc``, ``transformed_acc``, ``clean_acc``
``gap_vs_layers``             ``layers``, ``train_acc``, ``orbit_acc``
``grad_var_vs_qubits``        ``n_qubits``, ``grad_var`` (error bars from ``grad_var_se``)
============================  ===========================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from equiqnn.experiments.figures_base import (
    add_legend,
    draw_series,
    new_figure,
    panel_title,
    save,
    series_colors,
)
from equiqnn.experiments.figures_noise import deviation_vs_depth, noise_metrics
from equiqnn.experiments.report_data import (
    LABELS,
    distinct,
    group_rows,
    label,
    mean_se,
    split_axes,
    varying,
)

__all__ = [
    "FIGURES",
    "accuracy_vs_n",
    "noise_metrics",
    "deviation_vs_depth",
    "shortcut_bars",
    "gap_vs_layers",
    "grad_var_vs_qubits",
]

Rows = Sequence[dict[str, Any]]


def _with(rows: Rows, *cols: str) -> list[dict[str, Any]]:
    return [r for r in rows if all(r.get(c) is not None for c in cols)]


def _only_kind(rows: Rows, kind: str) -> bool:
    return bool(rows) and all(r.get("study") in (None, kind) for r in rows)


def _panels(rows: Rows, axis: str = "dataset") -> list[Any]:
    return distinct(rows, axis) or [None]


def _legend(fig: Any, ax: Any, extra: Sequence[Any] = ()) -> None:
    handles, _ = ax.get_legend_handles_labels()
    add_legend(fig, [*handles, *extra])


def accuracy_vs_n(rows: Rows, path: Path) -> Path | None:
    """Test accuracy vs training-set size: clean solid, orbit dashed, one panel per data set.

    Drawn when ``n_train`` takes two values or more, or every row is a generalization study.
    """
    rows = _with(rows, "n_train", "test_acc")
    if not rows or not (varying(rows, "n_train") or _only_kind(rows, "generalization")):
        return None
    keys = ["model", *split_axes(rows, ["dataset", "model"], ["n_train"])]
    colors = series_colors(rows, keys)
    panels = _panels(rows)
    fig, axes = new_figure(1, len(panels))
    for ax, ds in zip(axes[0], panels, strict=True):
        sub = [r for r in rows if r.get("dataset") == ds]
        for vals, rs in group_rows(sub, keys).items():
            draw_series(ax, rs, "n_train", "test_acc", color=colors[vals], text=label(keys, vals))
            draw_series(
                ax, rs, "n_train", "orbit_acc", color=colors[vals], linestyle="--", hollow=True
            )
        ns = distinct(sub, "n_train")
        if len(ns) > 1 and min(ns) > 0 and max(ns) / min(ns) >= 4:
            ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.minorticks_off()
        ax.set_xlabel("training-set size N")
        ax.set_ylabel("test accuracy")
        ax.set_title(panel_title(["dataset"], [ds]) if ds is not None else "")
        ax.grid(alpha=0.3)
    from matplotlib.lines import Line2D

    styles = [
        Line2D([], [], color="k", linestyle="-", marker="o", ms=4, label="clean (solid)"),
        Line2D(
            [], [], color="k", linestyle="--", marker="o", ms=4, mfc="white", label="orbit (dashed)"
        ),
    ]
    _legend(fig, axes[0][0], styles)
    return save(fig, path)


def shortcut_bars(rows: Rows, path: Path) -> Path | None:
    """Watermarked / transformed / clean test accuracy per model (bars, ± s.e. over seeds)."""
    metrics = [m for m in ("watermark_acc", "transformed_acc", "clean_acc") if _with(rows, m)]
    rows = [r for r in rows if any(r.get(m) is not None for m in metrics)]
    if not metrics or not rows:
        return None
    keys = ["model", *split_axes(rows, ["dataset", "model"])]
    panels = _panels(rows)
    fig, axes = new_figure(1, len(panels), width=1.2 + 1.1 * len(group_rows(rows, keys)))
    width = 0.8 / len(metrics)
    for ax, ds in zip(axes[0], panels, strict=True):
        groups = group_rows([r for r in rows if r.get("dataset") == ds], keys)
        for k, m in enumerate(metrics):
            stats = [mean_se(r.get(m) for r in rs) for rs in groups.values()]
            x = np.arange(len(groups)) + (k - (len(metrics) - 1) / 2) * width
            ax.bar(
                x,
                [s[0] for s in stats],
                width,
                yerr=[s[1] for s in stats],
                capsize=3,
                color=f"C{k}",
                label=LABELS.get(m, m),
            )
        ax.set_xticks(np.arange(len(groups)), [label(keys, v) for v in groups], rotation=20)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("test accuracy")
        ax.set_title(panel_title(["dataset"], [ds]) if ds is not None else "")
        ax.grid(alpha=0.3, axis="y")
    _legend(fig, axes[0][0])
    return save(fig, path)


def gap_vs_layers(rows: Rows, path: Path) -> Path | None:
    """Generalization gap ``train_acc − orbit_acc`` vs number of layers, one panel per data set.

    Noisy rows (with a ``noise_strength``) are left to the noise figures. Drawn when ``layers`` takes two values or more, or every row is a layers study.
    """
    rows = [
        {**r, "_gap": float(r["train_acc"]) - float(r["orbit_acc"])}
        for r in _with(rows, "layers", "train_acc", "orbit_acc")
        if r.get("noise_strength") is None
    ]
    if not rows or not (varying(rows, "layers") or _only_kind(rows, "layers")):
        return None
    keys = ["model", *split_axes(rows, ["dataset", "model"], ["layers"])]
    colors = series_colors(rows, keys)
    panels = _panels(rows)
    fig, axes = new_figure(1, len(panels))
    for ax, ds in zip(axes[0], panels, strict=True):
        for vals, rs in group_rows([r for r in rows if r.get("dataset") == ds], keys).items():
            draw_series(ax, rs, "layers", "_gap", color=colors[vals], text=label(keys, vals))
        ax.axhline(0.0, color="k", linewidth=0.8)
        ax.set_xticks(distinct(rows, "layers"))
        ax.set_xlabel("layers")
        ax.set_ylabel("train acc − orbit test acc")
        ax.set_title(panel_title(["dataset"], [ds]) if ds is not None else "")
        ax.grid(alpha=0.3)
    _legend(fig, axes[0][0])
    return save(fig, path)


def _grad_stats(rs: Rows) -> tuple[float, float]:
    """Mean gradient variance over seeds and its error: the larger of the between-seed s.e. and
    the propagated within-cell s.e. ``sqrt(Σ se²) / n`` (one seed: its stored ``grad_var_se``)."""
    mean, se_between, n = mean_se(r.get("grad_var") for r in rs)
    within = [float(r["grad_var_se"]) for r in rs if r.get("grad_var_se") is not None]
    se_within = math.sqrt(sum(s * s for s in within)) / max(n, 1) if within else 0.0
    return mean, max(se_between, se_within)


def grad_var_vs_qubits(rows: Rows, path: Path) -> Path | None:
    """Gradient variance at initialization vs qubit count (log y), one line per model/family;
    beside it, clean (solid) and orbit (dashed) test accuracy vs qubits when the same studies'
    rows hold accuracies at two qubit counts or more."""
    grad = _with(rows, "n_qubits", "grad_var")
    if not grad:
        return None
    studies = {r.get("study") for r in grad}
    acc = [r for r in _with(rows, "n_qubits", "test_acc") if r.get("study") in studies]
    keys = ["model", *split_axes(grad + acc, ["model"], ["n_qubits"])]
    colors = series_colors(grad + acc, keys)
    with_acc = varying(acc, "n_qubits")
    fig, axes = new_figure(1, 2 if with_acc else 1, width=5.0, height=3.8)
    ax = axes[0][0]
    drawn = False
    for vals, rs in group_rows(grad, keys).items():
        pts = []
        for q in distinct(rs, "n_qubits"):
            mean, se = _grad_stats([r for r in rs if r.get("n_qubits") == q])
            if math.isfinite(mean) and mean > 0:
                pts.append((float(q), mean, se))
        if not pts:
            continue
        q_, m_, s_ = (np.asarray(v) for v in zip(*pts, strict=True))
        lower = np.minimum(s_, m_ * (1 - 1e-3))  # keep the bar's lower end positive on log y
        ax.errorbar(
            q_,
            m_,
            yerr=[lower, s_],
            marker="o",
            ms=4,
            capsize=3,
            color=colors[vals],
            label=label(keys, vals),
        )
        drawn = True
    if not drawn:
        return None
    ax.set_yscale("log")
    ax.set_xticks(distinct(grad, "n_qubits"))
    ax.set_xlabel("qubits")
    ax.set_ylabel("Var ∂C/∂θ at initialization")
    ax.grid(alpha=0.3, which="both")
    if with_acc:
        right = axes[0][1]
        for vals, rs in group_rows(acc, keys).items():
            draw_series(right, rs, "n_qubits", "test_acc", color=colors[vals])
            draw_series(
                right, rs, "n_qubits", "orbit_acc", color=colors[vals], linestyle="--", hollow=True
            )
        right.set_xticks(distinct(acc, "n_qubits"))
        right.set_xlabel("qubits")
        right.set_ylabel("test accuracy (clean solid, orbit dashed)")
        right.grid(alpha=0.3)
    _legend(fig, ax)
    return save(fig, path)


#: Every figure of a report: (file name, title, function), in report order.
FIGURES: tuple[tuple[str, str, Callable[[Rows, Path], Path | None]], ...] = (
    ("accuracy_vs_n.png", "Accuracy vs training-set size", accuracy_vs_n),
    ("noise_metrics.png", "Accuracy and symmetry breaking vs noise strength", noise_metrics),
    ("deviation_vs_depth.png", "Output deviation vs depth and noise strength", deviation_vs_depth),
    ("shortcut_bars.png", "Shortcut (watermark) study", shortcut_bars),
    ("gap_vs_layers.png", "Generalization gap vs layers", gap_vs_layers),
    ("grad_var_vs_qubits.png", "Gradient variance vs qubits", grad_var_vs_qubits),
)
