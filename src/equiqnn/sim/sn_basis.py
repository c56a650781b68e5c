"""Eigenbases of the S_n sector engine's gates, and the persymmetric fold that halves basis changes.

Within a sector block (basis ``|j, m⟩``, row ``p`` for ``m = j − p``) the flip ``P: p → 2j − p``
(``m → −m``) maps ``J_+ ↔ J_−`` (Condon–Shortley), so ``P J_x P = J_x`` while ``J_y`` and ``J_z`` change
sign. A real symmetric block operator ``h`` with ``P h P = h`` (``J_x``, ``J_x²``, ``J_y²``, ``J_z²``, …)
has eigenvectors that are even or odd under ``P``; computed from the two half blocks in the basis
``(|p⟩ ± |2j−p⟩)/√2`` they are exactly so. A change from ``J_z`` into such an eigenbasis then costs
two half-size products instead of one full one:

    V_even^T M = F_e^T (M_top + flip(M)_top),     V_odd^T M = F_o^T (M_top − flip(M)_top),

with ``F = V[:⌈d/2⌉]`` (the middle row of ``F_e`` halved when ``d`` is odd, because the middle row of
``M`` appears in both ``M_top`` and ``flip(M)_top``); the way back is ``M_top = V_e,top X_e + V_o,top X_o``
and ``M_bottom = flip(V_e,top X_e − V_o,top X_o)``. ``J_y``'s eigenvectors are ``e^{−iπ J_z / 2}``
times ``J_x``'s, so the Y basis is the X fold after a fixed phase. Measured at n = 1024 (3 layers of
``ZZ, X``): the basis changes were ~45 % of the step; halving them is the largest single saving.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from equiqnn.sim.sn_spin import Spec, block_operator, spin_bands

__all__ = ["SectorBasis", "eigh", "fold_eigh", "sector_basis"]


def eigh(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs via torch (honours ``torch.set_num_threads``); real input gives real vectors."""
    if np.iscomplexobj(h) and not np.any(h.imag):
        h = h.real.copy()
    w, v = torch.linalg.eigh(torch.from_numpy(np.ascontiguousarray(h)))
    return w.numpy(), v.numpy()


@dataclass(frozen=True)
class SectorBasis:
    """The eigenbasis of one gate kind on one sector.

    Attributes:
        kind: ``"Z"`` (the ``J_z`` basis itself), ``"fold"`` (real eigenvectors, even columns first,
            then odd ones, possibly after the quarter phase) or ``"full"`` (any unitary).
        v: ``(d, d)`` eigenvectors in the ``J_z`` basis, columns in eigenvalue order of ``lam``
            (``None`` for ``"Z"``); for ``"fold"`` the real vectors without the quarter phase.
        lam: ``(d,)`` eigenvalues in column order (``J_z``: ``m = j − p``).
        n_even: number of even columns (``"fold"``).
        quarter: the basis is ``e^{−iπ J_z/2} v`` (``J_y`` from ``J_x``).
    """

    kind: str
    v: np.ndarray | None
    lam: np.ndarray
    n_even: int = 0
    quarter: bool = False

    def full(self) -> np.ndarray:
        """The ``(d, d)`` eigenvector matrix in the ``J_z`` basis (the quarter phase included)."""
        d = self.lam.shape[0]
        if self.v is None:
            return np.eye(d)
        if not self.quarter:
            return self.v
        m = (d - 1) / 2 - np.arange(d)
        return np.exp(-0.5j * np.pi * m)[:, None] * self.v


def fold_eigh(h: np.ndarray, rtol: float = 1e-13) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(V, λ, n_even)`` of a real symmetric ``h`` with ``P h P = h``, from its half blocks:
    columns ``[even | odd]``, each part in ascending ``λ``. ``None`` when ``h`` is not real or not
    persymmetric (within ``rtol`` of its largest entry)."""
    if np.iscomplexobj(h):
        if np.any(np.abs(h.imag) > rtol * max(float(np.abs(h).max()), 1e-300)):
            return None
        h = h.real
    d = h.shape[0]
    if np.abs(h - h[::-1, ::-1]).max() > rtol * max(float(np.abs(h).max()), 1e-300):
        return None
    half, n_even = d // 2, (d + 1) // 2
    r = math.sqrt(0.5)
    # half blocks in the basis (|p⟩ ± |d−1−p⟩)/√2 (and the middle |p⟩ when d is odd), in O(d²):
    # with P h P = h they are the top-left quarters of h ± h P
    hp = h[:, ::-1]  # h P
    a_e = np.empty((n_even, n_even))
    a_e[:half, :half] = h[:half, :half] + hp[:half, :half]  # (T_eᵀ h T_e) = h + hP (P h P = h)
    a_o = h[:half, :half] - hp[:half, :half]
    if d % 2:
        a_e[:half, half] = a_e[half, :half] = 2 * r * h[:half, half]
        a_e[half, half] = h[half, half]
    lam_e, u_e = eigh(a_e)
    lam_o, u_o = eigh(a_o) if half else (np.zeros(0), np.zeros((0, 0)))
    v = np.zeros((d, d))
    v[:half, :n_even] = r * u_e[:half]
    v[d - half :, :n_even] = r * u_e[:half][::-1]
    if d % 2:
        v[half, :n_even] = u_e[half]
    v[:half, n_even:] = r * u_o
    v[d - half :, n_even:] = -r * u_o[::-1]
    return v, np.concatenate([lam_e, lam_o]), n_even


def sector_basis(two_j: int, key: str, spec: Spec | None, n_qubits: int) -> SectorBasis:
    """The eigenbasis of ``J_key`` (``"X"``, ``"Y"``, ``"Z"``) or, for ``"G:…"`` keys, of the block
    operator of ``spec`` on the sector ``2j = two_j``."""
    d = two_j + 1
    m = two_j / 2 - np.arange(d)
    if key == "Z":
        return SectorBasis("Z", None, m)
    if key in ("X", "Y"):
        jx = np.zeros((d, d))
        up = spin_bands(two_j)["X"][1].real
        jx[np.arange(d - 1), np.arange(1, d)] = jx[np.arange(1, d), np.arange(d - 1)] = up
        folded = fold_eigh(jx)
        assert folded is not None  # noqa: S101 - J_x is real and persymmetric
        v, lam, n_even = folded
        return SectorBasis("fold", v, np.round(2 * lam) / 2, n_even, quarter=key == "Y")
    assert spec is not None  # noqa: S101 - generator bases carry their spec
    h = block_operator(spec, two_j, n_qubits)
    folded = fold_eigh(h)
    if folded is not None:
        v, lam, n_even = folded
        return SectorBasis("fold", v, lam, n_even)
    lam, v = eigh(h)
    return SectorBasis("full", v, lam)
