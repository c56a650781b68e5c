"""equiqnn: group-invariant quantum neural networks.

Groups act on data; encodings derive the qubit representation ``R(g)`` they induce; equivariant
circuits and invariant readouts make ``f(g·x) = f(x)``, which ``check_invariance`` verifies.
"""

from equiqnn.groups import (
    PermutationGroup,
    cyclic,
    dihedral,
    direct_product,
    grid_d4,
    grid_reflections,
    grid_rotations,
    grid_translations,
    sign_flip,
    symmetric,
)
from equiqnn.models import baseline_qnn, control_qnn, invariant_qnn
from equiqnn.symmetry import (
    InvarianceReport,
    PauliString,
    PauliSum,
    assert_invariant,
    check_invariance,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "__version__",
    "PermutationGroup",
    "cyclic",
    "dihedral",
    "symmetric",
    "grid_rotations",
    "grid_d4",
    "grid_reflections",
    "grid_translations",
    "sign_flip",
    "direct_product",
    "PauliString",
    "PauliSum",
    "InvarianceReport",
    "check_invariance",
    "assert_invariant",
    "invariant_qnn",
    "control_qnn",
    "baseline_qnn",
]
