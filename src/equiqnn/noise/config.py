"""Noise models as plain JSON-able dicts (for checkpoints and study configs), and back.

A channel is ``{"name": factory name, "params": {...}}``, e.g.
``{"name": "amplitude_damping", "params": {"gamma": 0.05}}``; a noise model is
``{"channel": ..., "placement": "gate", "per_qubit": {"0": ...}, "idle": ..., "two_qubit": ...}``.
Channels built with ``Channel.from_kraus`` and readout errors have no such form yet.
"""

from __future__ import annotations

from typing import Any

from equiqnn.noise import coherent, damping, pauli_channels
from equiqnn.noise.channel import Channel
from equiqnn.noise.model import NoiseModel

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
    if noise.readout is not None:
        raise ValueError(
            "noise models with readout error cannot be saved as config yet; drop readout."
        )
    return {
        "channel": channel_to_config(noise.channel),
        "placement": noise.placement,
        "per_qubit": {str(q): channel_to_config(ch) for q, ch in noise.overrides.items()},
        "idle": channel_to_config(noise.idle),
        "two_qubit": channel_to_config(noise.two_qubit),
    }


def noise_from_config(cfg: dict[str, Any] | None) -> NoiseModel | None:
    if cfg is None:
        return None
    allowed = {"channel", "placement", "per_qubit", "idle", "two_qubit"}
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
    )
