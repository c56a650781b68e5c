"""Pauli algebra, qubit representations, twirling, and symmetry checks."""

from equiqnn.symmetry.checks import (
    InvarianceError,
    InvarianceReport,
    assert_invariant,
    check_invariance,
)
from equiqnn.symmetry.lie import DLAResult, dla
from equiqnn.symmetry.lie_sn import (
    SN_DLA_FORMULAS,
    dla_table,
    format_dla_table,
    sn_dla_dimension,
    sn_generators,
)
from equiqnn.symmetry.pauli import PAULI_MATRICES, PauliString, PauliSum, validate_label
from equiqnn.symmetry.representation import Representation
from equiqnn.symmetry.twirl import (
    equivariant_generators,
    invariant_observables,
    is_invariant_operator,
    normalize_generator,
    twirl,
)

__all__ = [
    "PAULI_MATRICES",
    "PauliString",
    "PauliSum",
    "validate_label",
    "Representation",
    "twirl",
    "is_invariant_operator",
    "equivariant_generators",
    "invariant_observables",
    "normalize_generator",
    "InvarianceReport",
    "InvarianceError",
    "check_invariance",
    "assert_invariant",
    "DLAResult",
    "dla",
    "dla_table",
    "format_dla_table",
    "sn_generators",
    "sn_dla_dimension",
    "SN_DLA_FORMULAS",
]
