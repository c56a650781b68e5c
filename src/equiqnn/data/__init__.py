"""Datasets and data transforms: real digits and MNIST-family files, the 2D Ising model,
tic-tac-toe, a Z2×Z2 toy; D4-symmetric resizing, balanced splits, group augmentation, watermarks.

Conventions: arrays are numpy and batch-first; images are ``(N, H, W)`` float64 with row 0 at the
top (see ``equiqnn.groups``); labels are int64. Randomness comes only from explicit ``seed``
arguments. Nothing here downloads data except the opt-in ``download_mnist_family``.
"""

from equiqnn.data.augment import EpochAugmenter, augment, epoch_augmenter
from equiqnn.data.cache import cache_key, cached_arrays
from equiqnn.data.digits import load_digits_images
from equiqnn.data.download import download_mnist_family, sha256_of
from equiqnn.data.idx import read_idx, save_idx
from equiqnn.data.ising import T_CRITICAL, ising_configurations, ising_dataset, magnetization
from equiqnn.data.labels import select_classes
from equiqnn.data.mnist import find_mnist_family, load_mnist_family
from equiqnn.data.mnist_files import MNIST_FAMILY
from equiqnn.data.resize import area_weights, resize_symmetric
from equiqnn.data.scaling import SymmetricStandardizer, scale_to_unit
from equiqnn.data.splits import Split, balanced_split
from equiqnn.data.tictactoe import DRAW, O_WINS, TICTACTOE_LABELS, X_WINS, tictactoe_dataset
from equiqnn.data.toys import z2z2_group, z2z2_toy
from equiqnn.data.watermark import CORNERS, watermark

__all__ = [
    # real images
    "load_digits_images",
    "load_mnist_family",
    "find_mnist_family",
    "download_mnist_family",
    "MNIST_FAMILY",
    "read_idx",
    "save_idx",
    "sha256_of",
    "select_classes",
    # generated data
    "T_CRITICAL",
    "ising_configurations",
    "ising_dataset",
    "magnetization",
    "tictactoe_dataset",
    "TICTACTOE_LABELS",
    "X_WINS",
    "O_WINS",
    "DRAW",
    "z2z2_toy",
    "z2z2_group",
    # transforms
    "resize_symmetric",
    "area_weights",
    "watermark",
    "CORNERS",
    "scale_to_unit",
    "SymmetricStandardizer",
    # splits and augmentation
    "Split",
    "balanced_split",
    "augment",
    "epoch_augmenter",
    "EpochAugmenter",
    # caching
    "cache_key",
    "cached_arrays",
]
