"""load_mnist_family: tiny IDX / npz files written by the tests, search order, errors."""

import numpy as np
import pytest

from equiqnn.data import MNIST_FAMILY, find_mnist_family, load_mnist_family, save_idx
from equiqnn.data.mnist_files import canonical_name, idx_file_names, npz_file_names


def _tiny(n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 4).astype(np.uint8)
    return images, labels


def _write_idx(folder, name, split, images, labels, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    img, lab = idx_file_names(name, split)
    suffix = ".gz" if gz else ""
    save_idx(folder / (img + suffix), images)
    save_idx(folder / (lab + suffix), labels)


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "kmnist"])
def test_idx_round_trip(tmp_path, name, gz):
    images, labels = _tiny()
    _write_idx(tmp_path, name, "test", images, labels, gz=gz)
    x, y = load_mnist_family(name, tmp_path, split="test")
    assert x.dtype == np.float64 and y.dtype == np.int64 and x.shape == (12, 28, 28)
    np.testing.assert_array_equal(x, images / 255.0)
    np.testing.assert_array_equal(y, labels)


def test_classes_are_selected_and_relabelled(tmp_path):
    images, labels = _tiny()
    _write_idx(tmp_path, "mnist", "train", images, labels)
    x, y = load_mnist_family("MNIST", tmp_path, classes=(3, 1))
    mask = np.isin(labels, [3, 1])
    np.testing.assert_array_equal(x, images[mask] / 255.0)
    np.testing.assert_array_equal(y, np.where(labels[mask] == 3, 0, 1))


def test_emnist_idx_images_are_transposed_upright(tmp_path):
    images, labels = _tiny()
    _write_idx(tmp_path, "emnist-letters", "train", images, labels)
    x, _ = load_mnist_family("emnist_letters", tmp_path)
    np.testing.assert_array_equal(x, images.transpose(0, 2, 1) / 255.0)


def test_keras_npz_and_kmnist_npz_pair(tmp_path):
    images, labels = _tiny()
    np.savez(
        tmp_path / "mnist.npz", x_train=images, y_train=labels, x_test=images[:3], y_test=labels[:3]
    )
    x, y = load_mnist_family("mnist", tmp_path, split="test")
    np.testing.assert_array_equal(y, labels[:3])
    _, (img, lab) = npz_file_names("kmnist", "train")
    np.savez(tmp_path / img, images)
    np.savez(tmp_path / lab, labels)
    x, y = load_mnist_family("kmnist", tmp_path)
    np.testing.assert_array_equal(x, images / 255.0)


def test_subfolders_are_searched(tmp_path):
    images, labels = _tiny()
    _write_idx(tmp_path / "FashionMNIST" / "raw", "fashion-mnist", "train", images, labels)
    _write_idx(tmp_path / "kmnist", "kmnist", "train", images, labels)
    assert find_mnist_family("fashion", tmp_path)[0] == "idx"
    x, _ = load_mnist_family("kmnist", tmp_path)
    assert x.shape == (12, 28, 28)


def test_missing_files_error_names_files_folder_and_source(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist_family("fashion-mnist", tmp_path, split="test")
    msg = str(info.value)
    assert str(tmp_path) in msg
    assert "t10k-images-idx3-ubyte[.gz]" in msg and "t10k-labels-idx1-ubyte[.gz]" in msg
    assert "fashion-mnist.npz" in msg
    assert "https://github.com/zalandoresearch/fashion-mnist" in msg
    assert "download_mnist_family('fashion-mnist', root)" in msg


def test_missing_files_error_match(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no mnist train files in .*train-images-idx3"):
        load_mnist_family("mnist", tmp_path)


def test_half_present_pair_is_reported(tmp_path):
    images, _ = _tiny()
    save_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    with pytest.raises(FileNotFoundError, match=r"Found only: .*train-images.* without its labels"):
        load_mnist_family("mnist", tmp_path)


def test_mismatched_counts_and_dtypes(tmp_path):
    images, labels = _tiny()
    _write_idx(tmp_path, "mnist", "train", images, labels[:5])
    with pytest.raises(ValueError, match=r"images \(N, H, W\) and labels \(N,\); got"):
        load_mnist_family("mnist", tmp_path)
    _write_idx(tmp_path, "mnist", "test", images.astype(np.float32), labels)
    with pytest.raises(TypeError, match="must hold uint8 pixels"):
        load_mnist_family("mnist", tmp_path, split="test")


def test_bad_npz_keys(tmp_path):
    np.savez(tmp_path / "mnist.npz", images=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"must hold arrays \('x_train', 'y_train'\)"):
        load_mnist_family("mnist", tmp_path)


def test_names_and_splits():
    assert canonical_name("Fashion_MNIST") == "fashion-mnist"
    assert canonical_name("emnist") == "emnist-balanced"
    assert len(MNIST_FAMILY) == 9
    with pytest.raises(ValueError, match=r"name must be one of mnist, fashion-mnist.*got 'cifar'"):
        load_mnist_family("cifar", ".")
    with pytest.raises(TypeError, match="name must be a string"):
        canonical_name(3)
    with pytest.raises(ValueError, match=r"split must be 'train' or 'test'; got 'val'"):
        load_mnist_family("mnist", ".", split="val")
