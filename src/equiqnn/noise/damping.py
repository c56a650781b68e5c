"""Energy relaxation and dephasing: amplitude, generalized, phase damping, thermal relaxation.

All act on one qubit with ``|0⟩`` the ground state. For a qubit state ``ρ`` they map the excited
population ``ρ11`` and the coherence ``ρ01`` as

* ``amplitude_damping(γ)``: ``ρ11 → (1-γ) ρ11``, ``ρ01 → √(1-γ) ρ01`` (fixed point ``|0⟩``);
* ``generalized_amplitude_damping(γ, p_excited)``: ``ρ11 → ρ11 + γ (p_excited - ρ11)``,
  ``ρ01 → √(1-γ) ρ01`` (fixed point ``diag(1 - p_excited, p_excited)``);
* ``phase_damping(λ)``: ``ρ11`` unchanged, ``ρ01 → √(1-λ) ρ01``;
* ``thermal_relaxation(t1, t2, t, p_excited)``: generalized amplitude damping with
  ``γ = 1 - exp(-t/t1)`` followed by phase damping with ``λ = 1 - exp(-2t/t2 + t/t1)``, so
  ``ρ11 - p_excited`` decays as ``exp(-t/t1)`` and ``ρ01`` as ``exp(-t/t2)``.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from equiqnn.noise._validate import nonnegative, positive_time, probability
from equiqnn.noise.channel import Channel
from equiqnn.noise.pauli_channels import set_param

__all__ = [
    "amplitude_damping",
    "generalized_amplitude_damping",
    "phase_damping",
    "thermal_relaxation",
]


def _gad_kraus(gamma: float, p_excited: float, keep: float | None = None) -> list[np.ndarray]:
    # keep = √(1-γ), passed in when the caller can compute it without cancellation.
    g, s = math.sqrt(gamma), math.sqrt(1.0 - gamma) if keep is None else keep
    ops = []
    if p_excited < 1.0:
        w = math.sqrt(1.0 - p_excited)
        ops += [w * np.array([[1, 0], [0, s]]), w * np.array([[0, g], [0, 0]])]
    if p_excited > 0.0:
        w = math.sqrt(p_excited)
        ops += [w * np.array([[s, 0], [0, 1]]), w * np.array([[0, 0], [g, 0]])]
    return [np.asarray(k, dtype=np.complex128) for k in ops]


def _pd_kraus(lam: float, keep: float | None = None) -> list[np.ndarray]:
    s = math.sqrt(1.0 - lam) if keep is None else keep
    return [
        np.diag([1.0, s]).astype(np.complex128),
        np.diag([0.0, math.sqrt(lam)]).astype(np.complex128),
    ]


def amplitude_damping(gamma: float) -> Channel:
    """Amplitude damping (decay ``|1⟩ → |0⟩`` with probability ``gamma`` in ``[0, 1]``).

    Kraus ``K0 = [[1, 0], [0, √(1-γ)]]``, ``K1 = [[0, √γ], [0, 0]]``. Strength: ``gamma``.

    >>> amplitude_damping(0.05)
    amplitude_damping(gamma=0.05)
    """
    gamma = probability(gamma, "gamma")
    return Channel(
        "amplitude_damping",
        {"gamma": gamma},
        _gad_kraus(gamma, 0.0),
        strength=gamma,
        rebuild=partial(set_param, amplitude_damping, "gamma"),
    )


def generalized_amplitude_damping(gamma: float, p_excited: float) -> Channel:
    """Generalized (thermal) amplitude damping towards ``diag(1 - p_excited, p_excited)``.

    ``gamma`` in ``[0, 1]`` is the damping probability and ``p_excited`` in ``[0, 1]`` the
    population of ``|1⟩`` at the fixed point (``0`` is plain amplitude damping). Kraus operators:
    ``√(1-p_excited)·{[[1,0],[0,√(1-γ)]], [[0,√γ],[0,0]]}`` and
    ``√p_excited·{[[√(1-γ),0],[0,1]], [[0,0],[√γ,0]]}`` (zero-weight pairs dropped).
    Strength: ``gamma``.
    """
    gamma = probability(gamma, "gamma")
    p_excited = probability(p_excited, "p_excited")
    return Channel(
        "generalized_amplitude_damping",
        {"gamma": gamma, "p_excited": p_excited},
        _gad_kraus(gamma, p_excited),
        strength=gamma,
        rebuild=partial(set_param, generalized_amplitude_damping, "gamma"),
    )


def phase_damping(lam: float) -> Channel:
    """Phase damping (pure dephasing): ``ρ01 → √(1-lam) ρ01`` with ``lam`` in ``[0, 1]``.

    Kraus ``K0 = diag(1, √(1-λ))``, ``K1 = diag(0, √λ)``; the same channel as
    ``phase_flip((1 - √(1-λ))/2)``, so it is a Pauli channel. Strength: ``lam``.
    """
    lam = probability(lam, "lam")
    return Channel(
        "phase_damping",
        {"lam": lam},
        _pd_kraus(lam),
        strength=lam,
        rebuild=partial(set_param, phase_damping, "lam"),
    )


def thermal_relaxation(t1: float, t2: float, gate_time: float, p_excited: float = 0.0) -> Channel:
    """Thermal relaxation of one qubit for a duration ``gate_time``.

    Args:
        t1: energy-relaxation time ``T1 > 0`` (``math.inf`` for none).
        t2: coherence time ``T2 > 0`` with ``T2 <= 2·T1`` (the physical bound).
        gate_time: duration ``t >= 0``, in the same unit as ``t1`` and ``t2``.
        p_excited: equilibrium population of ``|1⟩`` in ``[0, 1]`` (0: zero temperature).

    The channel is ``generalized_amplitude_damping(γ, p_excited)`` with ``γ = 1 - exp(-t/T1)``,
    then ``phase_damping(λ)`` with ``λ = 1 - exp(-2t/T2 + t/T1)`` (the pure dephasing rate
    ``1/T_φ = 1/T2 - 1/(2·T1)``). Hence populations relax as ``exp(-t/T1)`` towards
    ``p_excited`` and coherences decay as ``exp(-t/T2)``. Kraus operators are the products
    ``PD_j @ GAD_i`` with exact zeros dropped. Strength: ``gate_time``.
    """
    t1, t2 = positive_time(t1, "t1"), positive_time(t2, "t2")
    t = nonnegative(gate_time, "gate_time")
    p_excited = probability(p_excited, "p_excited")
    if t2 > 2.0 * t1:
        raise ValueError(
            f"t2 must be <= 2*t1 (coherences cannot outlive twice the relaxation time); got "
            f"t1={t1!r}, t2={t2!r}. Lower t2 or raise t1."
        )
    gamma = -math.expm1(-t / t1)
    rate = max(2.0 / t2 - 1.0 / t1, 0.0)
    lam = -math.expm1(-t * rate)
    gad = _gad_kraus(gamma, p_excited, keep=math.exp(-0.5 * t / t1))
    ops = [pd @ ad for ad in gad for pd in _pd_kraus(lam, keep=math.exp(-0.5 * t * rate))]
    ops = [k for k in ops if np.any(k != 0)]
    return Channel(
        "thermal_relaxation",
        {"t1": t1, "t2": t2, "gate_time": t, "p_excited": p_excited},
        ops,
        strength=t,
        rebuild=partial(set_param, thermal_relaxation, "gate_time"),
    )
