"""2D Ising model configurations by checkerboard Metropolis on a periodic L×L lattice.

Model: ``E = -J Σ_<ij> s_i s_j`` over nearest neighbours with periodic boundaries, ``J = 1``,
``k_B = 1``; the critical temperature is ``T_c = 2 / ln(1 + √2) ≈ 2.269``. Each configuration is
an independent chain; all chains are updated together. A sweep updates the even sublattice
(``(r + c) % 2 == 0``), then the odd one, each site flipping with probability
``min(1, exp(-ΔE / T))``. ``L`` must be even so the two sublattices stay independent across the
periodic boundary.

Start (``start="auto"``): chains below ``T_c`` start ordered, all spins equal to a random sign per
chain (so both magnetizations are equally likely); chains at or above ``T_c`` start from random
spins. Hot starts below ``T_c`` often freeze into striped domains that finite runs do not remove.
The stationary distribution is invariant under D4, translations and the global spin flip.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from equiqnn.data._checks import check_int, check_rng
from equiqnn.data.cache import cached_arrays

__all__ = ["T_CRITICAL", "ising_configurations", "ising_dataset", "magnetization"]

_VERSION = 1  # bump when the generator changes, so old cache files are not reused

#: Critical temperature of the square-lattice Ising model (Onsager), in units of J / k_B.
T_CRITICAL: float = 2.0 / math.log(1.0 + math.sqrt(2.0))

_STARTS = ("auto", "hot", "cold")


def check_lattice(L: Any) -> int:
    """``L`` as an int after checking it is an even integer ``>= 2``."""
    L = check_int(L, "L", minimum=2)
    if L % 2:
        raise ValueError(
            f"L must be even for the checkerboard update on a periodic lattice; got {L}. "
            f"Use L={L + 1} or L={L - 1}."
        )
    return L


def _check_temperatures(temperatures: Any) -> np.ndarray:
    t = np.asarray(temperatures, dtype=np.float64)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"temperatures must be a non-empty 1-D array; got shape {t.shape}.")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(
            f"temperatures must be finite and > 0 (units of J/k_B); got min {np.min(t)}, "
            f"max {np.max(t)}."
        )
    return t


def _initial_spins(t: np.ndarray, L: int, start: str, rng: np.random.Generator) -> np.ndarray:
    if start not in _STARTS:
        raise ValueError(f"start must be one of {_STARTS}; got {start!r}.")
    n = t.size
    hot = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n, L, L))
    signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n, 1, 1))
    cold = np.broadcast_to(signs, (n, L, L))
    if start == "hot":
        return hot
    if start == "cold":
        return cold.copy()
    return np.where((t < T_CRITICAL)[:, None, None], cold, hot).astype(np.int8)


def _half_sweep(
    s: np.ndarray, mask: np.ndarray, p2: np.ndarray, p4: np.ndarray, rng: np.random.Generator
) -> None:
    """Metropolis update of the sites where ``mask`` is True, in place."""
    nb = np.roll(s, 1, axis=1) + np.roll(s, -1, axis=1)
    nb += np.roll(s, 1, axis=2) + np.roll(s, -1, axis=2)
    snb = s * nb  # ΔE = 2 J s·nb ∈ {-8, -4, 0, 4, 8}
    prob = np.where(snb == 4, p4, np.where(snb == 2, p2, np.float32(1.0)))
    flip = (rng.random(s.shape, dtype=np.float32) < prob) & mask
    s[flip] *= -1


def ising_configurations(
    L: int,
    temperatures: np.ndarray,
    sweeps: int,
    seed: int | np.random.Generator,
    *,
    start: str = "auto",
) -> np.ndarray:
    """One equilibrated configuration per temperature.

    Args:
        L: even lattice side, ``>= 2``.
        temperatures: float ``(N,)``, each ``> 0`` (units of J / k_B).
        sweeps: Metropolis sweeps per chain (each updates every site once), ``>= 0``.
        seed: integer seed or ``numpy.random.Generator``.
        start: ``"auto"`` (see the module docstring), ``"hot"`` (random) or ``"cold"`` (ordered,
            random sign per chain).
    Returns:
        float64 ``(N, L, L)`` spins ``±1``.
    """
    L = check_lattice(L)
    t = _check_temperatures(temperatures)
    sweeps = check_int(sweeps, "sweeps", minimum=0)
    rng = check_rng(seed)
    s = _initial_spins(t, L, start, rng)
    beta = (1.0 / t)[:, None, None]
    p2 = np.exp(-4.0 * beta).astype(np.float32)  # s·nb = 2  ->  ΔE = 4
    p4 = np.exp(-8.0 * beta).astype(np.float32)  # s·nb = 4  ->  ΔE = 8
    parity = (np.arange(L)[:, None] + np.arange(L)[None, :]) % 2
    masks = [(parity == k)[None] for k in (0, 1)]
    for _ in range(sweeps):
        for mask in masks:
            _half_sweep(s, mask, p2, p4, rng)
    return s.astype(np.float64)


def magnetization(x: np.ndarray) -> np.ndarray:
    """Mean spin per configuration: ``(N, L, L)`` -> float64 ``(N,)`` in ``[-1, 1]``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2:
        raise ValueError(f"x must have shape (N, L, L) or (L, L); got {x.shape}.")
    return x.reshape(*x.shape[:-2], -1).mean(axis=-1)


