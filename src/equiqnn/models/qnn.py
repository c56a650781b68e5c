"""``QNNClassifier``: encoding + circuit + invariant readout + head, as a ``torch.nn.Module``.

Forward takes data ``(B, *input_shape)`` and returns logits ``(B, K)``. Binary head: the readout ``z``
(optionally standardized by statistics of the untrained model on the training set) goes through a
trainable affine map and tanh, ``p(1) = (1 + tanh(w z + b)) / 2``, returned as the logits
``(-(wz+b), wz+b)`` whose softmax is exactly that probability. Multiclass head: ``K`` invariant
observables, softmax with a trainable temperature (``logits = z · exp(β)``).
Complex64 simulation by default; ``.double()`` switches to complex128.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from equiqnn.circuits import Circuit, Encoding
from equiqnn.groups import PermutationGroup
from equiqnn.noise import NoiseModel
from equiqnn.sim import (
    DensityMatrixEngine,
    PauliPropagationEngine,
    StatevectorEngine,
    TrajectoryEngine,
)
from equiqnn.symmetry import PauliSum, Representation

__all__ = ["QNNClassifier", "make_engine", "ENGINES"]

ENGINES = ("auto", "statevector", "density", "trajectories", "sn", "pauli")


def make_engine(
    engine: Any,
    circuit: Circuit,
    observables: list[PauliSum],
    *,
    noise: NoiseModel | None = None,
    n_trajectories: int = 100,
    seed: int = 0,
    frozen: bool = False,
) -> Any:
    """``"auto"``: statevector without noise, density matrix with noise; or name one explicitly.

    A prebuilt engine object (``engine(theta, x) -> (B, K)`` with a ``name``, e.g. the S_n sector
    engine that ``invariant_qnn(symmetric(n), engine="sn")`` builds) is used as it is."""
    if not isinstance(engine, str):
        return engine
    if engine == "sn":
        raise ValueError(
            "engine='sn' needs the collective-spin form of the circuit: build the model with "
            "invariant_qnn(symmetric(n), encoding='angle', engine='sn')."
        )
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}.")
    if engine == "auto":
        engine = "statevector" if noise is None or noise.is_noiseless else "density"
    if engine == "statevector":
        if noise is not None and not noise.is_noiseless:
            raise ValueError(
                "the statevector engine cannot apply noise; use engine='density' (exact) or "
                "engine='trajectories' (sampled), or engine='auto'."
            )
        return StatevectorEngine(circuit, observables)
    if engine == "density":
        return DensityMatrixEngine(circuit, observables, noise=noise)
    if engine == "pauli":  # product encodings at many qubits; exact (no orbit merging here)
        if noise is not None and not noise.is_noiseless:
            raise ValueError(
                "the Pauli propagation engine cannot apply noise; use engine='density'."
            )
        return PauliPropagationEngine(circuit, observables)
    return TrajectoryEngine(
        circuit, observables, noise=noise, n_trajectories=n_trajectories, seed=seed, frozen=frozen
    )


class QNNClassifier(nn.Module):
    """A quantum classifier whose symmetry is declared by ``group`` and ``representation``.

    Args:
        encoding: data → state; its circuit is prepended to ``ansatz`` (and, with ``reupload``,
            repeated before each of ``ansatz_layers``).
        ansatz: the trainable circuit.
        observables: ``K_obs`` readout Pauli sums (1 for a binary head, ``n_classes`` otherwise).
        group: the group the model is compared under (invariant models are invariant under it).
        n_classes: number of classes, >= 2.
        label: short family name in the repr (``InvariantQNN``, ``ControlQNN`` …).
        config: plain dict that rebuilds the model through ``equiqnn.models.build_model``.
        seed: initial parameters uniform in [-π, π) from this seed.
    """

    readout_mean: torch.Tensor
    readout_std: torch.Tensor
    circuit: Circuit
    ansatz: Circuit

    def __init__(
        self,
        encoding: Encoding,
        ansatz: Circuit,
        observables: list[PauliSum],
        group: PermutationGroup,
        *,
        n_classes: int = 2,
        label: str = "QNN",
        config: dict[str, Any] | None = None,
        seed: int = 0,
        engine: Any = "statevector",
        noise: NoiseModel | None = None,
        n_trajectories: int = 100,
        frozen: bool = False,
    ) -> None:
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2; got {n_classes}.")
        want = 1 if n_classes == 2 else n_classes
        if len(observables) != want:
            raise ValueError(
                f"{n_classes} classes need {want} readout observables; got {len(observables)}."
            )
        self.encoding = encoding
        self.group = group
        self.circuit = encoding.circuit() + ansatz
        self.ansatz = ansatz
        self.observables = list(observables)
        self.noise = noise
        self.engine = make_engine(
            engine,
            self.circuit,
            self.observables,
            noise=noise,
            n_trajectories=n_trajectories,
            seed=seed,
            frozen=frozen,
        )
        self.n_classes = int(n_classes)
        self.label = label
        self._config = dict(config or {})
        gen = torch.Generator().manual_seed(int(seed))
        init = (torch.rand(ansatz.n_params, generator=gen, dtype=torch.float64) * 2 - 1) * np.pi
        self.theta = nn.Parameter(init.float())
        if n_classes == 2:
            self.weight = nn.Parameter(torch.ones(1))
            self.bias = nn.Parameter(torch.zeros(1))
        else:
            self.log_temperature = nn.Parameter(torch.zeros(1))
        self.register_buffer("readout_mean", torch.zeros(len(observables)))
        self.register_buffer("readout_std", torch.ones(len(observables)))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.encoding.input_shape

    @property
    def representation(self) -> Representation:
        return self.encoding.representation(self.group)

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    @property
    def gate_count(self) -> int:
        return self.circuit.gate_count

    @property
    def config(self) -> dict[str, Any]:
        if not self._config:
            raise ValueError(
                "this model was built without a config; build it with a factory to save it."
            )
        return dict(self._config)

    def readout(self, x: Any) -> torch.Tensor:
        """Raw expectations ``(B, K_obs)`` of the readout observables."""
        x = torch.as_tensor(x)
        inputs = self.encoding.prepare(x.to(self.theta.dtype))
        return self.engine(self.theta, inputs)

    @torch.no_grad()
    def standardize(self, x_train: Any) -> QNNClassifier:
        """Standardize the readout by its mean and std on ``x_train`` under the current parameters."""
        z = self.readout(x_train)
        self.readout_mean.copy_(z.mean(0))
        self.readout_std.copy_(
            z.std(0).clamp_min(1e-6) if z.shape[0] > 1 else torch.ones_like(z[0])
        )
        return self

    def forward(self, x: Any) -> torch.Tensor:
        z = (self.readout(x) - self.readout_mean) / self.readout_std
        if self.n_classes == 2:
            s = self.weight * z[:, 0] + self.bias
            return torch.stack([-s, s], dim=1)
        return z * torch.exp(self.log_temperature)

    def example_inputs(self, n: int, seed: int = 0) -> torch.Tensor:
        """Random inputs ``(n, *input_shape)`` in [0, 1) (signed groups: [-1, 1))."""
        gen = torch.Generator().manual_seed(int(seed))
        x = torch.rand((n, *self.input_shape), generator=gen, dtype=torch.float64)
        if self.group.is_signed:
            x = 2 * x - 1
        return x.to(self.theta.dtype)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        dt = "complex128" if self.theta.dtype == torch.float64 else "complex64"
        return (
            f"{self.label}({self.group.name} | {type(self.encoding).__name__} "
            f"{'x'.join(map(str, self.input_shape))} | {self.ansatz.n_params} params | "
            f"{self.engine.name} {dt}{'' if self.noise is None else ' | ' + repr(self.noise)})"
        )
