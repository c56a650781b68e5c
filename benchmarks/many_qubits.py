"""Issue-12 many-qubit benchmarks (equiqnn only: no peer simulates these models at this size).

Cases (each runs in its own fresh process, like every pair of the suite; ``run_mq`` is the body):

* ``mq-sn-n{64,256,1024}-L3-B64`` — ``SnSectorEngine`` (``sim/sn_sector.py``), the S_n-invariant
  model: angle encoding ``R_Y(x_i)|0⟩``, 3 layers of the collective generators ``["ZZ", "X"]``
  (``Σ_{i<j} Z_iZ_j`` then ``Σ_i X_i``, own parameter each), observables ``["Z", "ZZ"]``
  (``Σ Z_i / n``, ``Σ Z_iZ_j / C(n, 2)``), float64. One step = forward over the batch of 64 +
  gradient of ``mean((⟨Z⟩ − 0.5)²)`` by autograd; the batch is encoded once beforehand (the engine
  contract: ``encode`` is cacheable) and its time reported per sample as ``encode_s_per_sample``.
  ``x ~ U[0, π)`` (seed 0), ``θ ~ U[0, 2π)`` (seed 1). Targets (issue 12): ≤ 0.4 s at n = 256,
  ≤ 5 s at n = 1024.
* ``mq-sn-n1024-train200`` — produced by the n = 1024 process: 200 Adam steps (step above +
  ``optimizer.step()``) run and timed end to end (the record's ``median_s`` is their total, its
  ``step_median_s`` the median step); target ≤ 20 min. Encoding is excluded (done once, reported
  separately).
* ``mq-sn-n1024-encode`` — ``SnSectorEngine.encode`` time per sample at n = 1024 (one warm-up
  sample, then timed single samples); target ≤ 1 s per sample.
* ``mq-pauli-d4-8x8-L2-B64-fwd`` / ``-step`` — ``PauliPropagationEngine`` exact (no truncation) on
  the 8×8 D4 model: ``AngleEncoding((8, 8), axis="Y")`` + ``equivariant_ansatz(rep, layers=2,
  singles="X", pair_letters=("ZZ",))`` (52 parameters), observable the mean of ``Z_iZ_j`` over the
  112 nearest-neighbour pairs of the grid (a D4-invariant observable), batch 64. ``-fwd``: forward
  only (target ≤ 0.5 s); ``-step``: forward + gradient. The first call (planning the string
  bookkeeping) is reported separately as ``compile_s``.

Torch threads per case (``MQCase.threads``), whichever was faster on the 2-core machine: two for
the S_n steps at n ≥ 256 (large products split well: n = 1024 went from 4.5 s to 3.1 s) and the
n = 1024 encoding (0.85 s → 0.65 s per sample), one for n = 64 and the Pauli 8×8 cases (their
operations are too small to split: 3.6 ms on one thread, 8.6 ms on two).
``EQUIQNN_BENCH_MQ_THREADS`` overrides them all. Unlike the peer comparisons, these processes keep
OpenMP's default wait policy (as a user runs them; ``OMP_WAIT_POLICY=PASSIVE``, which the suite
sets for the peer pairs, makes each of the encoding's ~30,000 small parallel regions wake sleeping
threads: 1.0–1.2 s per sample instead of 0.65 s).
Only public engine API is used (constructor, ``encode``, ``__call__``, ``error_estimate``), so the
cases follow the engines as they get faster. A case that is infeasible today is stopped by the
runner's per-case time (or memory) limit and reported as "timeout" (or "out of memory").
``--quick`` encodes fewer distinct samples at n = 256 (the batch of 64 repeats them: the step's
cost does not depend on the values) and skips n = 1024 steps, saying so.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from benchmarks.machine import ForeignLoad, memory_status_mb

__all__ = ["MQCase", "Output", "mq_grid", "mq_case_by_id", "run_mq", "SN_GENERATORS"]

SN_GENERATORS = ["ZZ", "X"]
SN_OBSERVABLES = ["Z", "ZZ"]
TRAIN_STEPS = 200
THREADS_ENV = "EQUIQNN_BENCH_MQ_THREADS"  # overrides every case's own torch thread count


@dataclass(frozen=True)
class Output:
    """One record a many-qubit process produces: its id, its target (seconds) and the target's
    wording in issue 12."""

    id: str
    target_s: float | None
    target: str


@dataclass(frozen=True)
class MQCase:
    """One many-qubit process: ``kind`` is ``"sn-step"``, ``"sn-encode"`` or ``"pauli"``.

    ``distinct``: distinct samples encoded (the rest of the batch repeats them; 0 = all distinct).
    ``requires``: a record id that must have finished ``ok`` first (else this case is not run).
    ``threads``: torch threads (what is fastest on the 2-core machine: two for the large S_n
    products, one where single operations are too small to split, see the module docstring).
    """

    id: str
    kind: str
    n: int
    batch: int
    layers: int
    outputs: tuple[Output, ...]
    distinct: int = 0
    requires: str = ""
    simulator: str = field(default="equiqnn-sn")
    threads: int = 1

    @property
    def label(self) -> str:
        if self.kind == "pauli":
            return f"D4 8x8 (n={self.n}) ZZ L={self.layers} B={self.batch}, Pauli propagation"
        if self.kind == "sn-encode":
            return f"S_n n={self.n}: encoding per sample"
        return f"S_n n={self.n} L={self.layers} B={self.batch}"


def _sn(n: int, outputs: tuple[Output, ...], distinct: int = 0, requires: str = "") -> MQCase:
    threads = 2 if n >= 256 else 1
    return MQCase(
        f"mq-sn-n{n}-L3-B64", "sn-step", n, 64, 3, outputs, distinct, requires, threads=threads
    )


ENCODE_1024 = MQCase(
    "mq-sn-n1024-encode",
    "sn-encode",
    1024,
    1,
    3,
    (Output("mq-sn-n1024-encode", 1.0, "≤ 1 s per sample"),),
    threads=2,
)
PAULI_8X8 = MQCase(
    "mq-pauli-d4-8x8-L2-B64",
    "pauli",
    64,
    64,
    2,
    (
        Output("mq-pauli-d4-8x8-L2-B64-fwd", 0.5, "≤ 0.5 s (exact, batch 64)"),
        Output("mq-pauli-d4-8x8-L2-B64-step", None, "— (forward + gradient)"),
    ),
    simulator="equiqnn-pauliprop",
)


def mq_grid(quick: bool = False) -> list[MQCase]:
    """The many-qubit cases (``quick``: fewer distinct samples at n = 256, no n = 1024 steps)."""
    n64 = _sn(64, (Output("mq-sn-n64-L3-B64", None, "— (issue 12 measured ≈ 0.06 s)"),))
    n256 = (Output("mq-sn-n256-L3-B64", 0.4, "≤ 0.4 s"),)
    n1024 = (
        Output("mq-sn-n1024-L3-B64", 5.0, "≤ 5 s"),
        Output("mq-sn-n1024-train200", 1200.0, "≤ 20 min for 200 steps"),
    )
    if quick:
        return [n64, _sn(256, n256, distinct=2), ENCODE_1024, PAULI_8X8]
    return [n64, _sn(256, n256), PAULI_8X8, ENCODE_1024, _sn(1024, n1024, requires=ENCODE_1024.id)]


def mq_case_by_id(case_id: str) -> MQCase:
    """The many-qubit case with this process id, from either grid, or parsed ``mq-sn-n{N}-…``
    (tests and ad-hoc runs at other sizes)."""
    for c in mq_grid(False) + mq_grid(True):
        if c.id == case_id:
            return c
    parts = case_id.split("-")
    if len(parts) >= 3 and parts[:2] == ["mq", "sn"] and parts[2].startswith("n"):
        n = int(parts[2][1:])
        distinct = int(parts[5][1:]) if len(parts) > 5 and parts[5].startswith("d") else 0
        if len(parts) > 3 and parts[3] == "encode":
            return MQCase(case_id, "sn-encode", n, 1, 3, (Output(case_id, None, "—"),))
        return MQCase(case_id, "sn-step", n, 64, 3, (Output(case_id, None, "—"),), distinct)
    if len(parts) == 6 and parts[:3] == ["mq", "pauli", "d4"]:  # mq-pauli-d4-{s}x{s}-L{L}-B{B}
        side = int(parts[3].split("x")[0])
        outs = (Output(case_id + "-fwd", None, "—"), Output(case_id + "-step", None, "—"))
        b, layers = int(parts[5][1:]), int(parts[4][1:])
        return MQCase(case_id, "pauli", side * side, b, layers, outs, simulator="equiqnn-pauliprop")
    raise ValueError(f"unknown many-qubit case {case_id!r}; known: {[c.id for c in mq_grid()]}")


def _features(n: int, batch: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(0.0, math.pi, size=(batch, n))


def _params(n_params: int) -> torch.Tensor:
    theta = np.random.default_rng(1).uniform(0.0, 2 * math.pi, size=n_params)
    return torch.tensor(theta, dtype=torch.float64, requires_grad=True)


def _timed_reps(fn, min_reps: int, budget_s: float) -> tuple[list[float], float]:
    """Median-ready times of ``fn`` (at least one, ``min_reps`` unless the budget runs out) and
    the CPU other processes used meanwhile (cores)."""
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    with ForeignLoad() as load:
        while len(times) < min_reps:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
            if time.perf_counter() + statistics.median(times) > deadline:
                break
    return times, load.cores


def _base(case: MQCase, out: Output) -> dict:
    return {
        "case": out.id,
        "simulator": case.simulator,
        "median_s": None,
        "max_abs_dev": None,  # no dense reference at these sizes (engines are cross-checked ≤ 12)
        "peak_rss_mb": None,
        "kind": "many-qubit",
        "label": case.label,
        "target_s": out.target_s,
        "target": out.target,
        "torch_threads": torch.get_num_threads(),
    }


def _finish(rec: dict, times: list[float], cores: float, min_reps: int) -> dict:
    rec.update(
        status="ok",
        times_s=times,
        reps=len(times),
        median_s=statistics.median(times),
        min_s=min(times),
        foreign_cpu_cores=cores,
        peak_rss_mb=memory_status_mb().get("VmHWM"),
    )
    if len(times) < min_reps:
        rec["note"] = (rec.get("note", "") + f"; {len(times)} timed (time budget)").lstrip("; ")
    return rec


def _sn_step(case: MQCase, min_reps: int, budget_s: float) -> list[dict]:
    from equiqnn.sim.sn_sector import SnSectorEngine

    engine = SnSectorEngine(case.n, SN_GENERATORS, SN_OBSERVABLES, layers=case.layers)
    distinct = case.distinct or case.batch
    x = _features(case.n, distinct)
    t0 = time.perf_counter()
    data = engine.encode(x)
    enc_s = time.perf_counter() - t0
    if distinct < case.batch:
        data = data.select(torch.arange(case.batch) % distinct)
    theta = _params(engine.n_params)
    base_rss = memory_status_mb().get("VmRSS")
    err = float(engine.error_estimate(data).max())

    def step() -> None:
        theta.grad = None
        out = engine(theta, data)
        ((out[:, 0] - 0.5) ** 2).mean().backward()

    t0 = time.perf_counter()
    step()  # warm-up: the first call builds the per-sector constants
    first = time.perf_counter() - t0
    times, cores = _timed_reps(step, min_reps, budget_s)
    note = f"SnSectorEngine float64, {case.layers}x{SN_GENERATORS}, autograd; data pre-encoded"
    if distinct < case.batch:
        note += f" ({distinct} distinct samples repeated to batch {case.batch}: --quick)"
    rec = _base(case, case.outputs[0])
    rec.update(
        note=note,
        encode_s_per_sample=enc_s / distinct,
        first_step_s=first,
        base_rss_mb=base_rss,
        error_estimate=err,
    )
    rec = _finish(rec, times, cores, min_reps)
    rec["compile_s"] = max(0.0, first - rec["median_s"])
    records = [rec]
    if len(case.outputs) > 1:  # the 200-step training estimate, from 5 timed Adam steps
        opt = torch.optim.Adam([theta], lr=0.01)

        def train_step() -> None:
            opt.zero_grad()
            out = engine(theta, data)
            ((out[:, 0] - 0.5) ** 2).mean().backward()
            opt.step()

        with ForeignLoad() as load:  # all 200 steps, timed end to end (not extrapolated)
            times = []
            for _ in range(TRAIN_STEPS):
                t0 = time.perf_counter()
                train_step()
                times.append(time.perf_counter() - t0)
        train = _base(case, case.outputs[1])
        train = _finish(train, times, load.cores, TRAIN_STEPS)
        train["median_s"] = sum(times)
        train["step_median_s"] = statistics.median(times)
        train["extrapolated"] = False
        train["note"] = (
            f"{TRAIN_STEPS} Adam steps run and timed end to end (median step "
            f"{statistics.median(times):.3g} s); encoding of the data excluded "
            f"({enc_s / distinct:.3g} s per sample)"
        )
        records.append(train)
    return records


def _sn_encode(case: MQCase, min_reps: int, budget_s: float) -> list[dict]:
    from equiqnn.sim.sn_sector import SnSectorEngine

    engine = SnSectorEngine(case.n, SN_GENERATORS, SN_OBSERVABLES, layers=case.layers)
    x = _features(case.n, 1 + max(1, min_reps))
    t0 = time.perf_counter()
    engine.encode(x[:1])  # warm-up sample
    first = time.perf_counter() - t0
    row = iter(range(1, x.shape[0]))
    times, cores = _timed_reps(lambda: engine.encode(x[next(row)][None]), min_reps, budget_s)
    rec = _base(case, case.outputs[0])
    rec.update(note="SnSectorEngine.encode, one sample at a time", first_step_s=first)
    return [_finish(rec, times, cores, min_reps)]


def d4_model(side: int = 8, layers: int = 2):
    """The D4 ZZ model on a ``side × side`` grid: circuit and the mean nearest-neighbour ZZ."""
    from equiqnn.circuits import AngleEncoding, equivariant_ansatz
    from equiqnn.groups import grid_d4
    from equiqnn.symmetry import PauliString, PauliSum

    n = side * side
    enc = AngleEncoding((side, side), axis="Y")
    rep = enc.representation(grid_d4(side))
    circuit = enc.circuit() + equivariant_ansatz(
        rep, layers=layers, singles="X", pair_letters=("ZZ",)
    )
    edges = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    edges += [(r * side + c, (r + 1) * side + c) for r in range(side - 1) for c in range(side)]
    terms = {PauliString.on(n, {a: "Z", b: "Z"}).label: 1 / len(edges) for a, b in edges}
    return circuit, [PauliSum(terms, n)]


def _pauli(case: MQCase, min_reps: int, budget_s: float) -> list[dict]:
    from equiqnn.sim.pauli_propagation import PauliPropagationEngine

    side = math.isqrt(case.n)
    circuit, obs = d4_model(side, case.layers)
    engine = PauliPropagationEngine(circuit, obs)  # exact: no weight or coefficient cut
    t0 = time.perf_counter()
    data = engine.encode(torch.as_tensor(_features(case.n, case.batch)))
    enc_s = time.perf_counter() - t0
    theta = _params(circuit.n_params)
    base_rss = memory_status_mb().get("VmRSS")
    t0 = time.perf_counter()
    with torch.no_grad():
        engine(theta, data)  # first call: plans the string bookkeeping
    first = time.perf_counter() - t0

    def forward() -> None:
        with torch.no_grad():
            engine(theta, data)

    def step() -> None:
        theta.grad = None
        engine(theta, data)[:, 0].mean().backward()

    strings = engine.n_strings.get("peak", engine.n_strings.get("final", "?"))
    note = f"PauliPropagationEngine exact, {circuit.n_params} params, {strings} strings (peak)"
    records = []
    for out, fn in zip(case.outputs, (forward, step), strict=True):
        fn()  # warm-up of this kind of call
        times, cores = _timed_reps(fn, min_reps, budget_s)
        rec = _base(case, out)
        rec.update(
            note=note + ("; forward only" if fn is forward else "; forward + autograd gradient"),
            first_step_s=first,
            compile_s=first,
            encode_s_per_sample=enc_s / case.batch,
            base_rss_mb=base_rss,
            error_estimate=float(engine.error_estimate(theta, data).max()),
        )
        records.append(_finish(rec, times, cores, min_reps))
    return records


def run_mq(case_id: str, min_reps: int, budget_s: float) -> list[dict]:
    """Run one many-qubit case in this process; one record per output of the case."""
    case = mq_case_by_id(case_id)
    torch.set_num_threads(int(os.environ.get(THREADS_ENV, case.threads)))
    body = {"sn-step": _sn_step, "sn-encode": _sn_encode, "pauli": _pauli}[case.kind]
    return body(case, min_reps, budget_s)
