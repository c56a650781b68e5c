"""Qiskit Aer peers: ``qiskit_aer.primitives.EstimatorV2`` (exact expectation values, no shots) with
the ``statevector`` or ``density_matrix`` method.

Gradients by the **parameter-shift rule** evaluated in one Estimator call per step: every gate
occurrence gets its own circuit parameter, and the parameter-value array holds, per sample, the
unshifted angles and each occurrence shifted by ±π/2 (``2·G + 1`` bindings for ``G`` trainable gate
occurrences; workload 2 shares angles across gates, so a shared angle's derivative is the sum over
its occurrences). The exact shift rule holds for ``exp(-i t P / 2)`` gates, noisy or not. The
loss gradient is then assembled with numpy (chain rule through the MSE or the tanh/BCE head).

Qubit order: Qiskit's qubit ``k`` is bit ``k`` (least significant) of a state index; our qubit ``q``
(most significant first) is Qiskit qubit ``n-1-q``, so amplitude vectors are passed unchanged.
The YYYY rotation is ``V† exp(-i t ZZZZ / 2) V`` with ``V = H·S†`` on each qubit and a CNOT ladder
around ``RZ(t)``; depolarizing noise is inserted as ``pauli_error`` instructions after whole gates
(never after the ladder's pieces). Amplitudes are loaded with Aer's ``set_statevector`` /
``set_density_matrix``.
"""

from __future__ import annotations

import math

import numpy as np
import qiskit
import qiskit_aer
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import DensityMatrix, SparsePauliOp, Statevector
from qiskit_aer.noise import pauli_error
from qiskit_aer.primitives import EstimatorV2

from benchmarks.harness import Runner
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

__all__ = ["SIMULATORS", "build", "versions", "qiskit_inputs"]

SIMULATORS = ["qiskit-aer-sv", "qiskit-aer-dm"]


def qiskit_inputs(case: Case, data: Data) -> dict[str, np.ndarray]:
    """What the Qiskit circuits receive: float64 numpy arrays (features or amplitudes)."""
    out = {"theta": np.asarray(data.theta, dtype=np.float64)}
    if case.workload == 1:
        out["x"] = np.asarray(data.x, dtype=np.float64)
    else:
        out["amps"] = np.asarray(data.amps, dtype=np.float64)
        out["labels"] = np.asarray(data.labels, dtype=np.float64)
        out["head"] = np.asarray(data.head, dtype=np.float64)
    return out


def _observable(case: Case) -> SparsePauliOp:
    n = case.n
    terms = []
    for coeff, letters in observable_terms(case):
        qs = sorted(letters)
        terms.append(("".join(letters[q] for q in qs), [n - 1 - q for q in qs], coeff))
    return SparsePauliOp.from_sparse_list(terms, num_qubits=n)


def _ansatz(case: Case, density: bool):
    """The parametrized circuit (state preparation excluded), its feature parameters, its
    occurrence parameters and ``occ_param[j]`` = θ index of occurrence ``j``."""
    n = case.n
    gate_list = gates(case)
    trainable = [g for g in gate_list if g.param >= 0]
    occ = ParameterVector("t", len(trainable))
    feats = ParameterVector("x", n) if case.workload == 1 else None
    err = pauli_error(
        [("I", 1 - NOISE_P), ("X", NOISE_P / 3), ("Y", NOISE_P / 3), ("Z", NOISE_P / 3)]
    )
    err_ins = err.to_instruction()
    qc = QuantumCircuit(n)

    def k(q: int) -> int:
        return n - 1 - q

    j = 0
    occ_param = []
    for g in gate_list:
        if g.param >= 0:
            angle = occ[j]
            occ_param.append(g.param)
            j += 1
        elif g.feature >= 0:
            angle = feats[g.feature]  # type: ignore[index]
        qs = [k(q) for q in g.qubits]
        if g.name == "RY":
            qc.ry(angle, qs[0])
        elif g.name == "RZ":
            qc.rz(angle, qs[0])
        elif g.name == "RX":
            qc.rx(angle, qs[0])
        elif g.name == "CNOT":
            qc.cx(qs[0], qs[1])
        elif g.name == "PAULIROT":
            assert g.pauli == "YYYY"
            for q in qs:
                qc.sdg(q)
                qc.h(q)
            for a, b in zip(qs[:-1], qs[1:], strict=True):
                qc.cx(a, b)
            qc.rz(angle, qs[-1])
            for a, b in reversed(list(zip(qs[:-1], qs[1:], strict=True))):
                qc.cx(a, b)
            for q in qs:
                qc.h(q)
                qc.s(q)
        if density:
            for q in qs:
                qc.append(err_ins, [q])
    return qc, feats, occ, np.asarray(occ_param, dtype=np.int64), err_ins


