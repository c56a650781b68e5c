"""Adjoint differentiation of expectation values (no autograd graph through the circuit).

For ``f_bk = ⟨ψ_b|O_k|ψ_b⟩`` with ``ψ = U_N … U_1 ψ_0`` and ``U_i = exp(-i θ_i G_i / 2)``, the
gradient of ``L = Σ_bk g_bk f_bk`` is ``∂L/∂θ_i = Σ_b Im⟨λ_i|G_i|ψ_i⟩`` with
``λ_N = Σ_k g_bk O_k ψ_N`` and ``λ_{i-1} = U_i† λ_i``, ``ψ_{i-1} = U_i† ψ_i``: one backward sweep that
un-applies each gate, storing no intermediate state (memory: four states, whatever the depth).
Used when the inputs need no gradient; otherwise the engine falls back to autograd. First order
only: a second derivative through it raises (build the engine with ``adjoint=False`` for that).
"""

from __future__ import annotations

from typing import Any

import torch

from equiqnn.sim.kernels import TStep, apply_step, generator_action

__all__ = ["AdjointExpectation", "apply_observables", "run_steps"]


def run_steps(psi: torch.Tensor, steps: list[TStep], params, x, n: int) -> torch.Tensor:
    for s in steps:
        psi = apply_step(psi, s, params, x, n)
    return psi


def expectation_table(psi: torch.Tensor, obs) -> torch.Tensor:
    vals = [(psi.conj() * (psi if src is None else psi[:, src])) @ w for src, w in obs]
    return torch.stack(vals).sum(0).real


def apply_observables(psi: torch.Tensor, obs, g: torch.Tensor) -> torch.Tensor:
    """``Σ_k g_bk O_k ψ_b`` for weights ``g`` ``(B, K)``."""
    gc = g.to(psi.dtype)
    out = torch.zeros_like(psi)
    for src, w in obs:
        out = out + (psi if src is None else psi[:, src]) * (gc @ w.T)
    return out


class AdjointExpectation(torch.autograd.Function):
    """``(params, psi0, x) -> (B, K)`` expectations with adjoint gradients for ``params``."""

    @staticmethod
    def forward(ctx: Any, params: torch.Tensor, psi0: torch.Tensor, x: Any, steps, obs, n: int):
        with torch.no_grad():
            psi = run_steps(psi0, steps, params, x, n)
            out = expectation_table(psi, obs).to(params.dtype)
        ctx.save_for_backward(params, psi)
        ctx.x, ctx.steps, ctx.obs, ctx.n = x, steps, obs, n
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor):
        if torch.is_grad_enabled():  # true inside backward only when create_graph=True
            raise RuntimeError(
                "the adjoint gradient is first order only; for second derivatives (gradient "
                "penalties, Hessian-vector products) build the engine with adjoint=False."
            )
        params, psi = ctx.saved_tensors
        steps, obs, n, x = ctx.steps, ctx.obs, ctx.n, ctx.x
        grad = torch.zeros_like(params)
        with torch.no_grad():
            lam = apply_observables(psi, obs, grad_out)
            for s in reversed(steps):
                if s.trainable:
                    val = (lam.conj() * generator_action(psi, s, n)).sum().imag
                    grad[s.slot] += val.to(grad.dtype)
                psi = apply_step(psi, s, params, x, n, inverse=True)
                lam = apply_step(lam, s, params, x, n, inverse=True)
        # d/dθ ⟨ψ|O|ψ⟩ = 2 Re⟨λ|∂U ψ⟩ = Im⟨λ|Gψ⟩ per unit coefficient (see module docstring)
        return grad, None, None, None, None, None
