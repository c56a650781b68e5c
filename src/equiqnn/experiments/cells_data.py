"""The data pool of a cell: images resized to its side, labels, the group, fixed val/test indices.

Data sets: ``digits`` (scikit-learn's 8×8 digits, offline), ``ising`` (2D Ising configurations,
generated; labels: ordered 1 / disordered 0; a lattice larger than the side is coarse-grained by
the D4-symmetric area resize), ``mnist`` and ``fashion_mnist`` (the training files under
``data.path``, never downloaded). The group is D4 on the ``side × side`` grid for all of them (the
Ising ensemble is also invariant under translations and the global spin flip; D4 is the symmetry
the models are built for).

Protocol: the validation and test pools are drawn once from ``data.split_seed`` and are the same
for every training size and seed; the training set is a class-balanced draw of N from the rest,
which varies with the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from equiqnn.data import (
    balanced_split,
    find_mnist_family,
    ising_dataset,
    load_digits_images,
    load_mnist_family,
    resize_symmetric,
)
from equiqnn.experiments.cells_axes import Cell, default_classes
from equiqnn.experiments.spec import StudySpec, as_list
from equiqnn.groups import PermutationGroup, grid_d4

__all__ = ["Pool", "make_pool", "pool_key", "train_indices", "check_data_files"]


@dataclass(frozen=True)
class Pool:
    """Images resized to the cell's side, labels ``0 .. K-1``, the group, and the fixed indices."""

    x: np.ndarray
    y: np.ndarray
    group: PermutationGroup
    idx_val: np.ndarray
    idx_test: np.ndarray
    idx_rest: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.y.max()) + 1


def pool_key(spec: StudySpec, cell: Cell) -> tuple[object, ...]:
    """What a cell's pool depends on (cells with equal keys share one pool)."""
    dataset, side = cell.get("data.dataset"), cell.get("data.side")
    classes = default_classes(spec, dataset)
    d = spec.data
    ising = d.ising.model_dump_json() if dataset == "ising" else None
    return (dataset, side, None if classes is None else tuple(classes), d.path, ising) + (
        d.n_val,
        d.n_test,
        d.split_seed,
        tuple(d.n_train),
    )


def _mnist_name(dataset: str) -> str:
    return dataset.replace("_", "-")


def check_data_files(spec: StudySpec) -> None:
    """Raise ``FileNotFoundError`` (naming the folders searched, the files expected and where to
    get them) when an MNIST-family data set of ``spec`` has no files under ``data.path``."""
    for dataset in as_list(spec.data.dataset):
        if dataset in ("mnist", "fashion_mnist"):
            find_mnist_family(_mnist_name(dataset), Path(str(spec.data.path)), "train")


def _load(spec: StudySpec, dataset: str, side: int) -> tuple[np.ndarray, np.ndarray]:
    if dataset == "digits":
        x, y = load_digits_images(classes=tuple(default_classes(spec, dataset) or ()))
    elif dataset == "ising":
        ising = spec.data.ising
        lattice = ising.lattice or max(side, 8)
        if lattice < side:
            raise ValueError(
                f"data.ising.lattice={lattice} is smaller than data.side={side}; the lattice is "
                "only ever coarse-grained. Raise data.ising.lattice or lower data.side."
            )
        x, y, _ = ising_dataset(
            ising.n_samples, lattice, ising.t_range, sweeps=ising.sweeps, seed=ising.seed
        )
    else:
        classes = default_classes(spec, dataset)
        x, y = load_mnist_family(_mnist_name(dataset), str(spec.data.path), "train", classes)
    if x.shape[-1] != side:
        x = resize_symmetric(x, side)
    return x, y


def make_pool(spec: StudySpec, cell: Cell) -> Pool:
    """The pool of ``cell``'s data set at its side; checks that every ``data.n_train`` fits."""
    dataset, side = str(cell.get("data.dataset")), int(cell.get("data.side"))
    x, y = _load(spec, dataset, side)
    fixed = balanced_split(
        x, y, 0, n_val=spec.data.n_val, n_test=spec.data.n_test, seed=spec.data.split_seed
    )
    used = np.concatenate([fixed.idx_val, fixed.idx_test])
    rest = np.setdiff1d(np.arange(len(y)), used)
    k = int(y.max()) + 1
    for n in spec.data.n_train:
        if n % k:
            raise ValueError(
                f"data.n_train={n} must be divisible by the {k} classes (balanced draws)."
            )
        short = [c for c in range(k) if np.sum(y[rest] == c) < n // k]
        if short:
            raise ValueError(
                f"data.n_train={n} needs {n // k} training images per class of {dataset}, but "
                f"class(es) {short} have only {min(np.sum(y[rest] == c) for c in short)} left "
                "after the validation and test pools. Lower n_train or n_val/n_test"
                + (", or raise data.ising.n_samples." if dataset == "ising" else ".")
            )
    idx_val, idx_test = np.asarray(fixed.idx_val), np.asarray(fixed.idx_test)
    return Pool(x, y, grid_d4(side), idx_val, idx_test, rest)


def train_indices(pool: Pool, n: int, seed: int) -> np.ndarray:
    """A class-balanced draw of ``n`` training indices from the pool's rest, seeded by
    ``(seed, n)``."""
    rng = np.random.default_rng([seed, n])
    k = pool.n_classes
    picks = [
        rng.choice(pool.idx_rest[pool.y[pool.idx_rest] == c], n // k, replace=False)
        for c in range(k)
    ]
    return np.sort(np.concatenate(picks))
