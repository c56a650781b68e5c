"""Seeded finite-shot estimates of any engine's expectations.

An engine returns exact expectations ``⟨O_k⟩`` of Hermitian Pauli sums ``O_k = Σ_t c_kt P_t``. A device
returns averages of ``shots`` measurement outcomes instead. ``ShotEstimator`` turns the exact values
into such finite-shot estimates:

* **Measurement settings.** One measurement setting per distinct non-identity Pauli string ``P_t``
  among all observables, measured ``shots`` times. Each shot yields an eigenvalue ``±1`` with
  ``P(+1) = (1 + ⟨P_t⟩) / 2``, so the number of ``+1`` outcomes is ``Binomial(shots, (1 + ⟨P_t⟩)/2)``
  and the estimate of ``⟨P_t⟩`` is ``(2·n₊ − shots) / shots``. Settings are sampled independently
  of each other (strings that commute qubit-wise are *not* merged into one setting; merging needs
  their joint outcome distribution, which an expectation-only engine does not give). A string that
  occurs in several observables is measured once and its samples are reused by every observable
  containing it, so those observables' estimates are correlated, as on a device reusing the data.
* **Identity terms** (``"II…I"``) are constants and enter exactly.
* **Estimate** of ``⟨O_k⟩``: ``Σ_t Re(c_kt) · estimate(P_t) + Re(c_k,identity)``; its standard
  error is ``sqrt(Σ_t c_kt² (1 − ⟨P_t⟩²) / shots)`` (``standard_error``).

The exact ``⟨P_t⟩`` come from a *companion engine* evaluating the single strings: by default
``type(engine)(engine.circuit, [P_1, …, P_T], **extra)``, where ``extra`` carries every further
constructor argument that the engine stores under an attribute of the same name (for
``StatevectorEngine``: ``max_memory``, ``adjoint``); pass ``make_engine(observables)`` for engines
whose state cannot be recovered that way. ``DensityMatrixEngine`` (``noise``, ``max_memory``,
``segments``) is rebuilt automatically; a stochastic engine (e.g. trajectories) rebuilt this way
draws its own samples, so its per-string expectations are not those of the wrapped engine's calls.

Randomness: a ``numpy.random.Generator`` seeded by ``seed``, advanced by each call, so repeated calls
give fresh samples (like repeated runs on a device); ``reset()`` returns it to the seeded state, after
which the same calls reproduce the same numbers. Nothing touches global random state.

The estimator is itself engine-like (``observables``, ``circuit``, ``n_qubits``, ``name``, and
``estimator(params, inputs)``), so it can stand in for a model's engine, e.g.
``model.engine = ShotEstimator(model.engine, shots=1000, seed=0)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from equiqnn.symmetry import PauliSum

__all__ = ["ShotEstimator", "with_shots"]

EngineFactory = Callable[[list[PauliSum]], Any]

_HERMITIAN_ATOL = 1e-12


def _check_int(value: Any, name: str, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer >= {minimum}; got {type(value).__name__} {value!r}. "
            f"Pass e.g. {name}={example}."
        )
    if value < minimum:
        raise ValueError(
            f"{name} must be an integer >= {minimum}; got {value}. Pass e.g. {name}={example}."
        )
    return int(value)


class ShotEstimator:
    """Finite-shot estimates of an engine's observables, with a seeded, advancing generator.

    Args:
        engine: an engine with ``observables`` (a list of ``K`` Hermitian ``PauliSum``) that is
            called as ``engine(params, inputs) -> (B, K)``; without ``make_engine`` it also needs a
            ``circuit`` and a constructor ``type(engine)(circuit, observables, **extra)``.
        shots: measurements per Pauli string (per measurement setting), an integer >= 1.
        seed: seed (integer >= 0) of the ``numpy.random.Generator`` that draws the outcomes.
        make_engine: optional factory ``make_engine(observables) -> engine`` building the companion
            engine over single Pauli strings; use it for engines with constructor state that is not
            stored under the argument's name (e.g. ``lambda obs: NoisyEngine(circ, obs, noise=nm)``).
        straight_through: return ``exact + (sampled − exact).detach()``: the values are the sampled
            ones, the gradients those of the exact expectations. A training convenience, not a
            shot-based gradient estimator (no parameter-shift sampling).

    Call ``estimator(params, inputs)`` with the engine's arguments; returns a real ``(B, K)`` tensor in
    the dtype and device of the companion engine's output (the parameters' dtype for
    ``StatevectorEngine``). Without ``straight_through`` the result is detached from the graph.

    >>> from equiqnn.circuits import Circuit, PauliRotation
    >>> from equiqnn.sim import StatevectorEngine
    >>> circ = Circuit(1, (PauliRotation("X", 0),), n_params=1)
    >>> est = ShotEstimator(StatevectorEngine(circ, [PauliSum("Z")]), shots=100, seed=0)
    >>> est(torch.tensor([0.0]), torch.zeros(3, 0)).tolist()  # ⟨Z⟩ = 1 exactly: every shot reads +1
    [[1.0], [1.0], [1.0]]
    """

    def __init__(
        self,
        engine: Any,
        shots: int,
        seed: int,
        *,
        make_engine: EngineFactory | None = None,
        straight_through: bool = False,
    ) -> None:
        self.shots = _check_int(shots, "shots", 1, "1000")
        self.seed = _check_int(seed, "seed", 0, "0")
        if not isinstance(straight_through, bool):
            raise TypeError(
                f"straight_through must be a bool; got {type(straight_through).__name__}."
            )
        self.straight_through = straight_through
        if not callable(engine) or not hasattr(engine, "observables"):
            raise TypeError(
                "engine must be callable as engine(params, inputs) and have a list of PauliSum "
                f"`observables`; got {type(engine).__name__}. Pass e.g. a StatevectorEngine."
            )
        if make_engine is not None and not callable(make_engine):
            raise TypeError(
                f"make_engine must be a callable make_engine(observables) -> engine; got "
                f"{type(make_engine).__name__}."
            )
        self.engine = engine
        observables = list(engine.observables)
        if not observables:
            raise ValueError(
                "engine.observables is empty; the engine needs at least one observable."
            )
        labels, coeffs, const, n_qubits = _term_table(observables)
        self._labels: list[str] = labels
        self._coeffs = coeffs  # float64 (K, T)
        self._const = const  # float64 (K,)
        self._n_qubits_obs = n_qubits
        self.term_engine: Any = None
        if labels:
            terms = [PauliSum({label: 1.0}, n_qubits) for label in labels]
            self.term_engine = (
                make_engine(terms) if make_engine is not None else _rebuild(engine, terms)
            )
        self._rng = np.random.default_rng(self.seed)

    # -- engine-like surface --------------------------------------------------------------------
    @property
    def observables(self) -> list[PauliSum]:
        """The ``K`` observables estimated (those of the wrapped engine)."""
        return list(self.engine.observables)

    @property
    def circuit(self) -> Any:
        """The wrapped engine's circuit."""
        return self.engine.circuit

    @property
    def n_qubits(self) -> int:
        return self._n_qubits_obs

    @property
    def name(self) -> str:
        return f"{getattr(self.engine, 'name', type(self.engine).__name__)}+{self.shots}shots"

    @property
    def labels(self) -> list[str]:
        """The distinct non-identity Pauli strings measured, one measurement setting each."""
        return list(self._labels)

    @property
    def n_settings(self) -> int:
        """Number of measurement settings (distinct non-identity strings); ``shots`` each."""
        return len(self._labels)

    def reset(self) -> None:
        """Return the generator to its seeded state: the next calls repeat the first ones."""
        self._rng = np.random.default_rng(self.seed)

    # -- evaluation -----------------------------------------------------------------------------
    def term_expectations(self, params: Any, inputs: Any) -> torch.Tensor:
        """Exact ``⟨P_t⟩`` of the measured strings, real ``(B, T)`` (``T = n_settings``), with the
        companion engine's graph."""
        if self.term_engine is None:
            raise ValueError(
                "the observables have only identity terms; there is nothing to measure."
            )
        out = self.term_engine(params, inputs)
        if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[1] != self.n_settings:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"the companion engine must return (batch, {self.n_settings}) expectations, one per "
                f"Pauli string; got {got}. make_engine(observables) must build an engine over exactly "
                "the observables it is given."
            )
        return out

    def exact(self, params: Any, inputs: Any) -> torch.Tensor:
        """Exact ``⟨O_k⟩`` recombined from the strings, real ``(B, K)``, differentiable."""
        if self.term_engine is None:
            return self._constant(params, inputs)
        e = self.term_expectations(params, inputs)
        c = torch.as_tensor(self._coeffs, dtype=e.dtype, device=e.device)
        k0 = torch.as_tensor(self._const, dtype=e.dtype, device=e.device)
        return e @ c.T + k0

    def __call__(self, params: Any, inputs: Any) -> torch.Tensor:
        """Finite-shot estimates ``(B, K)``; draws fresh outcomes and advances the generator."""
        if self.term_engine is None:
            return self._constant(params, inputs)
        e = self.term_expectations(params, inputs)
        means = self._sample(e.detach())
        c = torch.as_tensor(self._coeffs, dtype=e.dtype, device=e.device)
        k0 = torch.as_tensor(self._const, dtype=e.dtype, device=e.device)
        sampled = means.to(dtype=e.dtype, device=e.device) @ c.T + k0
        if not self.straight_through:
            return sampled
        exact = e @ c.T + k0
        return exact + (sampled - exact).detach()

    def standard_error(self, params: Any, inputs: Any) -> torch.Tensor:
        """Standard error of each estimate, ``sqrt(Σ_t c_kt² (1 − ⟨P_t⟩²) / shots)``, real ``(B, K)``,
        detached; zero for identity-only observables."""
        with torch.no_grad():
            if self.term_engine is None:
                return torch.zeros_like(self._constant(params, inputs))
            e = self.term_expectations(params, inputs).detach()
            var = (1.0 - e.to(torch.float64).clamp(-1.0, 1.0) ** 2) / self.shots
            c2 = torch.as_tensor(self._coeffs**2, dtype=torch.float64, device=e.device)
            return (var @ c2.T).sqrt().to(e.dtype)

    def _sample(self, e: torch.Tensor) -> torch.Tensor:
        p = ((1.0 + e.cpu().to(torch.float64).numpy()) / 2.0).clip(0.0, 1.0)
        if not np.all(np.isfinite(p)):
            raise ValueError(
                "the companion engine returned non-finite expectations; check params and inputs."
            )
        plus = self._rng.binomial(self.shots, p)
        return torch.from_numpy((2.0 * plus - self.shots) / self.shots)

    def _constant(self, params: Any, inputs: Any) -> torch.Tensor:
        """Identity-only observables: their constant, ``(B, K)`` in the parameters' float dtype."""
        p = torch.as_tensor(params)
        dtype = p.dtype if p.is_floating_point() else torch.get_default_dtype()
        batch = int(torch.as_tensor(inputs).shape[0])
        k0 = torch.as_tensor(self._const, dtype=dtype, device=p.device)
        return k0.expand(batch, -1).clone()

    def __repr__(self) -> str:
        return (
            f"ShotEstimator({type(self.engine).__name__}, shots={self.shots}, seed={self.seed}, "
            f"{len(self._coeffs)} observables, {self.n_settings} settings"
            f"{', straight_through' if self.straight_through else ''})"
        )


