"""Engines that evaluate circuits on batches: statevector, dense reference; memory checks."""

from equiqnn.sim.covariance import CovarianceReport, covariance
from equiqnn.sim.density import DensityMatrixEngine
from equiqnn.sim.memory import MemoryEstimateError, available_memory_bytes
from equiqnn.sim.pauli_propagation import PauliPropagationEngine, PropData
from equiqnn.sim.reference import dense_density_expectations, dense_expectations, dense_states
from equiqnn.sim.schedule import Scheduled, noisy_schedule
from equiqnn.sim.shots import ShotEstimator, with_shots
from equiqnn.sim.sn_sector import SnData, SnFrames, SnSectorEngine, encode_product_sectors
from equiqnn.sim.statevector import StatevectorEngine
from equiqnn.sim.trajectories import TrajectoryEngine

__all__ = [
    "StatevectorEngine",
    "DensityMatrixEngine",
    "covariance",
    "CovarianceReport",
    "TrajectoryEngine",
    "SnSectorEngine",
    "SnData",
    "SnFrames",
    "encode_product_sectors",
    "PauliPropagationEngine",
    "PropData",
    "ShotEstimator",
    "with_shots",
    "noisy_schedule",
    "Scheduled",
    "MemoryEstimateError",
    "available_memory_bytes",
    "dense_expectations",
    "dense_density_expectations",
    "dense_states",
]
