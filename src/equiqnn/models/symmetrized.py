"""``Symmetrized``: any model made exactly invariant by averaging its logits over the whole group.

``symmetrized(model)`` wraps a model that declares a group ``G`` (``model.group``) and evaluates it on
all ``|G|`` transformed copies of every input, returning the mean logits::

    f_sym(x) = (1/|G|) Σ_g f(g·x)

Since ``{g·(h·x) : g ∈ G} = {g·x : g ∈ G}`` for every ``h ∈ G``, ``f_sym`` is invariant up to the
rounding of the sum, whatever ``f`` is. This is the third model of the comparison: the invariant QNN
(invariant by construction, cost 1×), the matched control (not invariant, cost 1×) and the
symmetrized control (invariant by averaging, cost ``|G|×``). It has exactly the parameters of the
model it wraps; ``gate_count`` reports the gates run per input, ``|G|`` times the base circuit's.

>>> from equiqnn.groups import grid_d4
>>> from equiqnn.models.factories import control_qnn
>>> symmetrized(control_qnn(grid_d4(8), layers=2))
Symmetrized(ControlQNN(D4 | RegisterAmplitude 8x8 | 12 params | statevector complex64))
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch
from torch import nn

from equiqnn.groups import PermutationGroup
from equiqnn.models.registry import build_model, register_model

__all__ = ["Symmetrized", "symmetrized"]


class Symmetrized(nn.Module):
    """Group average of a model's logits: ``forward(x) = mean_g base(g·x)``.

    Args:
        base: a ``torch.nn.Module`` mapping ``(B, *input_shape)`` to logits ``(B, K)`` with a
            ``group`` attribute (a ``PermutationGroup`` acting on ``input_shape``), e.g. any
            ``control_qnn`` or ``baseline_qnn``.

    ``forward(x)``: real tensor ``(B, *input_shape)`` -> logits ``(B, K)``, the mean over the
    ``|G|`` copies ``g·x``. The base model runs once on a batch of ``|G|·B`` inputs. Averaging is
    done on the logits (not on probabilities), so for the binary QNN head the averaged logits keep
    the form ``(-s, s)``.
    """

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        if not isinstance(base, nn.Module):
            raise TypeError(
                f"symmetrized needs a torch.nn.Module with a group attribute; got "
                f"{type(base).__name__}. Build one first, e.g. symmetrized(control_qnn(grid_d4(8)))."
            )
        group = getattr(base, "group", None)
        if not isinstance(group, PermutationGroup):
            raise TypeError(
                f"symmetrized needs a model that declares its group (model.group a "
                f"PermutationGroup); {type(base).__name__}.group is {group!r}. Wrap a model built "
                "for a group, e.g. control_qnn(grid_d4(8)) or GroupInvariantCNN(grid_d4(8), 2)."
            )
        shape = tuple(getattr(base, "input_shape", group.shape))
        if shape != group.shape:
            raise ValueError(
                f"the model's input_shape {shape} must equal the shape its group acts on, "
                f"{group.shape} for {group!r}; build the model for that group."
            )
        self.base = base

    # -- contract ---------------------------------------------------------------------------------
    @property
    def group(self) -> PermutationGroup:
        """The group averaged over (the base model's ``group``)."""
        return cast(PermutationGroup, self.base.group)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, the group's data shape."""
        return self.group.shape

    @property
    def n_classes(self) -> int:
        """Number of logits per sample (the base model's)."""
        return int(cast(Any, self.base).n_classes)

    @property
    def n_params(self) -> int:
        """Trainable scalars: exactly the base model's (averaging adds none)."""
        return int(sum(p.numel() for p in self.parameters() if p.requires_grad))

    @property
    def gate_count(self) -> int | None:
        """Gates run per input: ``base.gate_count × |G|`` (None for a model without a circuit)."""
        base = getattr(self.base, "gate_count", None)
        return None if base is None else int(base) * self.group.order

    @property
    def config(self) -> dict[str, Any]:
        """``{"kind": "symmetrized", "base": base.config}``; ``build_model`` rebuilds it."""
        return {"kind": "symmetrized", "base": self.base.config}

    # -- computation ------------------------------------------------------------------------------
    def forward(self, x: Any) -> torch.Tensor:
        """Mean logits ``(B, K)`` over the ``|G|`` transformed copies of ``x`` ``(B, *input_shape)``."""
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x))
        nd = len(self.input_shape)
        if x.ndim != nd + 1 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"inputs must have shape (batch, {', '.join(map(str, self.input_shape))}) for "
                f"{self!r}; got {tuple(x.shape)}. Reshape the data to the group's shape."
            )
        order, batch = self.group.order, int(x.shape[0])
        copies = self.group.act_all(x)  # (|G|, B, *shape)
        logits = self.base(copies.reshape(order * batch, *self.input_shape))
        return logits.reshape(order, batch, -1).mean(dim=0)

    def example_inputs(self, n: int, seed: int = 0) -> torch.Tensor:
        """Random inputs ``(n, *input_shape)`` from the base model (in [0, 1); signed groups [-1, 1))."""
        if hasattr(self.base, "example_inputs"):
            return cast(torch.Tensor, cast(Any, self.base).example_inputs(n, seed=seed))
        gen = torch.Generator().manual_seed(int(seed))
        x = torch.rand((n, *self.input_shape), generator=gen, dtype=torch.float64)
        return 2 * x - 1 if self.group.is_signed else x

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"Symmetrized({self.base!r})"


def symmetrized(model: nn.Module) -> Symmetrized:
    """Wrap ``model`` so that its logits are averaged over all of ``model.group``.

    Args:
        model: a ``torch.nn.Module`` with a ``group`` attribute, mapping ``(B, *group.shape)`` to
            logits ``(B, K)``.
    Returns:
        A ``Symmetrized`` module sharing ``model``'s parameters (not a copy): exactly invariant,
        ``|G|×`` the cost per input.
    """
    return Symmetrized(model)


@register_model("symmetrized")
def _symmetrized_from_config(base: dict[str, Any]) -> Symmetrized:
    """Registry builder: ``build_model({"kind": "symmetrized", "base": cfg})``."""
    if not isinstance(base, dict):
        raise TypeError(
            f"a symmetrized config needs 'base', the wrapped model's config dict; got "
            f"{type(base).__name__} {base!r}. Save it from Symmetrized.config."
        )
    return Symmetrized(build_model(base))
