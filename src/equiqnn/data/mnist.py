"""MNIST, Fashion-MNIST, KMNIST and EMNIST from files on disk (never downloaded here).

Where files are looked for, in this order, in ``root``, ``root/<name>`` and ``root/<Name>/raw``
(the torchvision layout, e.g. ``root/FashionMNIST/raw``):

1. the IDX pair as distributed, plain or ``.gz`` (see ``mnist_files.idx_file_names``);
2. a Keras-style ``<name>.npz`` holding ``x_train, y_train, x_test, y_test``;
3. a KMNIST-style pair ``<name>-<split>-imgs.npz`` / ``<name>-<split>-labels.npz`` (key ``arr_0``).

EMNIST IDX files store each image transposed; they are transposed back so that characters are
upright in the library's image convention (row 0 at the top). ``.npz`` files are taken as stored.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from equiqnn.data.idx import read_idx
from equiqnn.data.labels import select_classes
from equiqnn.data.mnist_files import (
    TORCHVISION_FOLDERS,
    canonical_name,
    family,
    homepage,
    idx_file_names,
    npz_file_names,
)

__all__ = ["load_mnist_family", "find_mnist_family"]


def _search_dirs(root: Path, key: str) -> list[Path]:
    return [root, root / key, root / TORCHVISION_FOLDERS[family(key)] / "raw"]


def _first(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_mnist_family(
    name: str, root: str | os.PathLike[str], split: str = "train"
) -> tuple[str, tuple[Path, ...]]:
    """Locate the files of one split without reading them.

    Returns:
        ``(kind, paths)`` with kind ``"idx"`` (images, labels), ``"npz"`` (one Keras-style file)
        or ``"npz-pair"`` (images, labels).
    Raises:
        FileNotFoundError: naming the folders searched, the file names expected and where to get
            them.
    """
    key = canonical_name(name)
    img_stem, lab_stem = idx_file_names(key, split)
    keras_name, (img_npz, lab_npz) = npz_file_names(key, split)
    root = Path(root)
    dirs = _search_dirs(root, key)
    partial: list[str] = []
    for folder in dirs:
        images, labels = _first(folder, img_stem), _first(folder, lab_stem)
        if images and labels:
            return "idx", (images, labels)
        if images or labels:
            partial.append(f"{images or labels} without its {'labels' if images else 'images'}")
        if (folder / keras_name).is_file():
            return "npz", (folder / keras_name,)
        if (folder / img_npz).is_file() and (folder / lab_npz).is_file():
            return "npz-pair", (folder / img_npz, folder / lab_npz)
    found = f" Found only: {'; '.join(partial)}." if partial else ""
    raise FileNotFoundError(
        f"no {key} {split} files in {', '.join(str(d) for d in dirs)}. Expected {img_stem}[.gz] "
        f"and {lab_stem}[.gz] (IDX, as distributed), or {keras_name} (keys x_{split}, "
        f"y_{split}), or {img_npz} and {lab_npz}.{found} Get them from {homepage(key)}, or on a "
        f"machine with network access run equiqnn.data.download_mnist_family({key!r}, root)."
    )


def _read(kind: str, paths: tuple[Path, ...], split: str) -> tuple[np.ndarray, np.ndarray]:
    if kind == "idx":
        return read_idx(paths[0]), read_idx(paths[1])
    if kind == "npz":
        with np.load(paths[0]) as archive:
            keys = (f"x_{split}", f"y_{split}")
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise ValueError(
                    f"{paths[0]} must hold arrays {keys}; it lacks {missing} (has {archive.files})."
                )
            return archive[keys[0]], archive[keys[1]]
    arrays = []
    for path in paths:
        with np.load(path) as archive:
            if "arr_0" not in archive.files:
                raise ValueError(f"{path} must hold its array under 'arr_0'; has {archive.files}.")
            arrays.append(archive["arr_0"])
    return arrays[0], arrays[1]


def load_mnist_family(
    name: str,
    root: str | os.PathLike[str],
    split: str = "train",
    classes: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one split of an MNIST-family dataset stored under ``root``.

    Args:
        name: ``"mnist"``, ``"fashion-mnist"``, ``"kmnist"`` or ``"emnist-<split>"`` (see
            ``mnist_files``); case and ``_``/``-`` do not matter.
        root: folder holding the files (see the module docstring for where they are looked for).
        split: ``"train"`` or ``"test"``.
        classes: original labels to keep, relabelled ``0 .. K-1`` by position (see
            ``select_classes``); ``None`` keeps every class with its original label.
    Returns:
        ``(x, y)``: ``x`` float64 ``(N, H, W)`` (28×28 for the whole family) scaled from uint8 to
        ``[0, 1]``; ``y`` int64 ``(N,)``.
    """
    key = canonical_name(name)
    kind, paths = find_mnist_family(key, root, split)
    images, labels = _read(kind, paths, split)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{', '.join(map(str, paths))} must hold images (N, H, W) and labels (N,); got "
            f"{images.shape} and {labels.shape}."
        )
    if images.dtype != np.uint8:
        raise TypeError(
            f"{paths[0]} must hold uint8 pixels in 0..255 (as distributed); got {images.dtype}."
        )
    if kind == "idx" and key.startswith("emnist-"):
        images = images.transpose(0, 2, 1)
    y = labels.astype(np.int64)
    if classes is not None:
        images, y = select_classes(images, y, classes)
    return images.astype(np.float64) / 255.0, y
