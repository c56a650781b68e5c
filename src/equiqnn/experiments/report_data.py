"""Stored rows as figures and reports see them: loading, defaults for old stores, grouping over seeds.

Rows are the flat metric dicts of ``ResultStore.metrics``/``rows``. A column may be absent or None;
everything here is driven by which columns are present and which of them vary, never by a fixed
schema. Statistics over seeds are the mean and the standard error of the mean,
``s.e. = std(ddof=1) / sqrt(n)`` (0 for a single seed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from equiqnn.experiments.outputs import LABELS as MODEL_LABELS

__all__ = [
    "AXES",
    "DERIVED",
    "METRICS",
    "LABELS",
    "load_rows",
    "add_config_variants",
    "load_study",
    "normalize_rows",
    "present",
    "distinct",
    "varying",
    "mean_se",
    "group_rows",
    "split_axes",
    "label",
    "axis_text",
    "axis_value",
]

#: Non-seed axes a study can sweep, in the order tables show them.
AXES = (
    "study",
    "dataset",
    "model",
    "encoding",
    "n_qubits",
    "layers",
    "n_train",
    "noise_phase",
    "noise_channel",
    "noise_frame",
    "noise_placement",
    "noise_strength",
    "variant",
)

#: Columns fixed by the axes (shown beside a group, never split on).
DERIVED = ("n_params", "gate_count")

#: Metrics summarized over seeds, in table order.
METRICS = (
    "test_acc",
    "orbit_acc",
    "train_acc",
    "val_acc",
    "train_test_gap",
    "invariance_gap",
    "max_output_deviation",
    "label_misassignment",
    "watermark_acc",
    "transformed_acc",
    "clean_acc",
    "grad_var",
)

#: Display names of models (shared with ``outputs``) and columns.
LABELS = {
    **MODEL_LABELS,
    "test_acc": "clean test acc",
    "orbit_acc": "orbit test acc",
    "train_acc": "train acc",
    "val_acc": "val acc",
    "train_test_gap": "train − test",
    "invariance_gap": "invariance gap",
    "max_output_deviation": "max output deviation",
    "label_misassignment": "label change fraction",
    "watermark_acc": "watermarked acc",
    "transformed_acc": "transformed acc",
    "clean_acc": "clean acc",
    "grad_var": "grad variance",
    "n_train": "N",
    "n_qubits": "qubits",
    "n_params": "params",
    "gate_count": "gates",
    "noise_phase": "noise phase",
    "noise_channel": "channel",
    "noise_frame": "frame",
    "noise_placement": "placement",
    "noise_strength": "γ",
}


def load_study(out_dir: Path) -> dict[str, Any]:
    """``DIR/study.json`` as a dict ({} when the file is absent)."""
    path = Path(out_dir) / "study.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object; got {type(data).__name__}.")
    return data


def load_rows(out_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Flat metric rows of ``DIR/results.sqlite`` (oldest first) and each row's package versions.

    Raises:
        FileNotFoundError: naming ``DIR/results.sqlite`` when it is missing.
    """
    from equiqnn.experiments.store import STORE_NAME, ResultStore

    path = Path(out_dir) / STORE_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"no result store at {path}; run `equiqnn run SPEC --out {out_dir}` first, which "
            f"writes {STORE_NAME} there."
        )
    with ResultStore(path, create=False) as store:
        stored = store.rows()
    rows, versions = [], []
    for r in stored:
        flat = {k: v for k, v in r["metrics"].items() if k != "history"}
        for col in ("model", "n_train", "seed"):
            flat.setdefault(col, r[col])
        rows.append(flat)
        versions.append({str(k): str(v) for k, v in r["versions"].items()})
    return add_config_variants(rows, [r["config"] for r in stored]), versions


def _flatten(config: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(config, dict):
        out: dict[str, str] = {}
        for k, v in config.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: json.dumps(config, sort_keys=True)}


