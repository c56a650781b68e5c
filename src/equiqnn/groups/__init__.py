"""Finite groups acting on data as signed permutations of sites (convention in ``groups.core``)."""

from equiqnn.groups.catalogue import (
    cyclic,
    dihedral,
    direct_product,
    grid_d4,
    grid_neighbour_pairs,
    grid_reflections,
    grid_rotations,
    grid_translations,
    group_from_spec,
    ring_pairs,
    sign_flip,
    symmetric,
)
from equiqnn.groups.core import PermutationGroup, validate_permutation

__all__ = [
    "PermutationGroup",
    "validate_permutation",
    "cyclic",
    "dihedral",
    "symmetric",
    "grid_rotations",
    "grid_d4",
    "grid_reflections",
    "grid_translations",
    "sign_flip",
    "direct_product",
    "grid_neighbour_pairs",
    "ring_pairs",
    "group_from_spec",
]
