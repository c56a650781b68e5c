"""A tiny on-disk cache of generated arrays, keyed by every parameter that made them.

A dataset generated from ``params`` is stored as ``<cache_dir>/<prefix>-<hash>.npz`` where
``<hash>`` is the SHA-256 (first 16 hex digits) of the JSON of ``params`` with sorted keys; the
JSON is stored in the file too and checked on load, so a file is reused only for exactly the same
parameters. Files are written to a temporary name and renamed, so an interrupted run never
leaves a half-written file behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["cache_key", "cached_arrays"]

logger = logging.getLogger(__name__)
_PARAMS_KEY = "__params__"


def cache_key(params: Mapping[str, Any]) -> str:
    """16 hex digits identifying ``params`` (JSON-able values only).

    >>> cache_key({"L": 8, "seed": 0}) == cache_key({"seed": 0, "L": 8})
    True
    """
    text = json.dumps(dict(params), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _load(path: Path, text: str) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if _PARAMS_KEY not in archive.files or str(archive[_PARAMS_KEY]) != text:
                return None
            return {k: archive[k] for k in archive.files if k != _PARAMS_KEY}
    except (OSError, ValueError, EOFError) as err:
        logger.warning("ignoring unreadable cache file %s (%s); regenerating", path, err)
        return None


def cached_arrays(
    cache_dir: str | os.PathLike[str] | None,
    prefix: str,
    params: Mapping[str, Any],
    make: Callable[[], dict[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """``make()``, or the arrays it returned before for the same ``params``.

    Args:
        cache_dir: folder for cache files (created if absent); ``None`` disables caching.
        prefix: readable file-name prefix, e.g. ``"ising-L16-n1000"``.
        params: every parameter ``make`` depends on (JSON-able).
        make: builds ``{name: array}`` (no object arrays).
    Returns:
        ``{name: array}`` as built by ``make`` (loaded back from disk when cached).
    """
    if cache_dir is None:
        return make()
    text = json.dumps(dict(params), sort_keys=True, separators=(",", ":"))
    folder = Path(cache_dir)
    path = folder / f"{prefix}-{cache_key(params)}.npz"
    if path.is_file():
        loaded = _load(path, text)
        if loaded is not None:
            logger.info("loaded cached %s", path)
            return loaded
    arrays = make()
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{prefix}-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            payload: dict[str, Any] = {**arrays, _PARAMS_KEY: np.array(text)}
            np.savez(out, **payload)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    logger.info("cached %s", path)
    return arrays
