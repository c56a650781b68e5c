"""Noise for equiqnn: Kraus channels, readout errors and a ``NoiseModel`` describing where they act.

Conventions (defined in ``channel`` and ``readout``): qubit 0 is the most significant bit of a
basis index; Kraus operators ``K_k`` act as ``ρ → Σ K_k ρ K_k†`` and are complex128 arrays;
superoperators use row-major ``vec``; a rotation about a Pauli ``P`` is ``exp(-iθP/2)``;
``p01 = P(read 1 | prepared 0)`` and ``p10 = P(read 0 | prepared 1)``.

Channels: ``depolarizing``, ``depolarizing2``, ``bit_flip``, ``phase_flip``, ``pauli_channel``,
``amplitude_damping``, ``generalized_amplitude_damping``, ``phase_damping``,
``thermal_relaxation``, ``over_rotation`` and ``Channel.from_kraus``. ``NoiseModel`` says which
channel acts where (``placement="gate"`` or ``"layer"``); ``apply_channel_dense`` applies a channel
to batched torch density matrices.
"""

from equiqnn.noise.channel import Channel
from equiqnn.noise.coherent import over_rotation
from equiqnn.noise.config import (
    channel_from_config,
    channel_to_config,
    noise_from_config,
    noise_to_config,
)
from equiqnn.noise.damping import (
    amplitude_damping,
    generalized_amplitude_damping,
    phase_damping,
    thermal_relaxation,
)
from equiqnn.noise.dense import apply_channel_dense
from equiqnn.noise.model import PLACEMENTS, NoiseModel
from equiqnn.noise.pauli_channels import (
    bit_flip,
    depolarizing,
    depolarizing2,
    pauli_channel,
    phase_flip,
)
from equiqnn.noise.paulis import pauli_labels, pauli_matrix
from equiqnn.noise.readout import ReadoutError, readout_error
from equiqnn.noise.trajectory import TrajectoryOps

__all__ = [
    "Channel",
    "TrajectoryOps",
    "depolarizing",
    "depolarizing2",
    "bit_flip",
    "phase_flip",
    "pauli_channel",
    "amplitude_damping",
    "generalized_amplitude_damping",
    "phase_damping",
    "thermal_relaxation",
    "over_rotation",
    "ReadoutError",
    "readout_error",
    "NoiseModel",
    "PLACEMENTS",
    "apply_channel_dense",
    "noise_to_config",
    "noise_from_config",
    "channel_to_config",
    "channel_from_config",
    "pauli_matrix",
    "pauli_labels",
]
