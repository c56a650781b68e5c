"""The shipped groups are groups, act on numpy and torch data as group actions, and are named,
ordered, described and serialized as documented (convention ``(g·x)[perm[i]] = sign[i] * x[i]``,
``compose(a, b) = a∘b`` with ``b`` acting first)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from equiqnn.groups import (
    PermutationGroup,
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

# (id, factory, expected order): factories so that every test gets a fresh, un-enumerated group.
CATALOGUE = [
    ("cyclic1", lambda: cyclic(1), 1),
    ("cyclic2", lambda: cyclic(2), 2),
    ("cyclic5", lambda: cyclic(5), 5),
    ("cyclic8", lambda: cyclic(8), 8),
    ("dihedral3", lambda: dihedral(3), 6),
    ("dihedral4", lambda: dihedral(4), 8),
    ("dihedral5", lambda: dihedral(5), 10),
    ("dihedral6", lambda: dihedral(6), 12),
    ("symmetric1", lambda: symmetric(1), 1),
    ("symmetric2", lambda: symmetric(2), 2),
    ("symmetric3", lambda: symmetric(3), 6),
    ("symmetric4", lambda: symmetric(4), 24),
    ("symmetric5", lambda: symmetric(5), 120),
    ("grid_rotations2", lambda: grid_rotations(2), 4),
    ("grid_rotations3", lambda: grid_rotations(3), 4),
    ("grid_rotations4", lambda: grid_rotations(4), 4),
    ("grid_rotations5", lambda: grid_rotations(5), 4),
    ("grid_d4_2", lambda: grid_d4(2), 8),
    ("grid_d4_3", lambda: grid_d4(3), 8),
    ("grid_d4_4", lambda: grid_d4(4), 8),
    ("grid_d4_5", lambda: grid_d4(5), 8),
    ("grid_reflections2x3", lambda: grid_reflections(2, 3), 4),
    ("grid_reflections3x4_rows", lambda: grid_reflections(3, 4, axes=("rows",)), 2),
    ("grid_translations3x4", lambda: grid_translations(3, 4), 12),
    ("grid_translations4x4", lambda: grid_translations(4, 4), 16),
    ("sign_flip4", lambda: sign_flip(4), 2),
    ("sign_flip2x2_site0", lambda: sign_flip((2, 2), [0]), 2),
    ("z2xz2_sign_flips", lambda: direct_product(sign_flip(2, [0]), sign_flip(2, [1])), 4),
    ("d4x_sign_flip3x3", lambda: direct_product(grid_d4(3), sign_flip((3, 3))), 16),
]
IDS = [c[0] for c in CATALOGUE]
FACTORIES = [c[1] for c in CATALOGUE]


@pytest.fixture(params=FACTORIES, ids=IDS)
def group(request) -> PermutationGroup:
    return request.param()


def _pairs(order: int, rng: np.random.Generator, cap: int = 400) -> list[tuple[int, int]]:
    """All ordered pairs of elements when there are few, a random sample of ``cap`` otherwise."""
    if order * order <= cap:
        return [(a, b) for a in range(order) for b in range(order)]
    return [tuple(int(v) for v in rng.integers(order, size=2)) for _ in range(cap)]


def _data(group: PermutationGroup, batch: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(batch, *group.shape))


# -- group axioms ------------------------------------------------------------------------------


@pytest.mark.parametrize(("factory", "order"), [(c[1], c[2]) for c in CATALOGUE], ids=IDS)
def test_order_is_the_known_group_order(factory, order):
    g = factory()
    assert g.order == order == len(g) == g.perms.shape[0] == g.signs.shape[0]


def test_composition_is_closed(group):
    rng = np.random.default_rng(1)
    for a, b in _pairs(group.order, rng):
        c = group.compose(a, b)
        assert 0 <= c < group.order
        pa, sa = group.element(a)
        pb, sb = group.element(b)
        pc, sc = group.element(c)
        np.testing.assert_array_equal(pc, pa[pb])
        np.testing.assert_array_equal(sc, sa[pb] * sb)


def test_identity_is_element_zero_named_e(group):
    assert group.identity == 0
    assert group.names[0] == "e"
    perm, sign = group.element("e")
    np.testing.assert_array_equal(perm, np.arange(group.n_sites))
    np.testing.assert_array_equal(sign, np.ones(group.n_sites))
    for g in range(group.order):
        assert group.compose(g, 0) == g == group.compose(0, g)


def test_every_element_has_a_two_sided_inverse(group):
    for g in range(group.order):
        inv = group.inverse(g)
        assert group.compose(g, inv) == 0
        assert group.compose(inv, g) == 0
        assert group.inverse(inv) == g


def test_composition_is_associative(group):
    rng = np.random.default_rng(2)
    for _ in range(60):
        a, b, c = (int(v) for v in rng.integers(group.order, size=3))
        assert group.compose(group.compose(a, b), c) == group.compose(a, group.compose(b, c))


def test_elements_are_distinct_and_names_unique(group):
    keys = {(p.tobytes(), s.tobytes()) for p, s in zip(group.perms, group.signs)}
    assert len(keys) == group.order
    assert len(set(group.names)) == group.order
    for k, name in enumerate(group.names):
        assert group.index(name) == k


def test_random_elements_are_members(group):
    for perm, sign in group.random_elements(6, seed=3):
        k = group.index((perm, sign))
        perm_k, sign_k = group.element(k)
        np.testing.assert_array_equal(perm_k, perm)
        np.testing.assert_array_equal(sign_k, sign)


def test_random_elements_are_reproducible_from_the_seed(group):
    a = group.random_elements(4, seed=11)
    b = group.random_elements(4, seed=11)
    for (pa, sa), (pb, sb) in zip(a, b):
        np.testing.assert_array_equal(pa, pb)
        np.testing.assert_array_equal(sa, sb)


# -- the action on data ------------------------------------------------------------------------


def test_act_follows_the_documented_convention(group):
    x = _data(group, batch=2)
    flat = x.reshape(2, group.n_sites)
    for g in range(group.order):
        perm, sign = group.element(g)
        expected = np.empty_like(flat)
        expected[:, perm] = sign * flat
        np.testing.assert_array_equal(group.act(g, x).reshape(2, -1), expected)


def test_act_is_a_group_action_on_numpy_arrays(group):
    x = _data(group)
    rng = np.random.default_rng(4)
    for a, b in _pairs(group.order, rng, cap=120):
        np.testing.assert_array_equal(
            group.act(a, group.act(b, x)), group.act(group.compose(a, b), x)
        )


def test_act_is_a_group_action_on_torch_tensors(group):
    x = torch.as_tensor(_data(group))
    rng = np.random.default_rng(5)
    for a, b in _pairs(group.order, rng, cap=120):
        lhs = group.act(a, group.act(b, x))
        assert isinstance(lhs, torch.Tensor) and lhs.dtype == torch.float64
        torch.testing.assert_close(lhs, group.act(group.compose(a, b), x), rtol=0, atol=0)


def test_act_agrees_between_numpy_and_torch(group):
    x = _data(group)
    for g in range(min(group.order, 24)):
        np.testing.assert_array_equal(group.act(g, torch.as_tensor(x)).numpy(), group.act(g, x))


def test_act_accepts_an_element_as_perm_sign_pair(group):
    x = _data(group)
    for g in range(min(group.order, 24)):
        np.testing.assert_array_equal(group.act(group.element(g), x), group.act(g, x))


def test_act_all_stacks_act_of_every_element(group):
    x = _data(group)
    copies = group.act_all(x)
    assert copies.shape == (group.order, *x.shape)
    np.testing.assert_array_equal(copies[0], x)
    copies_t = group.act_all(torch.as_tensor(x))
    assert isinstance(copies_t, torch.Tensor)
    for g in range(group.order):
        np.testing.assert_array_equal(copies[g], group.act(g, x))
        np.testing.assert_array_equal(copies_t[g].numpy(), group.act(g, x))


def test_act_keeps_unbatched_and_multi_batch_shapes(group):
    x = np.random.default_rng(6).normal(size=(2, 3, *group.shape))
    g = group.order - 1
    out = group.act(g, x)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out[1, 2], group.act(g, x[1, 2][None])[0])
    np.testing.assert_array_equal(group.act(g, x[0, 0]), group.act(g, x[0, 0][None])[0])


def test_act_preserves_the_multiset_of_absolute_values(group):
    x = _data(group)
    for g in range(min(group.order, 24)):
        out = group.act(g, x).reshape(x.shape[0], -1)
        np.testing.assert_array_equal(
            np.sort(np.abs(out), axis=1), np.sort(np.abs(x.reshape(x.shape[0], -1)), axis=1)
        )


# -- spec and repr -----------------------------------------------------------------------------


def test_spec_round_trips_through_json(group):
    spec = json.loads(json.dumps(group.spec))
    rebuilt = group_from_spec(spec)
    assert repr(rebuilt) == repr(group)
    assert rebuilt.shape == group.shape
    assert rebuilt.names == group.names
    np.testing.assert_array_equal(rebuilt.perms, group.perms)
    np.testing.assert_array_equal(rebuilt.signs, group.signs)


@pytest.mark.parametrize(
    ("factory", "text"),
    [
        (lambda: grid_d4(16), "D4(square grid 16x16, order 8)"),
        (lambda: grid_d4(3), "D4(square grid 3x3, order 8)"),
        (lambda: grid_rotations(4), "C4(square grid 4x4, order 4)"),
        (lambda: cyclic(8), "C8(ring of 8 sites, order 8)"),
        (lambda: dihedral(5), "D5(ring of 5 sites, order 10)"),
        (lambda: symmetric(4), "S4(4 sites, order 24)"),
        (lambda: grid_reflections(2, 3), "Z2xZ2(reflections of grid 2x3 axes=rows,cols, order 4)"),
        (
            lambda: grid_reflections(3, 4, axes=("rows",)),
            "Z2(reflections of grid 3x4 axes=rows, order 2)",
        ),
        (lambda: grid_translations(3, 4), "T(periodic 3x4 grid, order 12)"),
        (lambda: sign_flip(4), "Z2(sign flip of 4 sites, order 2)"),
        (lambda: sign_flip((2, 2), [0]), "Z2(sign flip of 0 of 4 sites, order 2)"),
        (
            lambda: direct_product(grid_d4(3), sign_flip((3, 3))),
            "D4xZ2(square grid 3x3; sign flip of 9 sites, order 16)",
        ),
    ],
)
def test_repr_is_pinned(factory, text):
    assert repr(factory()) == text


@pytest.mark.parametrize(
    ("factory", "spec"),
    [
        (lambda: grid_d4(4), ["grid_d4", 4]),
        (lambda: cyclic(8), ["cyclic", 8]),
        (lambda: grid_reflections(3, 4, axes=("rows",)), ["grid_reflections", 3, 4, ["rows"]]),
        (lambda: sign_flip(4), ["sign_flip", 4, None]),
        (lambda: sign_flip((2, 2), [0]), ["sign_flip", [2, 2], [0]]),
        (
            lambda: direct_product(sign_flip(2, [0]), sign_flip(2, [1])),
            ["direct_product", ["sign_flip", 2, [0]], ["sign_flip", 2, [1]]],
        ),
    ],
)
def test_spec_is_a_plain_json_list(factory, spec):
    assert factory().spec == spec


# -- square-grid point groups ------------------------------------------------------------------


D4_AS_NUMPY = {
    "e": lambda a: a,
    "r": np.rot90,
    "r2": lambda a: np.rot90(a, 2),
    "r3": lambda a: np.rot90(a, 3),
    "flip_rows": np.flipud,
    "flip_cols": np.fliplr,
    "transpose": lambda a: a.T,
    "antitranspose": lambda a: np.rot90(a, 2).T,
}


@pytest.mark.parametrize("side", [2, 3, 4, 5])
def test_d4_elements_are_named_as_documented(side):
    assert sorted(grid_d4(side).names) == sorted(D4_AS_NUMPY)
    assert grid_rotations(side).names == ["e", "r", "r2", "r3"]


@pytest.mark.parametrize("side", [2, 3, 4, 5])
@pytest.mark.parametrize("name", sorted(D4_AS_NUMPY))
def test_d4_element_acts_like_its_numpy_counterpart(side, name):
    x = np.random.default_rng(7).normal(size=(side, side))
    g = grid_d4(side)
    np.testing.assert_array_equal(g.act(name, x[None])[0], D4_AS_NUMPY[name](x))
    if name in ("e", "r", "r2", "r3"):
        np.testing.assert_array_equal(
            grid_rotations(side).act(name, x[None])[0], D4_AS_NUMPY[name](x)
        )


def test_d4_r_is_a_counter_clockwise_quarter_turn_and_r2_is_r_squared():
    g = grid_d4(4)
    assert g.compose("r", "r") == g.index("r2")
    assert g.compose("r", "r2") == g.index("r3")
    assert g.compose("r3", "r") == 0
    assert g.compose("flip_rows", "flip_rows") == 0
    assert g.compose("r", "flip_rows") == g.index("antitranspose")  # flip rows, then quarter turn
    assert g.compose("flip_rows", "r") == g.index("transpose")


def test_grid_reflections_flip_the_chosen_axes():
    x = np.random.default_rng(8).normal(size=(1, 3, 4))
    g = grid_reflections(3, 4)
    np.testing.assert_array_equal(g.act("flip_rows", x)[0], np.flipud(x[0]))
    np.testing.assert_array_equal(g.act("flip_cols", x)[0], np.fliplr(x[0]))
    assert grid_reflections(3, 4, axes=("rows",)).names == ["e", "flip_rows"]
    assert grid_reflections(3, 4, axes=("cols",)).names == ["e", "flip_cols"]


def test_grid_translations_are_periodic_shifts():
    x = np.random.default_rng(9).normal(size=(1, 3, 4))
    g = grid_translations(3, 4)
    np.testing.assert_array_equal(g.act("down", x)[0], np.roll(x[0], 1, axis=0))
    np.testing.assert_array_equal(g.act("right", x)[0], np.roll(x[0], 1, axis=1))
    assert g.compose("down", "right") == g.compose("right", "down")  # abelian
    shifted = {g.act(k, x)[0].tobytes() for k in range(g.order)}
    rolls = {np.roll(x[0], (a, b), axis=(0, 1)).tobytes() for a in range(3) for b in range(4)}
    assert shifted == rolls


def test_cyclic_shift_moves_site_i_to_i_plus_one():
    x = np.arange(5.0)[None]
    np.testing.assert_array_equal(cyclic(5).act("t", x)[0], np.roll(x[0], 1))


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_dihedral_contains_the_ring_reflection(n):
    g = dihedral(n)
    x = np.arange(float(n))[None]
    np.testing.assert_array_equal(g.act("s", x)[0], x[0][(-np.arange(n)) % n])
    assert g.compose("s", g.compose("t", "s")) == g.inverse("t")  # s t s = t^-1


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_symmetric_group_contains_every_permutation(n):
    perms = {tuple(p) for p in symmetric(n).perms.tolist()}
    assert len(perms) == math.factorial(n)
    assert all(sorted(p) == list(range(n)) for p in perms)


@pytest.mark.parametrize(
    "factory",
    [lambda: cyclic(6), lambda: grid_translations(3, 4), lambda: dihedral(5), lambda: symmetric(4)],
)
def test_element_names_are_words_in_the_generators_read_as_compositions(factory):
    g = factory()
    gens = set(g.generators)
    for k, name in enumerate(g.names):
        if name == "e":
            continue
        idx = 0
        for part in reversed(name.split("*")):  # "a*b" is a∘b: b acts first
            if part in gens:
                letter, power = part, 1
            else:
                letter, power = re.fullmatch(r"(.*?)(\d+)", part).groups()
                power = int(power)
            for _ in range(power):
                idx = g.compose(letter, idx)
        assert idx == k, name


# -- signed groups -----------------------------------------------------------------------------


def test_sign_flip_negates_the_chosen_sites_only():
    x = np.arange(1.0, 5.0).reshape(1, 2, 2)
    np.testing.assert_array_equal(sign_flip((2, 2), [0]).act(1, x), [[[-1.0, 2.0], [3.0, 4.0]]])
    np.testing.assert_array_equal(sign_flip(4).act(1, x.reshape(1, 4)), -x.reshape(1, 4))
    assert sign_flip(4).is_signed and not grid_d4(3).is_signed


def test_direct_product_of_d4_and_sign_flip_contains_signed_rotations():
    g = direct_product(grid_d4(3), sign_flip((3, 3)))
    x = np.random.default_rng(10).normal(size=(3, 3))
    outs = {g.act(k, x[None])[0].tobytes() for k in range(g.order)}
    expected = {(s * f(x)).tobytes() for s in (1.0, -1.0) for f in D4_AS_NUMPY.values()}
    assert outs == expected


def test_direct_product_of_single_site_flips_is_klein_four():
    g = direct_product(sign_flip(2, [0]), sign_flip(2, [1]))
    x = np.array([[0.5, -2.0]])
    assert {tuple(g.act(k, x)[0]) for k in range(4)} == {
        (0.5, -2.0),
        (-0.5, -2.0),
        (0.5, 2.0),
        (-0.5, 2.0),
    }
    assert all(g.compose(a, a) == 0 for a in range(4))


# -- orbits ------------------------------------------------------------------------------------


def test_d4_site_orbits_of_3x3_are_corners_edges_and_centre():
    assert grid_d4(3).site_orbits() == [[0, 2, 6, 8], [1, 3, 5, 7], [4]]


def test_site_orbits_of_transitive_groups_are_all_sites():
    assert cyclic(6).site_orbits() == [list(range(6))]
    assert grid_translations(3, 4).site_orbits() == [list(range(12))]
    assert sign_flip(4).site_orbits() == [[0], [1], [2], [3]]


def test_site_orbits_partition_the_sites_into_unions_of_images(group):
    orbits = group.site_orbits()
    assert sorted(s for o in orbits for s in o) == list(range(group.n_sites))
    for orbit in orbits:
        images = {int(group.perms[g][orbit[0]]) for g in range(group.order)}
        assert images == set(orbit)


def test_d4_pair_orbits_of_3x3_neighbours_are_rim_and_spokes():
    orbits = grid_d4(3).pair_orbits(grid_neighbour_pairs(3, 3))
    assert orbits == [
        [(0, 1), (0, 3), (1, 2), (2, 5), (3, 6), (5, 8), (6, 7), (7, 8)],
        [(1, 4), (3, 4), (4, 5), (4, 7)],
    ]


def test_cyclic_pair_orbits_are_distances_on_the_ring():
    assert cyclic(6).pair_orbits() == [
        [(0, 1), (0, 5), (1, 2), (2, 3), (3, 4), (4, 5)],
        [(0, 2), (0, 4), (1, 3), (1, 5), (2, 4), (3, 5)],
        [(0, 3), (1, 4), (2, 5)],
    ]
    assert cyclic(6).pair_orbits(ring_pairs(6)) == [ring_pairs(6)]


def test_pair_orbits_partition_all_pairs(group):
    if group.n_sites > 16:
        pytest.skip("all-pairs orbits are checked on small groups")
    orbits = group.pair_orbits()
    flat = [p for o in orbits for p in o]
    n = group.n_sites
    assert sorted(flat) == [(i, j) for i in range(n) for j in range(i + 1, n)]
    for orbit in orbits:
        i, j = orbit[0]
        images = {tuple(sorted((int(p[i]), int(p[j])))) for p in group.perms}
        assert images == set(orbit)


def test_neighbour_pairs_of_grids_and_rings():
    assert grid_neighbour_pairs(2, 2) == [(0, 1), (0, 2), (1, 3), (2, 3)]
    assert len(grid_neighbour_pairs(3, 4)) == 3 * 3 + 2 * 4
    assert len(grid_neighbour_pairs(3, 4, periodic=True)) == 2 * 12
    assert ring_pairs(4) == [(0, 1), (0, 3), (1, 2), (2, 3)]
    assert ring_pairs(1) == []
