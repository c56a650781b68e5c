"""Explicit randomness: every random choice in ``equiqnn.train`` flows from a seed argument.

There is deliberately no ``seed_everything``: the train layer never touches torch's, numpy's or
Python's global random state. Shuffling and augmentation draw from a ``torch.Generator`` made here.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["make_generator"]


def make_generator(seed: int) -> torch.Generator:
    """A fresh CPU ``torch.Generator`` seeded with ``seed``.

    Args:
        seed: a non-negative integer (Python or numpy int; not bool).

    Returns:
        A ``torch.Generator`` whose draws depend on ``seed`` only.

    >>> g1, g2 = make_generator(3), make_generator(3)
    >>> torch.equal(torch.randperm(5, generator=g1), torch.randperm(5, generator=g2))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be a non-negative integer; got {type(seed).__name__} {seed!r}. "
            "Pass e.g. seed=0."
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed}. Pass e.g. seed=0.")
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed))
    return gen