def ising_dataset(
    n_samples: int,
    L: int,
    t_range: Sequence[float] = (1.0, 3.5),
    *,
    sweeps: int = 500,
    seed: int,
    cache_dir: str | os.PathLike[str] | None = None,
    start: str = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ising configurations at temperatures drawn uniformly from ``t_range``, labelled by phase.

    Args:
        n_samples: number of configurations, ``>= 1``.
        L: even lattice side (8, 16, 32, ...).
        t_range: ``(t_min, t_max)`` with ``0 < t_min <= t_max``.
        sweeps: Metropolis sweeps per configuration (500 equilibrates L <= 32 away from T_c;
            raise it for larger lattices or temperatures near T_c).
        seed: integer seed; the same arguments give the same data.
        cache_dir: folder in which to store and reuse the result (keyed by every argument); ``None``
            regenerates each time.
        start: initial state, see ``ising_configurations``.
    Returns:
        ``(x, y, T)``: ``x`` float64 ``(N, L, L)`` spins ``±1``; ``y`` int64 ``(N,)``, 1 (ordered)
        iff ``T < T_CRITICAL``, else 0; ``T`` float64 ``(N,)`` the temperatures.
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    L = check_lattice(L)
    sweeps = check_int(sweeps, "sweeps", minimum=0)
    if isinstance(seed, np.random.Generator):
        raise TypeError(
            "ising_dataset needs an integer seed (it is part of the cache key); got a "
            "numpy.random.Generator. Use ising_configurations for generator-driven sampling."
        )
    seed = check_int(seed, "seed", minimum=0)
    lo, hi = _check_range(t_range)
    if start not in _STARTS:
        raise ValueError(f"start must be one of {_STARTS}; got {start!r}.")
    params = {
        "version": _VERSION,
        "n_samples": n_samples,
        "L": L,
        "t_range": [lo, hi],
        "sweeps": sweeps,
        "seed": seed,
        "start": start,
    }

    def make() -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        t = rng.uniform(lo, hi, size=n_samples)
        spins = ising_configurations(L, t, sweeps, rng, start=start)
        return {"x": spins.astype(np.int8), "T": t}

    arrays = cached_arrays(cache_dir, f"ising-L{L}-n{n_samples}", params, make)
    t = arrays["T"].astype(np.float64)
    return arrays["x"].astype(np.float64), (t < T_CRITICAL).astype(np.int64), t


def _check_range(t_range: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in t_range)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"t_range must be a pair (t_min, t_max) of numbers; got {t_range!r}."
        ) from err
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"t_range must satisfy 0 < t_min <= t_max (finite); got {t_range!r}.")
    return lo, hi
