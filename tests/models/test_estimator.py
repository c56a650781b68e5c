"""Tests for equiqnn.models.estimator: the scikit-learn InvariantQNNClassifier.

scikit-learn's common checks run on three configurations (``FAST_CHECKED`` and, marked slow,
``SLOW_CHECKED``):

- ``group=None`` (the group inferred from the feature count: ``grid_d4(s)`` for ``s²`` features,
  ``cyclic(n)`` otherwise) with the angle encoding, which accepts any real values and any feature
  count. Every applicable check passes; none is expected to fail.
- the same with ``model="symmetrized"`` and early stopping on a validation split (slow: ``|G|×``
  the cost): again none is expected to fail.
- a fixed group, ``["grid_d4", 4]`` with the register encoding (16 features, 4 qubits): the checks
  that fit on their own small data sets (2, 3, 4, 5 or 10 features) cannot apply, since a 4x4 group
  needs exactly 16 features. Those are listed in ``FIXED_GROUP_FAILURES`` with the reason; they run as
  strict xfails, so the list must stay exact. The checks that do not fit on such data (cloning,
  parameters, unfitted errors, input validation) pass.

Checks scikit-learn skips by itself in this environment (reported as skipped, not failures):
``check_array_api_input`` (needs ``SCIPY_ARRAY_API=1`` and an array-API library) and
``check_classifier_data_not_an_array`` / ``check_dataframe_column_names_consistency`` when pandas is
not installed. No check is skipped by us.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from equiqnn.circuits import AngleEncoding, RegisterAmplitude
from equiqnn.groups import cyclic, grid_d4
from equiqnn.models.estimator import InvariantQNNClassifier, _split, default_group
from equiqnn.models.qnn import QNNClassifier
from equiqnn.models.registry import build_model
from equiqnn.models.symmetrized import Symmetrized
from equiqnn.symmetry import check_invariance

# -- scikit-learn common checks -------------------------------------------------------------------
_FEATURES = (
    "fits on its own data set with a feature count other than 16 (2, 3, 4, 5 or 10 features), "
    "which a group acting on 4x4 images cannot accept"
)
FIXED_GROUP_FAILURES: dict[str, str] = {
    name: _FEATURES
    for name in (
        "check_classifier_data_not_an_array",
        "check_classifiers_classes",
        "check_classifiers_train",
        "check_decision_proba_consistency",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_readonly_memmap_input",
        "check_supervised_y_2d",
    )
}
FIXED_GROUP_FAILURES["check_positive_only_tag_during_fit"] = (
    "fits on 3 features (with negative values); the ValueError about the feature count is read as "
    "a rejection of negative values. Negative values themselves are fine for both encodings."
)
FIXED_GROUP_FAILURES["check_classifier_data_not_an_array"] = (
    "without pandas: " + _FEATURES + "; with pandas installed it is skipped before fitting"
)

FIXED_GROUP = InvariantQNNClassifier(
    group=["grid_d4", 4], encoding="register", layers=1, epochs=2, batch_size=100
)
FAST_CHECKED = [
    InvariantQNNClassifier(layers=1, epochs=2, batch_size=100),
    FIXED_GROUP,
]
# |G|x the cost per sample: its check_dtype_object alone (C10 on 10 qubits, 10 copies) takes seconds
SLOW_CHECKED = [
    InvariantQNNClassifier(
        model="symmetrized",
        validation_fraction=0.25,
        n_iter_no_change=1,
        layers=1,
        epochs=2,
        batch_size=100,
    ),
]


def _expected_failures(estimator: InvariantQNNClassifier) -> dict[str, str]:
    return FIXED_GROUP_FAILURES if estimator.group is not None else {}


@parametrize_with_checks(FAST_CHECKED, expected_failed_checks=_expected_failures, xfail_strict=True)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(SLOW_CHECKED, expected_failed_checks=_expected_failures, xfail_strict=True)
def test_sklearn_common_checks_symmetrized_with_early_stopping(estimator, check):
    check(estimator)


# -- data -----------------------------------------------------------------------------------------
def _images(n: int, seed: int, labels: tuple = (0, 1)) -> tuple[np.ndarray, np.ndarray]:
    """Flattened 4x4 images: a bright centre (labels[0]) or a bright border (labels[1]); both
    patterns are D4-invariant."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 2, n)
    centre = np.zeros((4, 4))
    centre[1:3, 1:3] = 1
    pattern = np.where(k[:, None, None] == 0, centre, 1 - centre)
    x = 0.1 + 0.2 * rng.random((n, 4, 4)) + pattern * (0.6 + 0.2 * rng.random((n, 1, 1)))
    return x.reshape(n, 16), np.asarray(labels)[k]


