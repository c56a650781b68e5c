"""Study figures from stored rows: each drawn exactly when its columns are there, as a valid PNG."""

import numpy as np
import pytest
from matplotlib.image import imread
from report_rows import KINDS, rows_for

from equiqnn.experiments.figures import (
    FIGURES,
    accuracy_vs_n,
    gap_vs_layers,
    grad_var_vs_qubits,
    noise_metrics,
    shortcut_bars,
)
from equiqnn.experiments.figures_base import stats_by
from equiqnn.experiments.report_data import mean_se, normalize_rows, split_axes

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

EXPECTED = {
    "generalization": {"accuracy_vs_n"},
    "noise": {"noise_metrics", "deviation_vs_depth"},
    "shortcut": {"shortcut_bars"},
    "layers": {"gap_vs_layers"},
    "scaling": {"grad_var_vs_qubits"},
}


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert np.ptp(image[..., :3]) > 0  # not a blank canvas


@pytest.mark.parametrize("kind", KINDS)
def test_each_study_gets_exactly_its_figures(kind, tmp_path):
    rows = rows_for(kind)
    drawn = set()
    for file, _, draw in FIGURES:
        path = draw(rows, tmp_path / file)
        if path is None:
            assert not (tmp_path / file).exists()
            continue
        assert path == tmp_path / file
        assert_png(path)
        drawn.add(path.stem)
    assert drawn == EXPECTED[kind]


def test_figures_skip_rows_without_their_axes(tmp_path):
    gen = rows_for("generalization")
    no_n = [{k: v for k, v in r.items() if k != "n_train"} for r in gen]
    assert accuracy_vs_n(no_n, tmp_path / "a.png") is None
    assert shortcut_bars(gen, tmp_path / "b.png") is None
    assert grad_var_vs_qubits(gen, tmp_path / "c.png") is None
    assert noise_metrics(gen, tmp_path / "d.png") is None
    # a noise study at one training size has no accuracy-vs-N figure, nor a gap-vs-layers one
    noise = rows_for("noise")
    assert accuracy_vs_n(noise, tmp_path / "e.png") is None
    assert gap_vs_layers(noise, tmp_path / "f.png") is None
    # gradient variances that are not positive cannot go on a log axis
    flat = [{**r, "grad_var": 0.0} for r in rows_for("scaling")]
    assert grad_var_vs_qubits(flat, tmp_path / "g.png") is None
    assert not list(tmp_path.iterdir())


def test_accuracy_vs_n_without_orbit_or_study_columns(tmp_path):
    """An old quickstart store: no study, no dataset, one training size; orbit column optional."""
    old = [
        {"model": m, "n_train": 20, "seed": s, "test_acc": 0.8 + 0.01 * s}
        for m in ("invariant", "logistic")
        for s in range(3)
    ]
    assert_png(accuracy_vs_n(old, tmp_path / "old.png"))
    assert_png(accuracy_vs_n(normalize_rows(old), tmp_path / "norm.png"))


def test_lines_are_mean_and_standard_error_over_seeds():
    rows = [r for r in rows_for("generalization") if r["model"] == "control"]
    rows = [r for r in rows if r["dataset"] == "digits"]
    xs, means, ses = stats_by(rows, "n_train", "test_acc")
    assert xs.tolist() == [20, 40, 80]
    acc = np.array([[r["test_acc"] for r in rows if r["n_train"] == n] for n in (20, 40, 80)])
    np.testing.assert_allclose(means, acc.mean(axis=1))
    np.testing.assert_allclose(ses, acc.std(axis=1, ddof=1) / np.sqrt(3))
    assert mean_se([0.5]) == (0.5, 0.0, 1) and mean_se([None])[2] == 0


def test_series_split_on_axes_that_would_otherwise_be_averaged():
    scaling = rows_for("scaling")
    # two families (register vs one qubit per pixel) share a model: split by data set
    assert split_axes(scaling, ["model"], ["n_qubits"]) == ["dataset"]
    gen = rows_for("generalization")
    assert split_axes(gen, ["dataset", "model"], ["n_train"]) == []
    mixed = gen + [{**r, "layers": 4} for r in gen]
    assert split_axes(mixed, ["dataset", "model"], ["n_train"]) == ["layers"]
