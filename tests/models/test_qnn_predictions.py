"""Trained on real digits, the invariant classifier predicts the same label on every transformed copy
of each test image; the matched control does not. Checkpoints of QNNs round-trip exactly."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equiqnn.data import load_digits_images
from equiqnn.groups import grid_d4
from equiqnn.models import control_qnn, invariant_qnn
from equiqnn.noise import NoiseModel, amplitude_damping
from equiqnn.train import fit, load_model, save_checkpoint


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits_images(classes=(3, 5))
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    return x[idx[:60]], y[idx[:60]], x[idx[60:120]], y[idx[60:120]]


def _orbit_predictions(model, x):
    g = model.group
    with torch.no_grad():
        logits = model(g.act_all(torch.as_tensor(x)).reshape(-1, *x.shape[1:]))
    return logits.argmax(1).reshape(g.order, len(x)).numpy()


@settings(max_examples=4)
@given(seed=st.integers(0, 2**16))
def test_trained_invariant_classifier_predicts_one_label_per_orbit(digits, seed):
    xt, yt, xs, _ = digits
    model = invariant_qnn(grid_d4(8), layers=2, seed=seed).double()
    fit(model, (xt[:40], yt[:40]), (xt[40:], yt[40:]), epochs=3, seed=seed, progress=False)
    pred = _orbit_predictions(model, xs)
    assert np.all(pred == pred[0])


def test_trained_matched_control_changes_predictions_under_the_group(digits):
    xt, yt, xs, _ = digits
    model = control_qnn(grid_d4(8), layers=2, seed=0).double()
    fit(model, (xt[:40], yt[:40]), (xt[40:], yt[40:]), epochs=5, progress=False)
    pred = _orbit_predictions(model, xs)
    assert np.mean(np.any(pred != pred[0], axis=0)) > 0.05


@pytest.mark.parametrize(
    "noise", [None, NoiseModel.uniform(amplitude_damping(0.02))], ids=["clean", "noisy"]
)
def test_qnn_checkpoint_round_trips_to_identical_predictions(digits, tmp_path, noise):
    xt, yt, xs, _ = digits
    model = invariant_qnn(grid_d4(8), layers=1, seed=3, noise=noise).double()
    fit(model, (xt[:20], yt[:20]), (xt[20:40], yt[20:40]), epochs=2, progress=False)
    path = save_checkpoint(model, tmp_path / "model.pt")
    again = load_model(path)
    assert repr(again) == repr(model)
    with torch.no_grad():
        torch.testing.assert_close(
            again(torch.as_tensor(xs)), model(torch.as_tensor(xs)), rtol=0, atol=0
        )
