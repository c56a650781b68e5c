"""Data-free check of whether a noisy circuit commutes with the symmetry: ``ℰ(RρR†) = Rℰ(ρ)R†``.

A noisy model stays invariant iff its whole channel ``ℰ`` is covariant under every ``R(g)``. Up to 4
qubits the check is exact: ``ℰ`` is applied to the full operator basis ``|i⟩⟨j|`` (its Choi matrix;
at 6 qubits that is 4096 density matrices and takes minutes, so ``exact=True`` is opt-in there).
Above, random pure states probe it: a channel that is not covariant moves random states almost
surely, so a deviation above ``atol`` on any probe is conclusive, and none on 16 probes is
overwhelming evidence. Circuits with data rotations (angle encodings, re-uploading) are
checked with random data ``x`` on both sides: ``ℰ_{g·x}(RρR†)`` against ``Rℰ_x(ρ)R†``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from equiqnn.circuits import Circuit
from equiqnn.noise import NoiseModel
from equiqnn.sim.density import DensityMatrixEngine
from equiqnn.symmetry import PauliSum, Representation

__all__ = ["CovarianceReport", "covariance"]

EXACT_MAX_QUBITS = 4


@dataclass(frozen=True)
class CovarianceReport:
    """Per element, the largest entry of ``ℰ(RρR†) − Rℰ(ρ)R†`` and whether it is kept."""

    deviation: dict[str, float]
    atol: float
    method: str
    noise: str = field(default="")

    @property
    def broken(self) -> list[str]:
        return [g for g, d in self.deviation.items() if d > self.atol]

    @property
    def kept(self) -> list[str]:
        return [g for g, d in self.deviation.items() if d <= self.atol]

    @property
    def is_covariant(self) -> bool:
        return not self.broken

    def __repr__(self) -> str:
        verdict = "covariant" if self.is_covariant else f"broken by {', '.join(self.broken)}"
        return (
            f"CovarianceReport({verdict} | max deviation {max(self.deviation.values()):.1e}, "
            f"{self.method}, {len(self.deviation)} elements)"
        )


def _conj(rho: torch.Tensor, src: np.ndarray, phase: np.ndarray) -> torch.Tensor:
    """``R ρ R†`` with ``(Rψ)[j] = phase[j] ψ[src[j]]``."""
    s = torch.as_tensor(src, device=rho.device)
    ph = torch.as_tensor(phase, dtype=rho.dtype, device=rho.device)
    return rho[:, s][:, :, s] * ph[:, None] * ph.conj()[None, :]


def covariance(
    noise: NoiseModel | None,
    circuit: Circuit,
    representation: Representation,
    *,
    params: torch.Tensor | None = None,
    n_probes: int = 16,
    seed: int = 0,
    atol: float = 1e-9,
    exact: bool | None = None,
) -> CovarianceReport:
    """Which group elements the noisy ``circuit`` commutes with (complex128).

    Args:
        noise: the noise model (``None``: the noiseless circuit).
        circuit: the circuit after the state is prepared (amplitude circuits include the noise
            right after state preparation); its data rotations, if any, get random data.
        representation: ``R(g)`` of the encoding.
        params: circuit parameters; random in [-π, π) from ``seed`` by default.
        n_probes: random probe states when not exact.
        exact: full operator basis (default: when ``n_qubits <= 4``).
    """
    n = circuit.n_qubits
    if representation.n_qubits != n:
        raise ValueError(
            f"representation acts on {representation.n_qubits} qubits, circuit on {n}."
        )
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    if params is None:
        params = (torch.rand(circuit.n_params, generator=gen, dtype=torch.float64) * 2 - 1) * np.pi
    params = torch.as_tensor(params, dtype=torch.float64)
    obs = [PauliSum("Z" + "I" * (n - 1))]
    engine = DensityMatrixEngine(circuit, obs, noise=noise)
    exact = n <= EXACT_MAX_QUBITS if exact is None else exact
    d = 2**n
    if exact:
        basis = torch.eye(d * d, dtype=torch.complex128).reshape(d * d, d, d)
        rho = basis
        method = "exact (operator basis)"
    else:
        psi = torch.as_tensor(rng.normal(size=(n_probes, d)) + 1j * rng.normal(size=(n_probes, d)))
        psi = psi / psi.norm(dim=1, keepdim=True)
        rho = psi[:, :, None] * psi.conj()[:, None, :]
        method = f"{n_probes} random probe states"
    group = representation.group
    x = None
    if circuit.n_features:
        x_data = rng.uniform(-np.pi, np.pi, size=(1, *group.shape))
    out: dict[str, float] = {}
    with torch.no_grad():
        if circuit.n_features:
            x = torch.as_tensor(x_data.reshape(1, -1)).repeat(rho.shape[0], 1)
        base = engine.evolve(params, rho, x)
        for g in range(group.order):
            src, phase = representation.basis_action(g)
            xg = None
            if circuit.n_features:
                xg = torch.as_tensor(group.act(g, x_data).reshape(1, -1)).repeat(rho.shape[0], 1)
            lhs = engine.evolve(params, _conj(rho, src, phase), xg)
            rhs = _conj(base, src, phase)
            out[group.names[g]] = float((lhs - rhs).abs().max())
    return CovarianceReport(out, atol, method, repr(noise))
