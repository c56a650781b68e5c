"""Study specs: a YAML file validated by pydantic, with dotted ``key=value`` overrides.

An unknown key is rejected before any work starts, naming the key, the allowed keys and a close match::

    ConfigError: configs/quickstart.yaml: unknown key 'train.epoch' (did you mean 'epochs'?).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["ConfigError", "DataSpec", "TrainSpec", "StudySpec", "load_spec", "apply_overrides"]

MODEL_NAMES = (
    "invariant",
    "control",
    "symmetrized",
    "baseline",
    "logistic",
    "mlp",
    "cnn",
    "invariant_cnn",
)


class ConfigError(ValueError):
    """A study spec that cannot be run; the message names the key and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSpec(_Strict):
    """Where the images come from and how they are split."""

    dataset: Literal["digits"] = "digits"
    classes: list[int] = Field(default_factory=lambda: [3, 5], min_length=2)
    side: int = Field(8, ge=2, description="images are resized (D4-symmetrically) to side x side")
    n_train: list[int] = Field(default_factory=lambda: [20, 40, 80])
    n_val: int = Field(60, ge=2)
    n_test: int = Field(120, ge=2)
    split_seed: int = Field(
        0, description="fixes the validation and test pools for every N and seed"
    )

    @field_validator("n_train")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if not v or any(n < 2 for n in v):
            raise ValueError(f"n_train must be a non-empty list of sizes >= 2; got {v}")
        return v


class QNNSpec(_Strict):
    encoding: Literal["auto", "register", "angle"] = "register"
    frame: Literal["X", "Z"] = "X"
    layers: int = Field(2, ge=1)
    standardize: bool = True


class TrainSpec(_Strict):
    epochs: int = Field(40, ge=1)
    lr: float = Field(0.05, gt=0)
    betas: tuple[float, float] = (0.5, 0.999)
    patience: int | None = Field(10, ge=1)
    batch_size: int | None = Field(None, ge=1, description="default: N/10, our users' protocol")
    classical_lr: float = Field(0.01, gt=0, description="Adam lr of the classical baselines")


class StudySpec(_Strict):
    """A study: data × models × training sizes × seeds, all cells trained and evaluated alike."""

    name: str = "study"
    data: DataSpec = DataSpec()
    models: list[str] = Field(
        default_factory=lambda: ["invariant", "control", "symmetrized", "logistic", "cnn"]
    )
    qnn: QNNSpec = QNNSpec()
    train: TrainSpec = TrainSpec()
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2])
    smoke: dict[str, Any] = Field(default_factory=dict, description="overrides applied by --smoke")

    @field_validator("models")
    @classmethod
    def _known_models(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in MODEL_NAMES]
        if bad or not v:
            raise ValueError(f"unknown model(s) {bad}; choose from {list(MODEL_NAMES)}")
        return v


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
        sub = fields[key].annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
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
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: '{p}' is not a section.")
        node[parts[-1]] = value
    return out


def load_spec(
    path: str | Path, overrides: list[str] | None = None, *, smoke: bool = False
) -> StudySpec:
    """Read, override and validate a study spec; raise ``ConfigError`` naming the problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such spec file. Shipped specs live in configs/.")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a spec must be a YAML mapping; got {type(raw).__name__}.")
    raw = apply_overrides(raw, overrides or [])
    if smoke:
        raw = apply_overrides(raw, [f"{k}={_dump(v)}" for k, v in _flatten(raw.get("smoke", {}))])
    try:
        _walk_unknown(raw, StudySpec, "")
        return StudySpec.model_validate(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {loc}: {first['msg']}.") from None


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
