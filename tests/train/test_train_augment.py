"""GroupAugmentation and make_generator: per-input group elements, seeded, shape-checked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiqnn.groups import cyclic, sign_flip
from equiqnn.train import GroupAugmentation, make_generator


def test_each_input_is_moved_by_one_group_element(d4):
    x = torch.randn(64, 3, 4, 4, generator=make_generator(0))
    out = GroupAugmentation(d4)(x, make_generator(1))
    copies = d4.act_all(x)  # (8, 64, 3, 4, 4)
    used = set()
    for b in range(64):
        matches = [i for i in range(d4.order) if torch.equal(out[b], copies[i, b])]
        assert matches, "every augmented input must be some g·x with one g for all channels"
        used.add(matches[0])
    assert used == set(range(d4.order))


def test_signed_group_and_seeded_draws():
    group = sign_flip(5)
    x = torch.arange(1.0, 41.0, dtype=torch.float64).reshape(8, 5)
    aug = GroupAugmentation(group)
    a, b = aug(x, make_generator(3)), aug(x, make_generator(3))
    assert torch.equal(a, b) and a.dtype == torch.float64
    assert torch.equal(a.abs(), x)
    for row_out, row_in in zip(a.numpy(), x.numpy(), strict=True):
        act = group.act_all(row_in[None])[:, 0]
        assert any(np.array_equal(row_out, c) for c in act)


def test_errors():
    with pytest.raises(TypeError, match="PermutationGroup"):
        GroupAugmentation("C4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"needs a tensor shaped \(batch, \.\.\., 4\)"):
        GroupAugmentation(cyclic(4))(torch.zeros(3, 5), make_generator(0))
    with pytest.raises(ValueError, match="non-negative integer"):
        make_generator(-2)
    with pytest.raises(TypeError, match="non-negative integer"):
        make_generator(True)  # type: ignore[arg-type]
    assert "GroupAugmentation(C4" in repr(GroupAugmentation(cyclic(4)))
