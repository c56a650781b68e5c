"""Encodings: data → quantum states, each deriving the representation ``R(g)`` it induces.

- ``AngleEncoding``: one qubit per site, ``R_axis(scale·x_i)`` on qubit ``i`` from |0⟩ or |+⟩. A site
  permutation becomes the same qubit permutation; a sign flip ``x_i → -x_i`` becomes the Pauli that
  fixes the initial state and anticommutes with the axis (Z from |0⟩, X from |+⟩).
- ``RegisterAmplitude``: a ``2^m×2^m`` image, L2-normalized, as the amplitude vector; pixel ``(r, c)``
  is the amplitude of ``|r⟩|c⟩`` (row index on qubits ``0..m-1``, column index on ``m..2m-1``, qubit 0
  the most significant bit), so site index = basis index. A pixel permutation ``π`` acts as the basis
  permutation ``|k⟩ → |π(k)⟩``; for D4 that is X on every qubit of one register (a flip) and a swap of
  the registers (a transpose). ``frame="Z"`` applies a Hadamard on every qubit after loading, turning
  the X-strings into Z-strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from equiqnn.circuits.ir import Barrier, Circuit, DataRotation, Op
from equiqnn.groups import PermutationGroup
from equiqnn.symmetry import PAULI_MATRICES, Representation

__all__ = [
    "Encoding",
    "AngleEncoding",
    "RegisterAmplitude",
    "check_encoding_equivariance",
    "hadamard_transform",
]

_PLUS = np.array([1, 1], dtype=np.complex128) / np.sqrt(2)
_ZERO = np.array([1, 0], dtype=np.complex128)


class Encoding:
    """Base class. Subclasses set ``n_qubits``, ``input_shape`` and ``initial``."""

    n_qubits: int
    input_shape: tuple[int, ...]
    initial: str

    def check_input(self, x: Any) -> None:
        shape = tuple(x.shape)
        nd = len(self.input_shape)
        if len(shape) != nd + 1 or shape[1:] != self.input_shape:
            raise ValueError(
                f"inputs must have shape (batch, {', '.join(map(str, self.input_shape))}) for "
                f"{self!r}; got {shape}.{self._resize_hint(shape)}"
            )

    def _resize_hint(self, shape: tuple[int, ...]) -> str:
        if len(self.input_shape) == 2 and len(shape) == 3 and shape[1] == shape[2]:
            return f" Resize first: equiqnn.data.resize_symmetric(x, side={self.input_shape[0]})."
        return ""

    def circuit(self) -> Circuit:
        """The encoding's gates (data rotations, or the frame change), with no parameters."""
        raise NotImplementedError

    def prepare(self, x: Any) -> Any:
        """Engine input: features ``(B, n_features)`` or amplitude vectors ``(B, 2**n)``."""
        raise NotImplementedError

    def representation(self, group: PermutationGroup) -> Representation:
        raise NotImplementedError

    def state(self, x: np.ndarray) -> np.ndarray:
        """Reference state ``(B, 2**n)`` complex128 computed independently of the engines."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        raise NotImplementedError


class AngleEncoding(Encoding):
    """One qubit per site: ``R_axis(scale · x_i)`` on qubit ``i`` (site = flattened data index).

    Args:
        shape: data shape, e.g. ``(4, 4)`` or ``(8,)``.
        axis: ``"X"``, ``"Y"`` or ``"Z"``.
        init: ``"zero"`` or ``"plus"``; RZ needs ``"plus"``, RX needs ``"zero"`` (else the encoding
            is trivial).
        scale: angle per unit of data (``π`` maps [0, 1] to [0, π]).
    """

    def __init__(
        self, shape: tuple[int, ...] | int, axis: str = "Y", init: str = "zero", scale: float = 1.0
    ):
        self.input_shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if axis not in ("X", "Y", "Z"):
            raise ValueError(f"axis must be 'X', 'Y' or 'Z'; got {axis!r}.")
        if init not in ("zero", "plus"):
            raise ValueError(f"init must be 'zero' or 'plus'; got {init!r}.")
        if (axis, init) in (("Z", "zero"), ("X", "plus")):
            raise ValueError(
                f"R{axis} from |{'0' if init == 'zero' else '+'}⟩ only adds a global phase: it encodes "
                f"nothing. Use axis='Y', or init={'plus' if init == 'zero' else 'zero'!r}."
            )
        self.axis, self.init, self.scale = axis, init, float(scale)
        self.n_qubits = int(np.prod(self.input_shape))
        self.initial = init

    def circuit(self) -> Circuit:
        ops: tuple[Op, ...] = tuple(
            DataRotation(self.axis, q, q, self.scale) for q in range(self.n_qubits)
        )
        ops += (Barrier("encoding"),)  # the encoding is a layer for placement="layer" noise
        return Circuit(self.n_qubits, ops, 0, self.init, self.n_qubits, f"R{self.axis} encoding")

    def prepare(self, x: Any) -> Any:
        self.check_input(x)
        return x.reshape(x.shape[0], self.n_qubits)

    @property
    def flip_pauli(self) -> str:
        return "Z" if self.init == "zero" else "X"

    def representation(self, group: PermutationGroup) -> Representation:
        if group.shape != self.input_shape:
            raise ValueError(
                f"{group!r} acts on data of shape {group.shape}, but {self!r} takes {self.input_shape}."
            )
        paulis = ["".join(self.flip_pauli if s < 0 else "I" for s in sig) for sig in group.signs]
        return Representation(group, group.perms, paulis)

    def state(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(self.prepare(np.asarray(x, dtype=np.float64)))
        init = _ZERO if self.init == "zero" else _PLUS
        p = PAULI_MATRICES[self.axis]
        half = self.scale * x / 2
        # R(θ) v = cos(θ/2) v - i sin(θ/2) P v, per qubit; then the Kronecker product over qubits
        single = np.cos(half)[..., None] * init - 1j * np.sin(half)[..., None] * (p @ init)
        out = single[:, 0]
        for q in range(1, self.n_qubits):
            out = np.einsum("bi,bj->bij", out, single[:, q]).reshape(x.shape[0], -1)
        return out

    def config(self) -> dict[str, Any]:
        return {
            "type": "angle",
            "shape": list(self.input_shape),
            "axis": self.axis,
            "init": self.init,
            "scale": self.scale,
        }

    def __repr__(self) -> str:
        dims = "x".join(map(str, self.input_shape))
        return f"AngleEncoding({dims} -> {self.n_qubits} qubits, R{self.axis} from |{'0' if self.init == 'zero' else '+'}>)"


class RegisterAmplitude(Encoding):
    """A ``side×side`` image (``side = 2^m``) as the amplitudes of ``2m`` qubits.

    Args:
        side: image side, a power of two ≥ 2.
        frame: ``"X"`` (flips act as X-strings) or ``"Z"`` (the loaded state is ``H^{⊗n}ψ``: a
            Hadamard on every qubit, part of state preparation; flips act as Z-strings).
        premap: apply ``sin(π/2·(2x−1))`` to pixels in [0, 1] before normalizing (Chang et al.,
            IEEE QCE 2023).
    """

    def __init__(self, side: int, frame: str = "X", premap: bool = False):
        if (
            isinstance(side, bool)
            or not isinstance(side, (int, np.integer))
            or side < 2
            or side & (side - 1)
        ):
            raise ValueError(
                f"RegisterAmplitude needs a side that is a power of two >= 2; got {side!r}. "
                "Resize first: equiqnn.data.resize_symmetric(x, side=...) to 4, 8, 16, ..."
            )
        if frame not in ("X", "Z"):
            raise ValueError(f"frame must be 'X' or 'Z'; got {frame!r}.")
        self.side, self.frame, self.premap = int(side), frame, bool(premap)
        self.m = self.side.bit_length() - 1
        self.n_qubits = 2 * self.m
        self.input_shape = (self.side, self.side)
        self.initial = "amplitude"

    def circuit(self) -> Circuit:
        # the Z-frame's Hadamards are part of the state preparation (see ``prepare``), so noise
        # placed after state preparation acts where R(g) is already made of Z-strings
        ops = (Barrier("encoding"),)
        return Circuit(self.n_qubits, ops, 0, "amplitude", 0, f"register {self.frame}-frame")

    def prepare(self, x: Any) -> Any:
        self.check_input(x)
        flat = x.reshape(x.shape[0], self.side * self.side)
        if self.premap:
            flat = (torch if isinstance(flat, torch.Tensor) else np).sin(np.pi / 2 * (2 * flat - 1))
        norms = (flat**2).sum(-1) ** 0.5
        zero = (norms == 0).nonzero()
        zero_idx = (zero[0] if isinstance(zero, tuple) else zero.flatten()).tolist()
        if zero_idx:
            raise ValueError(
                f"amplitude encoding needs images with non-zero norm; images at batch index "
                f"{zero_idx[:5]} are all zero{' after the premap' if self.premap else ''}. Drop them "
                "or shift the pixel values."
            )
        psi = flat / norms[:, None]
        return hadamard_transform(psi, self.n_qubits) if self.frame == "Z" else psi

    def representation(self, group: PermutationGroup) -> Representation:
        if group.shape != self.input_shape:
            raise ValueError(
                f"{group!r} acts on images of shape {group.shape}, but {self!r} takes {self.input_shape}."
            )
        perms, paulis = [], []
        letter = "X" if self.frame == "X" else "Z"
        for k in range(group.order):
            pixel_perm, sign = group.perms[k], group.signs[k]
            if np.all(sign == -1) and self.premap:
                raise ValueError(
                    f"element {group.names[k]!r} of {group!r} flips the sign of the image, but the "
                    "premap sin(π/2·(2x−1)) is not odd, so the encoding cannot be equivariant. "
                    "Use premap=False for sign-flip groups."
                )
            if not (np.all(sign == 1) or np.all(sign == -1)):
                raise ValueError(
                    f"element {group.names[k]!r} of {group!r} flips the sign of some pixels only; "
                    "amplitude encoding maps only whole-image sign flips to a global phase."
                )
            sigma, mask = _bit_affine(pixel_perm, self.n_qubits)
            if sigma is None:
                raise ValueError(
                    f"element {group.names[k]!r} of {group!r} does not act on the basis index as a "
                    "qubit permutation with bit flips, so the register encoding cannot represent it "
                    "as a qubit permutation times a Pauli string. Use AngleEncoding for this group."
                )
            perms.append(sigma)
            paulis.append(
                "".join(
                    letter if (mask >> (self.n_qubits - 1 - q)) & 1 else "I"
                    for q in range(self.n_qubits)
                )
            )
        label = f"{letter}-strings per register and register swap"
        return Representation(group, np.array(perms), paulis, label=label)

    def state(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self.check_input(x)
        flat = x.reshape(x.shape[0], -1)
        if self.premap:
            flat = np.sin(np.pi / 2 * (2 * flat - 1))
        psi = (flat / np.linalg.norm(flat, axis=1, keepdims=True)).astype(np.complex128)
        if self.frame == "Z":  # independent of hadamard_transform: explicit H on every qubit
            b = psi.shape[0]
            psi = psi.reshape((b,) + (2,) * self.n_qubits)
            h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
            for q in range(self.n_qubits):
                psi = np.moveaxis(np.tensordot(h, psi, axes=([1], [q + 1])), 0, q + 1)
            psi = psi.reshape(b, -1)
        return psi

    def config(self) -> dict[str, Any]:
        return {"type": "register", "side": self.side, "frame": self.frame, "premap": self.premap}

    def __repr__(self) -> str:
        return f"RegisterAmplitude({self.side}x{self.side} -> {self.n_qubits} qubits, frame={self.frame})"


def hadamard_transform(psi: Any, n: int) -> Any:
    """``H^{⊗n} ψ`` for real or complex ``(B, 2**n)`` numpy arrays or torch tensors (fast
    Walsh–Hadamard butterflies, normalized)."""
    b = psi.shape[0]
    out = psi
    for q in range(n):
        v = out.reshape(b, 2**q, 2, 2 ** (n - q - 1))
        a, c = v[:, :, 0], v[:, :, 1]
        stack = torch.stack if isinstance(psi, torch.Tensor) else np.stack
        out = stack([a + c, a - c], 2).reshape(b, 2**n)
    return out / 2 ** (n / 2)


def _bit_affine(perm: np.ndarray, n: int) -> tuple[np.ndarray | None, int]:
    """Write ``perm(k) = P_σ(k XOR t)`` (bits of ``k`` flipped by ``t``, then bit ``q`` moved to
    position ``σ[q]``); returns ``(σ, t)`` or ``(None, 0)`` when ``perm`` is not of that form."""
    base = int(perm[0])
    sigma = np.empty(n, dtype=np.int64)
    for q in range(n):
        diff = int(perm[1 << (n - 1 - q)]) ^ base
        if diff == 0 or diff & (diff - 1):
            return None, 0
        sigma[q] = n - 1 - (diff.bit_length() - 1)
    if len(set(sigma.tolist())) != n:
        return None, 0
    idx = np.arange(perm.size, dtype=np.int64)
    moved = np.zeros_like(idx)
    for q in range(n):
        moved |= ((idx >> (n - 1 - q)) & 1) << (n - 1 - sigma[q])
    if not np.array_equal(moved ^ base, perm):
        return None, 0
    # base = P_σ(t): pull it back to the pre-permutation mask t
    t = 0
    for q in range(n):
        t |= ((base >> (n - 1 - sigma[q])) & 1) << (n - 1 - q)
    return sigma, t


def check_encoding_equivariance(
    encoding: Encoding, group: PermutationGroup, x: np.ndarray
) -> float:
    """Largest ``‖ψ(g·x) − e^{iφ} R(g) ψ(x)‖`` over ``g`` and the batch, minimized over the phase ``φ``."""
    rep = encoding.representation(group)
    x = np.asarray(x, dtype=np.float64)
    psi = encoding.state(x)
    worst = 0.0
    for g in range(group.order):
        lhs = encoding.state(group.act(g, x))
        rhs = rep.apply(g, psi)
        overlap = np.sum(rhs.conj() * lhs, axis=-1)
        phase = np.where(np.abs(overlap) > 0, overlap / np.maximum(np.abs(overlap), 1e-300), 1)
        worst = max(worst, float(np.max(np.linalg.norm(lhs - phase[:, None] * rhs, axis=-1))))
    return worst
