"""Noise-study figures: metrics vs noise strength per channel, and deviation vs depth × strength.

Rows of a noise study carry ``noise_channel``, ``noise_strength``, ``noise_frame`` (X|Z),
``noise_placement`` (gate|layer) and ``noise_phase`` (test: trained noiseless, evaluated under
noise; train: trained and evaluated under noise). A row whose channel or phase is None (a noiseless
reference) is drawn in every column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from equiqnn.experiments.figures_base import (
    add_legend,
    draw_series,
    new_figure,
    panel_title,
    save,
    series_colors,
)
from equiqnn.experiments.report_data import (
    LABELS,
    distinct,
    group_rows,
    label,
    present,
    split_axes,
    varying,
)

__all__ = ["noise_metrics", "deviation_vs_depth", "PHASES"]

Rows = Sequence[dict[str, Any]]

#: How the two noise phases read in titles.
PHASES = {
    "test": "test-time noise (trained noiseless)",
    "train": "train-time noise (trained under noise)",
}

_NOISE_METRICS = (
    "test_acc",
    "orbit_acc",
    "invariance_gap",
    "max_output_deviation",
    "label_misassignment",
)
_STYLES: tuple[Any, ...] = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D")
_NOISE_AXES = ("noise_channel", "noise_phase", "noise_frame", "noise_placement", "noise_strength")


def _column_rows(rows: Rows, channel: Any, phase: Any) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r.get("noise_channel") in (channel, None) and r.get("noise_phase") in (phase, None)
    ]


def _style_text(frame: Any, placement: Any) -> str:
    parts = []
    if frame is not None:
        parts.append(f"{frame}-frame")
    if placement is not None:
        parts.append(f"noise per {placement}")
    return ", ".join(parts) or "noise"


def noise_metrics(rows: Rows, path: Path) -> Path | None:
    """Accuracy and symmetry-breaking metrics vs noise strength.

    One row of panels per metric (clean and orbit accuracy, invariance gap, output deviation,
    label change fraction: those present), one column per channel × phase (test-time vs
    train-time noise); colour per model, line style and marker per frame × placement.
    """
    rows = [r for r in rows if r.get("noise_strength") is not None]
    metrics = [m for m in _NOISE_METRICS if present(rows, m)]
    if not rows or not metrics:
        return None
    columns = [
        (c, p)
        for c in (distinct(rows, "noise_channel") or [None])
        for p in (distinct(rows, "noise_phase") or [None])
    ]
    keys = ["model", *split_axes(rows, ["model", *_NOISE_AXES[:-1]], ["noise_strength"])]
    colors = series_colors(rows, keys)
    style_keys = _style_keys(rows)
    style = {s: k for k, s in enumerate(style_keys)}
    fig, axes = new_figure(len(metrics), len(columns), width=3.6, height=2.5)
    for j, (channel, phase) in enumerate(columns):
        sub = _column_rows(rows, channel, phase)
        for i, metric in enumerate(metrics):
            ax = axes[i][j]
            for vals, rs in group_rows(sub, [*keys, "noise_frame", "noise_placement"]).items():
                k = style[(vals[-2], vals[-1])]
                draw_series(
                    ax,
                    rs,
                    "noise_strength",
                    metric,
                    color=colors[vals[: len(keys)]],
                    linestyle=_STYLES[k % len(_STYLES)],
                    marker=_MARKERS[k % len(_MARKERS)],
                )
            if i == 0:
                head = [str(channel) if channel is not None else "noise"]
                if phase is not None:
                    head.append(PHASES.get(str(phase), str(phase)))
                ax.set_title("\n".join(head), fontsize=9)
            if j == 0:
                ax.set_ylabel(LABELS.get(metric, metric))
            if i == len(metrics) - 1:
                ax.set_xlabel("noise strength γ")
            ax.grid(alpha=0.3)
    _noise_legend(fig, keys, colors, style_keys)
    return save(fig, path)


def _style_handles(style_keys: Sequence[tuple[Any, Any]]) -> list[Any]:
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [],
            [],
            color="k",
            linestyle=_STYLES[k % len(_STYLES)],
            marker=_MARKERS[k % len(_MARKERS)],
            label=_style_text(frame, placement),
        )
        for k, (frame, placement) in enumerate(style_keys)
    ]


def _noise_legend(
    fig: Any,
    keys: Sequence[str],
    colors: dict[tuple[Any, ...], str],
    style_keys: Sequence[tuple[Any, Any]],
) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, label=label(keys, v)) for v, c in colors.items()]
    add_legend(fig, handles + _style_handles(style_keys))


def _style_keys(rows: Rows) -> list[tuple[Any, Any]]:
    return sorted({(r.get("noise_frame"), r.get("noise_placement")) for r in rows}, key=str)


def deviation_vs_depth(rows: Rows, path: Path) -> Path | None:
    """Output deviation vs layers: colour per noise strength γ, line style per frame ×
    placement, one panel per model (and per channel, phase or other axis that varies). Drawn
    when ``layers`` takes two values or more."""
    metric = next((m for m in ("max_output_deviation", "invariance_gap") if present(rows, m)), None)
    if metric is None:
        return None
    rows = [
        r for r in rows if all(r.get(c) is not None for c in ("layers", "noise_strength", metric))
    ]
    if not rows or not varying(rows, "layers"):
        return None
    styled = ["noise_frame", "noise_placement"]
    keys = ["model", *split_axes(rows, ["model", *styled], ["layers", "noise_strength"])]
    panels = group_rows(rows, keys)
    ncols = min(4, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = new_figure(nrows, ncols, width=3.6, height=2.8)
    strengths = distinct(rows, "noise_strength")
    style_keys = _style_keys(rows)
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    colors = {
        g: matplotlib.colors.to_hex(cmap(k / max(1, len(strengths) - 1)))
        for k, g in enumerate(strengths)
    }
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, (vals, rs) in zip(axes.flat, panels.items(), strict=False):
        for (g, frame, placement), line_rows in group_rows(rs, ["noise_strength", *styled]).items():
            k = style_keys.index((frame, placement))
            draw_series(
                ax,
                line_rows,
                "layers",
                metric,
                color=colors[g],
                linestyle=_STYLES[k % len(_STYLES)],
                marker=_MARKERS[k % len(_MARKERS)],
            )
        top = max(float(r[metric]) for r in rs)
        ax.set_yscale("symlog", linthresh=1e-6)
        ax.set_ylim(0, max(2 * top, 1e-5))
        ax.set_xticks(distinct(rows, "layers"))
        ax.set_xlabel("layers")
        ax.set_ylabel(LABELS.get(metric, metric))
        ax.set_title(panel_title(keys, vals, wrap=True), fontsize=8)
        ax.grid(alpha=0.3)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colors[g], label=f"γ={g:g}") for g in strengths]
    handles += _style_handles(style_keys) if len(style_keys) > 1 else []
    add_legend(fig, handles)
    return save(fig, path)
