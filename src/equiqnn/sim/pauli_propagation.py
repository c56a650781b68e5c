"""Heisenberg-picture Pauli propagation: many-qubit expectations of product-encoded circuits.

The engine evaluates ``⟨ψ(x)| U(θ)† O_k U(θ) |ψ(x)⟩`` by propagating the observables ``O_k`` backwards
through the trainable gates of ``U(θ)`` (last gate first) as sums of Pauli strings, then reading the
propagated sums out on the product input state ``|ψ(x)⟩ = ⊗_q R_axis(scale·x_q)|init⟩``.

Conventions:

* A rotation about the Pauli string ``P`` is ``G = exp(−i a P / 2)`` with ``a = coeff·params[slot]``
  (as in :mod:`equiqnn.circuits.ir`). In the Heisenberg picture a string ``Q`` becomes
  ``G† Q G = Q`` when ``[P, Q] = 0`` and ``G† Q G = cos(a) Q + sin(a) · i P Q`` when ``{P, Q} = 0``;
  ``i P Q = ±R`` is again a Hermitian Pauli string, so coefficients stay real.
* Strings are packed bit masks: ``x`` (qubits carrying X or Y) and ``z`` (Z or Y), each a
  ``(S, W)`` ``uint64`` array with ``W = ⌈n / 64⌉`` words; qubit ``q`` is bit ``q % 64`` of word
  ``q // 64`` (an internal layout, unrelated to the basis-index convention of the statevector).
  A string is ``σ(x, z) = i^{x·z} X^x Z^z`` (so ``x = z = 1`` is ``Y``).
* Coefficients are a real torch tensor ``(S, K)`` (one column per observable) built by
  differentiable operations from ``cos(a)``, ``sin(a)``, so the output is differentiable in the
  parameters by autograd. Identical strings are merged after every gate.
* Read-out: ``⟨ψ(x)| Q |ψ(x)⟩ = ∏_{q ∈ supp Q} b[q, Q_q]`` with ``b[q]`` the Bloch vector
  ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)`` of qubit ``q``; :meth:`PauliPropagationEngine.encode` computes these.
* Truncation: strings of weight ``> max_weight`` are never created; after each gate, strings whose
  largest ``|coeff|`` is ``< min_coeff`` are dropped. The error bar of a truncated run is the change
  of the values when ``max_weight`` grows by 2 (same ``min_coeff``).

With ``min_coeff = 0`` the string bookkeeping does not depend on the parameter values, so it is
computed once (the "plan") and replayed with torch operations on every later call.

Not done (possible extensions): merging strings related by the symmetry group (in an invariant
model, strings of one orbit carry equal coefficients, so one representative per orbit would do);
Clifford conjugation by fixed gates other than X, Y, Z; non-commuting ``GeneratorRotation``;
data re-uploading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from equiqnn.circuits import (
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
)
from equiqnn.sim.pauliprop_data import PropData, bloch_vectors
from equiqnn.sim.pauliprop_strings import (
    _anticommuting,
    _apply,
    _masks,
    _popcount,
    _readout,
    _readout_index,
    _Step,
    _StringTable,
)
from equiqnn.symmetry import PauliString, PauliSum

__all__ = ["PauliPropagationEngine", "PropData", "bloch_vectors"]

_ONE = np.uint64(1)
_CHUNK = 1 << 15  # strings per read-out block
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class _Plan:
    steps: list[_Step]
    x: np.ndarray
    z: np.ndarray
    readout: np.ndarray  # int64 (wmax, S): flat table index per support position (0 = identity)
    max_strings: int


class PauliPropagationEngine:
    """Expectations of product-encoded circuits by Heisenberg-picture Pauli propagation.

    Args:
        circuit: angle encoding (leading ``DataRotation`` gates, any number per qubit, from
            ``initial="zero"`` or ``"plus"``) followed by ``PauliRotation`` gates (any weight) and
            fixed Pauli gates (X, Y, Z). Data re-uploading, non-Pauli fixed gates, non-commuting
            ``GeneratorRotation`` and amplitude inputs are refused with a ``ValueError``.
        observables: ``K`` Hermitian Pauli sums on the circuit's qubits.
        max_weight: drop strings acting on more than this many qubits (None: no limit).
        min_coeff: after each gate drop strings whose largest ``|coeff|`` over the observables is
            below this (0: keep all; then the bookkeeping is planned once and reused).
        max_strings: refuse (``ValueError``) a propagation that grows beyond this many strings.

    Call ``engine(params, data)`` with ``params`` ``(n_params,)`` and ``data`` a :class:`PropData`
    from :meth:`encode` or raw features ``(B, n_features)``; returns real ``(B, K)`` in the
    parameters' dtype, differentiable in ``params``. After a call, :attr:`n_strings` holds the
    final and largest string counts.
    """

    name = "pauli_propagation"

    def __init__(
        self,
        circuit: Circuit,
        observables: list[PauliSum],
        *,
        max_weight: int | None = None,
        min_coeff: float = 0.0,
        max_strings: int = 20_000_000,
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
        self._encoding, self._gates = _split(circuit)
        self._words = max(1, -(-n // 64))
        self._obs_x, self._obs_z, self._obs_c = self._observable_strings()
        self._plan: _Plan | None = None
        self._reference: PauliPropagationEngine | None = None
        self.n_strings: dict[str, int] = {}

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
        labels = list(index)
        x, z = _masks(labels, n, self._words)
        coeff = np.zeros((len(labels), len(self.observables)))
        for i, row in enumerate(rows):
            for k, v in row.items():
                coeff[i, k] = v
        return x, z, coeff

    def _propagate(
        self, params: torch.Tensor, record: bool
    ) -> tuple[torch.Tensor, np.ndarray, np.ndarray, list[_Step]]:
        """Run the bookkeeping and the coefficient arithmetic together (last gate first)."""
        table = _StringTable(self._obs_x, self._obs_z)
        c = torch.as_tensor(self._obs_c, dtype=params.dtype, device=params.device)
        steps: list[_Step] = []
        peak = table.size
        n, words = self.n_qubits, self._words
        for gate in reversed(self._gates):
            if isinstance(gate, FixedGate):
                label = PauliString.on(n, {gate.qubits[0]: gate.name}).label
                px, pz = _masks([label], n, words)
                anti = np.flatnonzero(_anticommuting(table.x, table.z, px[0], pz[0]))
                if len(anti) == 0:
                    continue
                step = _Step(-1, 1.0, anti, _EMPTY, np.zeros(0), _EMPTY, table.size, flip=True)
            else:
                px, pz = _masks([gate.pauli], n, words)
                anti = np.flatnonzero(_anticommuting(table.x, table.z, px[0], pz[0]))
                if len(anti) == 0:
                    continue
                step = self._branch(table, anti, px[0], pz[0], gate)
            c = _apply(step, c, params)
            if self.min_coeff > 0:
                keep = (c.detach().abs().amax(1) >= self.min_coeff).cpu().numpy()
                if not keep.all():
                    table.select(keep)
                    c = c[torch.as_tensor(np.flatnonzero(keep), device=c.device)]
            peak = max(peak, table.size)
            if table.size > self.max_strings:
                raise ValueError(
                    f"Pauli propagation grew to {table.size} strings (max_strings={self.max_strings}); "
                    "set max_weight (e.g. 6) and/or min_coeff (e.g. 1e-6) to truncate."
                )
            if record:
                steps.append(step)
        self.n_strings = {"final": table.size, "peak": peak}
        return c, table.x, table.z, steps

    def _branch(
        self,
        table: _StringTable,
        anti: np.ndarray,
        px: np.ndarray,
        pz: np.ndarray,
        gate: PauliRotation,
    ) -> _Step:
        """Branch the anticommuting strings ``Q → ±R = i P Q`` and merge ``R`` into the table."""
        xa, za = table.x[anti], table.z[anti]
        rx, rz = xa ^ px, za ^ pz
        src = anti
        if self.max_weight is not None:
            ok = _popcount(rx | rz) <= self.max_weight
            src, xa, za, rx, rz = anti[ok], xa[ok], za[ok], rx[ok], rz[ok]
        # σ(P) σ(Q) = i^e σ(R) with e = x_P·z_P + x_Q·z_Q + 2 z_P·x_Q − x_R·z_R (popcounts)
        e = (
            _popcount(px & pz) + _popcount(xa & za) + 2 * _popcount(pz & xa) - _popcount(rx & rz)
        ) % 4
        sign = np.where((e + 1) % 4 == 0, 1.0, -1.0)  # i · i^e, e odd for anticommuting strings
        n_in = table.size
        target = table.insert(rx, rz)
        return _Step(gate.slot, gate.coeff, anti, src, sign, target, n_in)

    def _build_plan(self, params: torch.Tensor) -> tuple[_Plan, torch.Tensor]:
        c, x, z, steps = self._propagate(params, record=True)
        plan = _Plan(steps, x, z, _readout_index(x, z, self.n_qubits), self.n_strings["peak"])
        return plan, c

    def coefficients(self, params: torch.Tensor) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """The propagated observables: coefficients ``(S, K)`` and masks ``x``, ``z`` ``(S, W)``."""
        params = self._check_params(params)
        if self.min_coeff > 0:
            c, x, z, _ = self._propagate(params, record=False)
            return c, x, z
        if self._plan is None:
            self._plan, c = self._build_plan(params)
            return c, self._plan.x, self._plan.z
        c = torch.as_tensor(self._obs_c, dtype=params.dtype, device=params.device)
        for step in self._plan.steps:
            c = _apply(step, c, params)
        self.n_strings = {"final": len(self._plan.x), "peak": self._plan.max_strings}
        return c, self._plan.x, self._plan.z

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
                f"PropData must hold Bloch vectors (batch, {self.n_qubits}, 3); got {tuple(data.bloch.shape)}."
            )
        c, x, z = self.coefficients(params)
        if self.min_coeff > 0 or self._plan is None:
            index = _readout_index(x, z, self.n_qubits)
        else:
            index = self._plan.readout
        bloch = data.bloch.to(device=params.device, dtype=params.dtype)
        return _readout(bloch, c, index)

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
                    max_weight=self.max_weight + 2,
                    min_coeff=self.min_coeff,
                    max_strings=self.max_strings,
                )
            stats = dict(self.n_strings)
            out = (self._reference(params, data) - here).abs()
            self.n_strings = stats
            return out

    def __repr__(self) -> str:
        trunc = f", max_weight={self.max_weight}" if self.max_weight is not None else ""
        trunc += f", min_coeff={self.min_coeff:g}" if self.min_coeff > 0 else ""
        return (
            f"PauliPropagationEngine({self.n_qubits} qubits, {len(self._gates)} gates, "
            f"{len(self.observables)} observables{trunc})"
        )


# -- helpers --------------------------------------------------------------------------------------


def _split(circuit: Circuit) -> tuple[list[list[tuple[str, int, float]]], list]:
    """Leading data rotations per qubit, and the trainable gates after them (barriers dropped)."""
    enc: list[list[tuple[str, int, float]]] = [[] for _ in range(circuit.n_qubits)]
    gates: list = []
    for op in circuit.ops:
        if isinstance(op, Barrier):
            continue
        if isinstance(op, DataRotation):
            if gates:
                raise ValueError(
                    f"data rotation on qubit {op.qubit} after a trainable gate (data re-uploading): "
                    "Pauli propagation reads out on a product input only. Use StatevectorEngine."
                )
            enc[op.qubit].append((op.axis, op.feature, op.scale))
        elif isinstance(op, PauliRotation):
            gates.append(op)
        elif isinstance(op, FixedGate) and op.name in ("X", "Y", "Z"):
            gates.append(op)
        elif isinstance(op, FixedGate):
            raise ValueError(
                f"fixed gate {op.name} is not supported by Pauli propagation (only X, Y, Z); "
                "use StatevectorEngine."
            )
        elif isinstance(op, GeneratorRotation):
            raise ValueError(
                f"non-commuting generator rotation (slot {op.slot}) is not supported by Pauli "
                "propagation; use StatevectorEngine, or an ansatz whose orbits commute (e.g. "
                "singles='X', pair_letters=('ZZ',))."
            )
        else:
            raise ValueError(f"unsupported op {op!r} for Pauli propagation.")
    return enc, gates
