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

from equiqnn.sim.sn_basis import SectorBasis, sector_basis
from equiqnn.sim.sn_layout import Layout, apply_ops
from equiqnn.sim.sn_spin import Spec, block_bands, letter_eigenvalues

__all__ = ["SectorForward"]


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

    def basis(self, two_j: int, key: str) -> SectorBasis:
        """The eigenbasis of ``J_key`` or, for ``"G:…"`` keys, of that generator (cached)."""
        ck = (two_j, key)
        if ck not in self._np and key == "Y":  # J_y's vectors: J_x's after the quarter phase
            x = self.basis(two_j, "X")
            self._np[ck] = SectorBasis(x.kind, x.v, x.lam, x.n_even, quarter=True)
        if ck not in self._np:
            spec = None
            if key.startswith("G:"):
                spec = next(s for b, run in self.segments if b == key for s, _ in run)
            self._np[ck] = sector_basis(two_j, key, spec, self.n_qubits)
        return self._np[ck]

    def _kind(self, group: tuple[int, ...], key: str) -> str:
        """The kind of a basis over a group (``"full"`` unless every sector folds)."""
        kinds = {self.basis(tj, key).kind for tj in group}
        return kinds.pop() if len(kinds) == 1 else "full"

    def _lam(self, spec: Spec, key: str, b: SectorBasis) -> np.ndarray:
        if key.startswith("G:"):
            return b.lam
        return letter_eigenvalues(spec, b.lam, self.n_qubits)

    def _plan(self, group: tuple[int, ...], device: torch.device) -> tuple:
        """Torch constants of a group of sectors, zero-padded to the largest ``d`` (``D``), each
        sector centred in the ``J_z`` basis (so ``m`` depends on the position only and the flip of
        the padded axis is every sector's flip): per run ``(ops, λ (G, g, D), slots)`` with the
        basis change ``ops`` into the run's basis, the ops back to ``J_z`` and the observables'
        bands ``(G, K, 5, D)``. Zero padding keeps padded rows of ``M`` at zero."""
        key = (group, device)
        if key in self._torch:
            return self._torch[key]
        lay = Layout(group, self, device)
        segs = []
        prev = "Z"
        for basis, run in self.segments:
            kind = self._kind(group, basis)
            lam = np.zeros((len(group), len(run), lay.dim))
            for i, tj in enumerate(group):
                b = self.basis(tj, basis)
                pos = lay.positions(kind, b, i)
                for r, (spec, _) in enumerate(run):
                    lam[i, r, pos] = self._lam(spec, basis, b)
            ops = lay.transition(prev, basis)
            slots = torch.tensor([slot for _, slot in run], device=device)
            segs.append((ops, torch.as_tensor(lam, device=device, dtype=self.dtype), slots))
            prev = basis
        back = lay.transition(prev, "Z")
        bands = np.zeros((len(group), len(self.observables), 5, lay.dim), dtype=np.complex128)
        for i, tj in enumerate(group):
            d, off = tj + 1, lay.offsets[i]
            for k, spec in enumerate(self.observables):
                for o, diag in block_bands(spec, tj, self.n_qubits).items():
                    lo = off if o >= 0 else off - o  # bands[k, o + 2, p] = op[p, p + o]
                    bands[i, k, o + 2, lo : lo + d - abs(o)] = diag
        offsets = tuple(o for o in range(-2, 3) if np.any(bands[:, :, o + 2])) or (0,)
        real_diagonal = offsets == (0,) and not np.any(bands.imag)
        bt = torch.as_tensor(bands.real if real_diagonal else bands, device=device)
        bt = bt.to(self.dtype if real_diagonal else self.cdtype)
        out = (segs, back, bt, offsets, real_diagonal)
        self._torch[key] = out
        return out

    def start(self, two_j: int, frame: float, width: int) -> np.ndarray:
        """``D_j(α)[:, :w]`` (real ``d × w``): the corner columns of ``exp(−iα J_y)``."""
        if frame == 0.0:
            return np.eye(two_j + 1, width)
        b = self.basis(two_j, "Y")
        v = b.full()
        return ((v * np.exp(-1j * frame * b.lam)) @ v[:width].conj().T).real

    def _start(
        self, group: tuple[int, ...], widths: tuple[int, ...], frame: float, device: torch.device
    ) -> torch.Tensor:
        key = (group, widths, frame, device)
        if key not in self._starts:
            out = np.zeros((len(group), group[0] + 1, max(widths)))
            for i, (tj, w) in enumerate(zip(group, widths, strict=True)):
                off = (group[0] - tj) // 2  # centred (see _plan)
                out[i, off : off + tj + 1, :w] = self.start(tj, frame, w)
            if len(self._starts) > 256:  # a new frame: forget the old ones
                self._starts.clear()
            self._starts[key] = torch.as_tensor(out, device=device, dtype=self.dtype)
        return self._starts[key]

    # ------------------------------------------------------------------ forward

    def evolve(self, theta: torch.Tensor, group: tuple[int, ...], cols: torch.Tensor) -> tuple:
        """``M = U_j cols`` for parameter rows ``theta`` ``(T, P)`` and start columns ``cols``
        ``(G, D, C)`` (real, in the ``J_z`` basis): complex ``(G, D, T·C)`` (``T`` major), and the
        observables' bands. The basis changes act on all ``T·C`` columns at once (one product per
        change for every parameter row: a batch of parameter draws shares them)."""
        segs, back, bands, offsets, real_diagonal = self._plan(group, theta.device)
        n_t, n_c = theta.shape[0], cols.shape[-1]
        m = cols
        expanded = False
        for ops, lam, slots in segs:
            m = apply_ops(ops, m)
            ang = -0.5 * torch.einsum("tg,sgd->sdt", theta[:, slots], lam)  # (G, D, T)
            phase = torch.complex(torch.cos(ang), torch.sin(ang))[..., None]  # (G, D, T, 1)
            shape = (m.shape[0], m.shape[1], 1 if not expanded else n_t, n_c)
            m = (phase * m.reshape(shape)).reshape(m.shape[0], m.shape[1], n_t * n_c)
            expanded = True
        if not expanded:
            m = m.repeat(1, 1, n_t)
        m = apply_ops(back, m)
        if not m.is_complex():
            m = m.to(self.cdtype)
        return m, bands, offsets, real_diagonal

    def _om(self, m: torch.Tensor, bands: torch.Tensor, offsets: tuple[int, ...]) -> torch.Tensor:
        """``O_k M`` for banded observables: complex ``(G, K, D, X)``."""
        mk = m[:, None]  # (G, 1, D, X)
        terms = []
        for o in offsets:  # (O M)[p] = Σ_o band_o[p] M[p + o], zero-padded at the ends
            shifted = mk if o == 0 else _shift(mk, o)
            terms.append(bands[:, :, 2 + o, :, None] * shifted)
        return torch.stack(terms).sum(0)

    def group(
        self,
        theta: torch.Tensor,
        group: tuple[int, ...],
        widths: tuple[int, ...],
        frame: float,
    ) -> torch.Tensor:
        """``Re[M† O_k M]`` for the sectors of a group, per parameter row of ``theta`` ``(T, P)``:
        real ``(G, T, K, W, W)`` with ``M = U D(α)[:, :W]`` (Heisenberg picture on the corner)."""
        start = self._start(group, widths, frame, theta.device)  # (G, D, W)
        m, bands, offsets, real_diagonal = self.evolve(theta, group, start)
        g, d, w, n_t = m.shape[0], m.shape[1], start.shape[-1], theta.shape[0]
        # Re(M† O M) as one real product: [Re M; Im M]ᵀ [Re OM; Im OM], per parameter row
        mr = torch.cat([m.real, m.imag], -2).reshape(g, 2 * d, n_t, w).transpose(1, 2)
        if real_diagonal:  # every observable diagonal and real: Re(M† O M) = Mrᵀ (o ⊙ Mr)
            o2 = torch.cat([bands[:, :, 2], bands[:, :, 2]], -1)  # (G, K, 2D)
            return mr.mT[:, :, None] @ (o2[:, None, :, :, None] * mr[:, :, None])
        om = self._om(m, bands, offsets)  # (G, K, D, T·W)
        omr = torch.cat([om.real, om.imag], -2).reshape(g, -1, 2 * d, n_t, w).permute(0, 3, 1, 2, 4)
        return mr.mT[:, :, None] @ omr

    def factored(
        self,
        theta: torch.Tensor,
        group: tuple[int, ...],
        widths: tuple[int, ...],
        frame: float,
        factors: torch.Tensor,
    ) -> torch.Tensor:
        """``Σ_r ⟨f_r| U† O_k U |f_r⟩`` per sample for factors ``ρ̃ = F Fᵀ`` (Schrödinger picture on
        the columns of ``F``): ``factors`` ``(G, W, B, R)`` → real ``(T, B, K)``."""
        g, w, n_b, n_r = factors.shape
        start = self._start(group, widths, frame, theta.device)  # (G, D, W)
        cols = start @ factors.reshape(g, w, n_b * n_r)  # (G, D, B·R)
        m, bands, offsets, real_diagonal = self.evolve(theta, group, cols)
        n_t = theta.shape[0]
        if real_diagonal:
            val = torch.einsum("gkd,gdx->kx", bands[:, :, 2], m.real**2 + m.imag**2)
        else:
            val = (m.conj()[:, None] * self._om(m, bands, offsets)).real.sum((0, 2))
        return val.reshape(val.shape[0], n_t, n_b, n_r).sum(-1).permute(1, 2, 0)  # (T, B, K)

    def __call__(
        self,
        theta: torch.Tensor,
        two_j: tuple[int, ...],
        blocks: list[torch.Tensor],
        frame: float,
        factors: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """``(T, B, K)`` expectations for parameter rows ``theta`` ``(T, P)`` and blocks
        ``(B, w_s, w_s)`` of sectors ``two_j`` (descending) in ``frame``; sectors of similar size
        are evaluated together, zero-padded. With ``factors`` (``(B, w_s, r_s)``, ``F Fᵀ`` = the
        block) a group whose ``B · r`` is below its corner width runs on the factors' columns."""
        device = theta.device
        batch = blocks[0].shape[0]
        n_t = theta.shape[0]
        out = theta.new_zeros(n_t, batch, len(self.observables), dtype=self.dtype)
        for lo, hi in _groups(two_j):
            group, bl = tuple(two_j[lo:hi]), blocks[lo:hi]
            widths = tuple(b.shape[-1] for b in bl)
            wmax = max(widths)
            if factors is not None:
                rank = max(f.shape[-1] for f in factors[lo:hi])
                if rank == 0:  # every eigenvalue within the rank cut: nothing left to evolve
                    continue
                if batch * rank < wmax:
                    f = torch.zeros(hi - lo, wmax, batch, rank, dtype=self.dtype, device=device)
                    for i, fi in enumerate(factors[lo:hi]):
                        f[i, : fi.shape[1], :, : fi.shape[2]] = fi.permute(1, 0, 2)
                    out = out + self.factored(theta, group, widths, frame, f)
                    continue
            rho = torch.zeros(batch, hi - lo, wmax, wmax, dtype=self.dtype, device=device)
            for i, b in enumerate(bl):
                rho[:, i, : widths[i], : widths[i]] = b
            a = self.group(theta, group, widths, frame)  # (G, T, K, W, W)
            k = a.shape[2]
            flat = a.permute(1, 2, 0, 3, 4).reshape(n_t * k, -1)  # (T·K, G·W·W)
            out = out + (rho.reshape(batch, -1) @ flat.T).reshape(batch, n_t, k).transpose(0, 1)
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


def _shift(m: torch.Tensor, o: int) -> torch.Tensor:
    """``out[..., p, :] = m[..., p + o, :]`` along the row axis (zeros past the ends)."""
    zeros = m.new_zeros(*m.shape[:-2], abs(o), m.shape[-1])
    return torch.cat([m[..., o:, :], zeros], -2) if o > 0 else torch.cat([zeros, m[..., :o, :]], -2)
