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
from equiqnn.sim import PauliPropagationEngine, available_memory_bytes
from equiqnn.sim.sn_model import sn_model_parts
from equiqnn.symmetry import (
    PauliString,
    PauliSum,
    Representation,
    invariant_observables,
    is_invariant_operator,
)

__all__ = ["invariant_qnn", "control_qnn", "baseline_qnn", "make_encoding", "default_readout"]

MAX_ANGLE_QUBITS = 20


def _statevector_fits(n_qubits: int) -> bool:
    """A complex64 state of a batch of 16 (plus gradient workspace, ×4) fits in free memory."""
    return n_qubits <= 40 and 2**n_qubits * 8 * 16 * 4 <= available_memory_bytes()


def _use_sn(kind, group, enc, ansatz, engine, noise) -> bool:
    """Whether the S_n sector engine runs this model: asked for (``engine="sn"``; refused with the
    reason when it cannot), or chosen by ``"auto"`` when the statevector would not fit."""
    fits = (
        kind == "invariant_qnn"
        and group.spec is not None
        and group.spec[0] == "symmetric"
        and isinstance(enc, AngleEncoding)
        and ansatz in ("auto", "twirl")
        and noise is None
    )
    if engine == "sn" and not fits:
        raise ValueError(
            "engine='sn' runs noiseless invariant_qnn models of symmetric(n) with the angle "
            "encoding and the default (twirled) ansatz; use engine='auto' for other models."
        )
    return engine == "sn" or (engine == "auto" and fits and not _statevector_fits(enc.n_qubits))


def _sn_model(group, enc, layers, n_classes, readout, seed, label, config) -> QNNClassifier:
    """An S_n invariant QNN on the sector engine (the same model as the twirled ansatz)."""
    engine, circ, obs, readout = sn_model_parts(
        enc.n_qubits,
        enc.axis,
        enc.init,
        enc.scale,
        layers=layers,
        n_classes=n_classes,
        readout=readout,
    )
    if config:
        config = {**config, "readout": list(readout)}
    return QNNClassifier(
        enc,
        circ,
        obs,
        group,
        n_classes=n_classes,
        label=label,
        config=config,
        seed=seed,
        engine=engine,
    )


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
    if _use_sn(kind, group, enc, ansatz, engine, noise):
        cfg: dict[str, Any] = {}
        if group.spec is not None:
            cfg = {
                "kind": kind,
                "group": group.spec,
                "encoding": enc.config(),
                "layers": layers,
                "n_classes": n_classes,
                "seed": seed,
                "ansatz": ansatz,
                "engine": engine,
                **extra,
            }
        return _sn_model(group, enc, layers, n_classes, readout, seed, "InvariantQNN", cfg)
    rep = enc.representation(group)
    ansatz_kw: dict[str, Any] = {}
    if isinstance(ansatz, dict):  # e.g. {"type": "twirl", "singles": "X", "pair_letters": ["ZZ"]}
        ansatz_kw = dict(ansatz)
        ansatz = ansatz_kw.pop("type", "twirl")
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
        circ = (control_ansatz if control else equivariant_ansatz)(rep, layers=layers, **ansatz_kw)
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
            "ansatz": dict(ansatz_kw, type=ansatz) if ansatz_kw else ansatz,
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
    if engine == "pauli" and kind == "invariant_qnn":  # merge string orbits under the group
        perm_only = not any(set(p) - {"I"} for p in rep.paulis)
        engine = PauliPropagationEngine(
            enc.circuit() + circ, obs, symmetry=rep if perm_only else None
        )
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
    input — not a channel, for reproducing that convention only). ``engine="sn"`` (and ``"auto"``
    when the statevector would not fit in memory) runs noiseless ``invariant_qnn(symmetric(n),
    encoding="angle")`` on the S_n total-spin sector engine (to ~1000 qubits); its readouts are
    collective-spin terms such as ``"Z"`` (Σ Z_i / n) or ``"ZZ"`` (Σ Z_i Z_j / C(n, 2)).
    ``engine="pauli"``: exact Pauli propagation for one qubit per pixel at many qubits (e.g.
    ``grid_d4(8)``, ``encoding="angle"``, ``ansatz={"type": "twirl", "singles": "X",
    "pair_letters": ["ZZ"]}``); invariant models merge string orbits under the group."""


@register_model("invariant_qnn")
def invariant_qnn(
    group: PermutationGroup | list,
    *,
    encoding: str | Encoding | dict = "auto",
    layers: int = 2,
    n_classes: int = 2,
    readout: list | None = None,
    seed: int = 0,
    ansatz: str | dict = "auto",
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
    ansatz: str | dict = "auto",
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
