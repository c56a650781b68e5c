"""The two benchmark workloads of WORKLOAD.md, built once from seeds for every simulator.

Everything a simulator needs comes from here: the case grid (``grid``), the seeded data and
parameters (``make_data``), and a simulator-neutral gate list (``gates``) that every simulator
module translates into its own circuit language. Conventions: qubit 0 is the most significant bit of
a basis index; ``RX/RY/RZ(t) = exp(-i t P / 2)``; ``PAULIROT(t, P) = exp(-i t P / 2)``.

Workload 1 (generic QNN): ``RY(x_q)`` on every qubit, then ``L`` layers of ``RY(θ) RZ(θ)`` on every
qubit and a ring of CNOTs ``(i, i+1 mod n)``; parameter layout ``θ[l·2n + 2q + r]`` (``r = 0``: RY,
``r = 1``: RZ of qubit ``q`` in layer ``l``); output ``⟨Z_0⟩``; loss ``mean((f - 0.5)^2)``.
``x ~ U[0, π)`` with ``numpy.random.default_rng(0)``, shape ``(B, n)``; ``θ ~ U[0, 2π)`` with
``default_rng(1)``.

Workload 2 (register model): ``N = 160`` images of side ``2^m`` (``U[0, 1)`` pixels,
``default_rng(0)``, shape ``(N, side, side)``), L2-normalized and loaded as amplitudes (pixel
``(r, c)`` is the amplitude of ``|r⟩|c⟩``); blocks of RX pairs and a YYYY rotation (see
``register_gates``); ``θ ~ U[-π, π)`` with ``default_rng(1)``, shape ``(6L,)``; head ``w = 1,
b = 0``; ``z = ½(⟨X_0⟩ + ⟨X_m⟩)``, ``p = (1 + tanh(w z + b)) / 2``, labels ``0, 1, 0, 1, …``, binary
cross-entropy averaged over each batch of 16; one epoch = 10 batches.

Noise (density-matrix cases): single-qubit depolarizing ``ρ → (1-p)ρ + p/3 (XρX + YρY + ZρZ)`` with
``p = 0.01`` on every qubit a gate touches, after every gate (embedding gates included; after a
CNOT on both of its qubits; after a YYYY rotation on its four qubits) and, for workload 2, on every
qubit right after the state preparation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "NOISE_P",
    "Case",
    "Data",
    "Gate",
    "grid",
    "make_data",
    "gates",
    "observable_terms",
    "prep_noise_qubits",
    "register_pairs",
    "batch_slices",
]

NOISE_P = 0.01
W2_N_IMAGES = 160
W2_BATCH = 16


@dataclass(frozen=True)
class Case:
    """One benchmark configuration.

    ``batch`` is the number of samples per training step (``B`` for workload 1, 16 for workload 2);
    ``n_samples`` is the number of samples per timed unit (one step for workload 1, one epoch of
    160 images for workload 2).
    """

    workload: int
    noisy: bool
    n: int
    layers: int
    batch: int
    n_samples: int
    m: int = 0
    observable: str = "z0"

    @property
    def id(self) -> str:
        kind = "dm" if self.noisy else "sv"
        if self.workload == 1:
            obs = "" if self.observable == "z0" else f"-{self.observable}"
            return f"w1-{kind}-n{self.n}-L{self.layers}-B{self.batch}{obs}"
        return f"w2-{kind}-m{self.m}-n{self.n}-L{self.layers}"

    @property
    def kind(self) -> str:
        return "density" if self.noisy else "statevector"

    @property
    def unit(self) -> str:
        """What one timed repetition is: a training step (workload 1) or an epoch (workload 2)."""
        return "step" if self.workload == 1 else "epoch"

    @property
    def n_params(self) -> int:
        return 2 * self.n * self.layers if self.workload == 1 else 6 * self.layers

    @property
    def memory_floor_bytes(self) -> int:
        """``B · dim · 8`` bytes: one complex64 batch of states (``dim = 2^n``) or of density
        matrices (``dim = 4^n``) for one training step's batch."""
        dim = 4**self.n if self.noisy else 2**self.n
        return self.batch * dim * 8


