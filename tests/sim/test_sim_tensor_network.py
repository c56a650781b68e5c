"""The quimb tensor-network reference equals the statevector engine at n <= 12 (every op type of the
IR, both product starts) and Pauli propagation on the 8×8 (64-qubit) D4 two-layer ZZ circuit; it
names the extra to install when quimb is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from equiqnn.circuits import (
    AngleEncoding,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
    equivariant_ansatz,
)
from equiqnn.groups import cyclic, grid_d4, grid_neighbour_pairs
from equiqnn.sim import PauliPropagationEngine, StatevectorEngine
from equiqnn.sim.tensor_network import tn_expectations
from equiqnn.symmetry import PauliString, PauliSum

pytest.importorskip("quimb")


def _d4_zz(side: int, layers: int = 2) -> tuple[Circuit, object]:
    enc = AngleEncoding((side, side))
    rep = enc.representation(grid_d4(side))
    ansatz = equivariant_ansatz(rep, layers=layers, singles="X", pair_letters=("ZZ",))
    return enc.circuit() + ansatz, rep


def _mean_zz(side: int) -> PauliSum:
    n, pairs = side * side, grid_neighbour_pairs(side, side)
    return PauliSum({PauliString.on(n, {a: "Z", b: "Z"}).label: 1 / len(pairs) for a, b in pairs})


def _inputs(circuit: Circuit, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    params = torch.tensor(rng.uniform(-np.pi, np.pi, circuit.n_params))
    return params, torch.tensor(rng.uniform(0, np.pi, (batch, circuit.n_features)))


def test_matches_statevector_on_every_op_type() -> None:
    """10 qubits from |+>: data rotations, Pauli rotations of several weights, a non-commuting
    generator rotation, fixed H / S / CNOT / CZ / SWAP / X."""
    n = 10
    ops: list = [DataRotation("Z", q, q, 0.9) for q in range(n)]
    ops += [PauliRotation("XXIIIIIIIZ", 0), PauliRotation("IYZXIIIIII", 1, -0.5)]
    ops += [GeneratorRotation(PauliSum({"XIIIIIIIII": 1.0, "ZZIIIIIIII": 0.5}), 2)]
    ops += [
        FixedGate(g, q) for g, q in [("H", (3,)), ("S", (4,)), ("CNOT", (4, 5)), ("CZ", (6, 7))]
    ]
    ops += [FixedGate("SWAP", (1, 8)), FixedGate("X", (9,)), PauliRotation("IIIIIZZYII", 0)]
    circuit = Circuit(n, tuple(ops), 3, "plus", n)
    obs = [
        PauliSum({"ZIIIIIIIIX": 1.0, "IIIIIIIIII": 0.3}),
        PauliSum({"IIIYXIIIII": -0.5, "IIIIIIZZII": 2.0}),
    ]
    params, x = _inputs(circuit, 2, 0)
    want = StatevectorEngine(circuit, obs)(params, x).numpy()
    np.testing.assert_allclose(tn_expectations(circuit, obs, params, x), want, atol=1e-10)


def test_matches_statevector_and_pauli_propagation_on_a_ring() -> None:
    """12 qubits, cyclic ring, ZZ pairs and X singles, two layers (the acceptance size)."""
    n = 12
    enc = AngleEncoding((n,))
    rep = enc.representation(cyclic(n))
    circuit = enc.circuit() + equivariant_ansatz(rep, layers=2, singles="X", pair_letters=("ZZ",))
    obs = [PauliSum({PauliString.on(n, {q: "Z", (q + 1) % n: "Z"}).label: 1 / n for q in range(n)})]
    params, x = _inputs(circuit, 1, 1)
    got = tn_expectations(circuit, obs, params, x)
    np.testing.assert_allclose(got, StatevectorEngine(circuit, obs)(params, x).numpy(), atol=1e-10)
    pp = PauliPropagationEngine(circuit, obs, symmetry=rep)(params, x).numpy()
    np.testing.assert_allclose(got, pp, atol=1e-10)


def test_pauli_propagation_matches_tn_at_8x8_on_local_terms() -> None:
    """64 qubits, D4 two-layer ZZ circuit: a few local terms (no symmetry needed) agree."""
    circuit, _ = _d4_zz(8)
    n = 64
    obs = [
        PauliSum({PauliString.on(n, {27: "Z", 28: "Z"}).label: 1.0}),
        PauliSum({PauliString.on(n, {0: "X"}).label: 1.0}),
    ]
    params, x = _inputs(circuit, 1, 2)
    got = PauliPropagationEngine(circuit, obs)(params, x).numpy()
    np.testing.assert_allclose(got, tn_expectations(circuit, obs, params, x), atol=1e-10)


@pytest.mark.slow
def test_pauli_propagation_matches_tn_on_the_8x8_zz_model() -> None:
    """The acceptance check: the D4-invariant mean of Z_iZ_j over the 112 grid pairs, exact, with
    orbit merging, for two inputs (minutes: 112 light-cone contractions per input)."""
    circuit, rep = _d4_zz(8)
    obs = [_mean_zz(8)]
    params, x = _inputs(circuit, 2, 3)
    got = PauliPropagationEngine(circuit, obs, symmetry=rep)(params, x).numpy()
    np.testing.assert_allclose(got, tn_expectations(circuit, obs, params, x), atol=1e-10)


def test_missing_quimb_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "quimb.tensor", None)
    circuit, _ = _d4_zz(2, layers=1)
    params, x = _inputs(circuit, 1, 4)
    with pytest.raises(ImportError, match=r"pip install 'equiqnn\[tn\]'"):
        tn_expectations(circuit, [_mean_zz(2)], params, x)


def test_bad_input_is_refused() -> None:
    circuit, _ = _d4_zz(2, layers=1)
    params, x = _inputs(circuit, 1, 5)
    with pytest.raises(ValueError, match="params must have shape"):
        tn_expectations(circuit, [_mean_zz(2)], params[:-1], x)
    with pytest.raises(ValueError, match="x must have shape"):
        tn_expectations(circuit, [_mean_zz(2)], params, x[:, :-1])
    with pytest.raises(ValueError, match="Hermitian Pauli sum on 4 qubits"):
        tn_expectations(circuit, [PauliSum({"ZZZ": 1.0})], params, x)
