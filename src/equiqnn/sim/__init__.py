"""Engines that evaluate circuits on batches: statevector, dense reference; memory checks."""

from equiqnn.sim.memory import MemoryEstimateError, available_memory_bytes
from equiqnn.sim.reference import dense_expectations, dense_states
from equiqnn.sim.statevector import StatevectorEngine

__all__ = [
    "StatevectorEngine",
    "MemoryEstimateError",
    "available_memory_bytes",
    "dense_expectations",
    "dense_states",
]
