"""TensorCircuit-NG peers (JAX backend, complex64 — its default dtype): ``jit(value_and_grad(loss))``
of a loss built on ``vmap`` over the batch of a one-sample circuit function; ``Circuit`` for the
statevector cases, ``DMCircuit`` with ``depolarizing`` channels for the noisy ones.

TensorCircuit's qubit 0 is the most significant bit of a state index (as in equiqnn), so amplitude
vectors are passed unchanged. The YYYY rotation is ``exp1(..., unitary=Y⊗Y⊗Y⊗Y, theta=t, half=True)``
(``cos(t/2) I − i sin(t/2) YYYY``). The agreement forward uses the same jitted function as the
step (the outputs are its aux), so there is one compilation, reported separately as ``compile_s``.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import tensorcircuit as tc  # noqa: E402

from benchmarks.harness import Runner  # noqa: E402
from benchmarks.reference import agreement_slice  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    NOISE_P,
    Case,
    Data,
    batch_slices,
    gates,
    observable_terms,
    prep_noise_qubits,
)

__all__ = ["SIMULATORS", "build", "versions", "tensorcircuit_inputs"]

SIMULATORS = ["tensorcircuit-ng", "tensorcircuit-ng-dm"]

tc.set_backend("jax")
tc.set_dtype("complex64")
K = tc.backend

_Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex64)


def tensorcircuit_inputs(case: Case, data: Data) -> dict[str, jnp.ndarray]:
    """What the TensorCircuit functions receive: float32 / complex64 JAX arrays."""
    out = {"theta": jnp.asarray(data.theta, dtype=jnp.float32)}
    if case.workload == 1:
        out["x"] = jnp.asarray(data.x, dtype=jnp.float32)
    else:
        out["amps"] = jnp.asarray(data.amps, dtype=jnp.complex64)
        out["labels"] = jnp.asarray(data.labels, dtype=jnp.float32)
        out["head"] = jnp.asarray(data.head, dtype=jnp.float32)
    return out


def _one_sample(case: Case, density: bool):
    n = case.n
    gate_list = gates(case)
    terms = observable_terms(case)
    yyyy = _Y
    for _ in range(3):
        yyyy = np.kron(yyyy, _Y)

    def noise(c, qubits):
        if density:
            for q in qubits:
                c.depolarizing(q, px=NOISE_P / 3, py=NOISE_P / 3, pz=NOISE_P / 3)

    def f(theta, inp):
        if case.workload == 2:
            c = tc.DMCircuit(n, inputs=inp) if density else tc.Circuit(n, inputs=inp)
            noise(c, prep_noise_qubits(case))
        else:
            c = tc.DMCircuit(n) if density else tc.Circuit(n)
        for g in gate_list:
            angle = theta[g.param] if g.param >= 0 else inp[g.feature]
            q = g.qubits
            if g.name == "RY":
                c.ry(q[0], theta=angle)
            elif g.name == "RZ":
                c.rz(q[0], theta=angle)
            elif g.name == "RX":
                c.rx(q[0], theta=angle)
            elif g.name == "CNOT":
                c.cnot(*q)
            elif g.name == "PAULIROT":
                assert g.pauli == "YYYY"
                c.exp1(*q, unitary=yyyy, theta=angle, half=True)
            noise(c, q)
        val = 0.0
        for coeff, letters in terms:
            kw = {"x": [], "y": [], "z": []}
            for qq, letter in letters.items():
                kw[letter.lower()].append(qq)
            val = val + coeff * K.real(c.expectation_ps(**kw))
        return val

    return f


class TensorCircuitRunner(Runner):
    compiles_in_forward = True

    def __init__(self, name: str, case: Case, data: Data):
        density = name.endswith("-dm")
        self.case = case
        f = _one_sample(case, density)
        batched = K.vmap(f, vectorized_argnums=1)
        inp = tensorcircuit_inputs(case, data)
        self.inputs = inp["x"] if case.workload == 1 else inp["amps"]
        self.labels = inp.get("labels")
        self.params = (inp["theta"], inp.get("head", jnp.zeros(2, jnp.float32)))
        self.slices = batch_slices(case)

        def loss(params, xs, ys):
            theta, head = params
            fx = batched(theta, xs)
            if case.workload == 1:
                return jnp.mean((fx - 0.5) ** 2), fx
            p = (1 + jnp.tanh(head[0] * fx + head[1])) / 2
            return -jnp.mean(ys * jnp.log(p) + (1 - ys) * jnp.log(1 - p)), fx

        # one compiled function for the step and the agreement forward (its outputs are the aux):
        # a single jit compilation, reported as the first call's extra time
        self._vg = K.jit(K.value_and_grad(loss, has_aux=True))
        what = "DMCircuit" if density else "Circuit"
        self.note = f"{what}, JAX jit(value_and_grad(vmap)), complex64"

    def forward(self) -> np.ndarray:
        sl = agreement_slice(self.case)
        outs = []
        for s in range(sl.start, sl.stop, self.case.batch):  # batches of the step's shape
            b = slice(s, s + self.case.batch)
            ys = None if self.labels is None else self.labels[b]
            (_, fx), _ = self._vg(self.params, self.inputs[b], ys)
            outs.append(np.asarray(fx, dtype=np.float64).reshape(-1))
        return np.concatenate(outs)

    def step(self, k: int) -> np.ndarray:
        sl = self.slices[k]
        ys = None if self.labels is None else self.labels[sl]
        _, (g_theta, g_head) = self._vg(self.params, self.inputs[sl], ys)
        g_theta = jax.block_until_ready(g_theta)
        parts = [np.asarray(g_theta, dtype=np.float64)]
        if self.case.workload == 2:
            parts.append(np.asarray(g_head, dtype=np.float64))
        return np.concatenate(parts)

    def unit(self) -> None:
        for k in range(len(self.slices)):
            sl = self.slices[k]
            ys = None if self.labels is None else self.labels[sl]
            jax.block_until_ready(self._vg(self.params, self.inputs[sl], ys))


def build(name: str, case: Case, data: Data) -> Runner:
    return TensorCircuitRunner(name, case, data)


def versions() -> dict[str, str]:
    return {"tensorcircuit-ng": tc.__version__, "jax": jax.__version__}
