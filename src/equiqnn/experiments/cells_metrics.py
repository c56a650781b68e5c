"""Metrics of a trained model on a test set, from one pass over every transformed copy ``g·x``.

``orbit_metrics`` gives the columns every row shares: clean and orbit accuracy, the invariance gap,
the largest output deviation, label misassignment (fraction of inputs whose predicted label changes
under some ``g``; as ``equiqnn.train.evaluate``), and the McNemar–Bowker test of clean against
transformed predictions (``equiqnn.train.mcnemar_bowker`` per non-identity element):
``bowker_p`` is the Bonferroni-adjusted minimum p-value over the elements, ``min(1, (|G|-1) ·
min_g p_g)`` (as ``mcnemar_bowker_model``), and ``bowker_stat`` the statistic of the element
attaining it. One pass instead of ``evaluate`` + ``mcnemar_bowker_model`` (which would run the
orbit twice) matters under the density-matrix engine.

``gradient_variance``: the barren-plateau diagnostic of a ``kind: scaling`` study.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from equiqnn.groups import PermutationGroup
from equiqnn.train import mcnemar_bowker

__all__ = ["orbit_metrics", "gradient_variance"]


def _logits(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def orbit_metrics(
    model: torch.nn.Module,
    group: PermutationGroup,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 1024,
) -> dict[str, Any]:
    """Test metrics of ``model`` on ``(x, y)`` under ``group``, from logits of all ``|G|·N`` copies.

    Args:
        model: maps float ``(B, *group.shape)`` to logits ``(B, K)``; run in eval mode, no grad.
        x: ``(N, *group.shape)`` images; y: ``(N,)`` labels.

    Returns:
        ``test_acc``, ``orbit_acc``, ``invariance_gap``, ``max_output_deviation``,
        ``label_misassignment``, ``bowker_stat``, ``bowker_p`` (floats).
    """
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    xt = torch.as_tensor(np.asarray(x), dtype=dtype)
    n, order = int(xt.shape[0]), group.order
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            copies = group.act_all(xt).reshape(order * n, *xt.shape[1:])
            logits = _logits(model, copies, batch_size).reshape(order, n, -1).double()
    finally:
        model.train(was_training)
    pred = logits.argmax(dim=-1).numpy()  # (order, n); row 0 is the identity
    labels = np.asarray(y)
    k = int(logits.shape[-1])
    acc = float(np.mean(pred[0] == labels))
    orbit = float(np.mean(pred == labels[None]))
    tests = [mcnemar_bowker(pred[0], pred[i], k) for i in range(1, order)]
    if tests:
        worst = min(tests, key=lambda t: t.p_value)
        stat, p = worst.statistic, min(1.0, len(tests) * worst.p_value)
    else:
        stat, p = 0.0, 1.0
    return {
        "test_acc": acc,
        "orbit_acc": orbit,
        "invariance_gap": acc - orbit,
        "max_output_deviation": float((logits - logits[0:1]).abs().max()),
        "label_misassignment": float(np.mean((pred != pred[0:1]).any(axis=0))),
        "bowker_stat": float(stat),
        "bowker_p": float(p),
    }


def _readout(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """First readout expectation per input (raw, before any head), ``(B,)``; the group average of
    the base model's for a symmetrized model."""
    base: Any = getattr(model, "base", None)
    if base is not None:
        g: PermutationGroup = base.group
        copies = g.act_all(x).reshape(g.order * x.shape[0], *x.shape[1:])
        return base.readout(copies)[:, 0].reshape(g.order, -1).mean(0)
    plain: Any = model
    return plain.readout(x)[:, 0]


def gradient_variance(
    model: torch.nn.Module, x: np.ndarray, *, draws: int, seed: int
) -> tuple[float, float]:
    """Variance at initialization of ``∂C/∂θ_k``, ``C`` the first readout observable's expectation
    averaged over the inputs ``x``, over ``draws`` parameter vectors uniform in ``[-π, π)``;
    **the mean over all ansatz parameters θ_k** of the per-parameter variances (ddof=1).

    Returns:
        ``(grad_var, grad_var_se)``: the standard error is the jackknife over draws. The model's
        parameters are restored afterwards.
    """
    base: Any = getattr(model, "base", model)
    theta: torch.nn.Parameter = base.theta
    saved = theta.detach().clone()
    xt = torch.as_tensor(np.asarray(x), dtype=theta.dtype)
    gen = torch.Generator().manual_seed(int(seed))
    grads = []
    try:
        for _ in range(draws):
            with torch.no_grad():
                theta.copy_((torch.rand(theta.shape, generator=gen) * 2 - 1) * np.pi)
            (g,) = torch.autograd.grad(_readout(model, xt).mean(), theta)
            grads.append(g.detach().double().numpy().ravel())
    finally:
        with torch.no_grad():
            theta.copy_(saved)
    gm = np.stack(grads)  # (draws, P)
    value = float(gm.var(axis=0, ddof=1).mean())
    loo = np.array([np.delete(gm, i, axis=0).var(axis=0, ddof=1).mean() for i in range(draws)])
    se = float(np.sqrt((draws - 1) / draws * np.sum((loo - loo.mean()) ** 2)))
    return value, se
