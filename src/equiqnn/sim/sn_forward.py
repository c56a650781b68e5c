"""Forward pass of the S_n sector engine: Heisenberg picture on the kept corner of each sector.

For a sector block stored as its top-left ``w × w`` corner ``ρ̃_j`` in the frame ``R_Y(α)`` (see
``sn_corner``), ``⟨O⟩ = Σ_j Tr(ρ̃_j · Re[M† O_j M])`` with ``M = U_j D_j(α)[:, :w]`` (``d × w``,
``D_j(α) = exp(−iα J_y)``): the circuit is applied to ``w`` columns, once for the whole batch.
``U_j`` is a product of runs of gates diagonal in one basis (``Z``, ``X``, ``Y`` or a generator's
own eigenbasis): one phase vector per run and one ``d × d`` basis change between runs (real where
the basis is real, e.g. ``J_x``'s). The observables are banded in the ``J_z`` basis (``|p−q| ≤ 2``),
so ``O M`` costs ``O(d w)``. The exact full-sector path is ``α = 0``, ``w = d``.

Cost per sector: ``(#basis changes + 1) · d² w`` multiply–adds (real × complex where possible);
independent of the batch except for the final ``B w²`` contraction. Autograd differentiates it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from equiqnn.sim.sn_spin import Spec, block_operator, letter_eigenvalues, spin_matrices

__all__ = ["SectorForward"]


def _eigh(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs via torch (honours ``torch.set_num_threads``); real input gives real vectors."""
    if np.iscomplexobj(h) and not np.any(h.imag):
        h = h.real.copy()
    w, v = torch.linalg.eigh(torch.from_numpy(h))
    return w.numpy(), v.numpy()


