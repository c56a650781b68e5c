"""Study specs: a YAML file validated by pydantic, with dotted ``key=value`` overrides.

An unknown key is rejected before any work starts, naming the key, the allowed keys and a close match::

    ConfigError: configs/quickstart.yaml: unknown key 'train.epoch' (did you mean 'epochs'?).

A study has a ``kind`` (``generalization``, the default; ``noise``; ``shortcut``; ``layers``;
``scaling``) and sweep axes. Every key marked *axis* below takes one value or a list; a list (in the
YAML, or a comma list on the command line: ``qnn.layers=1,2,4``) sweeps it, and the cells are the
product of all axes (``equiqnn.experiments.cells.expand_cells``):

* ``models``, ``seeds``, ``data.n_train`` (always lists);
* ``data.dataset`` (``digits``, ``ising``, ``mnist``, ``fashion_mnist``), ``data.side``;
* ``qnn.encoding`` (``register``, ``angle``, ``auto``), ``qnn.frame`` (``X``, ``Z``: the register
  encoding's frame; the ``noise_frame`` column of noise studies), ``qnn.layers``;
* ``noise.channel``, ``noise.strength``, ``noise.placement`` (``gate``, ``layer``), ``noise.phase``
  (``test``: trained noiseless, evaluated under each noise setting; ``train``: trained and
  evaluated under noise); ``noise.train_phase.{channel,strength,placement}`` replace the first
  three for the train-time cells (each of which retrains under noise).

Sections used by one kind only (``noise``, ``shortcut``, ``scaling``) are filled with their defaults
for that kind and rejected for the others.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from equiqnn.experiments.spec_sections import (
    DataSpec,
    IsingSpec,
    Kind,
    NoiseSpec,
    QNNSpec,
    ScalingSpec,
    ShortcutSpec,
    TrainPhaseSpec,
    TrainSpec,
    _Strict,
    as_list,
)

__all__ = [
    "ConfigError",
    "DataSpec",
    "IsingSpec",
    "QNNSpec",
    "TrainSpec",
    "NoiseSpec",
    "TrainPhaseSpec",
    "ShortcutSpec",
    "ScalingSpec",
    "StudySpec",
    "KINDS",
    "MODEL_NAMES",
    "QUANTUM",
    "as_list",
    "load_spec",
    "apply_overrides",
]

#: Study kinds (the ``study`` column of every row).
KINDS = ("generalization", "noise", "shortcut", "layers", "scaling")

MODEL_NAMES = (
    "invariant",
    "control",
    "symmetrized",
    "baseline",
    "hardware_efficient",
    "logistic",
    "mlp",
    "cnn",
    "invariant_cnn",
)

#: Quantum models (``baseline`` and ``hardware_efficient`` are the same hardware-efficient QNN).
QUANTUM = ("invariant", "control", "symmetrized", "baseline", "hardware_efficient")


class ConfigError(ValueError):
    """A study spec that cannot be run; the message names the key and the fix."""


_SECTIONS = {"noise": "noise", "shortcut": "shortcut", "scaling": "scaling"}


class StudySpec(_Strict):
    """A study: data × models × training sizes × seeds × its other axes, all cells trained and
    evaluated alike."""

    name: str = "study"
    kind: Kind = "generalization"
    data: DataSpec = DataSpec()
    models: list[str] = Field(
        default_factory=lambda: ["invariant", "control", "symmetrized", "logistic", "cnn"]
    )
    qnn: QNNSpec = QNNSpec()
    train: TrainSpec = TrainSpec()
    noise: NoiseSpec | None = None
    shortcut: ShortcutSpec | None = None
    scaling: ScalingSpec | None = None
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2])
    smoke: dict[str, Any] = Field(default_factory=dict, description="overrides applied by --smoke")

    @model_validator(mode="before")
    @classmethod
    def _kind_sections(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        kind = raw.get("kind", "generalization")
        for section, owner in _SECTIONS.items():
            if raw.get(section) is not None and kind != owner:
                raise ValueError(
                    f"the '{section}' section is used by kind: {owner} only; this spec has kind: "
                    f"{kind}. Set kind: {owner} or remove the section"
                )
            if kind == owner and raw.get(section) is None:
                raw[section] = {}
        return raw

    @field_validator("models")
    @classmethod
    def _known_models(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in MODEL_NAMES]
        if bad or not v:
            raise ValueError(f"unknown model(s) {bad}; choose from {list(MODEL_NAMES)}")
        if len(set(v)) != len(v):
            raise ValueError(f"models must not repeat; got {v}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> StudySpec:
        if self.kind == "noise":
            classical = [m for m in self.models if m not in QUANTUM]
            if classical:
                raise ValueError(
                    f"kind: noise simulates quantum models only; remove {classical} from models "
                    f"(choose from {list(QUANTUM)})"
                )
        for ds in as_list(self.data.dataset):
            if ds in ("mnist", "fashion_mnist") and not self.data.path:
                raise ValueError(
                    f"data.dataset={ds} reads its files from disk: set data.path to the folder "
                    "holding them (IDX files as distributed, or a Keras .npz); get them with "
                    f"equiqnn.data.download_mnist_family('{ds.replace('_', '-')}', path) on a "
                    "machine with network access"
                )
        return self


def _sub_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (``X``, ``X | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _sub_models(a)]
    return []


def _walk_unknown(raw: Any, model: type[BaseModel], prefix: str) -> None:
    if not isinstance(raw, dict):
        return
    fields = model.model_fields
    for key, value in raw.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                f"unknown key '{prefix}{key}'{hint}. Allowed keys here: {sorted(fields)}."
            )
        for sub in _sub_models(fields[key].annotation):
            _walk_unknown(value, sub, f"{prefix}{key}.")


def _parse_value(text: str) -> Any:
    return yaml.safe_load(text)


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b=value`` overrides (YAML-parsed values; ``a.b=1,2,3`` and ``a.b=[1,2,3]`` give a
    list)."""
    out = yaml.safe_load(yaml.safe_dump(raw)) or {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key=value, e.g. train.epochs=20.")
        key, _, text = item.partition("=")
        bracketed = text.strip().startswith(("[", "{"))
        if "," in text and not bracketed:
            value: Any = [_parse_value(t) for t in text.split(",")]
        else:
            try:
                value = _parse_value(text)
            except yaml.YAMLError as exc:
                raise ConfigError(f"override {item!r}: cannot parse the value ({exc}).") from None
        node = out
        parts = key.strip().split(".")
        for p in parts[:-1]:
            if node.get(p) is None:
                node[p] = {}
            node = node[p]
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: '{p}' is not a section.")
        node[parts[-1]] = value
    return out


def load_spec(
    path: str | Path, overrides: list[str] | None = None, *, smoke: bool = False
) -> StudySpec:
    """Read, override and validate a study spec; raise ``ConfigError`` naming the problem.

    ``smoke=True`` applies the spec's ``smoke:`` section first; the command-line overrides win.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such spec file. Shipped specs live in configs/.")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a spec must be a YAML mapping; got {type(raw).__name__}.")
    if smoke:
        raw = apply_overrides(raw, [f"{k}={_dump(v)}" for k, v in _flatten(raw.get("smoke", {}))])
    raw = apply_overrides(raw, overrides or [])
    try:
        _walk_unknown(raw, StudySpec, "")
        return StudySpec.model_validate(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("list[", "literal[")))
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{path}: {loc + ': ' if loc else ''}{msg}.") from None


def _flatten(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        if isinstance(v, dict):
            out += _flatten(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


def _dump(v: Any) -> str:
    if isinstance(v, list):
        return ",".join(_dump(x) for x in v) if len(v) > 1 else f"[{_dump(v[0])}]"
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()
