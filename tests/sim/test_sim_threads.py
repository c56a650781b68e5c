"""One torch thread for small work: the setting is restored, values and gradients are unchanged."""

from __future__ import annotations

import pytest
import torch

from equiqnn.circuits import AngleEncoding, hardware_efficient_ansatz
from equiqnn.noise import NoiseModel, depolarizing
from equiqnn.sim import DensityMatrixEngine, StatevectorEngine
from equiqnn.sim.threads import few_threads, few_threads_backward
from equiqnn.symmetry import PauliString, PauliSum


@pytest.fixture
def two_threads():
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(old)


def test_few_threads_sets_one_thread_for_small_work_and_restores(two_threads):
    with few_threads(16):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with few_threads(1 << 20):
        assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError), few_threads(16):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2  # restored on error too


def test_backward_hook_runs_the_backward_on_one_thread_and_restores(two_threads):
    seen: list[int] = []
    x = torch.ones(3, requires_grad=True)

    class Spy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):  # type: ignore[override]
            return t * 2

        @staticmethod
        def backward(ctx, g):  # type: ignore[override]
            seen.append(torch.get_num_threads())
            return g * 2

    out = few_threads_backward(Spy.apply(x), work=3)
    out.sum().backward()
    assert seen == [1] and torch.get_num_threads() == 2
    assert torch.equal(x.grad, torch.full((3,), 2.0))
    big = few_threads_backward(Spy.apply(x), work=1 << 20)
    big.sum().backward()
    assert seen == [1, 2]


NOISE = NoiseModel.uniform(depolarizing(0.02), placement="gate")


def _observables(n: int) -> list[PauliSum]:
    return [
        PauliSum({PauliString.on(n, {0: "Z"}).label: 1.0}, n),
        PauliSum({PauliString.on(n, {1: "X", 2: "X"}).label: 0.5}, n),
    ]


def _circuit(n: int):
    enc = AngleEncoding(n)
    return enc.circuit() + hardware_efficient_ansatz(n, layers=2)


def _values_and_grads(x: torch.Tensor, threads: int, adjoint: bool) -> list:
    """Each engine's outputs and gradient with ``threads`` torch threads; checks the setting is the
    caller's again after the forward and after the backward."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        n, obs, out = x.shape[1], _observables(x.shape[1]), []
        for engine in (
            StatevectorEngine(_circuit(n), obs, adjoint=adjoint),
            DensityMatrixEngine(_circuit(n), obs, noise=NOISE),
        ):
            theta = torch.linspace(0.1, 1.0, engine.circuit.n_params, dtype=torch.float64)
            theta.requires_grad_()
            val = engine(theta, x)
            assert torch.get_num_threads() == threads
            (g,) = torch.autograd.grad(val.square().sum(), theta)
            assert torch.get_num_threads() == threads
            out.append((val.detach(), g))
        return out
    finally:
        torch.set_num_threads(old)


@pytest.mark.parametrize("threads", [1, 2])
def test_engines_give_the_same_values_and_gradients_on_any_thread_count(threads):
    x = torch.rand(8, 4, dtype=torch.float64)
    got = _values_and_grads(x, threads, adjoint=True)
    ref = _values_and_grads(x, 1, adjoint=False)  # gate-by-gate autograd on one thread
    for (out, g), (rout, rg) in zip(got, ref, strict=True):
        assert torch.allclose(out, rout, atol=1e-12) and torch.allclose(g, rg, atol=1e-12)


def test_the_statevector_adjoint_sweep_runs_on_one_thread_for_small_batches(
    two_threads, monkeypatch
):
    import equiqnn.sim.sv_fused as fused

    seen: list[int] = []
    real = fused.FusedRunner.gradient

    def spy(self, *args):
        seen.append(torch.get_num_threads())
        return real(self, *args)

    monkeypatch.setattr(fused.FusedRunner, "gradient", spy)
    engine = StatevectorEngine(_circuit(4), _observables(4))
    theta = torch.full((engine.circuit.n_params,), 0.3, requires_grad=True)
    engine(theta, torch.rand(256, 4)).sum().backward()  # large enough for the adjoint sweep
    assert seen and set(seen) == {1} and torch.get_num_threads() == 2
