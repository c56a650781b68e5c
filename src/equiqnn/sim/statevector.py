"""Batched, differentiable statevector engine.

States are ``(B, 2**n)`` with qubit 0 the most significant bit of the basis index; complex64 when the
parameters are float32 (the default), complex128 when they are float64. Gradients flow by torch
autograd to the parameters and, for angle encodings, to the features.
"""

from __future__ import annotations

import torch

from equiqnn.circuits import Circuit
from equiqnn.sim.adjoint import run_steps
from equiqnn.sim.kernels import materialize
from equiqnn.sim.memory import check_memory
from equiqnn.sim.plan import compile_circuit, observable_table
from equiqnn.sim.sv_fuse import fuse_circuit
from equiqnn.sim.sv_fused import FusedAdjoint, FusedRunner
from equiqnn.sim.sv_product import ProductEmbedding
from equiqnn.sim.threads import few_threads, few_threads_backward
from equiqnn.symmetry import PauliSum

__all__ = ["StatevectorEngine", "complex_dtype"]

# below this estimate the check against the machine's free memory is skipped: reading it
# (/proc/meminfo) costs more than a small training step; an explicit max_memory is always checked
_QUICK_CHECK_BYTES = 64 * 2**20


def complex_dtype(real: torch.dtype) -> torch.dtype:
    return torch.complex128 if real == torch.float64 else torch.complex64


