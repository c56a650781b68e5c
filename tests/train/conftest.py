"""Fixtures for the train tests (toy models and data live in ``train_toys``)."""

from __future__ import annotations

import numpy as np
import pytest
from train_toys import make_data

from equiqnn.groups import PermutationGroup, grid_d4


@pytest.fixture
def d4() -> PermutationGroup:
    return grid_d4(4)


@pytest.fixture
def splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {"train": make_data(80, 1), "val": make_data(40, 2), "test": make_data(40, 3)}