def w1_case(n: int, batch: int, layers: int, noisy: bool = False, observable: str = "z0") -> Case:
    return Case(1, noisy, n, layers, batch, batch, observable=observable)


def w2_case(m: int, layers: int, noisy: bool = False) -> Case:
    return Case(2, noisy, 2 * m, layers, W2_BATCH, W2_N_IMAGES, m=m)


def grid(quick: bool = False) -> list[Case]:
    """The cases of WORKLOAD.md (``quick``: a subset that runs in a few minutes on 2 cores)."""
    if quick:
        return [w1_case(8, 64, 4), w1_case(4, 16, 2, noisy=True), w2_case(4, 1)]
    return [
        w1_case(4, 64, 4),
        w1_case(8, 64, 4),
        w1_case(12, 64, 4),
        w1_case(16, 64, 4),
        w1_case(8, 256, 4),
        w1_case(4, 16, 2, noisy=True),
        w1_case(6, 16, 2, noisy=True),
        w1_case(8, 16, 2, noisy=True),
        w1_case(10, 16, 2, noisy=True),
        w2_case(4, 1),
        w2_case(4, 4),
        w2_case(5, 1),
        w2_case(5, 4),
        w2_case(6, 1),
        w2_case(6, 4),
        w2_case(4, 1, noisy=True),
        w2_case(5, 1, noisy=True),
    ]


def case_by_id(case_id: str, extra: list[Case] | None = None) -> Case:
    for c in grid(False) + grid(True) + list(extra or []):
        if c.id == case_id:
            return c
    # parse ids of cases outside the grids (tests, ad-hoc runs)
    parts = case_id.split("-")
    noisy = parts[1] == "dm"
    if parts[0] == "w1":
        n, layers, batch = int(parts[2][1:]), int(parts[3][1:]), int(parts[4][1:])
        obs = parts[5] if len(parts) > 5 else "z0"
        return w1_case(n, batch, layers, noisy, obs)
    if parts[0] == "w2":
        return w2_case(int(parts[2][1:]), int(parts[4][1:]), noisy)
    raise ValueError(f"unknown case id {case_id!r}")


@dataclass
class Data:
    """Seeded inputs shared by every simulator (float64 numpy arrays)."""

    theta: np.ndarray
    x: np.ndarray | None = None  # workload 1: (B, n) angles
    amps: np.ndarray | None = None  # workload 2: (N, 2^n) real, L2-normalized
    labels: np.ndarray | None = None  # workload 2: (N,) 0/1
    head: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0]))  # workload 2: (w, b)
    target: float = 0.5  # workload 1: y for every sample


def make_data(case: Case) -> Data:
    """The seeded data and parameters of ``case`` (identical for every simulator)."""
    if case.workload == 1:
        x = np.random.default_rng(0).uniform(0.0, math.pi, size=(case.batch, case.n))
        theta = np.random.default_rng(1).uniform(0.0, 2 * math.pi, size=case.n_params)
        return Data(theta=theta, x=x)
    side = 2**case.m
    images = np.random.default_rng(0).uniform(0.0, 1.0, size=(case.n_samples, side, side))
    flat = images.reshape(case.n_samples, side * side)
    amps = flat / np.linalg.norm(flat, axis=1, keepdims=True)
    theta = np.random.default_rng(1).uniform(-math.pi, math.pi, size=case.n_params)
    labels = (np.arange(case.n_samples) % 2).astype(np.float64)
    return Data(theta=theta, amps=amps, labels=labels)


def images(case: Case) -> np.ndarray:
    """Workload 2's raw images ``(N, side, side)`` (before normalization)."""
    side = 2**case.m
    return np.random.default_rng(0).uniform(0.0, 1.0, size=(case.n_samples, side, side))


