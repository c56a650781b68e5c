"""What a study writes: ``results.csv``, a summary table, the accuracy-vs-N figure, ``report.md``.

Everything here is computed from the stored rows only, so a figure can be regenerated from
``results.csv`` without retraining.
"""

from __future__ import annotations

import csv
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "write_csv",
    "read_csv",
    "summarize",
    "format_table",
    "plot_accuracy_vs_n",
    "write_report",
    "machine_info",
    "machine_details",
]

LABELS = {
    "invariant": "invariant QNN",
    "control": "matched control QNN",
    "symmetrized": "symmetrized control",
    "baseline": "hardware-efficient QNN",
    "hardware_efficient": "hardware-efficient QNN",
    "logistic": "logistic regression",
    "mlp": "MLP",
    "cnn": "small CNN",
    "invariant_cnn": "group-invariant CNN",
}


def write_csv(rows: Sequence[dict[str, Any]], path: Path) -> None:
    keys = list(rows[0])
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def read_csv(path: Path) -> list[dict[str, Any]]:
    def conv(v: str) -> Any:
        for t in (int, float):
            try:
                return t(v)
            except ValueError:
                pass
        return None if v == "" else v

    with open(path, newline="") as fh:
        return [{k: conv(v) for k, v in row.items()} for row in csv.DictReader(fh)]


#: Axes a study may sweep besides the seed; ``summarize`` keeps apart the rows that differ in any.
SWEEP_AXES = (
    "dataset",
    "layers",
    "n_qubits",
    "noise_channel",
    "noise_strength",
    "noise_frame",
    "noise_placement",
    "noise_phase",
)


def _varying(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The axes with more than one value (``None``, an axis a model lacks, does not count)."""
    return [
        a for a in SWEEP_AXES if len({repr(r.get(a)) for r in rows if r.get(a) is not None}) > 1
    ]


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and std over seeds of clean and orbit test accuracy per (model, n_train) and per value
    of every other axis that varies in ``rows`` (data set, layers, noise setting, ...), which is
    kept in the summary row under its own name."""
    extra = _varying(rows)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        key = (r["model"], int(r["n_train"]), *(r.get(a) for a in extra))
        groups.setdefault(key, []).append(r)
    out = []
    for (model, n, *values), rs in groups.items():
        clean = np.array([r["test_acc"] for r in rs], dtype=float)
        orbit = np.array([r["orbit_acc"] for r in rs], dtype=float)
        out.append(
            {
                "model": model,
                "n_train": n,
                **dict(zip(extra, values, strict=True)),
                "seeds": len(rs),
                "clean_mean": clean.mean(),
                "clean_std": clean.std(ddof=1) if len(rs) > 1 else 0.0,
                "orbit_mean": orbit.mean(),
                "orbit_std": orbit.std(ddof=1) if len(rs) > 1 else 0.0,
                "n_params": rs[0]["n_params"],
            }
        )
    return out


def format_table(summary: Sequence[dict[str, Any]]) -> str:
    """Markdown table: clean and orbit test accuracy, mean ± std over seeds, with a column for each
    other axis that varies."""
    extra = _varying(summary)
    lines = [
        "| model | N |"
        + "".join(f" {a} |" for a in extra)
        + " clean test acc | orbit test acc | params | seeds |",
        "| --- | ---: |" + " --- |" * len(extra) + " ---: | ---: | ---: | ---: |",
    ]
    for s in summary:
        lines.append(
            f"| {LABELS.get(s['model'], s['model'])} | {s['n_train']} | "
            + "".join(f"{s[a]} | " for a in extra)
            + f"{s['clean_mean']:.3f} ± {s['clean_std']:.3f} | {s['orbit_mean']:.3f} ± {s['orbit_std']:.3f} | "
            f"{s['n_params']} | {s['seeds']} |"
        )
    return "\n".join(lines)


def plot_accuracy_vs_n(summary: Sequence[dict[str, Any]], path: Path, title: str) -> None:
    """Accuracy vs training-set size: clean solid, orbit dashed, bands of ± one std over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    models = list(dict.fromkeys(s["model"] for s in summary))
    colors = plt.get_cmap("tab10")
    for k, m in enumerate(models):
        ss = sorted((s for s in summary if s["model"] == m), key=lambda s: s["n_train"])
        n = np.array([s["n_train"] for s in ss])
        for key, style in (("clean", "-"), ("orbit", "--")):
            mean = np.array([s[f"{key}_mean"] for s in ss])
            std = np.array([s[f"{key}_std"] for s in ss])
            label = f"{LABELS.get(m, m)} ({key})"
            ax.plot(n, mean, style, marker="o", color=colors(k), label=label)
            ax.fill_between(n, mean - std, mean + std, color=colors(k), alpha=0.12)
    ax.set_xscale("log", base=2)
    all_n = sorted({s["n_train"] for s in summary})
    ax.set_xticks(all_n, [str(n) for n in all_n])
    ax.minorticks_off()
    ax.set_xlabel("training-set size N")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=1, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def machine_info() -> str:
    import torch

    import equiqnn

    return (
        f"{platform.platform()}, Python {platform.python_version()}, torch {torch.__version__}, "
        f"numpy {np.__version__}, equiqnn {equiqnn.__version__}, "
        f"{torch.get_num_threads()} torch threads"
    )


def _cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_details() -> dict[str, str]:
    """The machine running this process: ``cpu``, ``cores`` (logical), ``os``, ``python``."""
    return {
        "cpu": _cpu_name(),
        "cores": str(os.cpu_count() or "unknown"),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def write_report(
    out: Path, name: str, command: str, table: str, figure: str, seconds: float, notes: str
) -> None:
    text = f"""# {name}

Regenerate: `{command}`

![accuracy vs N]({figure})

Clean test accuracy and orbit test accuracy (all 8 D4 copies of every test image), mean ± std over
seeds. Model selection: best epoch on the fixed validation pool; the test pool is never used for
selection and does not shrink with N.

{table}

{notes}

Machine: {machine_info()}. Wall time: {seconds:.0f} s.
"""
    (out / "report.md").write_text(text)
