"""Group augmentation of a training set: none, all |G| copies once, or a fresh element per epoch.

``augment(x, y, G, mode="once")`` returns every transformed copy ``g·x`` (via ``G.act_all``),
element-major: rows ``k·N .. (k+1)·N - 1`` hold element ``k`` (``k = 0`` is the identity, so the
first N rows are ``x``). ``mode="epoch"`` returns an endless iterator of ``(x_epoch, y)`` in which
every sample is transformed by its own random element, redrawn at each ``next``::

    epochs = augment(x_train, y_train, G, mode="epoch", seed=0)
    for epoch in range(n_epochs):
        x_ep, y_ep = next(epochs)
        ...  # batches from x_ep, y_ep

Inside a batch loop use ``epoch_augmenter(G, seed)`` instead: calling it on a batch (numpy array
or torch tensor ``(B, *G.shape)``) transforms each sample by a fresh random element.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, overload

import numpy as np

from equiqnn.data._checks import check_rng
from equiqnn.groups import PermutationGroup

__all__ = ["EpochAugmenter", "augment", "epoch_augmenter"]

_MODES = ("none", "once", "epoch")


def _check_batch(x: Any, group: PermutationGroup, name: str = "x") -> None:
    shape = tuple(x.shape)
    if len(shape) != len(group.shape) + 1 or shape[1:] != group.shape:
        hint = ""
        if len(group.shape) == 2 and len(shape) == 3 and shape[1] == shape[2]:
            hint = f" Resize first: equiqnn.data.resize_symmetric({name}, side={group.shape[0]})."
        raise ValueError(
            f"{name} must have shape (batch, {', '.join(map(str, group.shape))}) for {group!r}; "
            f"got {shape}.{hint}"
        )


class EpochAugmenter:
    """Maps a batch to ``g_i·x_i`` with an independent uniformly random element ``g_i`` per sample.

    Args:
        group: the group whose elements are drawn (must be enumerable).
        seed: integer seed or ``numpy.random.Generator``; each call advances it.
    Calling it on ``x`` (numpy array or torch tensor, ``(B, *group.shape)``) returns an array of
    the same type, shape, dtype and device. ``last_elements`` holds the element indices of the
    latest call (int64 ``(B,)``).
    """

    def __init__(self, group: PermutationGroup, seed: int | np.random.Generator) -> None:
        if not isinstance(group, PermutationGroup):
            raise TypeError(f"group must be an equiqnn.groups group; got {type(group).__name__}.")
        self.group = group
        self._rng = check_rng(seed)
        self._inv = np.argsort(group.perms, axis=1)  # source site of each target site
        self._sign = np.take_along_axis(group.signs, self._inv, axis=1)
        self.last_elements: np.ndarray = np.zeros(0, dtype=np.int64)

    def __call__(self, x: Any) -> Any:
        _check_batch(x, self.group)
        g = self._rng.integers(self.group.order, size=x.shape[0])
        self.last_elements = g
        flat = x.reshape(x.shape[0], -1)
        if isinstance(flat, np.ndarray):
            sign = self._sign[g].astype(flat.dtype if flat.dtype.kind in "fc" else np.int64)
            out = np.take_along_axis(flat, self._inv[g], axis=1) * sign
        else:
            import torch

            idx = torch.as_tensor(self._inv[g], device=flat.device)
            sgn = torch.as_tensor(self._sign[g], device=flat.device, dtype=flat.dtype)
            out = torch.gather(flat, 1, idx) * sgn
        return out.reshape(x.shape)

    def __repr__(self) -> str:
        return f"EpochAugmenter({self.group!r})"


def epoch_augmenter(group: PermutationGroup, seed: int | np.random.Generator) -> EpochAugmenter:
    """An ``EpochAugmenter`` for ``group``: call it on each training batch."""
    return EpochAugmenter(group, seed)


def _epochs(
    x: np.ndarray, y: np.ndarray, aug: EpochAugmenter
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    while True:
        yield aug(x), y.copy()


@overload
def augment(
    x: np.ndarray,
    y: np.ndarray,
    group: PermutationGroup,
    mode: Literal["none", "once"] = ...,
    seed: int | np.random.Generator | None = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def augment(
    x: np.ndarray,
    y: np.ndarray,
    group: PermutationGroup,
    mode: Literal["epoch"],
    seed: int | np.random.Generator | None = ...,
) -> Iterator[tuple[np.ndarray, np.ndarray]]: ...
def augment(
    x: np.ndarray,
    y: np.ndarray,
    group: PermutationGroup,
    mode: str = "once",
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray] | Iterator[tuple[np.ndarray, np.ndarray]]:
    """Augment a training set with the transformed copies ``g·x`` (see the module docstring).

    Args:
        x: samples ``(N, *group.shape)``, numpy.
        y: labels ``(N,)`` (any dtype; repeated as they are).
        group: the symmetry group.
        mode: ``"none"`` (copies of ``x``, ``y``), ``"once"`` (all ``|G|`` copies) or ``"epoch"``.
        seed: integer seed or generator; required for ``"epoch"``, unused otherwise.
    Returns:
        ``"none"``: ``(x, y)`` copies. ``"once"``: ``(x_aug, y_aug)`` of shapes
        ``(|G|·N, *group.shape)`` and ``(|G|·N,)``. ``"epoch"``: an endless iterator of
        ``(x_epoch, y)`` with ``x_epoch`` shaped like ``x``.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}; got {mode!r}.")
    x = np.asarray(x)
    _check_batch(x, group)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"y must be a 1-D array of {x.shape[0]} labels (one per sample); got shape {y.shape}."
        )
    if mode == "none":
        return x.copy(), y.copy()
    if mode == "once":
        copies = group.act_all(x)
        return copies.reshape(-1, *group.shape), np.tile(y, group.order)
    if seed is None:
        raise ValueError(
            "mode='epoch' draws random group elements; pass seed=<int> or a numpy.random.Generator."
        )
    return _epochs(x, y, EpochAugmenter(group, seed))
