"""download_mnist_family, exercised offline through file:// URLs (no network)."""

import hashlib

import numpy as np
import pytest

from equiqnn.data import download_mnist_family, load_mnist_family, save_idx, sha256_of
from equiqnn.data.mnist_files import MIRRORS, SHA256


def _mirror(folder, prefix=""):
    folder.mkdir()
    rng = np.random.default_rng(0)
    digests = {}
    for tag, n in (("train", 6), ("t10k", 4)):
        for kind, arr in (
            ("images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)),
            ("labels-idx1-ubyte.gz", (np.arange(n) % 2).astype(np.uint8)),
        ):
            split = "train" if tag == "train" else "test"
            name = f"{prefix}{split}-{kind}" if prefix else f"{tag}-{kind}"
            path = save_idx(folder / name, arr)
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return folder.as_uri(), digests


def test_download_with_user_checksums_then_load(tmp_path):
    url, digests = _mirror(tmp_path / "mirror")
    paths = download_mnist_family("mnist", tmp_path / "data", url_base=url, sha256=digests)
    assert sorted(p.name for p in paths) == sorted(digests)
    assert all(sha256_of(p) == digests[p.name] for p in paths)
    x, y = load_mnist_family("mnist", tmp_path / "data", split="test")
    assert x.shape == (4, 28, 28) and y.tolist() == [0, 1, 0, 1]
    # present and verified files are not fetched again
    again = download_mnist_family("mnist", tmp_path / "data", url_base=url, sha256=digests)
    assert again == paths


def test_wrong_checksum_discards_the_file(tmp_path):
    url, digests = _mirror(tmp_path / "mirror")
    bad = dict(digests, **{"train-images-idx3-ubyte.gz": "0" * 64})
    match = r"SHA-256 of .*train-images-idx3-ubyte\.gz is [0-9a-f]{64}, expected 0{64}; the file"
    with pytest.raises(ValueError, match=match + " was discarded"):
        download_mnist_family("mnist", tmp_path / "data", url_base=url, sha256=bad)
    assert not any((tmp_path / "data").glob("train-images*"))


def test_known_checksums_are_used_for_the_standard_files(tmp_path):
    # the tiny mirror's files differ from the real MNIST ones, so the known digests reject them
    url, _ = _mirror(tmp_path / "mirror")
    with pytest.raises(ValueError, match=r"expected 440fcabf"):
        download_mnist_family("mnist", tmp_path / "data", url_base=url, splits=("train",))


def test_checksums_false_skips_verification(tmp_path):
    url, _ = _mirror(tmp_path / "mirror")
    paths = download_mnist_family(
        "fashion-mnist", tmp_path / "data", url_base=url, checksums=False, splits=("test",)
    )
    assert [p.name for p in paths] == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_emnist_needs_url_base_and_checksums(tmp_path):
    with pytest.raises(ValueError, match=r"no mirror is known for emnist-digits.*url_base="):
        download_mnist_family("emnist-digits", tmp_path)
    with pytest.raises(ValueError, match=r"no SHA-256 is known for .*emnist-digits-train-images"):
        download_mnist_family("emnist-digits", tmp_path, url_base="https://example.org/emnist")
    url, digests = _mirror(tmp_path / "mirror", prefix="emnist-digits-")
    download_mnist_family("emnist-digits", tmp_path / "data", url_base=url, sha256=digests)
    x, _ = load_mnist_family("emnist-digits", tmp_path / "data")
    assert x.shape == (6, 28, 28)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match=r"url_base must be an http\(s\):// or file:// URL"):
        download_mnist_family("mnist", tmp_path, url_base="ftp://example.org/")
    with pytest.raises(ValueError, match=r"sha256 names files \['typo.gz'\]"):
        download_mnist_family("mnist", tmp_path, sha256={"typo.gz": "0" * 64})
    with pytest.raises(ValueError, match="must be 64 hex digits"):
        download_mnist_family("mnist", tmp_path, sha256={"train-images-idx3-ubyte.gz": "abc"})


def test_known_tables_are_complete_and_well_formed():
    for key in MIRRORS:
        assert set(SHA256[key]) == {
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        }
        assert all(len(v) == 64 and int(v, 16) >= 0 for v in SHA256[key].values())
        assert MIRRORS[key].startswith("https://")
