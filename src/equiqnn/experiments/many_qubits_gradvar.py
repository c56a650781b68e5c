"""Gradient variance at initialization vs qubits, for S_n, ring and D4-grid invariant circuits.

For one cell (family, size, layers, seed): ``inputs`` random product inputs ``x ~ U[0, π)^n``
(``R_Y(x_q)|0⟩`` on qubit q) are drawn and encoded once; then for each of ``draws`` random parameter
vectors ``θ ~ U[-π, π)^P`` the gradient ``∂⟨O⟩(x, θ)/∂θ_k`` of the mean-X readout
``O = Σ_q X_q / n`` is taken for every input and parameter. The statistic is

    grad_var = mean over inputs b and parameters k of Var_θ[∂_k ⟨O⟩(x_b, θ)]

with a bootstrap over the draws for its standard error and 95 % interval. Drawing stops early
(cooperatively) when the cell's time limit is reached; fewer than ``min_draws`` draws give no value.

Engines: ``sn`` (``SnSectorEngine``, generators ``Σ`` of the single letters and ``Σ_{i<j}`` of the
pair letters), ``statevector`` and ``pauli`` (``PauliPropagationEngine``, weight-truncated when
``max_weight`` is set; the error bar is its ``error_estimate`` on the first ``error_draws`` draws).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from equiqnn.circuits import AngleEncoding, equivariant_ansatz
from equiqnn.experiments.many_qubits_spec import FamilySpec, GradVarSpec
from equiqnn.groups import cyclic, grid_d4
from equiqnn.models.factories import default_readout
from equiqnn.sim import PauliPropagationEngine, SnSectorEngine, StatevectorEngine
from equiqnn.sim.memory import available_memory_bytes
from equiqnn.sim.sn_spin import canonical_spec, observable_scale

__all__ = ["n_qubits_of", "build_engine", "gradient_samples", "bootstrap_var", "gradvar_cell"]

MAX_ROWS = 32  # parameter draws per call of an engine that takes rows (the S_n engine)
MEMORY_SHARE = 0.2  # of the available memory for one call's autograd state (two workers run)


def n_qubits_of(family: FamilySpec, size: int) -> int:
    """Qubits of a family at ``size`` (a side for the D4 grid, a qubit count otherwise)."""
    return size * size if family.name == "d4" else size


def build_engine(family: FamilySpec, size: int, layers: int) -> Any:
    """The engine computing the mean-X readout of ``family`` at ``size`` with ``layers`` layers."""
    n = n_qubits_of(family, size)
    letters: list[Any] = list(family.singles) + list(family.pair_letters)
    if family.normalized:  # {term: 1 / number of Pauli strings}: generators of norm 1
        letters = [{t: 1.0 / observable_scale(canonical_spec(t, n)[0][0], n)} for t in letters]
    if family.engine == "sn":
        return SnSectorEngine(n, letters, ["X"], layers=layers)
    if family.name == "sn":  # the S_n circuit written out gate by gate (small n only)
        sn = SnSectorEngine(n, letters, ["X"], layers=layers)
        circuit, obs = sn.to_circuit(), sn.to_observables()
    else:
        shape: tuple[int, ...] = (size, size) if family.name == "d4" else (size,)
        group = grid_d4(size) if family.name == "d4" else cyclic(size)
        enc = AngleEncoding(shape)
        rep = enc.representation(group)
        ansatz = equivariant_ansatz(
            rep, layers=layers, singles=family.singles, pair_letters=tuple(family.pair_letters)
        )
        circuit = enc.circuit() + ansatz
        obs = default_readout(enc, rep, 2)
    if family.engine == "pauli":
        return PauliPropagationEngine(circuit, obs, max_weight=family.max_weight)
    return StatevectorEngine(circuit, obs)


def _n_params(engine: Any) -> int:
    return int(engine.n_params if isinstance(engine, SnSectorEngine) else engine.circuit.n_params)


def gradient_samples(
    engine: Any,
    x: np.ndarray,
    draws: int,
    rng: np.random.Generator,
    *,
    time_limit_s: float = float("inf"),
    error_draws: int = 0,
) -> tuple[np.ndarray, float | None]:
    """Gradients ``(D, B, P)`` (float64) of the first readout for ``D <= draws`` parameter draws.

    Args:
        engine: an engine with ``encode`` (optional) and ``engine(params, data) -> (B, K)``.
        x: inputs ``(B, n)``.
        draws: parameter draws ``θ ~ U[-π, π)^P`` from ``rng``.
        time_limit_s: stop after the draw that crosses this many seconds (at least one draw).
            The S_n engine takes draws in batches of parameter rows, sized from the measured time
            per draw to fit the time left (the draws and their order are the same).
        error_draws: afterwards, if time is left, the engine's error estimate at the first this
            many draws.
    Returns:
        ``(grads, error_bar)``; ``error_bar`` is the largest error estimate (0 when the engine is
        exact, ``None`` when not measured for lack of time).
    """
    t0 = time.perf_counter()
    xt = torch.as_tensor(x, dtype=torch.float64)
    data = engine.encode(xt) if hasattr(engine, "encode") else xt
    p = _n_params(engine)
    out: list[np.ndarray] = []
    thetas: list[torch.Tensor] = []
    rows_ok = isinstance(engine, SnSectorEngine)  # evaluates parameter rows (T, P) at once
    max_rows = MAX_ROWS
    if rows_ok:  # autograd keeps one state per gate run and row: stay within a memory share
        share = MEMORY_SHARE * available_memory_bytes()
        max_rows = int(max(1, min(MAX_ROWS, share // max(engine.memory_per_row(data), 1))))
    chunk = 1
    while len(out) < draws:
        new = [
            torch.as_tensor(rng.uniform(-np.pi, np.pi, p), dtype=torch.float64)
            for _ in range(min(chunk, draws - len(out)))
        ]
        thetas += new
        t_chunk = time.perf_counter()
        out += _gradients(engine, torch.stack(new), data, rows_ok)
        elapsed = time.perf_counter() - t0
        if elapsed > time_limit_s:
            break
        if rows_ok:  # as many draws as fit in the time left, at most MAX_ROWS per call
            per_draw = max((time.perf_counter() - t_chunk) / len(new), 1e-9)
            fit = (time_limit_s - elapsed) / per_draw if math.isfinite(time_limit_s) else max_rows
            chunk = int(max(1, min(max_rows, fit)))
    err: float | None = 0.0
    if _truncated(engine) and error_draws > 0:
        if time.perf_counter() - t0 > time_limit_s:
            err = None
        else:
            err = max(_error(engine, th, data) for th in thetas[:error_draws])
    return np.stack(out), err


def _gradients(engine: Any, theta: torch.Tensor, data: Any, rows_ok: bool) -> list[np.ndarray]:
    """``∂⟨O_0⟩(x_b, θ_t)/∂θ_t`` as one ``(B, P)`` array per row ``t`` of ``theta`` ``(T, P)``:
    all rows in one call when the engine takes rows (row t's value depends on θ_t only), else one
    call per row."""
    out: list[np.ndarray] = []
    for chunk in [theta] if rows_ok else [row[None] for row in theta]:
        th = chunk.clone().requires_grad_(True)
        val = engine(th if rows_ok else th[0], data)[..., 0].reshape(th.shape[0], -1)  # (T, B)
        per_b = [
            torch.autograd.grad(val[:, b].sum(), th, retain_graph=b + 1 < val.shape[1])[0]
            for b in range(val.shape[1])
        ]
        out += list(torch.stack(per_b, 1).detach().numpy())  # T × (B, P)
    return out


def _truncated(engine: Any) -> bool:
    if isinstance(engine, SnSectorEngine):
        return True  # its error estimate is cheap (and 0 on the exact path)
    if isinstance(engine, PauliPropagationEngine):
        return engine.max_weight is not None or getattr(engine, "min_coeff", 0.0) > 0
    return False


def _error(engine: Any, theta: torch.Tensor, data: Any) -> float:
    if isinstance(engine, SnSectorEngine):
        return float(engine.error_estimate(data).max())
    if isinstance(engine, PauliPropagationEngine):
        return float(engine.error_estimate(theta, data).max())
    return 0.0


def bootstrap_var(
    grads: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[float, float, float, float]:
    """``(value, se, lo, hi)``: mean over inputs and parameters of the variance over draws (axis 0),
    its bootstrap standard error and 2.5 / 97.5 % percentiles (resampling draws)."""
    d = grads.shape[0]
    value = float(grads.var(axis=0, ddof=1).mean())
    stats = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, d, d)
        stats[i] = grads[idx].var(axis=0, ddof=1).mean()
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return value, float(stats.std(ddof=1)), float(lo), float(hi)


def gradvar_cell(
    spec: GradVarSpec,
    label: str,
    size: int,
    layers: int,
    seed: int,
    time_limit_s: float,
) -> dict[str, Any]:
    """One gradient-variance cell as a flat row (see the module docstring)."""
    family = spec.families[label]
    t0 = time.perf_counter()
    n = n_qubits_of(family, size)
    rng = np.random.default_rng([seed, n, layers])
    x = rng.uniform(0.0, np.pi, (spec.inputs, n))
    engine = build_engine(family, size, layers)
    draws = family.draws or spec.draws
    grads, err = gradient_samples(
        engine, x, draws, rng, time_limit_s=time_limit_s, error_draws=spec.error_draws
    )
    row: dict[str, Any] = {
        "study": "many_qubits",
        "part": "gradvar",
        "model": label,
        "family": family.name,
        "engine": family.engine,
        "size": size,
        "n_qubits": n,
        "layers": layers,
        "seed": seed,
        "n_params": int(grads.shape[2]),
        "draws": int(grads.shape[0]),
        "draws_requested": draws,
        "error_bar": err,
        "max_weight": family.max_weight,
    }
    if grads.shape[0] < spec.min_draws:
        row.update(status="time_limit", grad_var=None, grad_var_se=None)
        row.update(grad_var_lo=None, grad_var_hi=None)
    else:
        value, se, lo, hi = bootstrap_var(grads, spec.bootstrap, rng)
        status = "ok" if grads.shape[0] == draws else "partial"
        row.update(status=status, grad_var=value, grad_var_se=se, grad_var_lo=lo, grad_var_hi=hi)
    row["seconds"] = time.perf_counter() - t0
    return row
