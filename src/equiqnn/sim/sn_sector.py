"""S_n-equivariant circuits on angle-encoded product inputs, exactly, by total-spin sectors.

Schur–Weyl: ``(C²)^{⊗n} = ⊕_j V_j ⊗ M_j`` (``V_j`` the spin-j irrep, ``M_j`` the S_n multiplicity
space). Any polynomial in the collective spin ``S_a = ½ Σ_i σ^a_i`` acts as ``⊕_j G_j ⊗ I``, so for
any input ``ρ`` only the reduced blocks ``ρ_j = Tr_{M_j}(Π_j ρ Π_j)`` (``(2j+1)×(2j+1)``) matter::

    ⟨O⟩ = Σ_j Tr(O_j U_j ρ_j U_j†),    U_j = ∏_l exp(−i θ_l G_{l,j} / 2).

For a product input ``⊗_i |φ_i⟩`` the blocks follow exactly by adding one qubit at a time with
spin-½ Clebsch–Gordan coefficients (distinct coupling paths are orthogonal multiplicity vectors, so
the partial trace has no cross terms)::

    ρ^{(k+1)}_{j'} = Σ_{j = j' ∓ ½} C_{j→j'} (ρ^{(k)}_j ⊗ φφ†) C_{j→j'}†.

Each ``C`` has two non-zero entries per row, so a step costs ``O(Σ_j (2j+1)²)`` and the encoding
``O(n⁴)`` per sample; it needs no gradient and is cached in :class:`SnData`. The forward pass works
in the Heisenberg picture per sector (``U_j† O_j U_j`` once for the whole batch, then a contraction
with the ``ρ_j``), ``O(L·Σ_j (2j+1)³)`` independent of the batch; torch autograd differentiates it.

Data frame: blocks are stored *real* in the frame where every qubit is ``R_Y(a_i)|0⟩``; the other
angle encodings differ from it by a fixed collective rotation (see ``sn_spin.frame_map``), which the
engine applies to the generators and observables instead of to the data.

See ``SN_SECTOR.md`` for the design and its limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from equiqnn.circuits import AngleEncoding, Circuit
from equiqnn.circuits.ir import rotation_ops
from equiqnn.sim.sn_corner import aligned_frame, encode_corner_sectors
from equiqnn.sim.sn_encode import SnData, encode_product_sectors
from equiqnn.sim.sn_forward import SectorForward
from equiqnn.sim.sn_frames import SnFrames, frame_groups
from equiqnn.sim.sn_spin import (
    Spec,
    canonical_spec,
    frame_map,
    observable_scale,
    pauli_sum,
    single_letter,
    spec_label,
    spec_norm_bound,
    to_frame,
)
from equiqnn.symmetry import PauliSum

FACTOR_SHARE = 0.05  # share of the tolerance for the rank cut of the factored (small-batch) forward

__all__ = ["SnData", "SnFrames", "SnSectorEngine", "encode_product_sectors"]

PolySpec = str | Mapping[str, float]


@dataclass
class _Gate:
    spec: Spec  # in the real frame
    slot: int
    basis: str  # "X", "Y", "Z" (diagonal in J_a's eigenbasis) or "G:<label>" (own eigenbasis)


class SnSectorEngine:
    """Exact S_n-equivariant circuits on angle-encoded product inputs, by total-spin sectors.

    The circuit is ``AngleEncoding(n, axis, init, scale)`` followed by ``layers`` repetitions of the
    rotations ``exp(−i θ G / 2)`` for ``G`` in ``generators`` (each gate its own parameter slot, in
    order: ``slot = layer · len(generators) + g``); observables are normalized collective terms.

    Args:
        n_qubits: number of qubits ``n`` (one feature per qubit).
        generators: collective-spin polynomials (see ``sn_spin``): ``"X"`` is ``Σ_i X_i`` (so the gate
            is ``∏_i R_X(θ)``), ``"ZZ"`` is ``Σ_{i<j} Z_i Z_j``, ``"XY"`` is ``Σ_{i<j}(X_iY_j + Y_iX_j)``,
            and ``{"ZZ": 1.0, "X": 0.5}`` their real linear combination.
        observables: the same term names / mappings, each term divided by its number of Pauli
            strings: ``"Z"`` is ``Σ_i Z_i / n``, ``"ZZ"`` is ``Σ_{i<j} Z_iZ_j / C(n, 2)``, ``"XY"`` is
            ``Σ_{i<j}(X_iY_j + Y_iX_j) / (2·C(n, 2))`` (so ``‖O‖ ≤ Σ|coefficients|``).
        layers: repetitions of the generator list, each with fresh parameters.
        encoding_axis, init, scale: the angle encoding ``R_axis(scale · x_i)|init⟩`` on qubit ``i``.
        dtype: float64 (default; complex128 inside) or float32 (complex64).
        tolerance: target of the truncation error per unit observable norm. ``> 0`` (default
            ``1e-10``): the fast path (data-aligned frame, sector and corner cuts chosen from the
            measured tail weights, see ``sn_corner``); ``0``: the exact full-sector path.
            ``error_estimate`` reports the rigorous bound either way.
        tail_weight: exact path only: the weight per sample its encoding may drop (lightest sectors
            first).
        frames: fast path only: ``encode`` splits a batch into this many groups of samples with
            similar mean Bloch vectors, each in its own aligned frame (:class:`SnFrames`, for data
            without a common direction); 1 (default): one frame for the batch.

    ``params`` are real ``(n_params,)`` with ``n_params = layers · len(generators)``;
    ``engine(params, data)`` returns real ``(B, K)`` in ``dtype``, differentiable in ``params``.
    """

    name = "sn_sector"

    def __init__(
        self,
        n_qubits: int,
        generators: Sequence[PolySpec],
        observables: Sequence[PolySpec],
        *,
        layers: int = 1,
        encoding_axis: str = "Y",
        init: str = "zero",
        scale: float = 1.0,
        dtype: torch.dtype = torch.float64,
        tolerance: float = 1e-10,
        tail_weight: float = 0.0,
        frames: int = 1,
    ):
        if (
            isinstance(n_qubits, bool)
            or not isinstance(n_qubits, (int, np.integer))
            or n_qubits < 1
        ):
            raise ValueError(f"n_qubits must be a positive integer; got {n_qubits!r}.")
        if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or layers < 1:
            raise ValueError(f"layers must be a positive integer; got {layers!r}.")
        if isinstance(generators, (str, Mapping)) or isinstance(observables, (str, Mapping)):
            raise ValueError("generators and observables must be lists of specs, e.g. ['ZZ', 'X'].")
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64; got {dtype}.")
        if not (isinstance(tail_weight, (int, float)) and 0 <= tail_weight < 1):
            raise ValueError(f"tail_weight must be a number in [0, 1); got {tail_weight!r}.")
        if not (isinstance(tolerance, (int, float)) and 0 <= tolerance < 1):
            raise ValueError(f"tolerance must be a number in [0, 1); got {tolerance!r}.")
        if tail_weight > 0 and tolerance > 0:
            raise ValueError(
                "tail_weight applies to the exact path only: pass tolerance=0 with it (the fast "
                "path chooses its cuts from tolerance)."
            )
        if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1:
            raise ValueError(f"frames must be a positive integer; got {frames!r}.")
        if frames > 1 and tolerance == 0:
            raise ValueError("frames apply to the fast path only: pass tolerance > 0 with them.")
        if not math.isfinite(float(scale)):
            raise ValueError(f"scale must be finite; got {scale!r}.")
        self.n_qubits = int(n_qubits)
        self.layers = int(layers)
        self.frames = int(frames)
        self.encoding = AngleEncoding(self.n_qubits, encoding_axis, init, float(scale))
        self._fmap = frame_map(encoding_axis, init)
        self.dtype = dtype
        self.cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        self.tail_weight = float(tail_weight)
        self.tolerance = float(tolerance)
        n = self.n_qubits
        self.generators: list[Spec] = [canonical_spec(g, n) for g in generators]
        self.observables: list[Spec] = [canonical_spec(o, n) for o in observables]
        if not self.observables:
            raise ValueError("need at least one observable.")
        self._gates: list[_Gate] = []
        for layer in range(self.layers):
            for g, spec in enumerate(self.generators):
                fs = to_frame(spec, self._fmap)
                letter = single_letter(fs)
                basis = letter if letter is not None else "G:" + spec_label(fs)
                self._gates.append(_Gate(fs, layer * len(self.generators) + g, basis))
        # runs of consecutive gates diagonal in one basis commute: one phase per run
        self._segments: list[tuple[str, list[_Gate]]] = []
        for gate in self._gates:
            if self._segments and self._segments[-1][0] == gate.basis:
                self._segments[-1][1].append(gate)
            else:
                self._segments.append((gate.basis, [gate]))
        self._obs_frame = [
            tuple((t, c / observable_scale(t, n)) for t, c in to_frame(o, self._fmap))
            for o in self.observables
        ]
        self._obs_norm = [spec_norm_bound(o) for o in self.observables]
        segments = [(basis, [(g.spec, g.slot) for g in run]) for basis, run in self._segments]
        self._forward = SectorForward(segments, self._obs_frame, n, dtype)

    # ------------------------------------------------------------------ properties

    @property
    def n_params(self) -> int:
        return self.layers * len(self.generators)

    @property
    def n_observables(self) -> int:
        return len(self.observables)

    def __repr__(self) -> str:
        gens = ", ".join(spec_label(g) for g in self.generators)
        obs = ", ".join(spec_label(o) for o in self.observables)
        return (
            f"SnSectorEngine({self.n_qubits} qubits, {self.layers}×[{gens}], observables [{obs}], "
            f"R{self.encoding.axis} from |{'0' if self.encoding.init == 'zero' else '+'}⟩)"
        )

    # ------------------------------------------------------------------ encoding

    def encode(
        self, x: torch.Tensor | np.ndarray, frame: float | None = None, frames: int | None = None
    ) -> SnData | SnFrames:
        """Sector blocks of the encoded product states; no gradient, deterministic, cacheable.

        Args:
            x: features ``(B, n)`` (any real array; converted to the engine's dtype).
            frame: fast path only: the frame angle ``α`` (default: aligned with the mean Bloch
                vector of ``x``; pass ``data.frame`` to encode more samples in the same frame).
            frames: frame groups for this call (default: the engine's ``frames``). With more
                than one and no ``frame`` the batch is split into groups, each in its own frame,
                and an :class:`SnFrames` is returned (the engine accepts either).

        Returns:
            :class:`SnData` on ``x``'s device (CPU for numpy input); store it with ``SnData.save``.
            Exact path: ``O(n⁴)`` time and ``O(n³)`` memory per sample. Fast path: ``O(n S w²)``
            time and ``O(S w²)`` memory per sample (``S`` kept sectors of corner width ``w``).
        """
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.n_qubits:
            raise ValueError(
                f"inputs must have shape (batch, {self.n_qubits}); got {tuple(x.shape)}."
            )
        if x.shape[0] == 0:
            raise ValueError("inputs must hold at least one sample.")
        if x.is_complex():
            raise ValueError("inputs must be real features.")
        with torch.no_grad():
            a = x.detach().to(self.dtype) * self.encoding.scale
            if not bool(torch.isfinite(a).all()):
                raise ValueError("inputs must be finite.")
            if self.encoding.axis == "Y" and self.encoding.init == "plus":
                a = a + math.pi / 2  # R_Y(a)|+⟩ = R_Y(a + π/2)|0⟩
            k = self.frames if frames is None else frames
            if k > 1 and frame is None and a.shape[0] > 1 and self.tolerance > 0:
                pos = frame_groups(a, k)
                return SnFrames([self._encode_angles(a[p], None) for p in pos], pos)
            return self._encode_angles(a, frame)

    def _encode_angles(self, a: torch.Tensor, frame: float | None) -> SnData:
        if self.tolerance == 0:
            two_j, blocks, dropped = encode_product_sectors(a, tail_weight=self.tail_weight)
            alpha, error = 0.0, dropped
        else:
            alpha = aligned_frame(a) if frame is None else float(frame)
            two_j, blocks, dropped, error = encode_corner_sectors(
                a - alpha, tolerance=self.tolerance
            )
        weights = torch.stack([b.diagonal(dim1=-2, dim2=-1).sum(-1) for b in blocks], -1)
        return SnData(
            self.n_qubits, two_j, blocks, weights, dropped, self._encoding_config(), alpha, error
        )

    def _encoding_config(self) -> dict[str, Any]:
        return {
            "axis": self.encoding.axis,
            "init": self.encoding.init,
            "scale": self.encoding.scale,
        }

    # ------------------------------------------------------------------ forward

    def __call__(
        self, params: torch.Tensor, data: SnData | SnFrames | torch.Tensor | np.ndarray
    ) -> torch.Tensor:
        """Expectations ``(B, K)`` (real, ``dtype``), differentiable in ``params`` ``(n_params,)``;
        for parameter rows ``params`` ``(T, n_params)`` (e.g. random draws), ``(T, B, K)`` from one
        pass: the basis changes are shared by all rows, one backward gives every row's gradient.

        ``data`` is an :class:`SnData` or :class:`SnFrames` from :meth:`encode` (recommended:
        encode once, reuse) or raw features ``(B, n)``, encoded on the fly.
        """
        params = torch.as_tensor(params)
        if params.shape not in ((self.n_params,), (params.shape[0], self.n_params)):
            raise ValueError(
                f"params must have shape ({self.n_params},) or (T, {self.n_params}) for T "
                f"parameter rows; got {tuple(params.shape)}."
            )
        if params.is_complex() or not params.is_floating_point():
            raise ValueError(f"params must be real floating point; got {params.dtype}.")
        if not isinstance(data, (SnData, SnFrames)):
            data = self.encode(torch.as_tensor(data, device=params.device))
        if isinstance(data, SnFrames):  # one corner pass per frame group
            return data.gather([self(params, g) for g in data.groups], -2)
        self._check_data(data)
        theta = params.to(self.dtype)
        out = self._forward(
            theta.reshape(-1, self.n_params),
            data.two_j,
            data.blocks,
            data.frame,
            self._factors(data),
        )
        return out[0] if params.ndim == 1 else out

    def memory_per_row(self, data: SnData | SnFrames) -> int:
        """Estimated bytes the forward keeps for autograd per parameter row on ``data``: about two
        complex ``(Σ d, columns)`` states per gate run (columns: the factored path's ``B·r`` or the
        corner width) and 30 % for padding; measured 1.4–1.6 states per run at n = 256 and 1024, so
        this errs high. Use it to size batches of parameter rows."""
        if isinstance(data, SnFrames):  # every group's graph is kept until the backward
            return sum(self.memory_per_row(g) for g in data.groups)
        factors = self._factors(data)
        if factors is not None:
            cols = data.batch_size * max(f.shape[-1] for f in factors)
        else:
            cols = max(b.shape[-1] for b in data.blocks)
        rows = sum(tj + 1 for tj in data.two_j)
        item = 16 if self.dtype == torch.float64 else 8
        return int(2.6 * rows * cols * item * (len(self._segments) + 2))

    def _factors(self, data: SnData) -> list[torch.Tensor] | None:
        """Fast path, small batches: ``ρ̃ = F Fᵀ`` per sector (cached on ``data``), keeping per
        sample the eigenvalues above a dropped mass of ``tolerance / 20`` (shared by the sectors;
        :meth:`error_estimate` adds the mass actually dropped). ``None`` when no group could use
        them."""
        if self.tolerance == 0 or data.batch_size >= max(b.shape[-1] for b in data.blocks):
            return None
        if data.factors is None:
            budget = self.tolerance * FACTOR_SHARE / len(data.blocks)
            factors = []
            mass = torch.zeros_like(data.dropped)
            for b in data.blocks:
                lam, vec = torch.linalg.eigh(b)  # ascending
                lam = lam.clamp_min(0)
                dropped = torch.cumsum(lam, -1)  # mass of the smallest k+1
                drop = int((dropped <= budget).sum(-1).min())  # the same cut for every sample
                factors.append(vec[..., drop:] * lam[:, None, drop:].sqrt())
                if drop:
                    mass = mass + dropped[:, drop - 1].to(mass.dtype)
            data.factors = (factors, mass)
        return data.factors[0]

    def _check_data(self, data: SnData) -> None:
        if data.n_qubits != self.n_qubits:
            raise ValueError(
                f"data encodes {data.n_qubits} qubits; this engine has {self.n_qubits}."
            )
        if data.encoding != self._encoding_config():
            raise ValueError(
                f"data was encoded with {data.encoding}; this engine uses {self._encoding_config()}. "
                "Re-encode with this engine's encode()."
            )

    # ------------------------------------------------------------------ error, export

    def error_estimate(self, data: SnData | SnFrames) -> torch.Tensor:
        """``(B, K)`` bound on ``|exact − computed|``: ``data.error_bound × ‖O_k‖`` (0 when exact).

        Exact path: the dropped sectors' blocks are positive semidefinite with total trace
        ``data.dropped`` and ``|Tr(O U ρ U†)| ≤ ‖O‖ Tr ρ``. Fast path: both cuts are projections
        of the pure input state, see ``sn_corner`` and ``SN_SECTOR.md``; for one to three samples
        the forward runs on factors of the blocks, and the positive semidefinite remainder it
        drops (at most ``tolerance / 20`` per sample) is added. Rounding error (~1e-13 in float64)
        is not included.
        """
        if isinstance(data, SnFrames):
            return data.gather([self.error_estimate(g) for g in data.groups], 0)
        self._check_data(data)
        norms = torch.tensor(self._obs_norm, dtype=data.dropped.dtype, device=data.device)
        bound = data.error_bound
        if self._factors(data) is not None and data.factors is not None:
            bound = bound + data.factors[1]
        return bound.clamp_min(0)[:, None] * norms[None, :]  # rounding can leave -1e-17

    def to_circuit(self) -> Circuit:
        """The equivalent gate-level :class:`Circuit` (encoding + Pauli rotations, slots shared
        within a generator), for cross-checks with ``StatevectorEngine`` at small ``n``."""
        n = self.n_qubits
        ops: list = []
        for layer in range(self.layers):
            for g, spec in enumerate(self.generators):
                ops += rotation_ops(pauli_sum(spec, n), layer * len(self.generators) + g)
        body = Circuit(n, tuple(ops), self.n_params, "zero", 0, "Sn-sector ansatz")
        return self.encoding.circuit() + body

    def to_observables(self) -> list[PauliSum]:
        """The observables as explicit (normalized) Pauli sums, in order."""
        return [pauli_sum(o, self.n_qubits, normalize=True) for o in self.observables]
