"""The many-qubit study spec (``configs/many_qubits.yaml``): three optional parts, unknown keys refused.

Parts: ``ising`` (2D Ising phases, one qubit per spin), ``gradvar`` (gradient variance at
initialization vs qubits), ``digits64`` (8×8 digits with D4, one qubit per pixel). Loading reuses
the main spec's override and smoke logic (``equiqnn.experiments.spec``)::

    spec = load_many_qubits_spec("configs/many_qubits.yaml", ["gradvar.draws=50"], smoke=True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from equiqnn.experiments.spec import (
    ConfigError,
    _dump,
    _flatten,
    _Strict,
    _walk_unknown,
    apply_overrides,
)

__all__ = [
    "PARTS",
    "FamilySpec",
    "GradVarSpec",
    "IsingSpec",
    "Digits64Spec",
    "DLASpec",
    "ManyQubitsSpec",
    "load_many_qubits_spec",
]

#: The parts of the study, in the order they run.
PARTS = ("gradvar", "ising", "digits64")

IsingModel = Literal["sn", "translation", "logistic"]
DigitsModel = Literal["invariant", "logistic", "logistic-d4"]
ISING_MODELS: tuple[IsingModel, ...] = ("sn", "translation", "logistic")
DIGITS_MODELS: tuple[DigitsModel, ...] = ("invariant", "logistic", "logistic-d4")


class FamilySpec(_Strict):
    """One model family of the gradient-variance study, on one engine.

    ``sizes`` are qubit counts for ``sn`` and ``ring`` and grid sides for ``d4`` (``side²`` qubits).
    """

    name: Literal["sn", "ring", "d4"]
    engine: Literal["sn", "statevector", "pauli"]
    sizes: list[int] = Field(min_length=1)
    singles: str = "XYZ"
    pair_letters: list[str] = Field(default_factory=lambda: ["ZZ", "XX", "YY"])
    max_weight: int | None = Field(None, ge=1, description="Pauli propagation weight cut")
    draws: int | None = Field(None, ge=2, description="overrides gradvar.draws for this family")
    time_limit_s: float | None = Field(
        None, gt=0, description="per cell of this family; None: the part's (or the study's)"
    )
    normalized: bool = Field(
        False,
        description="S_n only: each generator divided by its number of Pauli terms (ΣX/n, "
        "ΣZZ/C(n,2)), so every gate has a generator of norm 1",
    )

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: list[int]) -> list[int]:
        if any(s < 2 for s in v):
            raise ValueError(f"sizes must all be >= 2; got {v}")
        return v

    @model_validator(mode="after")
    def _engine_fits(self) -> FamilySpec:
        if (self.name == "sn") != (self.engine == "sn") and self.engine != "statevector":
            raise ValueError(
                f"engine '{self.engine}' cannot run family '{self.name}': the 'sn' engine runs only "
                "the 'sn' family; ring and d4 use 'statevector' or 'pauli'"
            )
        return self


class GradVarSpec(_Strict):
    """Variance of ∂⟨O⟩/∂θ_k over random θ ~ U[-π, π), averaged over k and the fixed inputs."""

    layers: list[int] = Field(default_factory=lambda: [4, 16], min_length=1)
    draws: int = Field(200, ge=2, description="random parameter draws per cell")
    min_draws: int = Field(20, ge=2, description="fewer draws than this within the limit: no value")
    inputs: int = Field(1, ge=1, description="fixed random product inputs per cell")
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    bootstrap: int = Field(1000, ge=10, description="bootstrap resamples for the error bar")
    error_draws: int = Field(3, ge=0, description="draws whose truncation error is measured")
    time_limit_s: float | None = Field(None, gt=0, description="per cell; None: the study's")
    families: dict[str, FamilySpec] = Field(
        min_length=1, description="label -> family; the label names the curve in the figure"
    )


class IsingSpec(_Strict):
    """2D Ising phase classification with one qubit per spin (L×L qubits)."""

    sizes: list[int] = Field(default_factory=lambda: [4, 8, 16, 32], min_length=1)
    models: list[IsingModel] = Field(default_factory=lambda: list(ISING_MODELS), min_length=1)
    translation_sizes: list[int] = Field(
        default_factory=lambda: [4, 6, 8], description="L where the translation QNN runs"
    )
    translation_singles: str = "X"
    translation_pairs: list[str] = Field(default_factory=lambda: ["ZZ"])
    translation_max_weight: int | None = Field(None, ge=1, description="None: exact")
    n_train: int = Field(80, ge=4)
    n_test: int = Field(160, ge=2)
    t_range: tuple[float, float] = (1.0, 3.5)
    sweeps: int = Field(300, ge=0)
    layers: int = Field(2, ge=1)
    scale: float = Field(1.5707963267948966, description="encoding angle per spin (±1)")
    epochs: int = Field(60, ge=1)
    lr: float = Field(0.05, gt=0)
    sn_lr: float | None = Field(None, gt=0, description="the S_n QNN's rate; None: lr")
    sn_lr_ref_qubits: int | None = Field(
        None,
        ge=1,
        description="S_n QNN: use sn_lr·(ref/n)² at n qubits (its two-body generators' spectra "
        "grow as n², so the loss oscillates in θ on a scale ∝ 1/n²); None: the same rate at "
        "every size",
    )
    sn_frames: int = Field(
        1,
        ge=1,
        description="S_n QNN: frame groups per batch (SnSectorEngine(frames=...)); Ising data "
        "mix both ordered phases with disordered samples, which share no direction",
    )
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)
    time_limit_s: float | None = Field(None, gt=0, description="per cell; None: the study's")

    def sn_rate(self, n_qubits: int) -> float:
        """The S_n QNN's learning rate at ``n_qubits``."""
        rate = self.lr if self.sn_lr is None else self.sn_lr
        if self.sn_lr_ref_qubits is None:
            return rate
        return rate * (self.sn_lr_ref_qubits / n_qubits) ** 2


