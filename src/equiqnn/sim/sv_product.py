"""Product-state embeddings ``⊗_q R_axis(scale_q·x_f(q)) |init⟩`` computed in a few batched ops.

Each qubit's vector is ``cos(a/2)·A_q + sin(a/2)·B_q`` with constant ``A_q, B_q`` fixed by the axis
and the initial state (|0⟩ or |+⟩); the register state is their Kronecker product, built by one
gather and a product over qubits for small registers, by a chain of outer products otherwise. States
``(B, 2**n)``, qubit 0 the most significant bit; differentiable in ``x``.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["CHUNK_AMPLITUDES", "ProductEmbedding"]

_R = 2**-0.5
# (A, B) per (initial, axis): R_axis(a)|init> = cos(a/2) A + sin(a/2) B
_AB = {
    ("zero", "X"): ((1, 0), (0, -1j)),
    ("zero", "Y"): ((1, 0), (0, 1)),
    ("zero", "Z"): ((1, 0), (-1j, 0)),
    ("plus", "X"): ((_R, _R), (-1j * _R, -1j * _R)),
    ("plus", "Y"): ((_R, _R), (-_R, _R)),
    ("plus", "Z"): ((_R, _R), (-1j * _R, 1j * _R)),
}
_GATHER_LIMIT = 2**22  # elements of the (B, 2**n, n) gather before switching to outer products
_GATHER_MAX_QUBITS = 6  # above: n - 1 outer products move less memory than the n-fold gather
# batch slices of the statevector engine (here and in sim/sv_fused.py): 256 KiB in complex64 stay
# in cache (n = 12 step 24.6 -> 18.2 ms against 2**18) and bound the temporaries
CHUNK_AMPLITUDES = 2**15


class ProductEmbedding:
    """The leading data layer ``[(axis, feature, scale) per qubit]`` on ``initial`` ('zero'|'plus')."""

    def __init__(self, product: list[tuple[str, int, float]], initial: str):
        n = len(product)
        self.n = n
        self.features = np.array([f for _, f, _ in product], dtype=np.int64)
        self.half_scale = np.array([s / 2 for _, _, s in product], dtype=np.float64)
        ab = np.array([_AB[(initial, axis)] for axis, _, _ in product], dtype=np.complex128)
        self.real = bool(np.all(ab.imag == 0))
        self.ab = ab  # (n, 2, 2): [A; B] per qubit
        k = np.arange(2**n)[:, None]
        q = np.arange(n)[None, :]
        self.index = 2 * q + ((k >> (n - 1 - q)) & 1)  # (2**n, n) into (B, n·2)
        self._cache: dict[tuple[torch.device, torch.dtype], tuple] = {}

    def _consts(self, device: torch.device, cd: torch.dtype) -> tuple:
        key = (device, cd)
        if key not in self._cache:
            rd = torch.float64 if cd == torch.complex128 else torch.float32
            ab = self.ab.real if self.real else self.ab
            self._cache[key] = (
                torch.as_tensor(self.features, device=device),
                torch.as_tensor(self.half_scale, device=device, dtype=rd),
                torch.as_tensor(ab[:, 0], device=device, dtype=rd if self.real else cd),
                torch.as_tensor(ab[:, 1], device=device, dtype=rd if self.real else cd),
                torch.as_tensor(self.index, device=device),
            )
        return self._cache[key]

    def __call__(self, x: torch.Tensor, cd: torch.dtype) -> torch.Tensor:
        """``(B, n_features)`` real -> ``(B, 2**n)`` in ``cd``."""
        feat, hs, a, b, index = self._consts(x.device, cd)
        half = x[:, feat] * hs
        c, s = torch.cos(half), torch.sin(half)
        if not self.real:
            c, s = c.to(cd), s.to(cd)
        vec = c[..., None] * a + s[..., None] * b  # (B, n, 2)
        batch = x.shape[0]
        if self.n <= _GATHER_MAX_QUBITS and batch * index.numel() <= _GATHER_LIMIT:
            flat = vec.reshape(batch, -1).gather(1, index.view(1, -1).expand(batch, -1))
            return flat.view(batch, -1, self.n).prod(-1).to(cd)
        rows = max(1, CHUNK_AMPLITUDES >> self.n)
        if rows >= batch or (torch.is_grad_enabled() and vec.requires_grad):
            return _outer(vec).to(cd)
        # large registers: slices of the batch written into the output, so that the temporaries
        # are a slice's (the whole batch's real chain would add 1.5 states to the peak at n = 16)
        out = torch.empty(batch, 2**self.n, dtype=cd, device=x.device)
        for lo in range(0, batch, rows):
            out[lo : lo + rows] = _outer(vec[lo : lo + rows])
        return out


def _outer(vec: torch.Tensor) -> torch.Tensor:
    """``(B, n, 2) -> (B, 2**n)``: the Kronecker product of the qubit vectors, by outer products."""
    psi = vec[:, 0]
    for q in range(1, vec.shape[1]):
        psi = (psi[:, :, None] * vec[:, q, None, :]).reshape(vec.shape[0], -1)
    return psi