def with_shots(
    engine: Any,
    shots: int,
    seed: int,
    *,
    make_engine: EngineFactory | None = None,
    straight_through: bool = False,
) -> ShotEstimator:
    """``ShotEstimator(engine, shots, seed, ...)``: ``engine``'s observables estimated from ``shots``
    measurements per Pauli string; see ``ShotEstimator``."""
    return ShotEstimator(
        engine, shots, seed, make_engine=make_engine, straight_through=straight_through
    )


def _term_table(
    observables: Sequence[Any],
) -> tuple[list[str], np.ndarray, np.ndarray, int]:
    """Distinct non-identity labels (first-seen order), real coefficients ``(K, T)``, identity
    constants ``(K,)`` and the qubit count."""
    sizes = set()
    for k, obs in enumerate(observables):
        if not isinstance(obs, PauliSum):
            raise TypeError(
                f"engine.observables[{k}] must be a PauliSum; got {type(obs).__name__}. "
                "Build observables with equiqnn.symmetry.PauliSum."
            )
        if not obs.is_hermitian(_HERMITIAN_ATOL):
            raise ValueError(
                f"engine.observables[{k}] = {obs!r} must be Hermitian (real coefficients) to be "
                "measured; drop the imaginary parts."
            )
        sizes.add(obs.n_qubits)
    if len(sizes) != 1:
        raise ValueError(
            f"engine.observables must act on one qubit count; got counts {sorted(sizes)}."
        )
    n = sizes.pop()
    identity = "I" * n
    labels: list[str] = []
    index: dict[str, int] = {}
    for obs in observables:
        for label in obs.terms:
            if label != identity and label not in index:
                index[label] = len(labels)
                labels.append(label)
    coeffs = np.zeros((len(observables), len(labels)), dtype=np.float64)
    const = np.zeros(len(observables), dtype=np.float64)
    for k, obs in enumerate(observables):
        for label, c in obs.terms.items():
            if label == identity:
                const[k] += c.real
            else:
                coeffs[k, index[label]] += c.real
    return labels, coeffs, const, n


