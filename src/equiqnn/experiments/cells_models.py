"""The models of a study, built from a cell's axis values, optionally under a noise setting.

Names: ``invariant`` (``invariant_qnn``), ``control`` (its matched control), ``symmetrized`` (the
control averaged over the group), ``hardware_efficient`` / ``baseline`` (``baseline_qnn``: RY +
CNOT chain with the invariant model's ansatz parameter count), and the classical ``logistic``,
``mlp``, ``cnn`` and ``invariant_cnn`` (group-pooled CNN).
"""

from __future__ import annotations

from typing import Any

import torch

from equiqnn.experiments.cells_axes import Cell, Variant, resolved_encoding
from equiqnn.experiments.spec import QUANTUM, StudySpec
from equiqnn.groups import PermutationGroup
from equiqnn.models import (
    MLP,
    GroupInvariantCNN,
    LogisticRegression,
    SmallCNN,
    baseline_qnn,
    control_qnn,
    invariant_qnn,
)
from equiqnn.models.symmetrized import symmetrized
from equiqnn.noise import (
    NoiseModel,
    amplitude_damping,
    bit_flip,
    depolarizing,
    phase_damping,
    phase_flip,
)

__all__ = ["build_model", "noise_model", "CHANNELS"]

#: Channel factories of the ``noise.channel`` names (each takes the strength).
CHANNELS = {
    "depolarizing": depolarizing,
    "amplitude_damping": amplitude_damping,
    "phase_damping": phase_damping,
    "bit_flip": bit_flip,
    "phase_flip": phase_flip,
}


def noise_model(setting: Variant | dict[str, Any]) -> NoiseModel | None:
    """The ``NoiseModel`` of a noise setting (``noise.channel``, ``noise.strength``,
    ``noise.placement``); ``None`` (noiseless, statevector engine) at strength 0."""
    s = dict(setting)
    strength = float(s.get("noise.strength", 0.0) or 0.0)
    if strength == 0.0 or "noise.channel" not in s:
        return None
    channel = CHANNELS[str(s["noise.channel"])](strength)
    return NoiseModel(channel, placement=str(s.get("noise.placement", "gate")))


def build_model(
    name: str,
    spec: StudySpec,
    cell: Cell,
    group: PermutationGroup,
    n_classes: int,
    seed: int,
    noise: NoiseModel | None = None,
) -> torch.nn.Module:
    """Model ``name`` for ``cell`` (its encoding, frame and layers) on data shaped ``group.shape``.

    ``noise`` runs a QNN on the density-matrix engine (``qnn.engine: auto``); classical models
    take no noise.
    """
    shape = group.shape
    if name in QUANTUM:
        side = int(shape[0])
        enc = str(cell.get("qnn.encoding", spec.qnn.encoding))
        kw: dict[str, Any] = {
            "encoding": enc,
            "layers": int(cell.get("qnn.layers", spec.qnn.layers)),
            "n_classes": n_classes,
            "seed": seed,
            "noise": noise,
            "engine": spec.qnn.engine,
        }
        if resolved_encoding(enc, side) == "register":
            kw["frame"] = cell.get("qnn.frame") or "X"
        if name == "invariant":
            return invariant_qnn(group, **kw)
        if name == "control":
            return control_qnn(group, **kw)
        if name == "symmetrized":
            return symmetrized(control_qnn(group, **kw))
        match = invariant_qnn(group, **{**kw, "noise": None, "engine": "auto"}).ansatz.n_params
        return baseline_qnn(group, n_params=match, **kw)
    if noise is not None:
        raise ValueError(f"the classical model {name!r} cannot run under noise.")
    if name == "logistic":
        return LogisticRegression(shape, n_classes, seed=seed)
    if name == "mlp":
        return MLP(shape, n_classes, seed=seed)
    if name == "cnn":
        return SmallCNN(shape, n_classes, seed=seed)
    if name == "invariant_cnn":
        return GroupInvariantCNN(group, n_classes, seed=seed)
    raise ValueError(f"unknown model {name!r}.")