class Digits64Spec(_Strict):
    """Real 8×8 digits, D4, one qubit per pixel (64 qubits), Pauli propagation."""

    classes: list[int] = Field(default_factory=lambda: [3, 5], min_length=2, max_length=2)
    models: list[DigitsModel] = Field(default_factory=lambda: list(DIGITS_MODELS), min_length=1)
    n_train: int = Field(100, ge=4)
    n_test: int = Field(200, ge=2)
    layers: int = Field(2, ge=1)
    max_weight: int | None = Field(4, ge=1, description="None: exact propagation")
    singles: str = "X"
    pair_letters: list[str] = Field(default_factory=lambda: ["ZZ"])
    scale: float = Field(3.141592653589793, description="angle per unit pixel value (in [0, 1])")
    epochs: int = Field(40, ge=1)
    lr: float = Field(0.05, gt=0)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)
    time_limit_s: float | None = Field(None, gt=0, description="per cell; None: the study's")


class DLASpec(_Strict):
    """Which DLA dimensions the report lists (S_n by its closed form, the others by closure)."""

    ring_sizes: list[int] = Field(default_factory=lambda: [4, 5, 6])
    d4_sides: list[int] = Field(default_factory=lambda: [2, 3])
    max_dim: int = Field(1000, ge=10, description="closures stop here (reported as '≥')")


class ManyQubitsSpec(_Strict):
    """The many-qubit study: each part optional; cells stop cooperatively after ``time_limit_s``
    and are killed after ``kill_after_s``."""

    name: str = "many_qubits"
    workers: int = Field(2, ge=0, description="parallel cell processes; 0 runs in this process")
    time_limit_s: float = Field(120.0, gt=0, description="per cell: stop drawing / training")
    kill_after_s: float = Field(
        600.0, gt=0, description="per cell: hard limit (workers >= 1), at least 2 x its time limit"
    )
    gradvar: GradVarSpec | None = None
    ising: IsingSpec | None = None
    digits64: Digits64Spec | None = None
    dla: DLASpec | None = DLASpec()
    smoke: dict[str, Any] = Field(default_factory=dict, description="overrides applied by --smoke")


_PART_MODELS: dict[str, type[BaseModel]] = {
    "gradvar": GradVarSpec,
    "ising": IsingSpec,
    "digits64": Digits64Spec,
    "dla": DLASpec,
}


def _check_unknown(raw: dict[str, Any]) -> None:
    _walk_unknown(raw, ManyQubitsSpec, "")
    for part, model in _PART_MODELS.items():
        sub = raw.get(part)
        if isinstance(sub, dict):
            _walk_unknown(sub, model, f"{part}.")
    families = (raw.get("gradvar") or {}).get("families")
    if isinstance(families, dict):
        for label, fam in families.items():
            _walk_unknown(fam, FamilySpec, f"gradvar.families.{label}.")


def load_many_qubits_spec(
    path: str | Path, overrides: list[str] | None = None, *, smoke: bool = False
) -> ManyQubitsSpec:
    """Read, override (``a.b=value``; ``--smoke`` applies the ``smoke`` section) and validate.

    Raises ``ConfigError`` naming the file, the key and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such spec file. The shipped one is configs/many_qubits.yaml."
        )
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a spec must be a YAML mapping; got {type(raw).__name__}.")
    try:
        raw = apply_overrides(raw, overrides or [])
        if smoke:
            smoke_items = _flatten(raw.get("smoke", {}))
            raw = apply_overrides(raw, [f"{k}={_dump(v)}" for k, v in smoke_items])
        _check_unknown(raw)
        return ManyQubitsSpec.model_validate(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {loc}: {first['msg']}.") from None
