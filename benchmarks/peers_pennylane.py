"""PennyLane peers: default.qubit (torch, backprop, parameter broadcasting over the batch),
lightning.qubit (adjoint differentiation, torch interface, the batch as one broadcast tape that
PennyLane splits per sample) and default.mixed (torch, backprop, broadcasting; density matrix with
``DepolarizingChannel`` after every gate).

Workload 2 is written as the register-model research code does it: ``StatePrep`` of the amplitude
batch, ``RX`` and ``PauliRot(t, "YYYY")`` gates, the whole batch in one call.
PennyLane's wire ``q`` is our qubit ``q`` (wire 0 is the most significant bit of a state index, as
in equiqnn), so amplitude vectors are passed unchanged.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import torch

from benchmarks.harness import Runner, torch_loss
from benchmarks.reference import agreement_slice
from benchmarks.workloads import (
    NOISE_P,
    Case,
    Data,
    batch_slices,
    gates,
    observable_terms,
    prep_noise_qubits,
)

__all__ = ["SIMULATORS", "build", "versions", "pennylane_inputs"]

SIMULATORS = ["pennylane-default.qubit", "pennylane-lightning.qubit", "pennylane-default.mixed"]
_DEVICE = {
    "pennylane-default.qubit": ("default.qubit", "backprop"),
    "pennylane-lightning.qubit": ("lightning.qubit", "adjoint"),
    "pennylane-default.mixed": ("default.mixed", "backprop"),
}
_PAULI_OP = {"X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ}


def pennylane_inputs(case: Case, data: Data) -> dict[str, torch.Tensor]:
    """What the PennyLane circuits receive: float64 torch tensors (features or amplitudes)."""
    out = {"theta": torch.tensor(data.theta, dtype=torch.float64)}
    if case.workload == 1:
        out["x"] = torch.tensor(data.x, dtype=torch.float64)
    else:
        out["amps"] = torch.tensor(data.amps, dtype=torch.float64)
        out["labels"] = torch.tensor(data.labels, dtype=torch.float64)
        out["head"] = torch.tensor(data.head, dtype=torch.float64)
    return out


def _observable(case: Case):
    ops = []
    for coeff, letters in observable_terms(case):
        factors = [_PAULI_OP[c](q) for q, c in letters.items()]
        term = factors[0] if len(factors) == 1 else qml.prod(*factors)
        ops.append(coeff * term)
    return ops[0] if len(ops) == 1 else qml.sum(*ops)


def _qnode(case: Case, device_name: str, diff_method: str):
    n, noisy = case.n, case.noisy
    dev = qml.device(device_name, wires=n)
    gate_list = gates(case)
    obs = _observable(case)
    prep_noise = prep_noise_qubits(case)

    def noise(qubits):
        if noisy:
            for q in qubits:
                qml.DepolarizingChannel(NOISE_P, wires=q)

    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(theta, inputs):
        if case.workload == 2:
            qml.StatePrep(inputs, wires=range(n))
            noise(prep_noise)
        for g in gate_list:
            angle = theta[g.param] if g.param >= 0 else inputs[..., g.feature]
            if g.name == "RY":
                qml.RY(angle, wires=g.qubits[0])
            elif g.name == "RZ":
                qml.RZ(angle, wires=g.qubits[0])
            elif g.name == "RX":
                qml.RX(angle, wires=g.qubits[0])
            elif g.name == "CNOT":
                qml.CNOT(wires=list(g.qubits))
            elif g.name == "PAULIROT":
                qml.PauliRot(angle, g.pauli, wires=list(g.qubits))
            noise(g.qubits)
        return qml.expval(obs)

    return circuit


class PennyLaneRunner(Runner):
    def __init__(self, name: str, case: Case, data: Data):
        device_name, diff = _DEVICE[name]
        self.case, self.diff = case, diff
        self.qnode = _qnode(case, device_name, diff)
        inp = pennylane_inputs(case, data)
        self.theta = inp["theta"].clone().requires_grad_(True)
        self.inputs = inp["x"] if case.workload == 1 else inp["amps"]
        self.labels = inp.get("labels")
        self.head = inp.get("head", torch.zeros(2, dtype=torch.float64)).clone()
        self.head.requires_grad_(case.workload == 2)
        self.slices = batch_slices(case)
        how = "broadcast over the batch" if diff == "backprop" else "batch split per sample"
        self.note = f"{device_name}, complex128, torch {diff}, {how}"

    def estimate_bytes(self) -> int | None:
        """Backprop keeps every intermediate batch of states (complex128) for autograd: measured
        about 3 states per gate at n = 12 (1.7 GB for 156 gates, B = 64); the adjoint device keeps
        a few states per sample."""
        if self.diff != "backprop":
            return None
        dim = 4**self.case.n if self.case.noisy else 2**self.case.n
        n_ops = len(gates(self.case)) * (2 if self.case.noisy else 1)
        return int(self.case.batch * dim * 16 * 3 * n_ops)

    def forward(self) -> np.ndarray:
        with torch.no_grad():
            out = self.qnode(self.theta.detach(), self.inputs[agreement_slice(self.case)])
        return np.asarray(out.detach().numpy(), dtype=np.float64).reshape(-1)

    def step(self, k: int) -> np.ndarray:
        sl = self.slices[k]
        self.theta.grad = None
        self.head.grad = None
        f = self.qnode(self.theta, self.inputs[sl])
        y = None if self.labels is None else self.labels[sl]
        torch_loss(self.case, f, self.head, y).backward()
        grads = [self.theta.grad]
        if self.case.workload == 2:
            grads.append(self.head.grad)
        return torch.cat(grads).detach().numpy()  # type: ignore[arg-type]

    def unit(self) -> None:
        for k in range(len(self.slices)):
            self.step(k)


def build(name: str, case: Case, data: Data) -> Runner:
    return PennyLaneRunner(name, case, data)


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"pennylane": qml.__version__, "torch": torch.__version__}
    try:
        out["pennylane_lightning"] = metadata.version("pennylane_lightning")
    except metadata.PackageNotFoundError:  # pragma: no cover
        out["pennylane_lightning"] = "not installed"
    return out