def add_config_variants(
    rows: Sequence[dict[str, Any]], configs: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Copies of ``rows`` with a ``variant`` column naming the config settings that tell apart rows
    whose axes and seed are equal (``"train.epochs=40"``), so that no summary averages over them.

    Config paths fixed by the axes and the seed (the cell's own values, the sweep axes the rows
    already name) are left out; the column is added only when some path is not.
    """
    flat = [_flatten(c) for c in configs]
    keys = [a for a in AXES if a != "variant"] + ["seed"]
    extra = []
    for path in sorted({p for f in flat for p in f}):
        tagged = [{**r, "_value": f.get(path, "absent")} for r, f in zip(rows, flat, strict=True)]
        if any(varying(g, "_value") for g in group_rows(tagged, keys).values()):
            extra.append(path)
    if not extra:
        return [dict(r) for r in rows]
    return [
        {**r, "variant": "; ".join(f"{p}={f.get(p, 'absent')}" for p in extra)}
        for r, f in zip(rows, flat, strict=True)
    ]


def normalize_rows(
    rows: Iterable[dict[str, Any]], study: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Copies of ``rows`` with the defaults of old stores filled in.

    A row without ``study`` takes the kind in ``study.json`` or ``"generalization"``; one without
    ``dataset`` is the quickstart's ``"digits"``. Nothing else is invented. Rows are put in the
    order of the spec's ``models`` list when ``study.json`` holds one (stable otherwise).
    """
    kind = (study or {}).get("kind") or "generalization"
    models = ((study or {}).get("spec") or {}).get("models")
    if isinstance(models, list):  # the spec's model order, which tables and legends follow
        rank = {str(m): k for k, m in enumerate(models)}
        rows = sorted(rows, key=lambda r: rank.get(str(r.get("model")), len(rank)))
    out = []
    for r in rows:
        row = dict(r)
        if row.get("study") is None:
            row["study"] = kind
        if row.get("dataset") is None:
            row["dataset"] = "digits"
        out.append(row)
    return out


def present(rows: Sequence[dict[str, Any]], *cols: str) -> bool:
    """Whether every one of ``cols`` has a non-None value in at least one row."""
    return all(any(r.get(c) is not None for r in rows) for c in cols)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _orderer(values: Iterable[Any]) -> Any:
    """A sort key: numbers ascending, then everything else in order of first appearance."""
    first: dict[Any, int] = {}
    for v in values:
        if not _is_number(v):
            first.setdefault(v, len(first))
    return lambda v: (0, v, 0) if _is_number(v) else (1, 0, first.get(v, len(first)))


def distinct(rows: Sequence[dict[str, Any]], col: str) -> list[Any]:
    """Distinct non-None values of ``col``: numbers ascending, then the others (model names,
    channels) in the order they first appear in ``rows`` (the study's order)."""
    seen = list(dict.fromkeys(r[col] for r in rows if r.get(col) is not None))
    return sorted(seen, key=_orderer(seen))


def varying(rows: Sequence[dict[str, Any]], col: str) -> bool:
    """Whether ``col`` takes at least two distinct non-None values."""
    return len(distinct(rows, col)) > 1


def mean_se(values: Iterable[Any]) -> tuple[float, float, int]:
    """Mean, standard error of the mean and count of the finite values (nan, 0, 0 if none)."""
    arr = np.array([float(v) for v in values if v is not None], dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return math.nan, 0.0, 0
    se = float(arr.std(ddof=1) / math.sqrt(arr.size)) if arr.size > 1 else 0.0
    return float(arr.mean()), se, int(arr.size)


def group_rows(
    rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """Rows grouped by the values of ``keys`` (None for an absent column); groups sorted per key
    as ``distinct`` orders values (None last)."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    order = [_orderer(r.get(k) for r in rows) for k in keys]

    def key(vals: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((1,) if v is None else (0, *o(v)) for o, v in zip(order, vals, strict=True))

    return dict(sorted(groups.items(), key=lambda kv: key(kv[0])))


def split_axes(
    rows: Sequence[dict[str, Any]], keys: Sequence[str], exclude: Sequence[str] = ()
) -> list[str]:
    """Axes of ``AXES`` (not in ``keys`` or ``exclude``) that vary inside some group of ``keys``.

    A figure that groups by ``keys`` (and draws ``exclude`` on its x axis) would average over
    these axes; it splits its series on them instead. An axis fixed by the ones already chosen
    (the qubit count of an encoding) is not added.
    """
    used = list(keys)
    extra: list[str] = []
    for axis in AXES:
        if axis in used or axis in exclude:
            continue
        if any(varying(g, axis) for g in group_rows(rows, used).values()):
            used.append(axis)
            extra.append(axis)
    return extra


def axis_value(axis: str, value: Any) -> str:
    """``value`` as a table cell: model names spelled out, floats compact, ``—`` for None."""
    if value is None:
        return "—"
    if axis == "model":
        return LABELS.get(str(value), str(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def axis_text(axis: str, value: Any) -> str:
    """``value`` as a short label that names its axis where the bare value would be ambiguous
    (``L=2``, ``N=40``, ``X-frame``, ``per gate``, ``test-time noise``)."""
    text = axis_value(axis, value)
    if value is None or axis == "model":
        return text
    if axis == "noise_frame":
        return f"{text}-frame"
    if axis == "noise_placement":
        return f"per {text}"
    if axis == "noise_phase":
        return f"{text}-time noise"
    prefix = {"layers": "L=", "n_train": "N=", "n_qubits": "n=", "noise_strength": "γ="}
    return prefix.get(axis, "") + text


def label(keys: Sequence[str], values: Sequence[Any]) -> str:
    """A series label from axis names and values, e.g. ``"invariant QNN, L=2"``."""
    return ", ".join(axis_text(k, v) for k, v in zip(keys, values, strict=True)) or "all"
