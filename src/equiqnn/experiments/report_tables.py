"""The report's tables: a summary over seeds per group of non-seed axes, and McNemar–Bowker results.

Numbers are the mean ± standard error of the mean over the seeds of a group (a single seed shows
its value alone). Only axes that vary become columns; constant ones are listed once above the
table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from equiqnn.experiments.report_data import (
    AXES,
    DERIVED,
    LABELS,
    METRICS,
    axis_value,
    distinct,
    group_rows,
    mean_se,
    present,
    split_axes,
    varying,
)
from equiqnn.experiments.report_render import Table

__all__ = [
    "ALPHA",
    "fmt",
    "fmt_mean_se",
    "constants",
    "summary_keys",
    "summary_table",
    "bowker_summary",
    "bowker_table",
]

Rows = Sequence[dict[str, Any]]

#: Significance level of the McNemar–Bowker verdict column.
ALPHA = 0.05


def fmt(x: float) -> str:
    """A number in three decimals, or in scientific notation when tiny or huge; ``—`` for nan."""
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e4:
        return f"{x:.2e}"
    return f"{x:.3f}"


def fmt_mean_se(mean: float, se: float, n: int) -> str:
    """``mean ± se`` (the error in the mean's notation, rounding noise shown as 0); the mean alone
    for one value; ``—`` for none."""
    if n == 0:
        return "—"
    if n == 1:
        return fmt(mean)
    if not math.isfinite(se) or se <= 1e-12 * max(1.0, abs(mean)):
        return f"{fmt(mean)} ± 0"
    text = fmt(mean)
    err = f"{se:.1e}" if "e" in text or se < 5e-4 else f"{se:.3f}"
    return f"{text} ± {err}"


def constants(rows: Rows) -> dict[str, Any]:
    """Axes with exactly one value over all rows (in ``AXES`` order)."""
    return {a: distinct(rows, a)[0] for a in AXES if len(distinct(rows, a)) == 1}


def summary_keys(rows: Rows) -> list[str]:
    """The axes a summary groups by: the model, the training-set size, and every other axis that
    varies."""
    always = ("model", "n_train")
    return [a for a in AXES if varying(rows, a) or (a in always and present(rows, a))]


def _derived(rs: Rows, col: str) -> str:
    vals = distinct(rs, col)
    if not vals:
        return "—"
    return str(vals[0]) if len(vals) == 1 else f"{vals[0]}–{vals[-1]}"


def summary_table(rows: Rows) -> Table:
    """Per group of non-seed axes: seeds, parameters and gates, and every metric present."""
    keys = summary_keys(rows)
    metrics = [m for m in METRICS if present(rows, m)]
    derived = [d for d in DERIVED if present(rows, d)]
    header = (
        *(LABELS.get(k, k) for k in keys),
        *(LABELS.get(d, d) for d in derived),
        "seeds",
        *(LABELS.get(m, m) for m in metrics),
    )
    body = []
    for vals, rs in group_rows(rows, keys).items():
        body.append(
            (
                *(axis_value(k, v) for k, v in zip(keys, vals, strict=True)),
                *(_derived(rs, d) for d in derived),
                str(len(rs)),
                *(fmt_mean_se(*mean_se(r.get(m) for r in rs)) for m in metrics),
            )
        )
    align = ("l",) * len(keys) + ("r",) * (len(derived) + 1 + len(metrics))
    return Table(header, tuple(body), align)


def bowker_summary(rows: Rows) -> tuple[list[str], list[dict[str, Any]]]:
    """McNemar–Bowker results per model (and per other axis that varies among its rows).

    Each cell's test compares the labels predicted on the test images with those on their
    transformed copies (``bowker_stat``, ``bowker_p`` as stored). Returns the grouping keys and
    one dict per group: ``values`` (the keys' values), ``cells``, ``stat_mean``, ``stat_se``,
    ``p_median``, ``p_min``, ``significant`` (cells with p < ``ALPHA``), ``changed_mean``,
    ``changed_se`` (fraction of test images whose label changes, ``label_misassignment``).
    """
    rows = [r for r in rows if r.get("bowker_stat") is not None or r.get("bowker_p") is not None]
    if not rows:
        return [], []
    keys = ["model", *split_axes(rows, ["model"])]
    out = []
    for vals, rs in group_rows(rows, keys).items():
        ps = np.array([float(r["bowker_p"]) for r in rs if r.get("bowker_p") is not None])
        stat, stat_se, _ = mean_se(r.get("bowker_stat") for r in rs)
        changed, changed_se, n_changed = mean_se(r.get("label_misassignment") for r in rs)
        out.append(
            {
                "values": vals,
                "cells": len(rs),
                "stat_mean": stat,
                "stat_se": stat_se,
                "p_median": float(np.median(ps)) if ps.size else math.nan,
                "p_min": float(ps.min()) if ps.size else math.nan,
                "p_cells": int(ps.size),
                "significant": int(np.sum(ps < ALPHA)),
                "changed_mean": changed if n_changed else math.nan,
                "changed_se": changed_se,
                "changed_n": n_changed,
            }
        )
    return keys, out


def _verdict(g: dict[str, Any]) -> str:
    k, n = g["significant"], g["p_cells"]
    if n == 0:
        return "—"
    if k == 0:
        return f"no evidence (0/{n})"
    return f"yes ({k}/{n})" if k == n else f"in {k}/{n} cells"


def _p(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.4g}"


def bowker_table(rows: Rows) -> Table | None:
    """The ``bowker_summary`` as a table (None when no row holds a Bowker result)."""
    keys, groups = bowker_summary(rows)
    if not groups:
        return None
    header = (
        *(LABELS.get(k, k) for k in keys),
        "cells",
        "statistic",
        "p (median)",
        "p (min)",
        f"changes under the group? (p < {ALPHA})",
        "label change fraction",
    )
    body = []
    for g in groups:
        if not math.isfinite(g["stat_mean"]):
            stat = "—"
        elif g["cells"] == 1:
            stat = f"{g['stat_mean']:.4g}"
        else:
            stat = f"{g['stat_mean']:.4g} ± {g['stat_se']:.2g}"
        body.append(
            (
                *(axis_value(k, v) for k, v in zip(keys, g["values"], strict=True)),
                str(g["cells"]),
                stat,
                _p(g["p_median"]),
                _p(g["p_min"]),
                _verdict(g),
                fmt_mean_se(g["changed_mean"], g["changed_se"], g["changed_n"]),
            )
        )
    align = ("l",) * len(keys) + ("r",) * 4 + ("l", "r")
    return Table(header, tuple(body), align)
