"""Planning of Pauli propagation: gates grouped into blocks that share one angle, the string
bookkeeping of a block (branching, weight truncation, orbit merging, deduplication) and the
coefficient arithmetic that replays it with torch (see ``pauli_propagation`` for the conventions).

A block is a maximal run of consecutive rotations with the same ``(slot, coeff)`` (or of fixed Pauli
gates). Inside a block every gate uses the same angle ``a``, so a string ``Q`` becomes
``Σ_e const_e · cos(a)^j_e · sin(a)^k_e · R_e``: a block is one sparse linear map whose entries are
``(src, dst, const, j, k)``, applied with a single gather, multiply and ``index_add``.

With a symmetry (qubit permutations ``perms`` under which the observables and every block are
invariant), the propagated observable stays invariant, so it is stored as orbit sums
``O = Σ_r c_r Σ_{Q ∈ orbit(r)} Q``: a representative ``r`` is propagated through the block, each
resulting string ``s`` is replaced by its representative with the factor ``|orbit(r)| / |orbit(s)|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from equiqnn.sim.pauliprop_strings import (
    _anticommuting,
    _branch_sign,
    _canonical,
    _unique,
    _weight,
)

__all__: list[str] = []


@dataclass
class _Block:
    """Consecutive gates sharing the angle ``coeff · params[slot]`` (``slot = -1``: fixed Paulis)."""

    slot: int
    coeff: float
    px: np.ndarray  # (m, W) uint64
    pz: np.ndarray  # (m, W) uint64
    qubits: list[tuple[int, ...]]
    layer: int


@dataclass
class _Step:
    """One block's sparse map ``c_out[dst] += const · cos^j · sin^k · c_in[src]``."""

    slot: int
    coeff: float
    src: np.ndarray  # int64 (E,)
    dst: np.ndarray  # int64 (E,)
    const: np.ndarray  # float64 (E,)
    j: np.ndarray  # int64 (E,) power of cos(a)
    k: np.ndarray  # int64 (E,) power of sin(a)
    n_out: int
    layer: int
    rows: int  # strings before merging (the transient peak of the block)
    _torch: dict | None = None

    def tensors(self, device: torch.device, dtype: torch.dtype) -> dict:
        key = (device, dtype)
        if self._torch is None or self._torch["key"] != key:
            self._torch = {
                "key": key,
                "src": torch.as_tensor(self.src, device=device),
                "dst": torch.as_tensor(self.dst, device=device),
                "const": torch.as_tensor(self.const, dtype=dtype, device=device),
                "j": torch.as_tensor(self.j, device=device),
                "k": torch.as_tensor(self.k, device=device),
                "jmax": int(self.j.max(initial=0)),
                "kmax": int(self.k.max(initial=0)),
            }
        return self._torch


def _powers(base: torch.Tensor, top: int) -> torch.Tensor:
    """``[1, base, base², …, base^top]`` by repeated products (safe gradients at ``base = 0``)."""
    out = [torch.ones_like(base)]
    for _ in range(top):
        out.append(out[-1] * base)
    return torch.stack(out)


def _apply(step: _Step, c: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Coefficients ``(n_in, K) -> (n_out, K)`` of one block, differentiable in ``params``."""
    t = step.tensors(c.device, c.dtype)
    w = t["const"]
    if step.slot >= 0:
        a = step.coeff * params[step.slot]
        w = w * _powers(torch.cos(a), t["jmax"])[t["j"]] * _powers(torch.sin(a), t["kmax"])[t["k"]]
    values = c.index_select(0, t["src"]) * w[:, None]
    return c.new_zeros(step.n_out, c.shape[1]).index_add(0, t["dst"], values)


def _plan_block(
    x: np.ndarray,
    z: np.ndarray,
    size: np.ndarray,
    block: _Block,
    perms: np.ndarray | None,
    max_weight: int | None,
) -> tuple[_Step, np.ndarray, np.ndarray, np.ndarray] | None:
    """Bookkeeping of one block on the strings ``(x, z)`` (orbit sizes ``size``); ``None`` when no
    string anticommutes with any gate of the block (the block acts as the identity)."""
    src = np.arange(len(x))
    rx, rz = x, z
    sign = np.ones(len(x))
    j = np.zeros(len(x), dtype=np.int64)
    k = np.zeros(len(x), dtype=np.int64)
    touched = False
    for g in range(len(block.px)):
        px, pz = block.px[g], block.pz[g]
        a = np.flatnonzero(_anticommuting(rx, rz, px, pz))
        if len(a) == 0:
            continue
        touched = True
        if block.slot < 0:  # a fixed Pauli: anticommuting strings change sign
            sign[a] *= -1
            continue
        nx, nz = rx[a] ^ px, rz[a] ^ pz
        nsign = sign[a] * _branch_sign(rx[a], rz[a], px, pz, nx, nz)
        nsrc, nj, nk = src[a], j[a], k[a] + 1
        j[a] += 1
        rx, rz = np.concatenate([rx, nx]), np.concatenate([rz, nz])
        sign, src = np.concatenate([sign, nsign]), np.concatenate([src, nsrc])
        j, k = np.concatenate([j, nj]), np.concatenate([k, nk])
    if not touched:
        return None
    rows = len(rx)
    if max_weight is not None:  # after the whole block, so the order of its gates cannot matter
        ok = (_weight(rx, rz) <= max_weight) | (np.arange(rows) < len(x))
        rx, rz, sign, src, j, k = rx[ok], rz[ok], sign[ok], src[ok], j[ok], k[ok]
    if perms is not None:
        rx, rz, rsize = _canonical(rx, rz, perms)
    else:
        rsize = np.ones(len(rx), dtype=np.int64)
    first, dst = _unique(rx, rz)
    const = sign * size[src] / rsize[first][dst]
    # merge entries with equal (src, dst, j, k); exact cancellations vanish
    table = np.ascontiguousarray(np.stack([src, dst, j, k], axis=1))
    _, pick, where = np.unique(
        table.view(np.dtype((np.void, 32))).ravel(), return_index=True, return_inverse=True
    )
    const = np.bincount(where.ravel(), weights=const)
    alive = np.abs(const) > 1e-12
    src, dst, j, k = (table[pick[alive], col] for col in range(4))
    const = const[alive]
    used, dst = np.unique(dst, return_inverse=True)
    rows_out = first[used]
    step = _Step(
        block.slot, block.coeff, src, dst.ravel(), const, j, k, len(used), block.layer, rows
    )
    return step, rx[rows_out], rz[rows_out], rsize[rows_out]
