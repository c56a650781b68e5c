"""Monte-Carlo trajectories: pure states that unravel the same channels as the density matrix.

Each of ``n_trajectories`` copies of every input runs the circuit; after each gate (or layer) a
channel picks one Kraus branch: for mixtures of unitaries (Pauli channels, over-rotation) the branch
``U_k`` is drawn with probability ``p_k`` independently of the state; otherwise ``K_k`` is drawn with
probability ``‖K_k ψ‖²`` and the state renormalized. The average over trajectories converges to the
density-matrix result, with the standard error reported by ``run``.

Gradients flow through each sampled trajectory (pathwise). For state-independent channels the
trajectory average of these gradients is an unbiased estimate of the exact gradient; for
state-dependent ones (amplitude damping) it omits the branch-probability term — train with
``DensityMatrixEngine`` there.

``frozen=True`` reproduces a convention of some research code: ONE error sample (one branch per
noise location) drawn once and reused for every input and every call. That is a fixed unitary
circuit, not a channel, and it breaks invariance that the channel keeps; it exists to show that.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from equiqnn.circuits import Circuit
from equiqnn.noise import NoiseModel
from equiqnn.sim.kernels import apply_matrix, apply_step, materialize
from equiqnn.sim.memory import check_memory
from equiqnn.sim.plan import compile_circuit, observable_table
from equiqnn.sim.schedule import noisy_schedule
from equiqnn.sim.statevector import StatevectorEngine, complex_dtype, expectations
from equiqnn.symmetry import PauliSum

__all__ = ["TrajectoryEngine"]


class TrajectoryEngine:
    """Average of ``n_trajectories`` sampled pure-state runs per input.

    Args:
        circuit, observables: as for ``StatevectorEngine``.
        noise: the ``NoiseModel`` to unravel (same placement rules as ``DensityMatrixEngine``).
        n_trajectories: samples per input (>= 1).
        seed: seeds the sampler; a call draws fresh samples, ``reset()`` restarts the stream, so
            the same seed and sequence of calls give the same numbers.
        frozen: reuse ONE error sample for every input and call (not a channel; see module doc).
    """

    name = "trajectories"

    def __init__(
        self,
        circuit: Circuit,
        observables: list[PauliSum],
        *,
        noise: NoiseModel | None = None,
        n_trajectories: int = 100,
        seed: int = 0,
        frozen: bool = False,
        max_memory: int | None = None,
    ) -> None:
        if (
            isinstance(n_trajectories, bool)
            or not isinstance(n_trajectories, int)
            or n_trajectories < 1
        ):
            raise ValueError(f"n_trajectories must be an integer >= 1; got {n_trajectories!r}.")
        if noise is not None:
            noise.validate(circuit.n_qubits)
        self.circuit, self.noise, self.frozen = circuit, noise, bool(frozen)
        self.observables = list(observables)
        if (
            noise is not None and noise.readout is not None
        ):  # readout error: exact, on the observables
            self.observables = [noise.readout.transform_observable(o) for o in self.observables]
        self.n_trajectories = 1 if frozen else n_trajectories
        self.seed, self.max_memory = int(seed), max_memory
        self._schedule: list[tuple[str, Any]] = []
        n = circuit.n_qubits
        for entry in noisy_schedule(circuit, noise):
            if entry.op is not None:
                one = Circuit(n, (entry.op,), circuit.n_params, "zero", circuit.n_features)
                self._schedule += [("step", s) for s in compile_circuit(one, fold_product=False)[0]]
            else:
                channel, qubits = entry.channel, entry.qubits
                assert channel is not None
                ops = channel.trajectory_ops()
                if frozen and not ops.state_independent:
                    raise ValueError(
                        f"frozen=True needs channels that are mixtures of unitaries (Pauli channels, "
                        f"over-rotation); {channel!r} is state dependent."
                    )
                self._schedule.append(("noise", (ops, tuple(qubits))))
        self._obs = observable_table(self.observables, n)
        self._pure = StatevectorEngine(
            Circuit(n, (), 0, circuit.initial, circuit.n_features), self.observables
        )
        self._cache: dict = {}
        self.reset()

    def reset(self) -> None:
        """Restart the random stream (and, when frozen, redraw nothing: the frozen sample stays)."""
        self._rng = np.random.default_rng(self.seed)
        if self.frozen and not hasattr(self, "_frozen_branches"):
            self._frozen_branches = [
                int(item[0].sample(self._rng, 1)[0])
                for kind, item in self._schedule
                if kind == "noise"
            ]

    @property
    def n_qubits(self) -> int:
        return self.circuit.n_qubits

    def _materialized(self, device, cd):
        key = (device, cd)
        if key not in self._cache:
            sched = []
            for kind, item in self._schedule:
                if kind == "step":
                    sched.append((kind, materialize(item, device, cd)))
                else:
                    ops, qubits = item
                    mats = ops.unitaries if ops.state_independent else ops.kraus
                    tm = [torch.as_tensor(np.array(m), dtype=cd, device=device) for m in mats]
                    sched.append((kind, (ops, qubits, tm)))
            obs = [
                (
                    None if s is None else torch.as_tensor(s, device=device),
                    torch.as_tensor(w, dtype=cd, device=device),
                )
                for s, w in self._obs
            ]
            self._cache[key] = (sched, obs)
        return self._cache[key]

    def run(self, params: torch.Tensor, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, standard_error)``, each ``(B, K)``, over the trajectories."""
        params = torch.as_tensor(params)
        rd = params.dtype if params.is_floating_point() else torch.get_default_dtype()
        cd, device = complex_dtype(rd), params.device
        inputs = torch.as_tensor(inputs, device=device)
        b, t, n = inputs.shape[0], self.n_trajectories, self.n_qubits
        itemsize = torch.empty(0, dtype=cd).element_size()
        steps = sum(1 for k, _ in self._schedule if k == "step")
        saved = (2 * len(self._schedule) + 4) if torch.is_grad_enabled() else 6
        check_memory(
            b * t * 2**n * itemsize * saved,
            self.max_memory,
            device,
            f"TrajectoryEngine ({n} qubits, batch {b} x {t} trajectories, {steps} steps)",
            "Use fewer trajectories per call (and average calls), or a smaller batch.",
        )
        sched, obs = self._materialized(device, cd)
        psi = self._pure.initial_state(inputs, b, rd, device).repeat(t, 1)  # (t·b, 2**n)
        x = inputs.to(rd).repeat(t, 1)
        noise_k = 0
        for kind, item in sched:
            if kind == "step":
                psi = apply_step(psi, item, params, x, n)
                continue
            ops, qubits, mats = item
            if self.frozen:
                psi = apply_matrix(psi, mats[self._frozen_branches[noise_k]], qubits, n)
            elif ops.state_independent:
                branch = torch.as_tensor(
                    self._rng.choice(len(ops.probs), size=psi.shape[0], p=ops.probs), device=device
                )
                out = psi
                for k, u in enumerate(mats):
                    rows = (branch == k).nonzero().flatten()
                    if rows.numel() and not _is_identity(u):  # identity branches keep their rows
                        out = out.index_copy(0, rows, apply_matrix(psi[rows], u, qubits, n))
                psi = out
            else:
                outs = [apply_matrix(psi, kmat, qubits, n) for kmat in mats]
                probs = torch.stack([(o.abs() ** 2).sum(-1) for o in outs], dim=1).real  # (T·B, m)
                u = torch.as_tensor(
                    self._rng.random(psi.shape[0]), device=device, dtype=probs.dtype
                )
                cum = torch.cumsum(probs.detach(), dim=1)
                choice = (cum < (u * cum[:, -1])[:, None]).sum(1).clamp_max(len(outs) - 1)
                picked = torch.stack(outs, 1)[torch.arange(psi.shape[0], device=device), choice]
                norm = (
                    probs[torch.arange(psi.shape[0], device=device), choice]
                    .clamp_min(1e-300)
                    .sqrt()
                )
                psi = picked / norm[:, None].to(picked.dtype)
            noise_k += 1
        vals = expectations(psi, obs, rd).reshape(t, b, -1)
        mean = vals.mean(0)
        se = vals.std(0, unbiased=True) / np.sqrt(t) if t > 1 else torch.zeros_like(mean)
        return mean, se.detach()

    def __call__(self, params: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        return self.run(params, inputs)[0]

    def __repr__(self) -> str:
        if self.frozen:
            return (
                f"TrajectoryEngine({self.n_qubits} qubits, FROZEN single error sample - not a "
                f"channel, noise={self.noise!r})"
            )
        return f"TrajectoryEngine({self.n_qubits} qubits, {self.n_trajectories} trajectories, noise={self.noise!r})"


def _is_identity(u: torch.Tensor) -> bool:
    return bool(torch.allclose(u, torch.eye(u.shape[0], dtype=u.dtype, device=u.device)))
