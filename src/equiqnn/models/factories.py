"""Factories: the invariant QNN, its matched control, and the hardware-efficient baseline.

``encoding="auto"`` picks one qubit per site (angle encoding) when that needs at most 20 qubits, and
the register amplitude encoding for larger power-of-two square images. With the register encoding the
ansatz defaults to the field's register model (invariant under all of D4, hence under any subgroup);
otherwise to twirled generators with orbit-shared angles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equiqnn.circuits import (
    AngleEncoding,
    Circuit,
    Encoding,
    RegisterAmplitude,
    control_ansatz,
    equivariant_ansatz,
    hardware_efficient_ansatz,
    register_ansatz,
)
from equiqnn.groups import PermutationGroup, group_from_spec
from equiqnn.models.qnn import QNNClassifier
from equiqnn.models.registry import register_model
from equiqnn.noise import NoiseModel, noise_from_config, noise_to_config
from equiqnn.symmetry import (
    PauliString,
    PauliSum,
    Representation,
    invariant_observables,
    is_invariant_operator,
)

__all__ = ["invariant_qnn", "control_qnn", "baseline_qnn", "make_encoding", "default_readout"]

MAX_ANGLE_QUBITS = 20


def make_encoding(
    group: PermutationGroup, encoding: str | Encoding | dict = "auto", **kw: Any
) -> Encoding:
    """Resolve ``"auto"``, ``"angle"``, ``"register"``, a config dict, or an ``Encoding``."""
    if isinstance(encoding, Encoding):
        return encoding
    if isinstance(encoding, dict):
        cfg = dict(encoding)
        kind = cfg.pop("type")
        if kind == "angle":
            return AngleEncoding(tuple(cfg.pop("shape")), **cfg)
        return RegisterAmplitude(**cfg)
    shape = group.shape
    square_pow2 = (
        len(shape) == 2 and shape[0] == shape[1] and shape[0] >= 4 and not shape[0] & (shape[0] - 1)
    )
    if encoding == "auto":
        if group.n_sites <= MAX_ANGLE_QUBITS:
            encoding = "angle"
        elif square_pow2:
            encoding = "register"
        else:
            raise ValueError(
                f"{group!r} has {group.n_sites} sites: one qubit per site needs more than "
                f"{MAX_ANGLE_QUBITS} qubits, and the register encoding needs a power-of-two square "
                "image. Resize first (equiqnn.data.resize_symmetric(x, side=8 or 16)), or pass "
                "encoding='angle' explicitly (a many-qubit engine is needed then)."
            )
    if encoding == "angle":
        return AngleEncoding(shape, **kw)
    if encoding == "register":
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(
                f"the register encoding needs square images; {group!r} acts on {shape}."
            )
        return RegisterAmplitude(shape[0], **kw)
    raise ValueError(
        f"encoding must be 'auto', 'angle', 'register' or an Encoding; got {encoding!r}."
    )


def default_readout(enc: Encoding, rep: Representation, n_classes: int) -> list[PauliSum]:
    """Binary: ½(X_0 + X_m) for the register model (Z in its Z-frame), else mean ⟨X⟩ over all qubits
    when invariant, else the first invariant observable. Multiclass: the first K invariant ones."""
    n = rep.n_qubits
    if n_classes == 2:
        if isinstance(enc, RegisterAmplitude):
            a = enc.frame
            return [
                PauliSum(
                    {PauliString.on(n, {0: a}).label: 0.5, PauliString.on(n, {enc.m: a}).label: 0.5}
                )
            ]
        mean_x = PauliSum({PauliString.on(n, {q: "X"}).label: 1 / n for q in range(n)})
        if is_invariant_operator(mean_x, rep):
            return [mean_x]
    obs = invariant_observables(rep)
    want = 1 if n_classes == 2 else n_classes
    if len(obs) < want:
        raise ValueError(
            f"only {len(obs)} invariant observables of weight <= 2 exist for {rep!r}; "
            f"{n_classes} classes need {want}. Pass readout=[...] explicitly."
        )
    return obs[:want]


def _build(
    kind: str, group, encoding, layers, n_classes, readout, seed, ansatz, enc_kw, extra, sim=None
) -> QNNClassifier:
    sim = dict(sim or {})
    noise = sim.get("noise")
    if isinstance(noise, dict):
        noise = noise_from_config(noise)
    elif noise is not None and not isinstance(noise, NoiseModel):
        raise TypeError(
            f"noise must be a NoiseModel, its config dict, or None; got {type(noise).__name__}."
        )
    engine = sim.get("engine", "auto")
    if isinstance(group, (list, tuple)):
        group = group_from_spec(group)
    enc = make_encoding(group, encoding, **enc_kw)
    rep = enc.representation(group)
    if ansatz == "auto":
        ansatz = "register" if isinstance(enc, RegisterAmplitude) else "twirl"
    frame = getattr(enc, "frame", "X")
    control = kind == "control_qnn"
    if kind == "baseline_qnn":
        circ: Circuit = hardware_efficient_ansatz(
            enc.n_qubits, layers=layers, n_params=extra.get("n_params")
        )
    elif ansatz == "register":
        if not isinstance(enc, RegisterAmplitude):
            raise ValueError("ansatz='register' needs the register encoding.")
        circ = register_ansatz(enc.side, layers=layers, frame=frame, control=control)
    elif ansatz == "twirl":
        circ = (control_ansatz if control else equivariant_ansatz)(rep, layers=layers)
    else:
        raise ValueError(f"ansatz must be 'auto', 'register' or 'twirl'; got {ansatz!r}.")
    obs = readout if readout is not None else default_readout(enc, rep, n_classes)
    obs = [o if isinstance(o, PauliSum) else PauliSum(o) for o in obs]
    if group.spec is None:
        config: dict[str, Any] = {}
    else:
        config = {
            "kind": kind,
            "group": group.spec,
            "encoding": enc.config(),
            "layers": layers,
            "n_classes": n_classes,
            "readout": [str(o) for o in obs],
            "seed": seed,
            "ansatz": ansatz,
            **extra,
        }
        if noise is not None or engine != "auto":
            config.update(
                noise=noise_to_config(noise),
                engine=engine,
                n_trajectories=sim.get("n_trajectories", 100),
                frozen=sim.get("frozen", False),
            )
    labels = {
        "invariant_qnn": "InvariantQNN",
        "control_qnn": "ControlQNN",
        "baseline_qnn": "BaselineQNN",
    }
    return QNNClassifier(
        enc,
        circ,
        obs,
        group,
        n_classes=n_classes,
        label=labels[kind],
        config=config,
        seed=seed,
        engine=engine,
        noise=noise,
        n_trajectories=sim.get("n_trajectories", 100),
        frozen=sim.get("frozen", False),
    )


_SIM_DOC = """
    Simulation: ``noise`` (a ``NoiseModel`` or its config dict) runs the model on the exact
    density-matrix engine (``engine="auto"``), or on Monte-Carlo trajectories with
    ``engine="trajectories"`` (``n_trajectories``; ``frozen=True`` reuses one error sample for every
    input — not a channel, for reproducing that convention only)."""


@register_model("invariant_qnn")
def invariant_qnn(
    group: PermutationGroup | list,
    *,
    encoding: str | Encoding | dict = "auto",
    layers: int = 2,
    n_classes: int = 2,
    readout: list | None = None,
    seed: int = 0,
    ansatz: str = "auto",
    noise: NoiseModel | dict | None = None,
    engine: str = "auto",
    n_trajectories: int = 100,
    frozen: bool = False,
    **encoding_kw: Any,
) -> QNNClassifier:
    """An invariant QNN classifier for ``group``: equivariant encoding, equivariant circuit, invariant
    readout. Extra keywords go to the encoding (``axis``, ``init``, ``scale``, ``frame``, ``premap``).

    >>> from equiqnn.groups import grid_d4
    >>> invariant_qnn(grid_d4(16), layers=1)
    InvariantQNN(D4 | RegisterAmplitude 16x16 | 6 params | statevector complex64)
    """
    sim = {"noise": noise, "engine": engine, "n_trajectories": n_trajectories, "frozen": frozen}
    return _build(
        "invariant_qnn",
        group,
        encoding,
        layers,
        n_classes,
        readout,
        seed,
        ansatz,
        encoding_kw,
        {},
        sim,
    )


@register_model("control_qnn")
def control_qnn(
    group: PermutationGroup | list,
    *,
    encoding: str | Encoding | dict = "auto",
    layers: int = 2,
    n_classes: int = 2,
    readout: list | None = None,
    seed: int = 0,
    ansatz: str = "auto",
    noise: NoiseModel | dict | None = None,
    engine: str = "auto",
    n_trajectories: int = 100,
    frozen: bool = False,
    **encoding_kw: Any,
) -> QNNClassifier:
    """The matched non-invariant control: same encoding, readout, schedule, gate count, depth and
    parameter count as ``invariant_qnn``, with gates that do not commute with ``R(g)``."""
    sim = {"noise": noise, "engine": engine, "n_trajectories": n_trajectories, "frozen": frozen}
    return _build(
        "control_qnn",
        group,
        encoding,
        layers,
        n_classes,
        readout,
        seed,
        ansatz,
        encoding_kw,
        {},
        sim,
    )


@register_model("baseline_qnn")
def baseline_qnn(
    group: PermutationGroup | list,
    *,
    encoding: str | Encoding | dict = "auto",
    layers: int = 2,
    n_classes: int = 2,
    readout: list | None = None,
    seed: int = 0,
    n_params: int | None = None,
    ansatz: str = "hardware_efficient",
    noise: NoiseModel | dict | None = None,
    engine: str = "auto",
    n_trajectories: int = 100,
    frozen: bool = False,
    **encoding_kw: Any,
) -> QNNClassifier:
    """Hardware-efficient QNN (RY + CNOT chain) on the same encoding and readout; ``n_params`` matches
    a parameter count (e.g. ``invariant_qnn(...).ansatz.n_params``)."""
    extra = {} if n_params is None else {"n_params": int(np.int64(n_params))}
    sim = {"noise": noise, "engine": engine, "n_trajectories": n_trajectories, "frozen": frozen}
    return _build(
        "baseline_qnn",
        group,
        encoding,
        layers,
        n_classes,
        readout,
        seed,
        ansatz,
        encoding_kw,
        extra,
        sim,
    )


for _f in (invariant_qnn, control_qnn, baseline_qnn):
    _f.__doc__ = (_f.__doc__ or "") + _SIM_DOC
