"""Gate-by-gate evolution on the step list (the autograd path, and the reference the fused adjoint
path in :mod:`equiqnn.sim.sv_fused` is tested against).

The adjoint gradient itself lives in :mod:`equiqnn.sim.sv_fused`: for ``f_bk = ⟨ψ_b|O_k|ψ_b⟩`` with
``ψ = U_N … U_1 ψ_0`` and ``U_i = exp(-i θ_i G_i / 2)``, ``∂L/∂θ_i = Σ_b Im⟨λ_i|G_i|ψ_i⟩`` with
``λ_N = Σ_k g_bk O_k ψ_N`` and ``λ_{i-1} = U_i† λ_i``, ``ψ_{i-1} = U_i† ψ_i``: one backward sweep that
un-applies each gate and stores no intermediate state.
"""

from __future__ import annotations

import torch

from equiqnn.sim.kernels import TStep, apply_step

__all__ = ["run_steps"]


def run_steps(psi: torch.Tensor, steps: list[TStep], params, x, n: int) -> torch.Tensor:
    """Apply ``steps`` to the batch ``psi`` one gate at a time (differentiable by autograd)."""
    for s in steps:
        psi = apply_step(psi, s, params, x, n)
    return psi
