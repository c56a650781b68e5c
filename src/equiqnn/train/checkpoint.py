"""Checkpoints that reload with ``torch.load(weights_only=True)``: weights plus the model's config.

A checkpoint is a dict saved with ``torch.save``::

    {"state_dict": {name: tensor}, "config": "<model.config as JSON>",
     "equiqnn_version": "0.1.0", "extra": "<extra as JSON>"}

The config and ``extra`` are stored as JSON strings so that loading needs no pickled Python objects;
``load_model`` rebuilds the model with ``equiqnn.models.registry.build_model`` and loads the weights
strictly, in the dtype they were saved in.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from equiqnn import __version__
from equiqnn.models.registry import build_model
from equiqnn.train._inputs import check_model

__all__ = ["save_checkpoint", "load_checkpoint", "load_model"]

_DTYPE_CASTS = {
    torch.float64: "double",
    torch.float32: "float",
    torch.float16: "half",
    torch.bfloat16: "bfloat16",
}


def _to_json(value: Any, what: str, fix: str) -> str:
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{what} must hold plain JSON types (dict, list, str, int, float, bool, None; finite "
            f"numbers); json.dumps failed with: {err}. {fix}"
        ) from None


def model_config(model: torch.nn.Module) -> dict[str, Any]:
    """``model.config`` checked to be a JSON-able dict with ``"kind"`` (not exported)."""
    config = getattr(model, "config", None)
    if not isinstance(config, Mapping) or "kind" not in config:
        raise TypeError(
            f"model must have a `config` dict with a 'kind' key so that build_model(config) can "
            f"rebuild it; {type(model).__name__} has config={config!r}. Register the class with "
            "equiqnn.models.registry.register_model and give it a config property."
        )
    _to_json(dict(config), "model.config", "Store tuples as lists, arrays as lists.")
    return dict(config)


def _state_payload(
    state_dict: Mapping[str, torch.Tensor], config: Mapping[str, Any], extra: Any
) -> dict[str, Any]:
    return {
        "state_dict": {k: v.detach().to("cpu").clone() for k, v in state_dict.items()},
        "config": _to_json(dict(config), "model.config", "Store tuples as lists, arrays as lists."),
        "equiqnn_version": __version__,
        "extra": _to_json(extra, "extra", "Convert arrays with .tolist() and drop objects."),
    }


def _atomic_save(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_checkpoint(
    model: torch.nn.Module, path: str | os.PathLike[str], *, extra: Any = None
) -> Path:
    """Save ``model``'s weights and config to ``path`` (parent folders are created).

    Args:
        model: a module with a JSON-able ``config`` dict holding ``"kind"``.
        path: the file to write, e.g. ``"runs/a/best.pt"``.
        extra: optional JSON-able metadata (epoch, metrics, ...), returned by ``load_checkpoint``.

    Returns:
        The path written, as a ``Path``.
    """
    check_model(model)
    payload = _state_payload(model.state_dict(), model_config(model), extra)
    out = Path(path)
    _atomic_save(payload, out)
    return out


def save_state(
    state_dict: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    extra: Any = None,
) -> Path:
    """Like ``save_checkpoint`` for a detached ``state_dict`` (used by ``fit``; not exported)."""
    out = Path(path)
    _atomic_save(_state_payload(state_dict, config, extra), out)
    return out


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)`` onto the CPU.

    Returns:
        ``{"state_dict": {name: tensor}, "config": dict, "equiqnn_version": str, "extra": Any}``
        with the config and extra decoded from JSON.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no checkpoint file at {str(p)!r}; check the path.")
    raw = torch.load(p, map_location="cpu", weights_only=True)
    keys = {"state_dict", "config", "equiqnn_version", "extra"}
    if not isinstance(raw, dict) or not keys <= set(raw):
        got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ValueError(
            f"{str(p)!r} is not an equiqnn checkpoint: it must be a dict with keys {sorted(keys)}; "
            f"got {got}. Write checkpoints with equiqnn.train.save_checkpoint."
        )
    return {
        "state_dict": raw["state_dict"],
        "config": json.loads(raw["config"]),
        "equiqnn_version": raw["equiqnn_version"],
        "extra": json.loads(raw["extra"]),
    }


def load_model(path: str | os.PathLike[str]) -> torch.nn.Module:
    """Rebuild the model saved at ``path``, load its weights strictly, and return it in eval mode.

    The model is cast to the dtype of the first floating tensor in the checkpoint (e.g. float64 for
    a model trained after ``.double()``) before the weights are loaded, so no precision is lost.
    """
    ckpt = load_checkpoint(path)
    state: dict[str, torch.Tensor] = ckpt["state_dict"]
    model = build_model(ckpt["config"])
    floating = [t.dtype for t in state.values() if t.is_floating_point()]
    if floating and floating[0] in _DTYPE_CASTS:
        model = getattr(model, _DTYPE_CASTS[floating[0]])()
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(
            f"the weights in {str(path)!r} do not fit the model rebuilt from its config "
            f"{ckpt['config']!r} (saved by equiqnn {ckpt['equiqnn_version']}, this is "
            f"{__version__}): {err}. Rebuild with the equiqnn version that saved it."
        ) from None
    return model.eval()


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as JSON atomically, turning non-finite floats into ``null`` (not exported)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, Mapping):
            return {str(k): clean(u) for k, u in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(u) for u in v]
        return v

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(clean(obj), indent=1, allow_nan=False))
    os.replace(tmp, out)
    return out