def _mm(w: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """``w @ m`` for any mix of real and complex (a real ``w`` acts on the real and imaginary parts
    of a complex ``m`` in one real product: half the work of a complex one)."""
    if not w.is_complex() and m.is_complex():
        *lead, d, k = m.shape
        out = w @ torch.view_as_real(m).reshape(*lead, d, 2 * k)
        return torch.view_as_complex(out.reshape(*lead, w.shape[-2], k, 2))
    if w.is_complex() and not m.is_complex():
        m = m.to(w.dtype)
    return w @ m


class SectorForward:
    """Per-sector constants (cached per device and dtype) and the forward pass.

    Args:
        segments: runs ``(basis, [(spec, slot), …])`` of consecutive gates diagonal in one basis:
            ``"Z"``, ``"X"``, ``"Y"`` or ``"G:<label>"`` (the spec's own eigenbasis); specs in the
            real frame.
        observables: normalized observable specs in the real frame.
        n_qubits: ``n`` (enters the two-body block operators).
        dtype: real dtype of the output (complex work dtype follows).
    """

    def __init__(
        self,
        segments: list[tuple[str, list[tuple[Spec, int]]]],
        observables: list[Spec],
        n_qubits: int,
        dtype: torch.dtype,
    ) -> None:
        self.segments = segments
        self.observables = observables
        self.n_qubits = n_qubits
        self.dtype = dtype
        self.cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        self._np: dict[tuple, Any] = {}
        self._torch: dict[tuple, Any] = {}
        self._starts: dict[tuple, torch.Tensor] = {}

    # ------------------------------------------------------------------ constants

    def basis(self, two_j: int, key: str) -> tuple[np.ndarray | None, np.ndarray]:
        """``(V, λ)``: eigenvectors (``None`` for ``Z``: the identity) and eigenvalues of ``J_key``,
        or for ``"G:…"`` keys of that generator's block. ``J_x``'s vectors are real; ``J_y``'s are
        ``R J_x``'s with ``R = exp(−iπ/2 J_z)`` (so ``J_y = R J_x R†``)."""
        ck = (two_j, key)
        if ck not in self._np:
            m = two_j / 2 - np.arange(two_j + 1)
            if key == "Z":
                self._np[ck] = (None, m)
            elif key == "X":
                lam, v = _eigh(spin_matrices(two_j)[0].real.copy())
                self._np[ck] = (v, np.round(2 * lam) / 2)  # eigenvalues are exactly j … −j
            elif key == "Y":
                vx, lam = self.basis(two_j, "X")
                assert vx is not None  # noqa: S101 - J_x has eigenvectors
                self._np[ck] = (np.exp(-0.5j * np.pi * m)[:, None] * vx, lam)
            else:
                spec = next(s for b, run in self.segments if b == key for s, _ in run)
                lam, v = _eigh(block_operator(spec, two_j, self.n_qubits))
                self._np[ck] = (v, lam)
        return self._np[ck]

    def _sector_constants(self, two_j: int) -> tuple[list, np.ndarray | None, np.ndarray]:
        """numpy constants of one sector: ``[(λ (g, d), slots, W or None)]`` per run, the basis
        change back to ``J_z`` (``None``: identity) and the observables' bands ``(K, 5, d)``."""
        d = two_j + 1
        segs = []
        prev: np.ndarray | None = None  # V of the previous basis (None: identity)
        for basis, run in self.segments:
            v, m = self.basis(two_j, basis)
            if basis.startswith("G:"):
                lam = np.stack([m for _ in run])
            else:
                lam = np.stack([letter_eigenvalues(s, m, self.n_qubits) for s, _ in run])
            if v is None:
                w = prev
            else:
                w = v.conj().T if prev is None else v.conj().T @ prev
            segs.append((lam, [slot for _, slot in run], w))
            prev = v
        bands = np.zeros((len(self.observables), 5, d), dtype=np.complex128)
        for k, spec in enumerate(self.observables):
            op = block_operator(spec, two_j, self.n_qubits)
            for o in range(-2, 3):  # bands[k, o + 2, p] = op[p, p + o]
                diag = np.diagonal(op, o)
                if o >= 0:
                    bands[k, o + 2, : d - o] = diag
                else:
                    bands[k, o + 2, -o:] = diag
        return segs, prev, bands

    def _plan(self, group: tuple[int, ...], device: torch.device) -> tuple:
        """Torch constants of a group of sectors, zero-padded to the largest ``d``: per run
        ``(λ (G, g, D), slots, W (G, D, D) or None)``, the way back ``(G, D, D)`` and the bands
        ``(G, K, 5, D)``. Zero padding keeps padded rows of ``M`` at zero."""
        key = (group, device)
        if key in self._torch:
            return self._torch[key]
        dmax = group[0] + 1
        consts = [self._sector_constants(tj) for tj in group]

        def pad(mats: list[np.ndarray | None], d_of: list[int]) -> torch.Tensor | None:
            if all(m is None for m in mats):
                return None
            cplx = any(m is not None and np.iscomplexobj(m) and np.any(m.imag) for m in mats)
            out = np.zeros((len(mats), dmax, dmax), dtype=np.complex128 if cplx else np.float64)
            for i, (m, d) in enumerate(zip(mats, d_of, strict=True)):
                out[i, :d, :d] = np.eye(d) if m is None else (m if cplx else np.real(m))
            return torch.as_tensor(out, device=device, dtype=self.cdtype if cplx else self.dtype)

        d_of = [tj + 1 for tj in group]
        changes: dict[tuple[str, str], torch.Tensor | None] = {}  # (from, to) basis → W
        segs = []
        prev = "Z"
        for r, (basis, _) in enumerate(self.segments):
            lam = np.zeros((len(group), len(consts[0][0][r][0]), dmax))
            for i, c in enumerate(consts):
                lam[i, :, : d_of[i]] = c[0][r][0]
            if (prev, basis) not in changes:
                back_w = changes.get((basis, prev))
                changes[(prev, basis)] = (
                    back_w.mH if back_w is not None else pad([c[0][r][2] for c in consts], d_of)
                )
            slots = torch.tensor(consts[0][0][r][1], device=device)
            lam_t = torch.as_tensor(lam, device=device, dtype=self.dtype)
            segs.append((lam_t, slots, changes[(prev, basis)]))
            prev = basis
        # the way back to J_z is V_last = (the change Z → last)†, or the change last → Z itself
        back: torch.Tensor | None = None
        if prev != "Z":
            if changes.get(("Z", prev)) is not None:
                back = changes[("Z", prev)].mH  # type: ignore[union-attr]
            elif changes.get((prev, "Z")) is not None:
                back = changes[(prev, "Z")]
            else:
                back = pad([c[1] for c in consts], d_of)
        bands = np.zeros((len(group), len(self.observables), 5, dmax), dtype=np.complex128)
        for i, c in enumerate(consts):
            bands[i, :, :, : d_of[i]] = c[2]
        out = (segs, back, torch.as_tensor(bands, device=device, dtype=self.cdtype))
        self._torch[key] = out
        return out

    def start(self, two_j: int, frame: float, width: int) -> np.ndarray:
        """``D_j(α)[:, :w]`` (real ``d × w``): the corner columns of ``exp(−iα J_y)``."""
        if frame == 0.0:
            return np.eye(two_j + 1, width)
        v, lam = self.basis(two_j, "Y")
        assert v is not None  # noqa: S101 - J_y has eigenvectors
        return ((v * np.exp(-1j * frame * lam)) @ v[:width].conj().T).real

    def _start(
        self, group: tuple[int, ...], widths: tuple[int, ...], frame: float, device: torch.device
    ) -> torch.Tensor:
        key = (group, widths, frame, device)
        if key not in self._starts:
            out = np.zeros((len(group), group[0] + 1, max(widths)))
            for i, (tj, w) in enumerate(zip(group, widths, strict=True)):
                out[i, : tj + 1, :w] = self.start(tj, frame, w)
            if len(self._starts) > 256:  # a new frame: forget the old ones
                self._starts.clear()
            self._starts[key] = torch.as_tensor(out, device=device, dtype=self.dtype)
        return self._starts[key]

    # ------------------------------------------------------------------ forward

    def group(
        self,
        theta: torch.Tensor,
        group: tuple[int, ...],
        widths: tuple[int, ...],
        frame: float,
    ) -> torch.Tensor:
        """``Re[M† O_k M]`` for the sectors of a group: real ``(G, K, W, W)``."""
        segs, back, bands = self._plan(group, theta.device)
        m = self._start(group, widths, frame, theta.device)  # (G, D, W)
        for lam, slots, w in segs:
            if w is not None:
                m = _mm(w, m)
            ang = -0.5 * torch.einsum("g,sgd->sd", theta[slots], lam)
            m = torch.complex(torch.cos(ang), torch.sin(ang))[..., None] * m
        if back is not None:
            m = _mm(back, m)
        if not m.is_complex():
            m = m.to(self.cdtype)
        mk = m[:, None]  # (G, 1, D, W)
        om = bands[:, :, 2, :, None] * mk  # (G, K, D, W)
        for o in (1, 2):
            om[:, :, :-o] += bands[:, :, 2 + o, :-o, None] * mk[:, :, o:]
            om[:, :, o:] += bands[:, :, 2 - o, o:, None] * mk[:, :, :-o]
        # Re(M† OM) as one real product: [Re M; Im M]ᵀ [Re OM; Im OM]
        mr = torch.cat([m.real, m.imag], -2)  # (G, 2D, W)
        omr = torch.cat([om.real, om.imag], -2)  # (G, K, 2D, W)
        return mr.mT[:, None] @ omr

    def __call__(
        self,
        theta: torch.Tensor,
        two_j: tuple[int, ...],
        blocks: list[torch.Tensor],
        frame: float,
    ) -> torch.Tensor:
        """``(B, K)`` expectations for blocks ``(B, w_s, w_s)`` of sectors ``two_j`` (descending)
        in ``frame``; sectors of similar size are evaluated together, zero-padded."""
        device = theta.device
        batch = blocks[0].shape[0]
        out = theta.new_zeros(batch, len(self.observables), dtype=self.dtype)
        for lo, hi in _groups(two_j):
            group, bl = tuple(two_j[lo:hi]), blocks[lo:hi]
            widths = tuple(b.shape[-1] for b in bl)
            wmax = max(widths)
            rho = torch.zeros(batch, hi - lo, wmax, wmax, dtype=self.dtype, device=device)
            for i, b in enumerate(bl):
                rho[:, i, : widths[i], : widths[i]] = b
            a = self.group(theta, group, widths, frame)  # (G, K, W, W)
            k = a.shape[1]
            out = out + rho.reshape(batch, -1) @ a.transpose(0, 1).reshape(k, -1).T
        return out


def _groups(two_j: tuple[int, ...]) -> list[tuple[int, int]]:
    """Runs of consecutive sectors in the same fixed size bin (``d + 16`` within a factor 1.15, so
    zero padding costs at most ~30 % of ``d² w``); fixed bins keep the groups, hence the cached
    constants, the same from batch to batch."""
    out: list[tuple[int, int]] = []
    lo = 0
    for i, tj in enumerate(two_j):
        if i > lo and _bin(tj) != _bin(two_j[lo]):
            out.append((lo, i))
            lo = i
    out.append((lo, len(two_j)))
    return out


def _bin(two_j: int) -> int:
    return int(math.log(two_j + 17) / math.log(1.15))
