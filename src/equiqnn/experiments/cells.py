"""One cell of a study: build its split and model, train on train/validation, evaluate on test.

Protocol (the honest one): the validation and test pools are fixed (``cells_data``); ``fit``
selects the best epoch on validation only; the test set is measured afterwards, on the clean
images and on all |G| transformed copies (orbit accuracy).

Rows are flat dicts. Every row has ``study`` (the kind), ``dataset``, ``model``, ``seed``,
``n_train``, ``layers``, ``encoding``, ``n_qubits``, ``n_params``, ``gate_count``, ``seconds`` and
the metrics ``test_acc``, ``orbit_acc``, ``train_acc``, ``train_test_gap`` (train accuracy − orbit
test accuracy), ``val_acc``, ``invariance_gap``, ``max_output_deviation``, ``label_misassignment``,
``bowker_stat``, ``bowker_p`` (``cells_metrics``). Per kind:

* ``noise``: ``noise_channel``, ``noise_strength``, ``noise_frame``, ``noise_placement``,
  ``noise_phase``. Test-time noise (``test``): one training without noise, then one row per noise
  setting, evaluating the same weights under it (test and train accuracy under noise; ``val_acc``
  is the noiseless selection's). Train-time noise (``train``): trained and evaluated under noise.
  Strength 0 is the noiseless statevector model.
* ``shortcut``: training and validation images carry the watermark (``equiqnn.data.watermark``);
  ``watermark_acc`` (watermarked test images), ``transformed_acc`` (all |G| copies of the
  watermarked test images: the mark moves to another corner), ``clean_acc`` (unmarked test images,
  also ``test_acc``; ``orbit_acc`` is over the clean images' copies).
* ``scaling``: ``grad_var`` and ``grad_var_se`` (``cells_metrics.gradient_variance``), QNNs only.

``layers``, ``encoding`` and ``n_qubits`` are None for classical models, ``gate_count`` too; a
metric a model does not have is None, never invented. ``seconds`` is the cell's training plus this
row's evaluation. Rows also keep ``final_test_acc`` / ``final_orbit_acc`` (the final epoch's
weights; not for noise rows), ``best_epoch``, ``stopped_epoch`` and ``history`` (per-epoch, moved
into the store by the executor).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from equiqnn.data import watermark
from equiqnn.experiments.cells_axes import Cell, Variant, expand_cells
from equiqnn.experiments.cells_data import Pool, make_pool, train_indices
from equiqnn.experiments.cells_metrics import gradient_variance, orbit_metrics
from equiqnn.experiments.cells_models import build_model, noise_model
from equiqnn.experiments.spec import QUANTUM, StudySpec
from equiqnn.train import fit

__all__ = ["QUANTUM", "Cell", "Pool", "make_pool", "expand_cells", "run_cell", "build_model"]

#: Noisy models of this process, by (model, axes, classes, shape, noise setting, engine).
_NOISY: dict[tuple[Any, ...], torch.nn.Module] = {}


def _describe(spec: StudySpec, cell: Cell, model: torch.nn.Module) -> dict[str, Any]:
    quantum = cell.model in QUANTUM
    base: Any = getattr(model, "base", model)
    enc = getattr(base, "encoding", None)
    return {
        "study": spec.kind,
        "dataset": cell.get("data.dataset"),
        "model": cell.model,
        "seed": cell.seed,
        "n_train": cell.n_train,
        "layers": int(cell.get("qnn.layers")) if quantum else None,
        "encoding": ("register" if type(enc).__name__ == "RegisterAmplitude" else "angle")
        if quantum
        else None,
        "n_qubits": int(base.circuit.n_qubits) if quantum else None,
        "n_params": int(getattr(model, "n_params", 0)),
        "gate_count": getattr(model, "gate_count", None) if quantum else None,
    }


def _noise_columns(spec: StudySpec, cell: Cell, variant: Variant) -> dict[str, Any]:
    if spec.kind != "noise":
        return {}
    s = {**dict(cell.axes), **dict(variant)}
    return {
        "noise_channel": s.get("noise.channel"),
        "noise_strength": s.get("noise.strength"),
        "noise_frame": s.get("qnn.frame"),
        "noise_placement": s.get("noise.placement"),
        "noise_phase": s.get("noise.phase"),
    }


def _train(spec: StudySpec, cell: Cell, model: torch.nn.Module, xt, yt, xv, yv) -> Any:
    base = getattr(model, "base", model)
    standardize = getattr(base, "standardize", None)
    if spec.qnn.standardize and callable(standardize):
        standardize(torch.as_tensor(xt, dtype=torch.float32))
    tr = spec.train
    return fit(
        model,
        (xt, yt),
        (xv, yv),
        epochs=tr.epochs,
        lr=tr.lr if cell.model in QUANTUM else tr.classical_lr,
        betas=(tr.betas[0], tr.betas[1]),
        patience=tr.patience,
        batch_size=tr.batch_size,
        seed=cell.seed,
        progress=False,
    )


def _accuracy(model: torch.nn.Module, x: Any, y: Any, batch_size: int = 1024) -> float:
    """Clean accuracy (argmax of the logits), eval mode, no grad."""
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    xt = torch.as_tensor(x, dtype=dtype)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            pred = torch.cat([model(xt[i : i + batch_size]) for i in range(0, len(xt), batch_size)])
    finally:
        model.train(was_training)
    return float((pred.argmax(-1).numpy() == y).mean())


def _metrics(model: torch.nn.Module, pool: Pool, xt: Any, yt: Any, xs: Any, ys: Any) -> dict:
    """The shared metrics of ``model``: orbit metrics on the test set, accuracy on training."""
    m = orbit_metrics(model, pool.group, xs, ys)
    train_acc = _accuracy(model, xt, yt)
    return {
        "test_acc": m["test_acc"],
        "orbit_acc": m["orbit_acc"],
        "train_acc": train_acc,
        "train_test_gap": train_acc - m["orbit_acc"],
        **{k: m[k] for k in ("invariance_gap", "max_output_deviation", "label_misassignment")},
        "bowker_stat": m["bowker_stat"],
        "bowker_p": m["bowker_p"],
    }


def _noisy_copy(
    spec: StudySpec, cell: Cell, trained: torch.nn.Module, pool: Pool, variant: Variant
) -> torch.nn.Module:
    """``trained``'s weights in the same model built under ``variant``'s noise. The noisy model is
    built once per worker process and setting (its compiled engine does not depend on the
    weights), then given each trained model's weights."""
    noise = noise_model(variant)
    if noise is None:
        return trained
    key = (cell.model, cell.axes, pool.n_classes, pool.group.shape, variant, spec.qnn.engine)
    model = _NOISY.get(key)
    if model is None:
        model = build_model(cell.model, spec, cell, pool.group, pool.n_classes, cell.seed, noise)
        _NOISY[key] = model
    model.load_state_dict(trained.state_dict())
    return model.to(next(trained.parameters()).dtype)


