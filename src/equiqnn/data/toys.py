"""A 2-D toy problem whose labels are invariant under the sign flips ``x ↦ ±x``, ``y ↦ ±y``.

Points are uniform in the square ``[-1, 1]²``. Two labelling rules, both balanced in expectation:

- ``"product"``: label 1 iff ``|x|·|y| > c`` with ``c ≈ 0.18668`` solving ``c (1 - ln c) = 1/2``;
- ``"ring"``: label 1 iff ``x² + y² < r²`` with ``r = √(2/π)`` (half the square's area).

The symmetry group is Z2×Z2 = ``z2z2_group()``, i.e.
``direct_product(sign_flip(2, [0]), sign_flip(2, [1]))`` acting on feature vectors ``(2,)``.
"""

from __future__ import annotations

import math

import numpy as np

from equiqnn.data._checks import check_int, check_rng
from equiqnn.groups import PermutationGroup, direct_product, sign_flip

__all__ = ["PRODUCT_THRESHOLD", "RING_RADIUS", "z2z2_toy", "z2z2_group"]

#: ``c`` with ``P(|x|·|y| > c) = 1/2`` for x, y uniform in [-1, 1], i.e. ``c (1 - ln c) = 1/2``.
PRODUCT_THRESHOLD: float = 0.18668230885083703
#: ``r`` with ``P(x² + y² < r²) = 1/2`` for (x, y) uniform in the square, ``π r² = 2``.
RING_RADIUS: float = math.sqrt(2.0 / math.pi)

_KINDS = ("product", "ring")


def z2z2_group() -> PermutationGroup:
    """The symmetry group of ``z2z2_toy``: independent sign flips of the two features (order 4)."""
    return direct_product(sign_flip(2, [0]), sign_flip(2, [1]))


def z2z2_toy(
    n: int,
    seed: int | np.random.Generator,
    noise: float = 0.0,
    *,
    kind: str = "product",
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` labelled points whose labelling rule is invariant under Z2×Z2.

    Args:
        n: number of points, ``>= 1``.
        seed: integer seed or ``numpy.random.Generator``.
        noise: standard deviation of Gaussian noise added to the points after labelling (as in
            ``sklearn.datasets.make_moons``), ``>= 0``; the noise is symmetric, so the joint
            distribution of ``(X, y)`` stays invariant.
        kind: ``"product"`` or ``"ring"`` (see the module docstring).
    Returns:
        ``(X, y)``: ``X`` float64 ``(n, 2)``; ``y`` int64 ``(n,)`` in ``{0, 1}``.

    >>> X, y = z2z2_toy(4, seed=0)
    >>> X.shape, y.dtype
    ((4, 2), dtype('int64'))
    """
    n = check_int(n, "n", minimum=1)
    rng = check_rng(seed)
    noise = float(noise)
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite standard deviation >= 0; got {noise}.")
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}.")
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    if kind == "product":
        y = np.abs(x[:, 0]) * np.abs(x[:, 1]) > PRODUCT_THRESHOLD
    else:
        y = np.sum(x**2, axis=1) < RING_RADIUS**2
    if noise > 0:
        x = x + rng.normal(0.0, noise, size=x.shape)
    return x, y.astype(np.int64)
