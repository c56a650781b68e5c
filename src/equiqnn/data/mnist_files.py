"""The MNIST family's names, file names, homepages, mirrors and SHA-256 checksums.

Datasets: ``mnist``, ``fashion-mnist``, ``kmnist`` and the six EMNIST splits ``emnist-balanced``,
``emnist-byclass``, ``emnist-bymerge``, ``emnist-digits``, ``emnist-letters``, ``emnist-mnist``.
Names are case-insensitive, ``_`` and ``-`` are interchangeable, and ``fashion``, ``fashionmnist``
and ``emnist`` (= ``emnist-balanced``) are accepted aliases.

The checksums are those of the gzip files as distributed (they do not depend on the mirror). EMNIST
is distributed as one zip archive of all splits, so no per-file checksums are known for it.
"""

from __future__ import annotations

__all__ = [
    "MNIST_FAMILY",
    "canonical_name",
    "family",
    "homepage",
    "idx_file_names",
    "npz_file_names",
    "HOMEPAGES",
    "MIRRORS",
    "SHA256",
]

EMNIST_SPLITS = ("balanced", "byclass", "bymerge", "digits", "letters", "mnist")
MNIST_FAMILY: tuple[str, ...] = (
    "mnist",
    "fashion-mnist",
    "kmnist",
    *(f"emnist-{s}" for s in EMNIST_SPLITS),
)
_ALIASES = {
    "fashion": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "emnist": "emnist-balanced",
    "kuzushiji-mnist": "kmnist",
}

HOMEPAGES: dict[str, str] = {
    "mnist": "http://yann.lecun.com/exdb/mnist/",
    "fashion-mnist": "https://github.com/zalandoresearch/fashion-mnist",
    "kmnist": "https://github.com/rois-codh/kmnist",
    "emnist": "https://www.nist.gov/itl/products-and-services/emnist-dataset",
}

#: Known mirrors serving the four gzip IDX files of a dataset under their standard names.
MIRRORS: dict[str, str] = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": (
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
    ),
    "kmnist": "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
}

#: SHA-256 of the distributed gzip files, ``{dataset: {file name: hex digest}}``.
SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
    "kmnist": {
        "train-images-idx3-ubyte.gz": (
            "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4"
        ),
        "train-labels-idx1-ubyte.gz": (
            "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c"
        ),
    },
}

#: Sub-folders that torchvision uses, searched as well as the root and ``root/<name>``.
TORCHVISION_FOLDERS = {
    "mnist": "MNIST",
    "fashion-mnist": "FashionMNIST",
    "kmnist": "KMNIST",
    "emnist": "EMNIST",
}


def canonical_name(name: str) -> str:
    """The canonical dataset name for ``name`` (see the module docstring for the aliases).

    >>> canonical_name("Fashion_MNIST"), canonical_name("emnist")
    ('fashion-mnist', 'emnist-balanced')
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'mnist'; got {type(name).__name__}.")
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key not in MNIST_FAMILY:
        raise ValueError(
            f"name must be one of {', '.join(MNIST_FAMILY)} (or the aliases "
            f"{', '.join(sorted(_ALIASES))}); got {name!r}."
        )
    return key


def _split_tag(split: str) -> str:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    return "train" if split == "train" else "t10k"


def idx_file_names(name: str, split: str) -> tuple[str, str]:
    """``(images, labels)`` IDX file names, uncompressed (a ``.gz`` twin is found as well).

    >>> idx_file_names("mnist", "test")
    ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
    >>> idx_file_names("emnist-letters", "train")
    ('emnist-letters-train-images-idx3-ubyte', 'emnist-letters-train-labels-idx1-ubyte')
    """
    key = canonical_name(name)
    tag = _split_tag(split)
    if key.startswith("emnist-"):
        return f"{key}-{split}-images-idx3-ubyte", f"{key}-{split}-labels-idx1-ubyte"
    return f"{tag}-images-idx3-ubyte", f"{tag}-labels-idx1-ubyte"


def npz_file_names(name: str, split: str) -> tuple[str, tuple[str, str]]:
    """NumPy alternatives: one Keras-style file, and the KMNIST-style pair ``(images, labels)``.

    The Keras-style file ``<name>.npz`` holds ``x_train, y_train, x_test, y_test``; each file of
    the pair holds one array under ``arr_0`` (as distributed for KMNIST).

    >>> npz_file_names("kmnist", "train")
    ('kmnist.npz', ('kmnist-train-imgs.npz', 'kmnist-train-labels.npz'))
    """
    key = canonical_name(name)
    _split_tag(split)
    return f"{key}.npz", (f"{key}-{split}-imgs.npz", f"{key}-{split}-labels.npz")


def family(name: str) -> str:
    """``"emnist"`` for any EMNIST split, else the canonical name."""
    key = canonical_name(name)
    return "emnist" if key.startswith("emnist-") else key


def homepage(name: str) -> str:
    """Where users get the files of dataset ``name``."""
    return HOMEPAGES[family(name)]
