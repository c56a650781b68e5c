"""The S_n sector engine behind a model: raw features in, encodings cached per sample.

``QNNClassifier`` calls ``engine(theta, x)`` with raw features every step. :class:`SnModelEngine`
encodes each distinct sample once (in one frame, fixed by the first batch it sees, so cached
samples from different batches combine), keeps the encodings, and assembles a minibatch from them
(union of the samples' sectors, blocks zero-padded to the widest corner: a zero block is a sector
that was cut, so the error bound of every sample is unchanged). Simulation runs in float64; the
output takes ``theta``'s dtype.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from equiqnn.circuits import Circuit
from equiqnn.sim.sn_encode import SnData
from equiqnn.sim.sn_sector import SnSectorEngine
from equiqnn.sim.sn_spin import canonical_spec

__all__ = ["SnModelEngine", "sn_model_parts", "SN_GENERATORS", "SN_READOUTS"]

# equivariant_ansatz's generators over S_n, in its order, and the default readouts in
# invariant_observables' order (each term normalized, e.g. Σ Z_i / n)
SN_GENERATORS = ("X", "Y", "Z", "ZZ", "XX", "YY")
SN_READOUTS = ("X", "Z", "Y", "XX", "ZZ", "YY")
SN_GATE_LEVEL_QUBITS = 16  # up to this, an sn model also carries its gate-level circuit


def sn_model_parts(
    n_qubits: int,
    axis: str,
    init: str,
    scale: float,
    *,
    layers: int,
    n_classes: int,
    readout: Sequence[Any] | None,
) -> tuple[SnModelEngine, Circuit, list[Any], list[Any]]:
    """Engine, ansatz circuit, observables and readout specs of an S_n invariant QNN.

    The ansatz is ``layers × SN_GENERATORS`` (what ``equivariant_ansatz`` builds over S_n); the
    readout defaults to mean ``X`` (binary) or the first ``n_classes`` of ``SN_READOUTS``. Up to
    ``SN_GATE_LEVEL_QUBITS`` qubits the circuit and observables are the gate-level ones; beyond, the
    circuit holds no gates (``C(n, 2)`` pair rotations would not fit) and the observables are the
    canonical specs.
    """
    if readout is None:
        want = 1 if n_classes == 2 else n_classes
        if want > len(SN_READOUTS):
            raise ValueError(
                f"{n_classes} classes need {want} readouts; the S_n defaults are {SN_READOUTS}. "
                "Pass readout=[...] with collective-spin terms ('Z', 'ZZ', {'XY': 1.0}, …)."
            )
        readout = list(SN_READOUTS[:want]) if n_classes > 2 else ["X"]
    if any(not isinstance(o, (str, Mapping)) for o in readout):
        raise ValueError(
            "the S_n sector engine takes readouts as collective-spin terms, e.g. ['Z', 'ZZ'] "
            f"(Σ Z_i / n, Σ Z_i Z_j / C(n, 2)); got {[type(o).__name__ for o in readout]}."
        )
    n = n_qubits
    sn = SnSectorEngine(
        n,
        list(SN_GENERATORS),
        list(readout),
        layers=layers,
        encoding_axis=axis,
        init=init,
        scale=scale,
    )
    obs: list[Any]
    if n <= SN_GATE_LEVEL_QUBITS:
        circ = Circuit(n, sn.to_circuit().ops[n + 1 :], sn.n_params, "zero", 0, "Sn ansatz")
        obs = list(sn.to_observables())
    else:
        circ = Circuit(n, (), sn.n_params, "zero", 0, f"Sn ansatz (collective) x{layers}")
        obs = [canonical_spec(o, n) for o in readout]
    return SnModelEngine(sn), circ, obs, list(readout)


class SnModelEngine:
    """``engine(theta, x) -> (B, K)`` for an :class:`SnSectorEngine` on raw features ``(B, n)``.

    Args:
        engine: the sector engine (float64).
        max_cached: most samples whose encodings are kept (further ones are encoded every time).
    """

    name = "sn_sector"

    def __init__(self, engine: SnSectorEngine, max_cached: int = 100_000) -> None:
        if engine.dtype != torch.float64:
            raise ValueError("SnModelEngine needs a float64 SnSectorEngine (it casts the output).")
        self.engine = engine
        self.max_cached = int(max_cached)
        self.frame: float | None = None
        self._cache: dict[bytes, tuple[int, list[torch.Tensor], float, float]] = {}

    @property
    def n_params(self) -> int:
        return self.engine.n_params

    def __repr__(self) -> str:
        return f"SnModelEngine({self.engine!r}, {len(self._cache)} cached samples)"

    def data(self, x: torch.Tensor | np.ndarray) -> SnData:
        """The encoded batch ``x`` ``(B, n)`` (from the cache where possible)."""
        xt = torch.as_tensor(x).detach().to("cpu", torch.float64)
        if xt.ndim != 2 or xt.shape[1] != self.engine.n_qubits:
            raise ValueError(
                f"inputs must have shape (batch, {self.engine.n_qubits}); got {tuple(xt.shape)}."
            )
        keys = [row.numpy().tobytes() for row in xt]
        missing = [i for i, k in enumerate(keys) if k not in self._cache]
        fresh: dict[bytes, tuple[int, list[torch.Tensor], float, float]] = {}
        if missing:
            data = self.engine.encode(xt[missing], frame=self.frame, frames=1)  # one frame
            assert isinstance(data, SnData)
            self.frame = data.frame
            for b, i in enumerate(missing):
                entry = (
                    data.two_j[0],
                    [blk[b] for blk in data.blocks],
                    float(data.dropped[b]),
                    float(data.error_bound[b]),
                )
                fresh[keys[i]] = entry
                if len(self._cache) < self.max_cached:
                    self._cache[keys[i]] = entry
        entries = [fresh[k] if k in fresh else self._cache[k] for k in keys]
        return _merge(entries, self.engine, 0.0 if self.frame is None else self.frame)

    def __call__(self, theta: torch.Tensor, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Readout ``(B, K)`` in ``theta``'s dtype, differentiable in ``theta``."""
        data = self.data(x)
        return self.engine(theta.to(torch.float64), data).to(theta.dtype)

    def error_estimate(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """``(B, K)`` bound on the truncation error of ``engine(theta, x)`` (any ``theta``)."""
        return self.engine.error_estimate(self.data(x))


def _merge(
    entries: list[tuple[int, list[torch.Tensor], float, float]],
    engine: SnSectorEngine,
    frame: float,
) -> SnData:
    """One :class:`SnData` from per-sample ``(top 2j, blocks, dropped, error)`` entries."""
    top = max(e[0] for e in entries)
    bottom = min(e[0] - 2 * (len(e[1]) - 1) for e in entries)
    two_j = tuple(range(top, bottom - 1, -2))
    widths = [0] * len(two_j)
    for t, blocks, _, _ in entries:
        for s, blk in enumerate(blocks):
            i = (top - t) // 2 + s
            widths[i] = max(widths[i], blk.shape[-1])
    batch = len(entries)
    out = [torch.zeros(batch, w, w, dtype=torch.float64) for w in widths]
    for b, (t, blocks, _, _) in enumerate(entries):
        for s, blk in enumerate(blocks):
            w = blk.shape[-1]
            out[(top - t) // 2 + s][b, :w, :w] = blk
    keep = [i for i, w in enumerate(widths) if w > 0]
    out = [out[i] for i in keep]
    two_j = tuple(two_j[i] for i in keep)
    weights = torch.stack([blk.diagonal(dim1=-2, dim2=-1).sum(-1) for blk in out], -1)
    dropped = torch.tensor([e[2] for e in entries], dtype=torch.float64)
    error = torch.tensor([e[3] for e in entries], dtype=torch.float64)
    cfg = {
        "axis": engine.encoding.axis,
        "init": engine.encoding.init,
        "scale": engine.encoding.scale,
    }
    return SnData(engine.n_qubits, two_j, out, weights, dropped, cfg, frame, error)
