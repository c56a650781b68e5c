"""Training cells of the many-qubit study: 2D Ising phases and 8×8 digits, one qubit per site.

Every quantum model here is trained the same way on encoded data (``engine.encode`` once, then
``engine(params, data)`` per step): full-batch Adam on the circuit parameters and an affine head
``s = w · (z − μ) / σ + b`` on the readout ``z`` (``μ, σ`` of the untrained model on the training
set), binary cross-entropy on ``s``. Training stops after ``epochs`` or when the cell's time limit
is crossed (``status = "partial"``). Logistic regression (scikit-learn) is the classical baseline:
on ``|m|`` (the sign-invariant magnetization) for Ising, on the 64 pixels for digits.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from equiqnn.circuits import AngleEncoding, equivariant_ansatz
from equiqnn.data import balanced_split, load_digits_images
from equiqnn.data.ising import ising_dataset, magnetization
from equiqnn.experiments.many_qubits_spec import Digits64Spec, IsingSpec
from equiqnn.groups import grid_d4, grid_translations
from equiqnn.models.factories import default_readout
from equiqnn.sim import PauliPropagationEngine, SnSectorEngine

__all__ = ["train_quantum", "ising_cell", "digits64_cell", "SN_LETTERS"]

#: The S_n layer of ``invariant_qnn(symmetric(n), encoding="angle")``: ΣX, ΣY, ΣZ, Σ_{i<j} ZZ, XX, YY.
SN_LETTERS = ["X", "Y", "Z", "ZZ", "XX", "YY"]


def train_quantum(
    engine: Any,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    epochs: int,
    lr: float,
    seed: int,
    time_limit_s: float,
) -> tuple[Any, dict[str, Any]]:
    """Train ``engine``'s parameters and an affine head; return ``predict(x) -> labels`` and info.

    Args:
        engine: ``SnSectorEngine`` or ``PauliPropagationEngine`` (anything with ``encode`` and
            ``engine(params, data) -> (B, K)``).
        x_train: features ``(N, n)``; ``y_train`` int labels ``(N,)`` in {0, 1}.
    Returns:
        ``(predict, info)`` with ``info`` holding ``epochs_done``, ``train_loss``, ``encode_s``.
    """
    t0 = time.perf_counter()
    data = engine.encode(torch.as_tensor(x_train, dtype=torch.float64))
    encode_s = time.perf_counter() - t0
    n_params = engine.n_params if isinstance(engine, SnSectorEngine) else engine.circuit.n_params
    gen = torch.Generator().manual_seed(int(seed))
    theta = (
        (torch.rand(n_params, generator=gen, dtype=torch.float64) * 2 - 1) * np.pi
    ).requires_grad_()
    head = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        z0 = engine(theta, data)[:, 0]
        mu, sd = z0.mean(), z0.std().clamp_min(1e-6)
    y = torch.as_tensor(y_train, dtype=torch.float64)
    opt = torch.optim.Adam([theta, head], lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    done, loss = 0, float("nan")
    for _ in range(epochs):
        opt.zero_grad()
        s = head[0] * (engine(theta, data)[:, 0] - mu) / sd + head[1]
        out = loss_fn(s, y)
        out.backward()
        opt.step()
        done, loss = done + 1, float(out.detach())
        if time.perf_counter() - t0 > time_limit_s:
            break
    theta_f, head_f = theta.detach(), head.detach()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            d = engine.encode(torch.as_tensor(x, dtype=torch.float64))
            s = head_f[0] * (engine(theta_f, d)[:, 0] - mu) / sd + head_f[1]
        return (s > 0).long().numpy()

    info = {"epochs_done": done, "train_loss": loss, "encode_s": encode_s, "theta": theta_f}
    return predict, info


def _logistic(x_train: np.ndarray, y_train: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=2000).fit(x_train, y_train)
    return clf.predict


def _row(part: str, model: str, engine: str, n: int, seed: int) -> dict[str, Any]:
    return {
        "study": "many_qubits",
        "part": part,
        "model": model,
        "engine": engine,
        "n_qubits": n,
        "seed": seed,
    }


def ising_cell(
    spec: IsingSpec, model: str, L: int, seed: int, time_limit_s: float, cache_dir: Path | None
) -> dict[str, Any]:
    """One Ising cell: train ``model`` on ``L×L`` spins (``n_train``), test accuracy on ``n_test``."""
    t0 = time.perf_counter()
    n = L * L
    x, y, _ = ising_dataset(
        spec.n_train + spec.n_test,
        L,
        spec.t_range,
        sweeps=spec.sweeps,
        seed=seed,
        cache_dir=cache_dir,
    )
    x = x.reshape(len(x), n)
    xtr, ytr, xte, yte = x[: spec.n_train], y[: spec.n_train], x[spec.n_train :], y[spec.n_train :]
    engine_name = {"sn": "sn", "translation": "pauli", "logistic": "sklearn"}[model]
    row = _row("ising", model, engine_name, n, seed)
    row.update(L=L, layers=spec.layers if model != "logistic" else None, error_bar=0.0)
    if model != "logistic":
        row["lr"] = spec.sn_rate(n) if model == "sn" else spec.lr
    if model == "logistic":
        predict = _logistic(np.abs(magnetization(xtr.reshape(-1, L, L)))[:, None], ytr)
        acc = float((predict(np.abs(magnetization(xte.reshape(-1, L, L)))[:, None]) == yte).mean())
        row.update(status="ok", test_acc=acc, epochs_done=None)
    else:
        engine: Any
        if model == "sn":
            engine = SnSectorEngine(
                n, SN_LETTERS, ["X"], layers=spec.layers, scale=spec.scale, frames=spec.sn_frames
            )
        else:
            enc = AngleEncoding((L, L), scale=spec.scale)
            rep = enc.representation(grid_translations(L, L))
            ansatz = equivariant_ansatz(
                rep,
                layers=spec.layers,
                singles=spec.translation_singles,
                pair_letters=tuple(spec.translation_pairs),
            )
            engine = PauliPropagationEngine(
                enc.circuit() + ansatz,
                default_readout(enc, rep, 2),
                max_weight=spec.translation_max_weight,
            )
        predict, info = train_quantum(
            engine,
            xtr,
            ytr,
            epochs=spec.epochs,
            lr=spec.sn_rate(n) if model == "sn" else spec.lr,
            seed=seed,
            time_limit_s=time_limit_s - (time.perf_counter() - t0),
        )
        acc = float((predict(xte) == yte).mean())
        status = "ok" if info["epochs_done"] == spec.epochs else "partial"
        row.update(status=status, test_acc=acc, epochs_done=info["epochs_done"])
        row.update(train_loss=info["train_loss"], encode_s=info["encode_s"])
        if isinstance(engine, PauliPropagationEngine):
            row["error_bar"] = float(engine.error_estimate(info["theta"], xte[:32]).max())
            row["n_strings"] = engine.n_strings.get("peak")
    row["orbit_acc"] = row["test_acc"]  # every model here is invariant under the lattice's group
    row["seconds"] = time.perf_counter() - t0
    return row


def digits64_cell(spec: Digits64Spec, model: str, seed: int, time_limit_s: float) -> dict[str, Any]:
    """One digits cell: 8×8 images, one qubit per pixel; test and D4-orbit accuracy."""
    t0 = time.perf_counter()
    x, y = load_digits_images(tuple(spec.classes))
    split = balanced_split(x, y, spec.n_train, n_val=0, n_test=spec.n_test, seed=seed)
    group = grid_d4(8)
    orbit = np.asarray(group.act_all(split.x_test))  # (8, N, 8, 8)
    xtr, xte = split.x_train.reshape(-1, 64), split.x_test.reshape(-1, 64)
    row = _row("digits64", model, "pauli" if model == "invariant" else "sklearn", 64, seed)
    row.update(layers=spec.layers if model == "invariant" else None, error_bar=0.0)
    if model == "logistic":
        predict = _logistic(xtr, split.y_train)
        row.update(status="ok", epochs_done=None)
    elif model == "logistic-d4":  # trained on all 8 D4 copies of every training image
        augmented = np.asarray(group.act_all(split.x_train)).reshape(-1, 64)
        predict = _logistic(augmented, np.tile(split.y_train, len(group)))
        row.update(status="ok", epochs_done=None)
    else:
        enc = AngleEncoding((8, 8), scale=spec.scale)
        rep = enc.representation(group)
        ansatz = equivariant_ansatz(
            rep, layers=spec.layers, singles=spec.singles, pair_letters=tuple(spec.pair_letters)
        )
        engine = PauliPropagationEngine(
            enc.circuit() + ansatz, default_readout(enc, rep, 2), max_weight=spec.max_weight
        )
        predict, info = train_quantum(
            engine,
            xtr,
            split.y_train,
            epochs=spec.epochs,
            lr=spec.lr,
            seed=seed,
            time_limit_s=time_limit_s,
        )
        status = "ok" if info["epochs_done"] == spec.epochs else "partial"
        row.update(status=status, epochs_done=info["epochs_done"], train_loss=info["train_loss"])
        row["error_bar"] = float(engine.error_estimate(info["theta"], xte[:32]).max())
        row["n_strings"] = engine.n_strings.get("peak")
        row["max_weight"] = spec.max_weight
    row["test_acc"] = float((predict(xte) == split.y_test).mean())
    copies = [float((predict(o.reshape(-1, 64)) == split.y_test).mean()) for o in orbit]
    row["orbit_acc"] = float(np.mean(copies))
    row["seconds"] = time.perf_counter() - t0
    return row
