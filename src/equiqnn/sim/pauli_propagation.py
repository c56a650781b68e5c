"""Heisenberg-picture Pauli propagation: many-qubit expectations of product-encoded circuits.

The engine evaluates ``⟨ψ(x)| U(θ)† O_k U(θ) |ψ(x)⟩`` by propagating the observables ``O_k`` backwards
through the trainable gates of ``U(θ)`` (last gate first) as sums of Pauli strings, then reading the
propagated sums out on the product input state ``|ψ(x)⟩ = ⊗_q R_axis(scale·x_q)|init⟩``.
Method notes and measured numbers: ``sim/PAULI_PROPAGATION.md``.

Conventions:

* A rotation about the Pauli string ``P`` is ``G = exp(−i a P / 2)`` with ``a = coeff·params[slot]``
  (as in :mod:`equiqnn.circuits.ir`). In the Heisenberg picture a string ``Q`` becomes
  ``G† Q G = Q`` when ``[P, Q] = 0`` and ``G† Q G = cos(a) Q + sin(a) · i P Q`` when ``{P, Q} = 0``;
  ``i P Q = ±R`` is again a Hermitian Pauli string, so coefficients stay real.
* Strings are packed bit masks: ``x`` (qubits carrying X or Y) and ``z`` (Z or Y), each a
  ``(S, W)`` ``uint64`` array with ``W = ⌈n / 64⌉`` words; qubit ``q`` is bit ``q % 64`` of word
  ``q // 64`` (an internal layout, unrelated to the basis-index convention of the statevector).
* Gates are grouped into blocks (consecutive gates sharing ``(slot, coeff)``); after every block,
  equal strings are merged (``np.unique`` on the packed keys). Coefficients are a real torch tensor
  ``(S, K)`` updated per block by one gather / multiply / ``index_add`` with weights
  ``const · cos(a)^j · sin(a)^k``, so the output is differentiable in the parameters by autograd.
* Leading single-qubit gates (before any other kept gate on their qubit, e.g. the first layer's
  single-qubit rotations) are not propagated: they rotate the input's Bloch vectors (``fold=True``).
* ``symmetry`` (qubit permutations under which the observables and every block are invariant, e.g.
  ``AngleEncoding.representation(group)``): the propagated sum is kept as orbit sums, one
  representative per orbit; read-out expands the orbits again (the input is not invariant).
* Read-out: ``⟨ψ(x)| Q |ψ(x)⟩ = ∏_{q ∈ supp Q} b[q, Q_q]`` with ``b[q]`` the Bloch vector
  ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)`` of qubit ``q``; :meth:`PauliPropagationEngine.encode` computes these.
* Truncation: strings of weight ``> max_weight`` are never created; after each block, strings whose
  largest ``|coeff|`` is ``< min_coeff`` are dropped. The error bar of a truncated run is the change
  of the values when ``max_weight`` grows by 2 (same ``min_coeff``).

With ``min_coeff = 0`` the string bookkeeping does not depend on the parameter values, so it is
computed once (the "plan") and replayed with torch operations on every later call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from equiqnn.circuits import Circuit
from equiqnn.sim.pauliprop_circuit import (
    _blocks,
    _check_block_invariant,
    _fold_blocks,
    _orbit_observables,
    _perms,
    _split,
)
from equiqnn.sim.pauliprop_data import PropData, bloch_vectors
from equiqnn.sim.pauliprop_plan import _apply, _plan_block, _Step
from equiqnn.sim.pauliprop_readout import _fold, _readout, _readout_groups, _table
from equiqnn.sim.pauliprop_strings import _masks, _orbit_members
from equiqnn.symmetry import PauliSum

__all__ = ["PauliPropagationEngine", "PropData", "bloch_vectors"]


@dataclass
class _Plan:
    steps: list[_Step]
    x: np.ndarray  # final representatives
    z: np.ndarray
    owner: np.ndarray  # int64: the representative of each read-out string (weight-sorted)
    groups: list  # per weight: (None, int64 index tensor (w, S_w))
    stats: dict[str, Any]


class PauliPropagationEngine:
    """Expectations of product-encoded circuits by Heisenberg-picture Pauli propagation.

    Args:
        circuit: angle encoding (leading ``DataRotation`` gates, any number per qubit, from
            ``initial="zero"`` or ``"plus"``) followed by ``PauliRotation`` gates (any weight) and
            fixed Pauli gates (X, Y, Z). Data re-uploading, non-Pauli fixed gates, non-commuting
            ``GeneratorRotation`` and amplitude inputs are refused with a ``ValueError``.
        observables: ``K`` Hermitian Pauli sums on the circuit's qubits.
        symmetry: ``None``, or a ``Representation`` (qubit permutations, no Pauli part) or a
            ``(G, n)`` array listing every element of a qubit-permutation group under which the
            observables and every block of gates are invariant (checked; ``ValueError`` otherwise).
            Strings of one orbit are then merged into one representative.
        max_weight: drop strings acting on more than this many qubits (None: no limit).
        min_coeff: after each block drop strings whose largest ``|coeff|`` over the observables is
            below this (0: keep all; then the bookkeeping is planned once and reused).
        max_strings: refuse (``ValueError``) a propagation that grows beyond this many strings.
        fold: apply leading single-qubit gates to the product state instead of propagating them.

    Call ``engine(params, data)`` with ``params`` ``(n_params,)`` and ``data`` a :class:`PropData`
    from :meth:`encode` or raw features ``(B, n_features)``; returns real ``(B, K)`` in the
    parameters' dtype, differentiable in ``params``. After a call, :attr:`n_strings` holds the
    final, largest and read-out string counts and :attr:`strings_per_layer` the count after each
    layer (last layer first).
    """

    name = "pauli_propagation"

    def __init__(
        self,
        circuit: Circuit,
        observables: list[PauliSum],
        *,
        symmetry: Any = None,
        max_weight: int | None = None,
        min_coeff: float = 0.0,
        max_strings: int = 20_000_000,
        fold: bool = True,
    ):
        self.circuit = circuit
        self.observables = list(observables)
        if not self.observables:
            raise ValueError("need at least one observable.")
        n = circuit.n_qubits
        if max_weight is not None and (
            isinstance(max_weight, bool)
            or not isinstance(max_weight, (int, np.integer))
            or max_weight < 0
        ):
            raise ValueError(f"max_weight must be None or an integer >= 0; got {max_weight!r}.")
        if not np.isfinite(min_coeff) or min_coeff < 0:
            raise ValueError(f"min_coeff must be a finite number >= 0; got {min_coeff!r}.")
        self.max_weight = None if max_weight is None or max_weight >= n else int(max_weight)
        self.min_coeff = float(min_coeff)
        self.max_strings = int(max_strings)
        if circuit.initial not in ("zero", "plus"):
            raise ValueError(
                f"Pauli propagation reads out on product states; the circuit starts from "
                f"{circuit.initial!r}. Use StatevectorEngine for amplitude inputs."
            )
        self._words = max(1, -(-n // 64))
        self._encoding, gates = _split(circuit)
        self._n_gates = len(gates)
        self._blocks = _blocks(gates, n, self._words)
        self.fold = bool(fold)
        if self.fold:
            self._blocks, self._fold = _fold_blocks(self._blocks, n)
        else:
            _, self._fold = _fold_blocks([], n)
        self.symmetry = symmetry
        self._perms = _perms(symmetry, n)
        obs_x, obs_z, obs_c = self._observable_strings()
        if self._perms is None:
            obs_size = np.ones(len(obs_x), dtype=np.int64)
        else:
            for block in self._blocks:
                _check_block_invariant(block, self._perms)
            obs_x, obs_z, obs_c, obs_size = _orbit_observables(obs_x, obs_z, obs_c, self._perms)
        self._obs = (obs_x, obs_z, obs_c, obs_size)
        self._plan: _Plan | None = None
        self._reference: PauliPropagationEngine | None = None
        self.n_strings: dict[str, int] = {}
        self.strings_per_layer: list[int] = []

    @property
    def n_qubits(self) -> int:
        return self.circuit.n_qubits

    @property
    def truncated(self) -> bool:
        """Whether any truncation (weight or coefficient) is active."""
        return self.max_weight is not None or self.min_coeff > 0

    # -- encoding -------------------------------------------------------------------------------

    def encode(self, x: torch.Tensor | np.ndarray, dtype: torch.dtype | None = None) -> PropData:
        """Bloch vectors of the encoded product states; no gradient, deterministic, cacheable.

        Args:
            x: features ``(B, n_features)``.
            dtype: float32 or float64 (default: ``x``'s dtype when floating, else torch's default).
        """
        x = torch.as_tensor(x)
        f = self.circuit.n_features
        if x.ndim != 2 or x.shape[1] != f:
            raise ValueError(f"inputs must have shape (batch, {f}); got {tuple(x.shape)}.")
        if x.is_complex():
            raise ValueError("inputs must be real features.")
        if dtype is None:
            dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        with torch.no_grad():
            xr = x.detach().to(dtype)
            if not bool(torch.isfinite(xr).all()):
                raise ValueError("inputs must be finite.")
            bloch = bloch_vectors(xr, self._encoding, self.circuit.initial)
        return PropData(bloch, {"initial": self.circuit.initial, "rotations": self._encoding})

    # -- propagation ----------------------------------------------------------------------------

    def _observable_strings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.n_qubits
        index: dict[str, int] = {}
        rows: list[dict[int, float]] = []
        for k, obs in enumerate(self.observables):
            if not isinstance(obs, PauliSum):
                raise ValueError(f"observables must be PauliSum objects; got {type(obs).__name__}.")
            if obs.n_qubits != n:
                raise ValueError(
                    f"observable {obs!r} acts on {obs.n_qubits} qubits; the circuit has {n}."
                )
            if not obs.is_hermitian():
                raise ValueError(f"observable {obs!r} is not Hermitian (complex coefficients).")
            for label, c in obs.terms.items():
                if label not in index:
                    index[label] = len(rows)
                    rows.append({})
                rows[index[label]][k] = rows[index[label]].get(k, 0.0) + float(c.real)
        x, z = _masks(list(index), n, self._words)
        coeff = np.zeros((len(rows), len(self.observables)))
        for i, row in enumerate(rows):
            for k, v in row.items():
                coeff[i, k] = v
        return x, z, coeff

    def _propagate(
        self, params: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, np.ndarray, np.ndarray, list[_Step]]:
        """Bookkeeping block by block (last first); with ``params`` also the coefficients (needed
        when ``min_coeff > 0`` prunes by value)."""
        x, z, c0, size = self._obs
        c = (
            None
            if params is None
            else torch.as_tensor(c0, dtype=params.dtype, device=params.device)
        )
        steps: list[_Step] = []
        peak, rows = len(x), len(x)
        per_layer: dict[int, int] = {}
        for block in reversed(self._blocks):
            done = _plan_block(x, z, size, block, self._perms, self.max_weight)
            if done is not None:
                step, x, z, size = done
                rows = max(rows, step.rows)
                if c is not None and params is not None:
                    c = _apply(step, c, params)
                    if self.min_coeff > 0:
                        keep = (c.detach().abs().amax(1) >= self.min_coeff).cpu().numpy()
                        if not keep.all():
                            x, z, size = x[keep], z[keep], size[keep]
                            c = c[torch.as_tensor(np.flatnonzero(keep), device=c.device)]
                steps.append(step)
                peak = max(peak, len(x))
                if len(x) > self.max_strings:
                    raise ValueError(
                        f"Pauli propagation grew to {len(x)} strings (max_strings="
                        f"{self.max_strings}); set max_weight (e.g. 6) and/or min_coeff (e.g. "
                        "1e-6) to truncate, or pass symmetry= to merge orbits."
                    )
            per_layer[block.layer] = len(x)
        self.strings_per_layer = [per_layer[k] for k in sorted(per_layer, reverse=True)]
        self._stats = {"final": len(x), "peak": peak, "rows": rows}
        return c, x, z, steps

    def _readout_plan(self, x: np.ndarray, z: np.ndarray, device: torch.device) -> tuple:
        if self._perms is None:
            mx, mz, owner = x, z, np.arange(len(x))
        else:
            mx, mz, owner = _orbit_members(x, z, self._perms)
        groups = _readout_groups(mx, mz, self.n_qubits)
        order = np.concatenate([rows for rows, _ in groups]) if groups else np.zeros(0, np.int64)
        tgroups = [(None, torch.as_tensor(index, device=device)) for _, index in groups]
        return owner[order], tgroups, len(mx)

    def _ensure_plan(self, device: torch.device) -> _Plan:
        if self._plan is None:
            _, x, z, steps = self._propagate(None)
            owner, groups, n_read = self._readout_plan(x, z, device)
            stats = dict(self._stats, readout=n_read)
            self._plan = _Plan(steps, x, z, owner, groups, stats)
        return self._plan

    def coefficients(self, params: torch.Tensor) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """The propagated observables: coefficients ``(S, K)`` and masks ``x``, ``z`` ``(S, W)`` of
        the ``S`` strings (orbit representatives when ``symmetry`` is set)."""
        params = self._check_params(params)
        if self.min_coeff > 0:
            c, x, z, _ = self._propagate(params)
            assert c is not None
            self.n_strings = dict(self._stats)
            return c, x, z
        plan = self._ensure_plan(params.device)
        c = torch.as_tensor(self._obs[2], dtype=params.dtype, device=params.device)
        for step in plan.steps:
            c = _apply(step, c, params)
        self.n_strings = dict(plan.stats)
        return c, plan.x, plan.z

    def _check_params(self, params: torch.Tensor) -> torch.Tensor:
        params = torch.as_tensor(params)
        if params.shape != (self.circuit.n_params,):
            raise ValueError(
                f"params must have shape ({self.circuit.n_params},); got {tuple(params.shape)}."
            )
        if params.is_complex():
            raise ValueError("params must be real.")
        if not params.is_floating_point():
            params = params.to(torch.get_default_dtype())
        return params

    # -- read-out -------------------------------------------------------------------------------

    def __call__(
        self, params: torch.Tensor, data: PropData | torch.Tensor | np.ndarray
    ) -> torch.Tensor:
        """Expectations ``(B, K)`` (real, the parameters' dtype), differentiable in ``params``."""
        params = self._check_params(params)
        if not isinstance(data, PropData):
            data = self.encode(data, params.dtype)
        if data.bloch.ndim != 3 or data.bloch.shape[1:] != (self.n_qubits, 3):
            raise ValueError(
                f"PropData must hold Bloch vectors (batch, {self.n_qubits}, 3); "
                f"got {tuple(data.bloch.shape)}."
            )
        c, x, z = self.coefficients(params)
        if self.min_coeff > 0:
            owner, groups, n_read = self._readout_plan(x, z, params.device)
            self.n_strings["readout"] = n_read
        else:
            assert self._plan is not None
            owner, groups = self._plan.owner, self._plan.groups
        bloch = data.bloch.to(device=params.device, dtype=params.dtype)
        table = _table(_fold(bloch, self._fold, params))
        c_read = c.index_select(0, torch.as_tensor(owner, device=c.device))
        return _readout(table, c_read, groups)

    def error_estimate(
        self, params: torch.Tensor, data: PropData | torch.Tensor | np.ndarray
    ) -> torch.Tensor:
        """``(B, K)`` error bar ``|v(max_weight + 2) − v(max_weight)|`` (same ``min_coeff``): 0 when
        the weight is not truncated. A heuristic, not a bound; the ``min_coeff`` truncation error
        is not included."""
        params = self._check_params(params)
        if not isinstance(data, PropData):
            data = self.encode(data, params.dtype)
        with torch.no_grad():
            here = self(params, data)
            if self.max_weight is None:
                return torch.zeros_like(here)
            if self._reference is None:
                self._reference = PauliPropagationEngine(
                    self.circuit,
                    self.observables,
                    symmetry=self.symmetry,
                    max_weight=self.max_weight + 2,
                    min_coeff=self.min_coeff,
                    max_strings=self.max_strings,
                    fold=self.fold,
                )
            stats, layers = dict(self.n_strings), list(self.strings_per_layer)
            out = (self._reference(params, data) - here).abs()
            self.n_strings, self.strings_per_layer = stats, layers
            return out

    def __repr__(self) -> str:
        trunc = f", max_weight={self.max_weight}" if self.max_weight is not None else ""
        trunc += f", min_coeff={self.min_coeff:g}" if self.min_coeff > 0 else ""
        trunc += f", symmetry order {len(self._perms)}" if self._perms is not None else ""
        return (
            f"PauliPropagationEngine({self.n_qubits} qubits, {self._n_gates} gates, "
            f"{len(self.observables)} observables{trunc})"
        )
