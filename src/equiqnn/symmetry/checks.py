"""Numerical symmetry checks that read the symmetry a model declares.

``check_invariance(model, x)`` evaluates all |G| transformed copies of a batch in one forward pass and
returns a report; it never raises on a non-invariant model. ``assert_invariant`` raises with it.
Any callable ``model(x) -> (B, K)`` with a ``group`` attribute (or an explicit ``group=``) works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from equiqnn.groups import PermutationGroup

__all__ = ["InvarianceReport", "check_invariance", "assert_invariant", "InvarianceError"]


class InvarianceError(AssertionError):
    """A model's outputs changed under its group by more than the tolerance."""


@dataclass(frozen=True)
class InvarianceReport:
    """Largest ``|f(g·x) − f(x)|`` over elements, inputs and outputs, and where it happened."""

    max_deviation: float
    worst: str
    n_elements: int
    n_inputs: int
    per_element: dict[str, float] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"InvarianceReport(max_deviation={self.max_deviation:.1e}, worst={self.worst}, "
            f"{self.n_elements} elements x {self.n_inputs} inputs)"
        )


def check_invariance(
    model: Any,
    x: Any = None,
    *,
    group: PermutationGroup | None = None,
    n_inputs: int = 16,
    seed: int = 0,
) -> InvarianceReport:
    """Evaluate ``model`` on all ``|G|`` transformed copies of ``x`` in one batch.

    Args:
        model: callable ``(B, *shape) -> (B, K)``; its ``group`` attribute is used unless ``group``
            is given.
        x: inputs ``(B, *group.shape)``; default ``model.example_inputs(n_inputs, seed)``.
    Returns:
        An ``InvarianceReport``.
    """
    group = group if group is not None else getattr(model, "group", None)
    if group is None:
        raise TypeError(
            f"{type(model).__name__} declares no group; pass check_invariance(model, x, group=...)."
        )
    if x is None:
        if not hasattr(model, "example_inputs"):
            raise TypeError(
                f"{type(model).__name__} has no example_inputs(); pass inputs x explicitly."
            )
        x = model.example_inputs(n_inputs, seed=seed)
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    batch = x.shape[0]
    copies = group.act_all(x)  # (|G|, B, *shape)
    with torch.no_grad():
        out = model(copies.reshape(group.order * batch, *x.shape[1:]))
    out = torch.as_tensor(out).reshape(group.order, batch, -1)
    dev = (out - out[0:1]).abs().amax(dim=(1, 2)).double().cpu().numpy()
    per = {name: float(d) for name, d in zip(group.names, dev, strict=False)}
    worst = int(np.argmax(dev))
    return InvarianceReport(float(dev[worst]), group.names[worst], group.order, batch, per)


def assert_invariant(
    model: Any, x: Any = None, *, atol: float = 1e-6, **kwargs: Any
) -> InvarianceReport:
    """Raise ``InvarianceError`` with the report when the deviation exceeds ``atol``."""
    report = check_invariance(model, x, **kwargs)
    if report.max_deviation > atol:
        raise InvarianceError(f"model is not invariant within atol={atol:g}: {report!r}")
    return report