def _too_big(spec: StudySpec, model: torch.nn.Module) -> bool:
    limit = spec.scaling.train_max_qubits if spec.scaling is not None else None
    base = getattr(model, "base", model)
    circuit = getattr(base, "circuit", None)
    return limit is not None and circuit is not None and circuit.n_qubits > limit


def _gradient_only(
    spec: StudySpec, cell: Cell, model: torch.nn.Module, xt: Any, t0: float
) -> dict[str, Any]:
    """The row of a scaling cell too large to train: ``grad_var`` only, every accuracy None."""
    assert spec.scaling is not None  # only called for scaling studies
    grad = gradient_variance(
        model, xt[: spec.scaling.inputs], draws=spec.scaling.draws, seed=cell.seed
    )
    none = dict.fromkeys(
        ("test_acc", "orbit_acc", "train_acc", "train_test_gap", "val_acc", "invariance_gap")
        + ("max_output_deviation", "label_misassignment", "bowker_stat", "bowker_p")
    )
    return {
        **_describe(spec, cell, model),
        **none,
        "grad_var": grad[0],
        "grad_var_se": grad[1],
        "seconds": time.perf_counter() - t0,
        "history": [],
    }


def run_cell(cell: Cell, spec: StudySpec, pool: Pool) -> list[dict[str, Any]]:
    """Train ``cell``'s model and evaluate it; one flat row per entry of ``cell.variants``, in
    that order (each with a ``history`` entry the executor moves into the store)."""
    t0 = time.perf_counter()
    idx = train_indices(pool, cell.n_train, cell.seed)
    xt, yt = pool.x[idx], pool.y[idx]
    xv, yv = pool.x[pool.idx_val], pool.y[pool.idx_val]
    xs, ys = pool.x[pool.idx_test], pool.y[pool.idx_test]
    if spec.shortcut is not None:
        size, value = spec.shortcut.size, spec.shortcut.value
        xt, xv = (
            watermark(xt, yt, size=size, value=value),
            watermark(xv, yv, size=size, value=value),
        )
    train_noise = noise_model(cell.axes) if cell.get("noise.phase") == "train" else None
    model = build_model(cell.model, spec, cell, pool.group, pool.n_classes, cell.seed, train_noise)
    if spec.scaling is not None and _too_big(spec, model):
        return [_gradient_only(spec, cell, model, xt, t0)]
    result = _train(spec, cell, model, xt, yt, xv, yv)
    fitted = {
        "val_acc": result.best.get("val_acc"),
        "best_epoch": result.best_epoch,
        "stopped_epoch": result.stopped_epoch,
    }
    extra: dict[str, Any] = {}
    if spec.shortcut is not None:
        marked = watermark(xs, ys, size=spec.shortcut.size, value=spec.shortcut.value)
        on_marked = orbit_metrics(model, pool.group, marked, ys)
        extra = {"watermark_acc": on_marked["test_acc"], "transformed_acc": on_marked["orbit_acc"]}
    if spec.scaling is not None:
        grad: tuple[float | None, float | None] = (None, None)
        if cell.model in QUANTUM:
            fresh = build_model(cell.model, spec, cell, pool.group, pool.n_classes, cell.seed)
            grad = gradient_variance(
                fresh, xt[: spec.scaling.inputs], draws=spec.scaling.draws, seed=cell.seed
            )
        extra |= {"grad_var": grad[0], "grad_var_se": grad[1]}
    if spec.kind != "noise":
        final = orbit_metrics(result.model_at(model, "final"), pool.group, xs, ys)
        extra |= {"final_test_acc": final["test_acc"], "final_orbit_acc": final["orbit_acc"]}
    trained_s = time.perf_counter() - t0
    rows = []
    for variant in cell.variants:
        t1 = time.perf_counter()
        evaluated = _noisy_copy(spec, cell, model, pool, variant)
        metrics = _metrics(evaluated, pool, xt, yt, xs, ys)
        if spec.shortcut is not None:
            extra["clean_acc"] = metrics["test_acc"]
        row = {
            **_describe(spec, cell, evaluated),
            **_noise_columns(spec, cell, variant),
            **metrics,
            "val_acc": fitted["val_acc"],
            **extra,
            "best_epoch": fitted["best_epoch"],
            "stopped_epoch": fitted["stopped_epoch"],
            "seconds": trained_s + time.perf_counter() - t1,
            "history": result.history,
        }
        rows.append(row)
    return rows
