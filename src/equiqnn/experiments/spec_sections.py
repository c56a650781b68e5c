"""The sections of a study spec (``data``, ``qnn``, ``train``, ``noise``, ``shortcut``,
``scaling``); ``equiqnn.experiments.spec`` assembles them into ``StudySpec`` and documents the keys.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "DataSpec",
    "IsingSpec",
    "QNNSpec",
    "TrainSpec",
    "NoiseSpec",
    "TrainPhaseSpec",
    "ShortcutSpec",
    "ScalingSpec",
    "Kind",
    "as_list",
]


def as_list(value: Any) -> list[Any]:
    """An axis value as a list: a list stays, a scalar becomes ``[scalar]``."""
    return list(value) if isinstance(value, list | tuple) else [value]


Kind = Literal["generalization", "noise", "shortcut", "layers", "scaling"]
Dataset = Literal["digits", "ising", "mnist", "fashion_mnist"]
Encoding = Literal["auto", "register", "angle"]
Frame = Literal["X", "Z"]
ChannelName = Literal[
    "depolarizing", "amplitude_damping", "phase_damping", "bit_flip", "phase_flip"
]
Placement = Literal["gate", "layer"]
Phase = Literal["test", "train"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _non_empty(v: Any, name: str) -> Any:
    if isinstance(v, list) and not v:
        raise ValueError(f"{name} must be a value or a non-empty list")
    return v


class IsingSpec(_Strict):
    """The 2D Ising pool (``equiqnn.data.ising_dataset``): phase labels 1 (ordered) / 0."""

    n_samples: int = Field(600, ge=8, description="configurations generated (the whole pool)")
    t_range: tuple[float, float] = (1.0, 3.5)
    sweeps: int = Field(300, ge=0)
    lattice: int | None = Field(
        None, ge=2, description="lattice side L; default max(side, 8); resized to data.side"
    )
    seed: int = Field(0, ge=0)


class DataSpec(_Strict):
    """Where the images come from and how they are split."""

    dataset: Dataset | list[Dataset] = Field("digits", description="axis")
    path: str | None = Field(None, description="folder holding MNIST-family files")
    classes: list[int] | None = Field(
        None,
        description="default: digits/mnist [3, 5], fashion_mnist [0, 9]; not used by ising "
        "(labels: its two phases)",
    )
    side: int | list[int] | None = Field(
        None, description="axis; images resized D4-symmetrically; default digits/ising 8, else 16"
    )
    n_train: list[int] = Field(default_factory=lambda: [20, 40, 80])
    n_val: int = Field(60, ge=2)
    n_test: int = Field(120, ge=2)
    split_seed: int = Field(
        0, description="fixes the validation and test pools for every N and seed"
    )
    ising: IsingSpec = IsingSpec()

    @field_validator("n_train")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if not v or any(n < 2 for n in v):
            raise ValueError(f"n_train must be a non-empty list of sizes >= 2; got {v}")
        return v

    @field_validator("side")
    @classmethod
    def _sides(cls, v: Any) -> Any:
        if v is not None and any(s < 2 for s in as_list(_non_empty(v, "side"))):
            raise ValueError(f"side must be >= 2; got {v}")
        return v

    @field_validator("classes")
    @classmethod
    def _classes(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (len(v) < 2 or len(set(v)) != len(v)):
            raise ValueError(f"classes must be at least 2 distinct labels; got {v}")
        return v

    @field_validator("dataset")
    @classmethod
    def _datasets(cls, v: Any) -> Any:
        return _non_empty(v, "dataset")


class QNNSpec(_Strict):
    encoding: Encoding | list[Encoding] = Field("register", description="axis")
    frame: Frame | list[Frame] = Field("X", description="axis; register encoding only")
    layers: int | list[int] = Field(2, description="axis")
    standardize: bool = True
    engine: Literal["auto", "statevector", "density", "trajectories"] = "auto"

    @field_validator("layers")
    @classmethod
    def _layers(cls, v: Any) -> Any:
        if any(n < 1 for n in as_list(_non_empty(v, "layers"))):
            raise ValueError(f"layers must be >= 1; got {v}")
        return v

    @field_validator("encoding", "frame")
    @classmethod
    def _axis(cls, v: Any) -> Any:
        return _non_empty(v, "this axis")


class TrainSpec(_Strict):
    epochs: int = Field(40, ge=1)
    lr: float = Field(0.05, gt=0)
    betas: tuple[float, float] = (0.5, 0.999)
    patience: int | None = Field(10, ge=1)
    batch_size: int | None = Field(None, ge=1, description="default: N/10, our users' protocol")
    classical_lr: float = Field(0.01, gt=0, description="Adam lr of the classical baselines")


def _strengths_ok(v: Any) -> Any:
    bad = [s for s in as_list(_non_empty(v, "strength")) if not 0.0 <= s <= 1.0]
    if bad:
        raise ValueError(f"noise strengths must lie in [0, 1]; got {bad}")
    return v


class TrainPhaseSpec(_Strict):
    """Axes of the train-time noise cells where they differ from the test-time ones (each
    retrains a model under noise, so a study usually affords fewer of them). ``None``: as the
    test-time axis."""

    channel: ChannelName | list[ChannelName] | None = None
    strength: float | list[float] | None = None
    placement: Placement | list[Placement] | None = None

    @field_validator("strength")
    @classmethod
    def _strengths(cls, v: Any) -> Any:
        return None if v is None else _strengths_ok(v)


class NoiseSpec(_Strict):
    """Noise settings of a ``kind: noise`` study (every key an axis)."""

    channel: ChannelName | list[ChannelName] = "depolarizing"
    strength: float | list[float] = Field(default_factory=lambda: [0.0, 0.05, 0.1, 0.2])
    placement: Placement | list[Placement] = "gate"
    phase: Phase | list[Phase] = "test"
    train_phase: TrainPhaseSpec = TrainPhaseSpec()

    @field_validator("strength")
    @classmethod
    def _strengths(cls, v: Any) -> Any:
        return _strengths_ok(v)

    @field_validator("channel", "placement", "phase")
    @classmethod
    def _axis(cls, v: Any) -> Any:
        return _non_empty(v, "this axis")


class ShortcutSpec(_Strict):
    """The watermark of a ``kind: shortcut`` study: a class-marking corner block, training images
    (and the validation pool, drawn from the same distribution) only."""

    size: int = Field(2, ge=1, description="block side in pixels")
    value: float = Field(1.0, description="pixel value written into the block")


class ScalingSpec(_Strict):
    """Gradient variance at initialization of a ``kind: scaling`` study."""

    draws: int = Field(20, ge=3, description="random parameter draws (>= 3: jackknife)")
    inputs: int = Field(8, ge=1, description="training inputs the readout is averaged over")
    train_max_qubits: int | None = Field(
        12,
        ge=1,
        description="QNNs on more qubits only get grad_var (their accuracy columns are None); "
        "None trains every size",
    )
