"""Shared drawing helpers of the study figures: a panel grid, a mean ± s.e. line, saving.

Figures are built on ``matplotlib.figure.Figure`` with the Agg canvas, never through pyplot, so
drawing neither switches a global backend nor keeps figures alive.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from equiqnn.experiments.report_data import distinct, group_rows, label, mean_se

__all__ = [
    "COLORS",
    "new_figure",
    "save",
    "draw_series",
    "series_colors",
    "stats_by",
    "panel_title",
    "add_legend",
]

#: Qualitative colour cycle (matplotlib's tab10), indexed by series.
COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def new_figure(
    nrows: int, ncols: int, *, width: float = 4.2, height: float = 3.2, legend: float = 2.6
) -> tuple[Any, Any]:
    """A ``Figure`` with an ``(nrows, ncols)`` array of axes (always 2-D) and ``legend`` inches
    kept free on the right for ``add_legend``. Fixed margins (no constrained layout, which would
    draw the figure twice)."""
    from matplotlib.figure import Figure

    fig_w, fig_h = width * ncols + legend, height * nrows + 0.5
    fig = Figure(figsize=(fig_w, fig_h))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    fig.subplots_adjust(
        left=0.75 / fig_w,
        right=1 - (legend + 0.1) / fig_w,
        bottom=0.75 / fig_h,
        top=1 - 0.55 / fig_h,
        wspace=0.35,
        hspace=0.5,
    )
    return fig, axes


def add_legend(fig: Any, handles: Sequence[Any]) -> None:
    """A figure legend in the free strip on the right (nothing when there are no handles)."""
    if handles:
        fig.legend(
            handles=list(handles),
            loc="center left",
            bbox_to_anchor=(fig.subplotpars.right + 0.01, 0.5),
            fontsize=7,
            frameon=False,
        )


def save(fig: Any, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, format="png")
    return path


def series_colors(
    rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> dict[tuple[Any, ...], str]:
    """One colour per distinct value tuple of ``keys`` over all ``rows`` (stable across panels)."""
    groups = group_rows(rows, keys)
    return {vals: COLORS[k % len(COLORS)] for k, vals in enumerate(groups)}


def stats_by(
    rows: Sequence[dict[str, Any]], x: str, y: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x values (sorted) and the mean and s.e. of ``y`` over the rows at each (rows without y
    skipped)."""
    xs, means, ses = [], [], []
    for xv in distinct(rows, x):
        mean, se, n = mean_se(r.get(y) for r in rows if r.get(x) == xv)
        if n:
            xs.append(float(xv))
            means.append(mean)
            ses.append(se)
    return np.asarray(xs), np.asarray(means), np.asarray(ses)


def draw_series(
    ax: Any,
    rows: Sequence[dict[str, Any]],
    x: str,
    y: str,
    *,
    color: Any,
    linestyle: str = "-",
    marker: str = "o",
    text: str | None = None,
    hollow: bool = False,
) -> bool:
    """Mean of ``y`` against ``x`` with a ± s.e. band (``hollow``: open markers); returns whether
    anything was drawn."""
    xs, means, ses = stats_by(rows, x, y)
    if xs.size == 0:
        return False
    face = "white" if hollow else color
    ax.plot(xs, means, linestyle=linestyle, marker=marker, ms=4, color=color, mfc=face, label=text)
    if np.any(ses > 0):
        ax.fill_between(xs, means - ses, means + ses, color=color, alpha=0.15, linewidth=0)
    return True


def panel_title(keys: Sequence[str], values: Sequence[Any], *, wrap: bool = False) -> str:
    """A panel's title from its axes (empty for no axes); ``wrap`` puts the first on its own
    line."""
    if not keys:
        return ""
    if wrap and len(keys) > 1:
        return label(keys[:1], values[:1]) + "\n" + label(keys[1:], values[1:])
    return label(keys, values)
