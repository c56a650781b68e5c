"""Training helpers of the scikit-learn estimator: a small self-contained Adam loop.

``equiqnn.models`` cannot import ``equiqnn.train`` (a higher layer), so the estimator trains with
this loop: Adam (lr 0.05, betas (0.5, 0.999) by default), batches of N/10, seeded shuffling,
cross-entropy on logits, optional validation split with early stopping.
"""

from __future__ import annotations

import copy
import math
from typing import Any, cast

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch import nn
from tqdm import tqdm

from equiqnn.groups import PermutationGroup

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def _validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        return estimator._validate_data(*args, **kwargs)


__all__: list[str] = []

_BETAS = (0.5, 0.999)
_EVAL_BATCH = 256


def _int_at_least(value: Any, name: str, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"{name} must be an integer >= {minimum}; got {value!r}. Pass e.g. {example}."
        )
    return int(value)


def _seed_from(random_state: Any) -> int:
    """A non-negative int seed: the int itself, or one drawn from a RandomState / numpy's global one."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative int, a RandomState or None; got "
                f"{random_state}. Pass e.g. random_state=0."
            )
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _split(
    x: torch.Tensor, y: torch.Tensor, fraction: float | None, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Hold out ``round(fraction·N)`` random samples (at least 1, leaving at least 1 to train)."""
    if fraction is None:
        return x, y, None, None
    n = int(x.shape[0])
    if n < 2:
        raise ValueError(
            f"validation_fraction needs at least 2 training samples to hold some out; got {n}. "
            "Pass validation_fraction=None."
        )
    n_val = min(max(1, round(fraction * n)), n - 1)
    order = torch.randperm(n, generator=gen)
    val, tr = order[:n_val], order[n_val:]
    return x[tr], y[tr], x[val], y[val]


def _standardize(net: nn.Module, x: torch.Tensor) -> None:
    """Standardize a QNN readout by its statistics on the training inputs (untrained parameters).

    For the symmetrized model the base readout is standardized on the transformed copies it sees.
    """
    base: Any = getattr(net, "base", net)
    if not hasattr(base, "standardize"):
        return
    if base is not net:
        group = cast(PermutationGroup, net.group)
        x = group.act_all(x).reshape(-1, *group.shape)
    base.standardize(x)


def _batched_logits(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Logits ``(N, K)`` computed in chunks of ``_EVAL_BATCH`` samples."""
    parts = [net(x[i : i + _EVAL_BATCH]) for i in range(0, int(x.shape[0]), _EVAL_BATCH)]
    return torch.cat(parts, dim=0)


def _train(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    x_val: torch.Tensor | None,
    y_val: torch.Tensor | None,
    gen: torch.Generator,
    *,
    epochs: int,
    lr: float,
    batch_size: int | None,
    patience: int,
    verbose: bool,
) -> tuple[list[dict[str, float]], int]:
    """Adam on the cross-entropy of ``net``'s logits.

    Args:
        x, y: training inputs ``(N, *shape)`` float64 and labels ``(N,)`` int64 in ``[0, K)``.
        x_val, y_val: optional validation pair driving early stopping (best parameters restored).
    Returns:
        ``(history, best_epoch)``.
    """
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr, betas=_BETAS)
    n = int(x.shape[0])
    bs = max(1, n // 10) if batch_size is None else batch_size
    history: list[dict[str, float]] = []
    best_loss, best_epoch, wait = math.inf, epochs, 0
    best_state: dict[str, torch.Tensor] | None = None
    bar = tqdm(range(1, epochs + 1), desc="fit", unit="epoch", disable=not verbose, leave=False)
    for epoch in bar:
        net.train()
        order = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, bs):
            idx = order[start : start + bs]
            logits = net(x[idx])
            loss = torch.nn.functional.cross_entropy(logits, y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.detach()) * int(idx.numel())
            correct += int((logits.detach().argmax(dim=1) == y[idx]).sum())
        row: dict[str, float] = {"epoch": epoch, "loss": loss_sum / n, "accuracy": correct / n}
        if x_val is not None and y_val is not None:
            net.eval()
            with torch.no_grad():
                val_logits = _batched_logits(net, x_val)
            row["val_loss"] = float(torch.nn.functional.cross_entropy(val_logits, y_val))
            row["val_accuracy"] = float((val_logits.argmax(dim=1) == y_val).double().mean())
            if row["val_loss"] < best_loss:
                best_loss, best_epoch, wait = row["val_loss"], epoch, 0
                best_state = copy.deepcopy(net.state_dict())
            else:
                wait += 1
        history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.4f}")
        if x_val is not None and wait >= patience:
            break
    bar.close()
    if best_state is not None:
        net.load_state_dict(best_state)
    else:
        best_epoch = len(history)
    return history, best_epoch
