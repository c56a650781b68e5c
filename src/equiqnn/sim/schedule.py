"""Where noise goes: the time-ordered list of gates and channels that every noisy engine follows.

Rules (``NoiseModel`` states them; this is the one place engines read them from):
``placement="gate"`` — after every gate, on the qubits it touches; state preparation of an amplitude
circuit counts as a gate on every qubit. ``placement="layer"`` — once per qubit at every layer
barrier (encodings and ansatz layers end with one) and at the end of a circuit that does not end
with a barrier. ``idle`` — at each layer end, on the qubits the layer did not touch.
"""

from __future__ import annotations

from typing import NamedTuple

from equiqnn.circuits import Barrier, Circuit
from equiqnn.circuits.ir import Op
from equiqnn.noise import Channel, NoiseModel

__all__ = ["Scheduled", "noisy_schedule"]


class Scheduled(NamedTuple):
    """One entry: a gate (``op``) or a channel on ``qubits`` (``op`` is None)."""

    op: Op | None
    channel: Channel | None
    qubits: tuple[int, ...]


def noisy_schedule(circuit: Circuit, noise: NoiseModel | None) -> list[Scheduled]:
    """Gates and channels of ``circuit`` under ``noise``, in time order (barriers dropped)."""
    n = circuit.n_qubits
    out: list[Scheduled] = []
    touched: set[int] = set()

    def channels(items) -> None:
        out.extend(Scheduled(None, ch, tuple(qs)) for ch, qs in items)

    def layer_end() -> None:
        if noise is not None:
            channels(noise.ops_after_layer(n, touched))
        touched.clear()

    if circuit.initial == "amplitude" and noise is not None:
        channels(noise.ops_after_gate(range(n)))
        touched.update(range(n))
    for op in circuit.ops:
        if isinstance(op, Barrier):
            layer_end()
            continue
        out.append(Scheduled(op, None, tuple(op.qubits)))
        touched.update(op.qubits)
        if noise is not None:
            channels(noise.ops_after_gate(op.qubits))
    if circuit.ops and not isinstance(circuit.ops[-1], Barrier):
        layer_end()
    return out
