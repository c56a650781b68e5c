"""Invalid groups, elements and data are refused with messages that say what is wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.groups import (
    PermutationGroup,
    cyclic,
    dihedral,
    direct_product,
    grid_d4,
    grid_reflections,
    grid_rotations,
    grid_translations,
    group_from_spec,
    sign_flip,
    symmetric,
    validate_permutation,
)


def test_validate_permutation_returns_int64():
    out = validate_permutation(np.array([2, 0, 1], dtype=np.int32), 3)
    assert out.dtype == np.int64 and out.tolist() == [2, 0, 1]


@pytest.mark.parametrize("perm", [[0, 0, 1], [0, 1, 3], [-1, 0, 1]])
def test_a_map_that_is_not_a_bijection_is_refused(perm):
    with pytest.raises(ValueError, match=r"permutation of range\(3\)"):
        validate_permutation(perm, 3)


def test_a_non_bijective_generator_is_refused_with_its_name():
    with pytest.raises(
        ValueError, match=r"generator 'a' perm must be a permutation of range\(3\).*1 repeated"
    ):
        PermutationGroup({"a": [0, 0, 1]}, (3,))


@pytest.mark.parametrize("perm", [[0, 1], [[0, 1, 2]], [0.0, 1.0, 2.0]])
def test_a_permutation_of_the_wrong_size_or_type_is_refused(perm):
    with pytest.raises(ValueError, match=r"1-D integer permutation of range\(3\)"):
        validate_permutation(perm, 3)


def test_a_sign_that_is_not_plus_or_minus_one_is_refused():
    with pytest.raises(ValueError, match=r"sign must be 3 entries of \+1 or -1"):
        PermutationGroup({"a": (np.arange(3), np.array([1, 0, 1]))}, (3,))


@pytest.mark.parametrize("bad_shape", [(2, 3, 3), (2, 16), (2, 4, 5), (4,)])
def test_act_refuses_data_of_the_wrong_shape(bad_shape):
    g = grid_d4(4)
    with pytest.raises(ValueError, match=r"must have shape \(batch, 4, 4\)"):
        g.act("r", np.zeros(bad_shape))
    with pytest.raises(ValueError, match=r"must have shape \(batch, 4, 4\)"):
        g.act_all(torch.zeros(bad_shape))


def test_act_on_a_square_image_of_another_size_suggests_resizing():
    with pytest.raises(ValueError, match=r"resize_symmetric\(x, side=4\)"):
        grid_d4(4).act(1, np.zeros((2, 8, 8)))


@pytest.mark.parametrize("factory", [grid_d4, grid_rotations])
def test_rotations_of_a_non_square_grid_are_refused(factory):
    with pytest.raises(ValueError, match=r"square grid; got 3x4.*grid_reflections"):
        factory((3, 4))


def test_square_grid_given_as_a_tuple_is_accepted():
    assert grid_d4((3, 3)).shape == (3, 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cyclic(0),
        lambda: dihedral(1),
        lambda: symmetric(-1),
        lambda: cyclic(True),
        lambda: grid_translations(0, 3),
        lambda: grid_reflections(2, 0),
        lambda: cyclic(2.0),
    ],
)
def test_sizes_must_be_positive_integers(call):
    with pytest.raises(ValueError, match=r"must be an integer >= "):
        call()


@pytest.mark.parametrize("axes", [(), ("diagonal",), ("rows", "up")])
def test_grid_reflections_refuses_unknown_axes(axes):
    with pytest.raises(ValueError, match=r"non-empty subset of \('rows', 'cols'\)"):
        grid_reflections(3, 4, axes=axes)


@pytest.mark.parametrize("sites", [[], [4], [-1]])
def test_sign_flip_refuses_sites_outside_the_data(sites):
    with pytest.raises(ValueError, match=r"non-empty subset of range\(4\)"):
        sign_flip(4, sites)


def test_unknown_element_names_and_indices_are_refused():
    g = grid_d4(3)
    with pytest.raises(ValueError, match=r"no element named 'spin'"):
        g.index("spin")
    with pytest.raises(ValueError, match=r"element index must be in \[0, 8\)"):
        g.index(8)
    with pytest.raises(ValueError, match=r"not an element of D4"):
        g.index((cyclic(9).perms[1], np.ones(9, dtype=np.int64)))


def test_direct_product_of_groups_that_do_not_commute_is_refused():
    with pytest.raises(ValueError, match=r"do not form a direct product.*order 8, not 16"):
        direct_product(grid_rotations(3), grid_reflections(3, 3))


def test_direct_product_of_a_group_with_its_supergroup_is_refused():
    with pytest.raises(ValueError, match=r"do not form a direct product"):
        direct_product(cyclic(4), dihedral(4))


def test_direct_product_of_non_commuting_groups_with_matching_order_is_refused():
    with pytest.raises(ValueError, match=r"do not form a direct product"):
        direct_product(grid_rotations(3), grid_reflections(3, 3, axes=("rows",)))


def test_direct_product_needs_two_groups_on_the_same_shape():
    with pytest.raises(ValueError, match=r"at least two groups"):
        direct_product(cyclic(3))
    with pytest.raises(ValueError, match=r"same data shape"):
        direct_product(cyclic(4), sign_flip(3))


def test_group_from_spec_refuses_unknown_factories_and_malformed_specs():
    with pytest.raises(ValueError, match=r"unknown group factory 'grid_d6'"):
        group_from_spec(["grid_d6", 4])
    with pytest.raises(TypeError, match=r"a group spec is a list"):
        group_from_spec("grid_d4")
    with pytest.raises(TypeError, match=r"a group spec is a list"):
        group_from_spec([])


def test_pair_orbits_refuse_a_pair_of_equal_sites():
    with pytest.raises(ValueError, match=r"two distinct sites"):
        cyclic(4).pair_orbits([(1, 1)])