def _small(n: int, seed: int, n_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """2x2 images in [0, π] labelled by total intensity (D4-invariant)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, np.pi, (n, 4))
    s = x.sum(1)
    cuts = np.quantile(s, np.linspace(0, 1, n_classes + 1)[1:-1])
    return x, np.digitize(s, cuts)


def _register_clf(**kw) -> InvariantQNNClassifier:
    params: dict[str, Any] = {
        "group": grid_d4(4),
        "encoding": "register",
        "epochs": 10,
        "batch_size": 20,
    }
    params.update(kw)
    return InvariantQNNClassifier(**params)


@pytest.fixture(scope="module")
def images():
    return _images(60, 0, labels=("centre", "border")), _images(40, 1, labels=("centre", "border"))


@pytest.fixture(scope="module")
def fitted(images):
    (x, y), _ = images
    return _register_clf().fit(x, y)


# -- fitting and prediction -----------------------------------------------------------------------
def test_fit_learns_an_invariant_image_task_with_string_labels(fitted, images):
    (x, y), (xt, yt) = images
    assert list(fitted.classes_) == ["border", "centre"]
    assert fitted.n_features_in_ == 16
    assert fitted.score(x, y) >= 0.9
    assert fitted.score(xt, yt) >= 0.9
    assert set(fitted.predict(xt)) <= {"border", "centre"}
    assert isinstance(fitted.model_, QNNClassifier)
    assert isinstance(fitted.model_.encoding, RegisterAmplitude)
    assert fitted.model_.theta.dtype == torch.float64
    assert fitted.group_.shape == (4, 4)
    assert len(fitted.history_) == fitted.n_epochs_ == 10 == fitted.best_epoch_
    assert fitted.history_[-1]["loss"] < fitted.history_[0]["loss"]
    assert set(fitted.history_[0]) == {"epoch", "loss", "accuracy"}


def test_probabilities_and_decision_function_agree(fitted, images):
    _, (xt, _) = images
    proba = fitted.predict_proba(xt)
    decision = fitted.decision_function(xt)
    assert proba.shape == (40, 2) and decision.shape == (40,)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-decision)), atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(xt), fitted.classes_[(decision > 0).astype(int)])


def test_fitted_model_is_invariant_and_so_are_its_predictions(fitted, images):
    _, (xt, _) = images
    assert check_invariance(fitted.model_).max_deviation < 1e-9
    copies = grid_d4(4).act_all(xt.reshape(-1, 4, 4))  # (8, 40, 4, 4)
    reference = fitted.predict_proba(xt)
    for g in copies[1:]:
        np.testing.assert_allclose(fitted.predict_proba(g.reshape(-1, 16)), reference, atol=1e-10)


def test_control_is_not_invariant_and_symmetrized_is(images):
    (x, y), _ = images
    control = _register_clf(model="control", epochs=2).fit(x, y)
    sym = _register_clf(model="symmetrized", epochs=2).fit(x, y)
    assert check_invariance(control.model_).max_deviation > 1e-3
    assert isinstance(sym.model_, Symmetrized)
    assert check_invariance(sym.model_).max_deviation < 1e-9
    assert sym.model_.n_params == control.model_.n_params


def test_multiclass_uses_invariant_observables():
    x, y = _small(60, 0, n_classes=3)
    clf = InvariantQNNClassifier(layers=1, epochs=5, batch_size=10).fit(x, y)
    assert clf.group_.name == "D4" and clf.group_.shape == (2, 2)
    assert isinstance(clf.model_.encoding, AngleEncoding)
    assert len(clf.model_.observables) == 3
    assert clf.predict_proba(x).shape == clf.decision_function(x).shape == (60, 3)
    assert check_invariance(clf.model_).max_deviation < 1e-9
    assert clf.score(x, y) > 0.5


def test_encoding_options_and_frame(images):
    (x, y), _ = images
    z = _register_clf(frame="Z", epochs=1).fit(x, y)
    assert z.model_.encoding.frame == "Z"
    enc = RegisterAmplitude(4, frame="Z")
    obj = _register_clf(encoding=enc, epochs=1).fit(x, y)
    assert obj.encoding is enc and obj.model_.encoding is not enc
    assert obj.model_.encoding.config() == enc.config()
    cfg = {"type": "register", "side": 4, "frame": "X", "premap": False}
    from_dict = _register_clf(encoding=cfg, epochs=1).fit(x, y)
    assert from_dict.model_.encoding.config() == cfg
    xs, ys = _small(20, 0)
    angle = InvariantQNNClassifier(encoding="angle", frame="Z", layers=1, epochs=1).fit(xs, ys)
    assert isinstance(angle.model_.encoding, AngleEncoding)  # frame only concerns the register


def test_model_config_rebuilds_the_trained_architecture(fitted):
    rebuilt = build_model(fitted.model_.config).double()
    rebuilt.load_state_dict(fitted.model_.state_dict())
    x = fitted.model_.example_inputs(5)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), fitted.model_(x))


def test_early_stopping_restores_the_best_validation_epoch(images):
    (x, _), _ = images
    y = np.random.default_rng(5).integers(0, 2, x.shape[0])  # unlearnable: validation loss rises
    clf = _register_clf(epochs=20, batch_size=14, validation_fraction=0.3, n_iter_no_change=2)
    clf.fit(x, y)
    losses = [row["val_loss"] for row in clf.history_]
    assert {"val_loss", "val_accuracy"} <= set(clf.history_[0])
    assert clf.best_epoch_ == int(np.argmin(losses)) + 1
    assert clf.n_epochs_ == len(clf.history_) < 20
    assert clf.n_epochs_ - clf.best_epoch_ == 2


def test_early_stopping_restores_the_best_parameters(images):
    (x, _), _ = images
    y = np.random.default_rng(5).integers(0, 2, x.shape[0])
    kw = {"batch_size": 14, "validation_fraction": 0.3, "n_iter_no_change": 2}
    stopped = _register_clf(epochs=20, **kw).fit(x, y)
    best = _register_clf(epochs=stopped.best_epoch_, **kw).fit(x, y)
    np.testing.assert_array_equal(stopped.predict_proba(x), best.predict_proba(x))


def test_verbose_shows_a_progress_bar(capsys):
    x, y = _small(20, 0)
    InvariantQNNClassifier(layers=1, epochs=2, verbose=True).fit(x, y)
    assert "fit" in capsys.readouterr().err


# -- group handling ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_features", "expected"),
    [(1, "C1"), (2, "C2"), (4, "D4"), (7, "C7"), (9, "D4"), (16, "D4"), (64, "D4")],
)
def test_default_group(n_features, expected):
    group = default_group(n_features)
    assert group.name == expected and group.n_sites == n_features


def test_default_group_rejects_a_non_positive_count():
    with pytest.raises(ValueError, match="n_features must be an integer >= 1"):
        default_group(0)


def test_group_as_spec_and_as_object_give_the_same_model(images):
    (x, y), _ = images
    a = _register_clf(group=["grid_d4", 4], epochs=2).fit(x, y)
    b = _register_clf(group=grid_d4(4), epochs=2).fit(x, y)
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))


def test_fit_does_not_modify_the_group_parameter(images):
    (x, y), _ = images
    group = grid_d4(4)
    state = copy.deepcopy(group.__dict__)
    clf = _register_clf(group=group, epochs=1).fit(x, y)
    assert clf.group is group and clf.group_ is not group
    assert group._perms is None and group.__dict__.keys() == state.keys()


def test_group_of_the_wrong_size_is_a_value_error():
    x, y = _small(10, 0)
    with pytest.raises(ValueError, match=r"acts on 9 sites .* n_features=4"):
        InvariantQNNClassifier(group=grid_d4(3)).fit(x, y)


def test_group_of_the_wrong_type_is_a_type_error():
    x, y = _small(10, 0)
    with pytest.raises(TypeError, match="group must be None, a PermutationGroup or a group spec"):
        InvariantQNNClassifier(group="grid_d4").fit(x, y)


# -- scikit-learn integration -----------------------------------------------------------------------
def test_predict_before_fit_raises_not_fitted():
    clf = InvariantQNNClassifier()
    x, _ = _small(3, 0)
    for method in (clf.predict, clf.predict_proba, clf.decision_function):
        with pytest.raises(NotFittedError):
            method(x)


def test_clone_round_trip_with_a_permutation_group_parameter(fitted):
    cloned = clone(fitted)
    assert cloned.get_params().keys() == fitted.get_params().keys()
    assert cloned.group is not fitted.group
    assert cloned.group.spec == fitted.group.spec == ["grid_d4", 4]
    assert not hasattr(cloned, "model_")
    params = {k: v for k, v in fitted.get_params().items() if k != "group"}
    assert {k: v for k, v in cloned.get_params().items() if k != "group"} == params
    assert clone(cloned.set_params(layers=3)).layers == 3


def test_random_state_reproducibility(images):
    (x, y), (xt, _) = images
    a = _register_clf(epochs=2, random_state=7).fit(x, y).predict_proba(xt)
    b = _register_clf(epochs=2, random_state=7).fit(x, y).predict_proba(xt)
    c = _register_clf(epochs=2, random_state=8).fit(x, y).predict_proba(xt)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_random_state_none_and_instances_are_accepted():
    x, y = _small(20, 0)
    InvariantQNNClassifier(layers=1, epochs=1, random_state=None).fit(x, y)
    InvariantQNNClassifier(layers=1, epochs=1, random_state=np.random.RandomState(3)).fit(x, y)
    with pytest.raises(ValueError, match="random_state must be a non-negative int"):
        InvariantQNNClassifier(random_state=-1).fit(x, y)


def test_pickle_round_trip(fitted, images):
    _, (xt, _) = images
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(xt), fitted.predict_proba(xt))


def test_pipeline_with_a_scaler():
    x, y = _small(40, 0)
    for scaler in (MinMaxScaler(), FunctionTransformer(lambda a: a / np.pi)):
        pipe = make_pipeline(scaler, InvariantQNNClassifier(layers=1, epochs=5, batch_size=10))
        pipe.fit(x, y)
        assert pipe.predict(x).shape == (40,)
        assert 0.0 <= pipe.score(x, y) <= 1.0


def test_cross_val_score():
    x, y = _small(40, 0)
    scores = cross_val_score(InvariantQNNClassifier(layers=1, epochs=5, batch_size=10), x, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_grid_search_over_layers():
    x, y = _small(40, 0)
    search = GridSearchCV(InvariantQNNClassifier(epochs=3, batch_size=10), {"layers": [1, 2]}, cv=2)
    search.fit(x, y)
    assert search.best_params_["layers"] in (1, 2)
    assert search.best_estimator_.model_.ansatz is not None
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.predict(x).shape == (40,)


# -- argument errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"layers": 0}, "layers must be an integer >= 1"),
        ({"epochs": 1.5}, "epochs must be an integer >= 1"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"n_iter_no_change": 0}, "n_iter_no_change must be an integer >= 1"),
        ({"lr": -0.1}, "lr must be a finite number > 0"),
        ({"lr": float("nan")}, "lr must be a finite number > 0"),
        ({"validation_fraction": 1.0}, r"validation_fraction must be None or a number in \(0, 1\)"),
        ({"model": "baseline"}, "model must be one of"),
        ({"frame": "Y"}, "frame must be 'X' or 'Z'"),
        ({"encoding": "amplitude"}, "encoding must be 'auto', 'angle', 'register'"),
    ],
)
def test_bad_hyperparameters_are_value_errors_at_fit(params, message):
    x, y = _small(10, 0)
    clf = InvariantQNNClassifier(**params)  # __init__ only stores
    with pytest.raises(ValueError, match=message):
        clf.fit(x, y)


def test_bad_encoding_type_is_a_type_error():
    x, y = _small(10, 0)
    with pytest.raises(TypeError, match="encoding must be"):
        InvariantQNNClassifier(encoding=3).fit(x, y)


def test_register_encoding_needs_square_images_and_non_zero_rows():
    x, y = _small(10, 0)
    with pytest.raises(ValueError, match="register encoding needs square images"):
        InvariantQNNClassifier(group=cyclic(4), encoding="register").fit(x, y)
    xi, yi = _images(10, 0)
    xi[3] = 0.0
    with pytest.raises(ValueError, match="non-zero norm"):
        _register_clf(epochs=1).fit(xi, yi)


def test_one_class_is_a_value_error():
    x, _ = _small(10, 0)
    with pytest.raises(ValueError, match="at least 2 classes in y; got only 1 class"):
        InvariantQNNClassifier().fit(x, np.zeros(10))


def test_validation_split_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2 training samples"):
        _split(torch.zeros(1, 4), torch.zeros(1), 0.5, torch.Generator())
