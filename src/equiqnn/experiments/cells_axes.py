"""Cells of a study: the product of its sweep axes, and the resolved config of each stored row.

A ``Cell`` is one trained model: ``(model, n_train, seed)`` plus the value of every other axis
(``axes``: dotted spec paths such as ``"qnn.layers"`` and their values). A cell gives one stored row
per entry of ``variants``; only test-time noise cells have more than one: the trained model is
evaluated under every ``(noise.channel, noise.placement, noise.strength)`` setting, one row each.

Axes that mean nothing for a model collapse: a classical model has no layers, frame or encoding, so
when those are swept it gets one cell with value ``None``; the frame of an angle-encoded QNN
likewise. (An axis given as a single value keeps that value, so specs written before the axis
existed keep their stored keys.)

The resolved config of a row (``cell_config``) is the spec with its sweep lists replaced by this
row's values and the dataset defaults filled in (``data.side``, ``data.classes``); sections that
do not apply (``data.ising`` for other data sets, unused kinds' sections) and settings at values
that predate them are left out, so that a quickstart cell keeps the key it had before the study
kinds existed. Its hash is the row's key in the store (``equiqnn.experiments.store``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from equiqnn.experiments.spec import QUANTUM, StudySpec, as_list

__all__ = [
    "Cell",
    "Variant",
    "expand_cells",
    "cell_config",
    "default_side",
    "default_classes",
    "resolved_encoding",
    "QNN_AXES",
]

#: One row's extra settings: ``(("noise.strength", 0.1), ...)``; ``()`` for an ordinary cell.
Variant = tuple[tuple[str, Any], ...]

#: Axes that only QNNs have.
QNN_AXES = ("qnn.encoding", "qnn.frame", "qnn.layers")

#: Short names of axes in a cell's display key.
_SHORT = {
    "data.dataset": "data",
    "data.side": "side",
    "qnn.encoding": "enc",
    "qnn.frame": "frame",
    "qnn.layers": "L",
    "noise.phase": "phase",
    "noise.channel": "ch",
    "noise.placement": "at",
    "noise.strength": "p",
}

_MAX_ANGLE_QUBITS = 20  # as equiqnn.models.factories: "auto" is angle up to 20 sites


@dataclass(frozen=True)
class Cell:
    """One trained model: ``(model, n_train, seed)``, its other axis values, and its rows.

    Attributes:
        axes: ``((dotted spec path, value), ...)``, e.g. ``(("data.dataset", "digits"), ...)``.
        variants: one entry per stored row (``((),)`` for one row).
        swept: the axis paths that the spec sweeps (shown in ``key``).
    """

    model: str
    n_train: int
    seed: int
    axes: tuple[tuple[str, Any], ...] = ()
    variants: tuple[Variant, ...] = ((),)
    swept: tuple[str, ...] = ()

    def get(self, path: str, default: Any = None) -> Any:
        """The value of axis ``path`` in this cell (``default`` when it has none)."""
        return dict(self.axes).get(path, default)

    @property
    def key(self) -> str:
        """``model|N=..|seed=..`` and the swept axes, e.g. ``invariant|N=20|seed=0|L=4``."""
        extra = "".join(
            f"|{_SHORT.get(p, p)}={v}" for p, v in self.axes if p in self.swept and v is not None
        )
        return f"{self.model}|N={self.n_train}|seed={self.seed}{extra}"


def default_side(dataset: str) -> int:
    """Image side when ``data.side`` is not given: 8 for digits and Ising, 16 for MNIST files."""
    return 8 if dataset in ("digits", "ising") else 16


def default_classes(spec: StudySpec, dataset: str) -> list[int] | None:
    """The classes of ``dataset`` (``None`` for Ising, whose labels are its phases)."""
    if dataset == "ising":
        return None
    if spec.data.classes is not None:
        return list(spec.data.classes)
    return [0, 9] if dataset == "fashion_mnist" else [3, 5]


def resolved_encoding(encoding: str, side: int) -> str:
    """``"auto"`` as the model factories resolve it: one qubit per pixel up to 20 pixels."""
    if encoding != "auto":
        return encoding
    return "angle" if side * side <= _MAX_ANGLE_QUBITS else "register"


def _noise_settings(spec: StudySpec) -> list[tuple[Variant, tuple[Variant, ...]]]:
    """``(cell axes, row variants)`` per noise phase: train-time noise is one cell per setting,
    test-time noise one cell with a row per setting."""
    if spec.noise is None:
        return [((), ((),))]
    n = spec.noise
    t = n.train_phase

    def settings(channel: Any, placement: Any, strength: Any) -> list[Variant]:
        return [
            (("noise.channel", c), ("noise.placement", p), ("noise.strength", float(s)))
            for c in as_list(channel)
            for p in as_list(placement)
            for s in as_list(strength)
        ]

    out: list[tuple[Variant, tuple[Variant, ...]]] = []
    for phase in as_list(n.phase):
        if phase == "train":
            train = settings(
                n.channel if t.channel is None else t.channel,
                n.placement if t.placement is None else t.placement,
                n.strength if t.strength is None else t.strength,
            )
            out += [((("noise.phase", "train"), *s), ((),)) for s in train]
        else:
            test = settings(n.channel, n.placement, n.strength)
            out.append(((("noise.phase", "test"),), tuple(test)))
    return out


def _swept(spec: StudySpec) -> tuple[str, ...]:
    raw = spec.model_dump()
    paths = [*_SHORT]
    out = []
    for path in paths:
        node: Any = raw
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, list) and len(node) > 1:
            out.append(path)
    return tuple(out)


def expand_cells(spec: StudySpec) -> list[Cell]:
    """Every cell of ``spec``, in a fixed order: data set, side, encoding, frame, layers (outer),
    then model, training size, seed, noise setting (inner). No two cells are equal."""
    swept = _swept(spec)
    q = spec.qnn
    cells: dict[Cell, None] = {}
    for dataset in as_list(spec.data.dataset):
        sides = as_list(spec.data.side) if spec.data.side is not None else [default_side(dataset)]
        for side, enc, frame, layers in itertools.product(
            sides, as_list(q.encoding), as_list(q.frame), as_list(q.layers)
        ):
            for model in spec.models:
                quantum = model in QUANTUM
                values = {"qnn.encoding": enc, "qnn.frame": frame, "qnn.layers": layers}
                for path in QNN_AXES:
                    if path in swept and not quantum:
                        values[path] = None
                if "qnn.frame" in swept and resolved_encoding(enc, side) != "register":
                    values["qnn.frame"] = None
                axes = (("data.dataset", dataset), ("data.side", side), *values.items())
                for n, seed, (extra, variants) in itertools.product(
                    spec.data.n_train, spec.seeds, _noise_settings(spec)
                ):
                    cells.setdefault(Cell(model, n, seed, (*axes, *extra), variants, swept), None)
    return list(cells)


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    node = raw
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


# spec fields at these values are left out of the keyed config (they predate the field)
_DROP_AT: dict[tuple[str, ...], Any] = {
    ("kind",): "generalization",
    ("data", "path"): None,
    ("qnn", "engine"): "auto",
    ("noise",): None,
    ("shortcut",): None,
    ("scaling",): None,
}

#: Spec fields that never change a cell's numbers: the label, the smoke section, the sweep lists.
NOT_KEYED = ("name", "smoke", "models", "seeds")


def cell_config(spec: StudySpec, cell: Cell, variant: Variant = ()) -> dict[str, Any]:
    """The resolved config of one stored row: the spec without its label and sweep lists, the
    cell's (and ``variant``'s) axis values in their places, plus ``cell``: its ``model``,
    ``n_train`` and ``seed``. Plain JSON types only."""
    raw = spec.model_dump(mode="json")
    for name in NOT_KEYED:
        raw.pop(name, None)
    raw["data"].pop("n_train", None)
    if raw.get("noise") is not None:
        raw["noise"].pop("train_phase", None)  # a sweep list: the row's own values are set below
    for path, value in (*cell.axes, *variant):
        _set(raw, path, value)
    dataset = raw["data"]["dataset"]
    if raw["data"]["side"] is None:
        raw["data"]["side"] = default_side(dataset)
    raw["data"]["classes"] = default_classes(spec, dataset)
    if dataset != "ising":
        raw["data"].pop("ising", None)
    for where, value in _DROP_AT.items():
        node = raw
        for part in where[:-1]:
            node = node[part]
        if node.get(where[-1], object()) == value:
            node.pop(where[-1])
    raw["cell"] = {"model": cell.model, "n_train": cell.n_train, "seed": cell.seed}
    return raw
