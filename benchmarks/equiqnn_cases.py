"""equiqnn on the benchmark workloads: StatevectorEngine (complex64 / complex128) and, when the
installed equiqnn has it, DensityMatrixEngine for the noisy cases.

The circuits are built through equiqnn's public API exactly as a user would: workload 1 is
``AngleEncoding(n, axis="Y").circuit() + layers`` (the layers as a ``Circuit`` of ``PauliRotation``
and ``FixedGate("CNOT")`` ops), workload 2 is ``RegisterAmplitude(side).circuit() +
register_ansatz(side, layers=L)``. ``tests/benchmarks`` checks that these circuits are gate for gate
the neutral gate lists of ``benchmarks.workloads``.

Gradients: workload 1 and 2 inputs need no gradient, so the statevector engine uses its adjoint
method; the density-matrix engine uses torch autograd (checkpointed).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from benchmarks.harness import Runner, torch_loss
from benchmarks.reference import agreement_slice
from benchmarks.workloads import NOISE_P, Case, Data, batch_slices

__all__ = ["SIMULATORS", "equiqnn_circuit", "equiqnn_observable", "equiqnn_inputs", "build"]


def _label(n: int, letters: dict[int, str]) -> str:
    return "".join(letters.get(q, "I") for q in range(n))


def equiqnn_circuit(case: Case):
    from equiqnn.circuits import (
        AngleEncoding,
        Circuit,
        FixedGate,
        PauliRotation,
        RegisterAmplitude,
        register_ansatz,
    )

    n = case.n
    if case.workload == 2:
        side = 2**case.m
        return RegisterAmplitude(side).circuit() + register_ansatz(side, layers=case.layers)
    ops: list = []
    for layer in range(case.layers):
        base = 2 * n * layer
        for q in range(n):
            ops.append(PauliRotation(_label(n, {q: "Y"}), base + 2 * q))
            ops.append(PauliRotation(_label(n, {q: "Z"}), base + 2 * q + 1))
        ring = [(0, 1)] if n == 2 else [(i, (i + 1) % n) for i in range(n)]
        ops += [FixedGate("CNOT", pair) for pair in ring]
    layers = Circuit(n, tuple(ops), 2 * n * case.layers, name=f"qnn x{case.layers}")
    return AngleEncoding(n, axis="Y").circuit() + layers


def equiqnn_observable(case: Case):
    from benchmarks.workloads import observable_terms
    from equiqnn.symmetry import PauliSum

    terms: dict[str, float] = {}
    for coeff, letters in observable_terms(case):
        lab = _label(case.n, letters)
        terms[lab] = terms.get(lab, 0.0) + coeff
    return PauliSum(terms, case.n)


def equiqnn_inputs(case: Case, data: Data, rdtype: torch.dtype) -> torch.Tensor:
    """Engine inputs: features ``(B, n)`` or amplitude vectors ``(N, 2^n)``, in ``rdtype``."""
    arr = data.x if case.workload == 1 else data.amps
    return torch.as_tensor(np.asarray(arr), dtype=rdtype)


def noise_model():
    from equiqnn.noise import NoiseModel, depolarizing

    return NoiseModel.uniform(depolarizing(NOISE_P), placement="gate")


class EquiqnnRunner(Runner):
    engine: Any

    def __init__(self, case: Case, data: Data, *, density: bool, double: bool):
        from equiqnn.sim import StatevectorEngine

        self.case, self.data = case, data
        self.rd = torch.float64 if double else torch.float32
        circuit = equiqnn_circuit(case)
        obs = [equiqnn_observable(case)]
        if density:
            from equiqnn.sim import DensityMatrixEngine  # ImportError -> "not available"

            self.engine = DensityMatrixEngine(circuit, obs, noise=noise_model())
            self.note = (
                f"DensityMatrixEngine {'complex128' if double else 'complex64'}, torch autograd"
            )
        else:
            self.engine = StatevectorEngine(circuit, obs)
            self.note = (
                f"StatevectorEngine {'complex128' if double else 'complex64'}, adjoint gradient"
            )
        self.inputs = equiqnn_inputs(case, data, self.rd)
        self.theta = torch.tensor(data.theta, dtype=self.rd, requires_grad=True)
        self.head = torch.tensor(data.head, dtype=self.rd, requires_grad=case.workload == 2)
        self.labels = None if data.labels is None else torch.as_tensor(data.labels, dtype=self.rd)
        self.slices = batch_slices(case)

    def forward(self) -> np.ndarray:
        with torch.no_grad():
            out = self.engine(self.theta.detach(), self.inputs[agreement_slice(self.case)])
        return out[:, 0].double().numpy()

    def step(self, k: int) -> np.ndarray:
        sl = self.slices[k]
        self.theta.grad = None
        self.head.grad = None
        f = self.engine(self.theta, self.inputs[sl])[:, 0]
        y = None if self.labels is None else self.labels[sl]
        torch_loss(self.case, f, self.head, y).backward()
        grads = [self.theta.grad]
        if self.case.workload == 2:
            grads.append(self.head.grad)
        return torch.cat(grads).detach().double().numpy()  # type: ignore[arg-type]

    def unit(self) -> None:
        for k in range(len(self.slices)):
            self.step(k)


def build(name: str, case: Case, data: Data) -> Runner:
    density = name.startswith("equiqnn-dm")
    return EquiqnnRunner(case, data, density=density, double=name.endswith("c128"))


def versions() -> dict[str, str]:
    import equiqnn

    return {"equiqnn": getattr(equiqnn, "__version__", "?"), "torch": torch.__version__}


SIMULATORS = ["equiqnn-c64", "equiqnn-c128", "equiqnn-dm-c64", "equiqnn-dm-c128"]
