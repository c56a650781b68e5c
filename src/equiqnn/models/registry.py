"""Rebuild any model from the plain config it reports (used by checkpoints).

Every model class in ``equiqnn.models`` has a ``config`` property: a JSON-serializable dict with the key
``"kind"`` plus the keyword arguments that rebuild an untrained copy. ``build_model(config)`` looks the
kind up in this registry; the trained weights are then loaded from a ``state_dict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

__all__ = ["register_model", "build_model", "registered_kinds"]

_REGISTRY: dict[str, Callable[..., torch.nn.Module]] = {}


F = TypeVar("F", bound=Callable[..., torch.nn.Module])


def register_model(kind: str) -> Callable[[F], F]:
    """Decorator registering a model factory (or class) under ``kind``; returns it unchanged."""

    def deco(factory: F) -> F:
        if kind in _REGISTRY and _REGISTRY[kind] is not factory:
            raise ValueError(f"model kind {kind!r} is already registered.")
        _REGISTRY[kind] = factory
        return factory

    return deco


def build_model(config: dict[str, Any]) -> torch.nn.Module:
    """Rebuild an (untrained) model from ``model.config``."""
    if not isinstance(config, dict) or "kind" not in config:
        raise TypeError(f"config must be a dict with a 'kind' key; got {config!r}.")
    kwargs = dict(config)
    kind = kwargs.pop("kind")
    if kind not in _REGISTRY:
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {sorted(_REGISTRY)}.")
    return _REGISTRY[kind](**kwargs)


def registered_kinds() -> list[str]:
    return sorted(_REGISTRY)