class StatevectorEngine:
    """Evaluate ``⟨ψ(x, θ)| O_k |ψ(x, θ)⟩`` for a batch of inputs.

    Args:
        circuit: the circuit (encoding and ansatz); compiled once, cached per device and dtype.
        observables: ``K`` Hermitian Pauli sums.
        max_memory: bytes the engine may use; default 85 % of the memory available when it runs.
        adjoint: differentiate the parameters by the adjoint method (no graph through the
            circuit; memory independent of depth) when the inputs need no gradient; otherwise,
            and with ``adjoint=False``, torch autograd.

    Call ``engine(params, inputs)`` with ``params`` ``(n_params,)`` real and ``inputs`` either features
    ``(B, n_features)`` (angle encodings) or amplitude vectors ``(B, 2**n)`` (``initial="amplitude"``);
    returns real ``(B, K)`` in the parameters' dtype.
    """

    name = "statevector"

    def __init__(
        self,
        circuit: Circuit,
        observables: list[PauliSum],
        *,
        max_memory: int | None = None,
        adjoint: bool = True,
    ):
        self.circuit = circuit
        self.observables = list(observables)
        if not self.observables:
            raise ValueError("need at least one observable.")
        self.max_memory = max_memory
        self.adjoint = adjoint
        plan_bytes = (len(circuit.ops) + 2) * 2**circuit.n_qubits * 24  # index + phase per step
        check_memory(  # against the machine; max_memory bounds the runs
            plan_bytes,
            None,
            torch.device("cpu"),
            f"StatevectorEngine plan ({circuit.n_qubits} qubits, {len(circuit.ops)} ops)",
            "Use fewer qubits (resize the images), or a many-qubit engine.",
        )
        self._steps, self._product = compile_circuit(circuit)
        self._obs = observable_table(self.observables, circuit.n_qubits)
        self._fused = fuse_circuit(circuit, product_folded=bool(self._product))
        self._embed = ProductEmbedding(self._product, circuit.initial) if self._product else None
        self._cache: dict[tuple[torch.device, torch.dtype], tuple] = {}
        self._runners: dict[tuple[torch.device, torch.dtype], FusedRunner] = {}

    @property
    def n_qubits(self) -> int:
        return self.circuit.n_qubits

    def estimate_memory(self, batch: int, itemsize: int = 8, grad: bool = True) -> int:
        """Bytes for a forward (and backward when ``grad``): autograd keeps about two states per
        step; without a graph (values, or the adjoint gradient) up to six states are alive at once;
        the plan keeps an index and a phase vector per step."""
        dim = 2**self.n_qubits
        state = batch * dim * itemsize
        saved = (2 * len(self._steps) + 4) if grad else 6
        plan = (len(self._steps) + len(self._obs)) * dim * (8 + itemsize)
        return state * saved + plan

    def _materialize(self, device: torch.device, cdtype: torch.dtype) -> tuple:
        key = (device, cdtype)
        if key not in self._cache:
            steps = [materialize(s, device, cdtype) for s in self._steps]
            obs = [
                (
                    None if src is None else torch.as_tensor(src, device=device),
                    torch.as_tensor(w, device=device, dtype=cdtype),
                )
                for src, w in self._obs
            ]
            self._cache[key] = (steps, obs)
        return self._cache[key]

    def _runner(self, device: torch.device, cdtype: torch.dtype) -> FusedRunner:
        key = (device, cdtype)
        if key not in self._runners:
            self._runners[key] = FusedRunner(self._fused, self._obs, device, cdtype)
        return self._runners[key]

    def initial_state(
        self, inputs: torch.Tensor, batch: int, rdtype: torch.dtype, device
    ) -> torch.Tensor:
        n, cd = self.n_qubits, complex_dtype(rdtype)
        init = self.circuit.initial
        if init == "amplitude":
            if inputs.shape[-1] != 2**n:
                raise ValueError(
                    f"amplitude inputs must have shape (batch, {2**n}); got {tuple(inputs.shape)}."
                )
            return inputs.to(device=device, dtype=rdtype).to(cd)
        if self._embed is not None:
            return self._embed(inputs.to(device=device, dtype=rdtype), cd)
        psi = torch.zeros(batch, 2**n, dtype=cd, device=device)
        if init == "zero":
            psi[:, 0] = 1
        else:
            psi[:] = 2 ** (-n / 2)
        return psi

    def __call__(self, params: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        params = torch.as_tensor(params)
        if params.shape != (self.circuit.n_params,):
            raise ValueError(
                f"params must have shape ({self.circuit.n_params},); got {tuple(params.shape)}."
            )
        rdtype = params.dtype if params.is_floating_point() else torch.get_default_dtype()
        device = params.device
        inputs = torch.as_tensor(inputs, device=device)
        if inputs.ndim != 2:
            raise ValueError(
                f"inputs must be 2-D (batch, features); got shape {tuple(inputs.shape)}."
            )
        if self.circuit.initial != "amplitude" and inputs.shape[1] != self.circuit.n_features:
            raise ValueError(
                f"inputs must have {self.circuit.n_features} features per sample; got {inputs.shape[1]}."
            )
        batch = inputs.shape[0]
        cd = complex_dtype(rdtype)
        estimate = self.estimate_memory(
            batch,
            8 if cd == torch.complex64 else 16,
            grad=torch.is_grad_enabled() and (not self.adjoint or inputs.requires_grad),
        )
        if self.max_memory is not None or estimate > _QUICK_CHECK_BYTES:
            check_memory(
                estimate,
                self.max_memory,
                device,
                f"StatevectorEngine ({self.n_qubits} qubits, batch {batch})",
                "Evaluate in smaller batches, or use a many-qubit engine.",
            )
        work = batch * 2**self.n_qubits
        with few_threads(work):
            out = self._run(params, inputs, batch, rdtype, cd)
        return few_threads_backward(out, work)  # the adjoint sweep or autograd: the same

    def _run(self, params, inputs, batch: int, rdtype: torch.dtype, cd) -> torch.Tensor:
        device = params.device
        psi = self.initial_state(inputs, batch, rdtype, device)
        x = inputs.to(rdtype)
        needs_graph = torch.is_grad_enabled() and (params.requires_grad or inputs.requires_grad)
        if not needs_graph:  # values only: the fused plan
            runner = self._runner(device, cd)
            with torch.no_grad():
                psi = runner.run(psi, params, x, runner.tables(params))
                return runner.expectations(psi).to(rdtype)
        if self.adjoint and not inputs.requires_grad:
            owned = self.circuit.initial != "amplitude"  # psi is ours: overwrite it in place
            return FusedAdjoint.apply(params, psi.detach(), x, self._runner(device, cd), owned)
        steps, obs = self._materialize(device, cd)  # autograd through the step-by-step plan
        psi = run_steps(psi, steps, params, x, self.n_qubits)
        return expectations(psi, obs, rdtype)


def expectations(psi: torch.Tensor, obs, rdtype: torch.dtype) -> torch.Tensor:
    """``(B, K)`` real expectations from the observable table."""
    vals = [(psi.conj() * (psi if src is None else psi[:, src])) @ w for src, w in obs]
    return torch.stack(vals).sum(0).real.to(rdtype)