def _rebuild(engine: Any, observables: list[PauliSum]) -> Any:
    """``type(engine)(engine.circuit, observables, **extra)`` with ``extra`` read from same-named
    attributes of ``engine``."""
    cls = type(engine)
    hint = (
        "Pass make_engine=lambda observables: YourEngine(circuit, observables, ...) to build the "
        "per-string engine yourself."
    )
    if not hasattr(engine, "circuit"):
        raise TypeError(f"{cls.__name__} has no `circuit` to rebuild it from. {hint}")
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError) as err:
        raise TypeError(f"cannot read the constructor of {cls.__name__} ({err}). {hint}") from err
    params = list(sig.parameters.values())
    if len(params) < 2 or params[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise TypeError(
            f"{cls.__name__} must be constructible as {cls.__name__}(circuit, observables, ...); "
            f"its signature is {sig}. {hint}"
        )
    extra: dict[str, Any] = {}
    for p in params[2:]:
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if p.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise TypeError(
                f"cannot rebuild {cls.__name__}: its constructor takes {p.name!r} positionally "
                f"only. {hint}"
            )
        if hasattr(engine, p.name):
            extra[p.name] = getattr(engine, p.name)
        elif p.default is inspect.Parameter.empty:
            raise TypeError(
                f"cannot rebuild {cls.__name__}: its constructor needs {p.name!r}, which the "
                f"engine does not store as an attribute. {hint}"
            )
    return cls(engine.circuit, observables, **extra)