@dataclass(frozen=True)
class Gate:
    """One gate of the neutral gate list.

    ``name``: ``RX``, ``RY``, ``RZ`` (one qubit), ``CNOT`` (control, target) or ``PAULIROT``
    (``exp(-i t P / 2)`` with ``pauli`` letters on ``qubits`` in order). The angle is
    ``θ[param]`` (``param >= 0``) or ``x[:, feature]`` (``feature >= 0``); fixed gates have both -1.
    """

    name: str
    qubits: tuple[int, ...]
    param: int = -1
    feature: int = -1
    pauli: str = ""


def register_pairs(m: int) -> list[tuple[int, int]]:
    """Fine-block coordinate pairs: (0,1), (2,3), …, then (1,2), (3,4), …, then (m−1, 0)."""
    even = [(a, a + 1) for a in range(0, m - 1, 2)]
    odd = [(a, a + 1) for a in range(1, m - 1, 2)]
    return even + odd + [(m - 1, 0)]


def qnn_gates(n: int, layers: int) -> list[Gate]:
    out = [Gate("RY", (q,), feature=q) for q in range(n)]
    for layer in range(layers):
        base = 2 * n * layer
        for q in range(n):
            out.append(Gate("RY", (q,), param=base + 2 * q))
            out.append(Gate("RZ", (q,), param=base + 2 * q + 1))
        ring = [(0, 1)] if n == 2 else [(i, (i + 1) % n) for i in range(n)]
        out += [Gate("CNOT", pair) for pair in ring]
    return out


def register_gates(m: int, layers: int) -> list[Gate]:
    """Block(a, b; t1, t2, t3): RX(t1) on row a and column a; RX(t2) on row b and column b; then
    exp(−i t3 YYYY / 2) on (row a, row b, column a, column b). Row bit ``k`` is qubit ``k``, column bit
    ``k`` is qubit ``m + k``. The coarse block is on ``(0, m // 2)`` (WORKLOAD.md writes ``m/2``)."""

    def block(a: int, b: int, p: int) -> list[Gate]:
        return [
            Gate("RX", (a,), param=p),
            Gate("RX", (m + a,), param=p),
            Gate("RX", (b,), param=p + 1),
            Gate("RX", (m + b,), param=p + 1),
            Gate("PAULIROT", (a, b, m + a, m + b), param=p + 2, pauli="YYYY"),
        ]

    out: list[Gate] = []
    for layer in range(layers):
        base = 6 * layer
        for a, b in register_pairs(m):
            out += block(a, b, base)
        out += block(0, m // 2, base + 3)
    return out


def gates(case: Case) -> list[Gate]:
    """The neutral gate list of ``case`` (state preparation excluded)."""
    if case.workload == 1:
        return qnn_gates(case.n, case.layers)
    return register_gates(case.m, case.layers)


def prep_noise_qubits(case: Case) -> tuple[int, ...]:
    """Qubits that get a depolarizing channel right after the state preparation."""
    return tuple(range(case.n)) if case.noisy and case.workload == 2 else ()


def observable_terms(case: Case) -> list[tuple[float, dict[int, str]]]:
    """The single observable as ``[(coeff, {qubit: letter})]``."""
    if case.workload == 2:
        return [(0.5, {0: "X"}), (0.5, {case.m: "X"})]
    if case.observable == "mean":
        return [(1.0 / case.n, {q: "Z"}) for q in range(case.n)]
    return [(1.0, {0: "Z"})]


def batch_slices(case: Case) -> list[slice]:
    """Batches of one timed unit: the whole batch (workload 1) or 10 batches of 16 (workload 2)."""
    if case.workload == 1:
        return [slice(0, case.batch)]
    return [slice(s, s + case.batch) for s in range(0, case.n_samples, case.batch)]


def label(case: Case) -> str:
    """Human-readable description of a case for the report."""
    if case.workload == 1:
        kind = "noisy DM" if case.noisy else "SV"
        return f"W1 {kind} n={case.n} L={case.layers} B={case.batch}"
    kind = "noisy DM" if case.noisy else "SV"
    return f"W2 {kind} {2**case.m}x{2**case.m} (n={case.n}) L={case.layers}"
