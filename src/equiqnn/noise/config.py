"""Noise models as plain JSON-able dicts (for checkpoints and study configs), and back.

A channel is ``{"name": factory name, "params": {...}}``, e.g.
``{"name": "amplitude_damping", "params": {"gamma": 0.05}}``; a noise model is
``{"channel": ..., "placement": "gate", "per_qubit": {"0": ...}, "idle": ..., "two_qubit": ...}``.
A readout error is ``{"p01_p10": [p01, p10], "per_qubit": {"3": [p01, p10]}}``. Channels built with
``Channel.from_kraus`` have no such form.
"""

from __future__ import annotations

from typing import Any

from equiqnn.noise import coherent, damping, pauli_channels
from equiqnn.noise.channel import Channel
from equiqnn.noise.model import NoiseModel
from equiqnn.noise.readout import ReadoutError

__all__ = ["channel_to_config", "channel_from_config", "noise_to_config", "noise_from_config"]

_FACTORIES = {
    name: getattr(mod, name)
    for mod, names in (
        (
            pauli_channels,
            ("depolarizing", "depolarizing2", "bit_flip", "phase_flip", "pauli_channel"),
        ),
        (
            damping,
            (
                "amplitude_damping",
                "generalized_amplitude_damping",
                "phase_damping",
                "thermal_relaxation",
            ),
        ),
        (coherent, ("over_rotation",)),
    )
    for name in names
}


def channel_to_config(channel: Channel | None) -> dict[str, Any] | None:
    if channel is None:
        return None
    if channel.name not in _FACTORIES:
        raise ValueError(
            f"channel {channel!r} was not built by a named factory and cannot be saved as config; "
            f"use one of {sorted(_FACTORIES)}."
        )
    return {"name": channel.name, "params": dict(channel.params)}


def channel_from_config(cfg: dict[str, Any] | None) -> Channel | None:
    if cfg is None:
        return None
    if not isinstance(cfg, dict) or cfg.get("name") not in _FACTORIES:
        raise ValueError(
            f"a channel config is {{'name': one of {sorted(_FACTORIES)}, 'params': {{...}}}}; got {cfg!r}."
        )
    return _FACTORIES[cfg["name"]](**cfg.get("params", {}))


def noise_to_config(noise: NoiseModel | None) -> dict[str, Any] | None:
    """JSON-able dict that ``noise_from_config`` turns back into an equal ``NoiseModel``."""
    if noise is None:
        return None
    return {
        "readout": _readout_to_config(noise.readout),
        "channel": channel_to_config(noise.channel),
        "placement": noise.placement,
        "per_qubit": {str(q): channel_to_config(ch) for q, ch in noise.overrides.items()},
        "idle": channel_to_config(noise.idle),
        "two_qubit": channel_to_config(noise.two_qubit),
    }


def noise_from_config(cfg: dict[str, Any] | None) -> NoiseModel | None:
    if cfg is None:
        return None
    allowed = {"channel", "placement", "per_qubit", "idle", "two_qubit", "readout"}
    unknown = set(cfg) - allowed
    if unknown:
        raise ValueError(
            f"unknown noise config keys {sorted(unknown)}; allowed: {sorted(allowed)}."
        )
    return NoiseModel(
        channel_from_config(cfg.get("channel")),
        placement=cfg.get("placement", "gate"),
        per_qubit={int(q): channel_from_config(c) for q, c in (cfg.get("per_qubit") or {}).items()},
        idle=channel_from_config(cfg.get("idle")),
        two_qubit=channel_from_config(cfg.get("two_qubit")),
        readout=_readout_from_config(cfg.get("readout")),
    )


def _confusion(p01: float, p10: float) -> list[list[float]]:
    return [[1 - p01, p10], [p01, 1 - p10]]


def _readout_to_config(readout: ReadoutError | None) -> dict[str, Any] | None:
    if readout is None:
        return None
    return {
        "p01_p10": list(readout._default),  # noqa: SLF001 (same layer)
        "per_qubit": {str(q): list(pair) for q, pair in readout._overrides.items()},  # noqa: SLF001
    }


def _readout_from_config(cfg: dict[str, Any] | None) -> ReadoutError | None:
    if cfg is None:
        return None
    per_qubit = {int(q): _confusion(*pair) for q, pair in (cfg.get("per_qubit") or {}).items()}
    return ReadoutError(_confusion(*cfg["p01_p10"]), per_qubit=per_qubit)