class QiskitRunner(Runner):
    def __init__(self, name: str, case: Case, data: Data):
        self.case = case
        self.density = name.endswith("-dm")
        method = "density_matrix" if self.density else "statevector"
        self.estimator = EstimatorV2(options={"backend_options": {"method": method}})
        self.obs = _observable(case)
        ansatz, self.feats, self.occ, self.occ_param, err_ins = _ansatz(case, self.density)
        inp = qiskit_inputs(case, data)
        self.theta = inp["theta"]
        self.head = inp.get("head")
        self.labels = inp.get("labels")
        self.slices = batch_slices(case)
        n_occ = len(self.occ_param)
        self.n_bind = 2 * n_occ + 1
        # occurrence angles: row 0 unshifted, rows 1+2j / 2+2j occurrence j shifted by ±π/2
        base = self.theta[self.occ_param]
        shifts = np.zeros((self.n_bind, n_occ))
        shifts[1 + 2 * np.arange(n_occ), np.arange(n_occ)] = math.pi / 2
        shifts[2 + 2 * np.arange(n_occ), np.arange(n_occ)] = -math.pi / 2
        self.occ_values = base[None, :] + shifts  # (S, n_occ)
        if case.workload == 1:
            self.circuit = ansatz
            self.x = inp["x"]
            self.columns = self._columns(ansatz)
        else:
            self.amps, self.ansatz, self.err_ins = inp["amps"], ansatz, err_ins
            self._circuits: dict[int, QuantumCircuit] = {}  # built on first use, then reused
            self.columns = self._columns(ansatz)
        how = "density_matrix" if self.density else "statevector"
        self.note = (
            f"Aer EstimatorV2 ({how}, exact), parameter-shift gradient: "
            f"{self.n_bind} circuits per sample"
        )

    def _with_state(self, ansatz: QuantumCircuit, amps: np.ndarray, err_ins) -> QuantumCircuit:
        qc = QuantumCircuit(self.case.n)
        if self.density:
            qc.set_density_matrix(DensityMatrix(np.outer(amps, amps).astype(np.complex128)))
            for q in prep_noise_qubits(self.case):
                qc.append(err_ins, [self.case.n - 1 - q])
        else:
            qc.set_statevector(Statevector(amps.astype(np.complex128)))
        return qc.compose(ansatz)

    def prepare(self) -> None:
        if self.case.workload == 2:
            for i in range(self.case.n_samples):
                self._circuit(i)

    def _circuit(self, i: int) -> QuantumCircuit:
        if i not in self._circuits:
            self._circuits[i] = self._with_state(self.ansatz, self.amps[i], self.err_ins)
        return self._circuits[i]

    def _columns(self, qc: QuantumCircuit) -> list[tuple[str, int]]:
        """``circuit.parameters`` order as (kind, index): the Estimator's column order."""
        cols = []
        for p in qc.parameters:
            cols.append(("x" if p.vector.name == "x" else "t", p.index))
        return cols

    def _values(self, occ_values: np.ndarray, x_row: np.ndarray | None) -> np.ndarray:
        s = occ_values.shape[0]
        out = np.empty((s, len(self.columns)))
        for c, (kind, idx) in enumerate(self.columns):
            out[:, c] = x_row[idx] if kind == "x" else occ_values[:, idx]  # type: ignore[index]
        return out

    def _evs(self, sl: slice, occ_values: np.ndarray) -> np.ndarray:
        """Expectations ``(samples, S)`` for the samples of ``sl`` and bindings ``occ_values``."""
        if self.case.workload == 1:
            vals = np.stack([self._values(occ_values, xr) for xr in self.x[sl]])  # (B, S, P)
            res = self.estimator.run([(self.circuit, self.obs, vals)]).result()
            return np.asarray(res[0].data.evs)
        vals = self._values(occ_values, None)
        pubs = [(self._circuit(i), self.obs, vals) for i in range(sl.start, sl.stop)]
        res = self.estimator.run(pubs).result()
        return np.stack([np.asarray(r.data.evs) for r in res])

    def forward(self) -> np.ndarray:
        return self._evs(agreement_slice(self.case), self.occ_values[:1])[:, 0]

    def estimate_unit_s(self, forward_s: float) -> float | None:
        sl = agreement_slice(self.case)
        fwd_samples = sl.stop - sl.start
        return forward_s * self.n_bind * self.case.n_samples / fwd_samples

    def step(self, k: int) -> np.ndarray:
        sl = self.slices[k]
        evs = self._evs(sl, self.occ_values)  # (B, S)
        f = evs[:, 0]
        d_occ = (evs[:, 1::2] - evs[:, 2::2]) / 2  # (B, n_occ)
        d_theta = np.zeros((f.shape[0], len(self.theta)))
        np.add.at(d_theta, (slice(None), self.occ_param), d_occ)  # type: ignore[arg-type]
        b = f.shape[0]
        if self.case.workload == 1:
            dl_df = 2 * (f - 0.5) / b
            return dl_df @ d_theta
        y = self.labels[sl]  # type: ignore[index]
        w, bias = self.head  # type: ignore[misc]
        t = np.tanh(w * f + bias)
        p = (1 + t) / 2
        dl_dp = -(y / p - (1 - y) / (1 - p)) / b
        dl_du = dl_dp * (1 - t**2) / 2
        return np.concatenate([(dl_du * w) @ d_theta, [np.sum(dl_du * f), np.sum(dl_du)]])

    def unit(self) -> None:
        for k in range(len(self.slices)):
            self.step(k)


def build(name: str, case: Case, data: Data) -> Runner:
    return QiskitRunner(name, case, data)


def versions() -> dict[str, str]:
    return {"qiskit": qiskit.__version__, "qiskit-aer": qiskit_aer.__version__}
