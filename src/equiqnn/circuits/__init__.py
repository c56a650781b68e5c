"""Circuit IR, encodings that derive their qubit representation, and ansatz builders."""

from equiqnn.circuits.ansatz import (
    control_ansatz,
    default_pairs,
    equivariant_ansatz,
    hardware_efficient_ansatz,
    register_ansatz,
)
from equiqnn.circuits.encodings import (
    AngleEncoding,
    Encoding,
    RegisterAmplitude,
    check_encoding_equivariance,
)
from equiqnn.circuits.ir import (
    FIXED_GATES,
    Barrier,
    Circuit,
    DataRotation,
    FixedGate,
    GeneratorRotation,
    PauliRotation,
    rotation_ops,
)

__all__ = [
    "FIXED_GATES",
    "Barrier",
    "Circuit",
    "DataRotation",
    "FixedGate",
    "GeneratorRotation",
    "PauliRotation",
    "rotation_ops",
    "Encoding",
    "AngleEncoding",
    "RegisterAmplitude",
    "check_encoding_equivariance",
    "equivariant_ansatz",
    "control_ansatz",
    "register_ansatz",
    "hardware_efficient_ansatz",
    "default_pairs",
]
