"""Group data augmentation: each input of a batch moved by its own uniformly random group element.

Pass ``augment=GroupAugmentation(G)`` to ``fit``; every training step then sees a freshly drawn
``g·x`` per example (identity included), drawn from ``fit``'s seeded generator.
"""

from __future__ import annotations

import numpy as np
import torch

from equiqnn.groups import PermutationGroup

__all__ = ["GroupAugmentation"]


class GroupAugmentation:
    """Callable ``augment(x, generator) -> x'`` applying a random element of ``group`` per input.

    Args:
        group: the ``PermutationGroup`` to sample from (it must be enumerable).

    Call with ``x`` a float tensor ``(B, ..., *group.shape)`` and a ``torch.Generator``; returns a
    tensor of the same shape and dtype where input ``b`` is ``g_b·x[b]`` (convention in
    ``equiqnn.groups.core``) and ``g_b`` is uniform on the group.
    """

    def __init__(self, group: PermutationGroup) -> None:
        if not isinstance(group, PermutationGroup):
            raise TypeError(
                f"group must be an equiqnn.groups.PermutationGroup; got {type(group).__name__}. "
                "Build one with e.g. equiqnn.groups.grid_d4(side)."
            )
        self.group = group
        inv = np.argsort(group.perms, axis=1)  # (g·x)[j] = sign[inv[j]] * x[inv[j]]
        self._inv = torch.as_tensor(inv, dtype=torch.int64)
        self._sign = torch.as_tensor(np.take_along_axis(group.signs, inv, axis=1))

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        shape = self.group.shape
        nd = len(shape)
        if not isinstance(x, torch.Tensor) or x.ndim < nd + 1 or tuple(x.shape[-nd:]) != shape:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"GroupAugmentation({self.group!r}) needs a tensor shaped (batch, ..., "
                f"{', '.join(map(str, shape))}); got {got}. Use a group built for this data shape."
            )
        b = x.shape[0]
        lead = tuple(x.shape[: x.ndim - nd])
        k = torch.randint(self.group.order, (b,), generator=generator)
        view = (b,) + (1,) * (len(lead) - 1) + (self.group.n_sites,)
        full = lead + (self.group.n_sites,)
        idx = self._inv[k].view(view).expand(full).to(x.device)
        sign = self._sign[k].view(view).to(device=x.device, dtype=x.dtype)
        flat = x.reshape(full)
        return (torch.gather(flat, -1, idx) * sign).reshape(x.shape)

    def __repr__(self) -> str:
        return f"GroupAugmentation({self.group!r})"
