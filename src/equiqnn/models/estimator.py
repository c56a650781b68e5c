"""``InvariantQNNClassifier``: a scikit-learn estimator around the invariant QNN.

It works on flattened inputs ``X`` of shape ``(n_samples, n_features)`` (e.g. ``h·w`` pixels),
reshapes them to the group's data shape, builds a QNN with ``invariant_qnn`` (or the matched
``control_qnn``, or the symmetrized control) and trains it with a small self-contained Adam loop, so
it drops into ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``::

    >>> import numpy as np
    >>> from sklearn.model_selection import cross_val_score
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, np.pi, size=(40, 4))           # 2x2 images, one qubit per pixel
    >>> y = (X.sum(axis=1) > 2 * np.pi).astype(int)       # a D4-invariant label
    >>> clf = InvariantQNNClassifier(layers=1, epochs=3, batch_size=10)  # group: grid_d4(2)
    >>> clf.fit(X, y).group_
    D4(square grid 2x2, order 8)
    >>> cross_val_score(clf, X, y, cv=2).shape
    (2,)

The training loop lives here (not in ``equiqnn.train``, a higher layer): Adam with ``betas=(0.5,
0.999)`` on the cross-entropy of the logits, mini-batches of ``batch_size`` (default
``max(1, N // 10)``) shuffled by a ``torch.Generator`` seeded from ``random_state``, for ``epochs``
epochs, optionally stopping early on a held-out ``validation_fraction``. Everything runs in float64
(complex128 simulation) so predictions do not depend on the batch they are computed in. The global
random state of torch, numpy and Python is never touched (``random_state=None`` draws a seed from
numpy's global generator without reseeding it).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import nn

from equiqnn.circuits import Encoding, RegisterAmplitude
from equiqnn.groups import PermutationGroup, cyclic, grid_d4, group_from_spec
from equiqnn.models.factories import control_qnn, invariant_qnn, make_encoding
from equiqnn.models.symmetrized import symmetrized

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def _validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        return estimator._validate_data(*args, **kwargs)


from equiqnn.models._estimator_training import (
    _batched_logits,
    _int_at_least,
    _seed_from,
    _split,
    _standardize,
    _train,
)

__all__ = ["InvariantQNNClassifier", "default_group"]

_MODELS = ("invariant", "control", "symmetrized")


def default_group(n_features: int) -> PermutationGroup:
    """The group ``InvariantQNNClassifier`` assumes when ``group=None``.

    ``n_features = s²`` with ``s >= 2`` is read as an ``s×s`` image: ``grid_d4(s)`` (rotations and
    reflections). Any other count is read as a ring of sites: ``cyclic(n_features)``.

    >>> default_group(9), default_group(5)
    (D4(square grid 3x3, order 8), C5(ring of 5 sites, order 5))
    """
    if (
        isinstance(n_features, bool)
        or not isinstance(n_features, (int, np.integer))
        or n_features < 1
    ):
        raise ValueError(f"n_features must be an integer >= 1; got {n_features!r}.")
    side = math.isqrt(int(n_features))
    if side >= 2 and side * side == n_features:
        return grid_d4(side)
    return cyclic(int(n_features))


class InvariantQNNClassifier(ClassifierMixin, BaseEstimator):
    """Group-invariant quantum neural network classifier with the scikit-learn interface.

    Args:
        group: the symmetry of the data: a ``PermutationGroup``, a group spec such as
            ``["grid_d4", 4]``, or None to infer it from the number of features with
            ``default_group`` (``grid_d4(s)`` for ``s²`` features, ``cyclic(n)`` otherwise). Its
            ``n_sites`` must equal ``n_features``; rows of ``X`` are reshaped to ``group.shape``
            (row-major, so site = r·w + c for images). The parameter itself is never modified:
            ``fit`` works on a copy, stored as ``group_``.
        encoding: ``"auto"``, ``"angle"``, ``"register"``, an encoding config dict or an
            ``Encoding`` (see ``equiqnn.models.make_encoding``). ``"auto"`` is one qubit per site
            (angle, ``R_Y(x)`` from |0⟩) up to 20 sites, and the register amplitude encoding for
            larger power-of-two square images. Angle-encoding 16 or more sites is slow and
            memory-hungry on a CPU: pass ``encoding="register"`` for 4x4 (4 qubits) or 8x8 (6
            qubits) images. The register encoding L2-normalizes each image: all-zero rows are
            rejected and the overall intensity is lost.
        layers: ansatz layers, an int >= 1.
        epochs: training epochs, an int >= 1 (the maximum when ``validation_fraction`` is set).
        lr: Adam learning rate (betas are ``(0.5, 0.999)``).
        batch_size: examples per Adam step; None means ``max(1, N // 10)``.
        random_state: int, ``numpy.random.RandomState`` or None. An int seeds both the initial
            parameters (``seed=random_state`` in the factory) and the shuffling/validation split,
            so equal ints give identical predictions.
        model: ``"invariant"`` (``invariant_qnn``), ``"control"`` (the matched non-invariant
            ``control_qnn``) or ``"symmetrized"`` (the control averaged over the group,
            ``symmetrized(control_qnn(...))``: invariant at ``|G|×`` the cost).
        frame: ``"X"`` or ``"Z"``, the frame of the register encoding (ignored for the angle
            encoding and for an explicit ``Encoding``/dict).
        validation_fraction: None (train on everything for ``epochs`` epochs) or a fraction in
            (0, 1) of the training data held out (seeded split) for early stopping: training stops
            after ``n_iter_no_change`` epochs without a lower validation loss and the parameters of
            the best epoch are restored.
        n_iter_no_change: patience of the early stopping, an int >= 1.
        verbose: show a tqdm progress bar (epochs, loss) on stderr while fitting.

    Attributes (after ``fit``):
        classes_: the sorted class labels ``(n_classes,)``.
        n_features_in_: number of features seen in ``fit``.
        group_: the ``PermutationGroup`` used (a copy of ``group``, or the inferred one).
        model_: the trained ``torch.nn.Module`` (float64), mapping ``(B, *group_.shape)`` to logits
            ``(B, n_classes)``; ``build_model(model_.config)`` rebuilds it when the group has a spec.
        history_: one dict per epoch with ``epoch``, ``loss`` and ``accuracy`` (training, averaged
            over the epoch's mini-batches), plus ``val_loss`` and ``val_accuracy`` when
            ``validation_fraction`` is set.
        n_epochs_: epochs run; best_epoch_: the epoch whose parameters ``model_`` holds.

    Keep in mind that a per-feature scaler (``StandardScaler``, ``MinMaxScaler``) in front of the
    classifier treats every pixel differently and so breaks the symmetry of the pipeline as a whole;
    scale all features by the same map (e.g. ``FunctionTransformer(lambda X: np.pi * X)``) to keep
    the pipeline invariant.
    """

    def __init__(
        self,
        group: PermutationGroup | list[Any] | tuple[Any, ...] | None = None,
        encoding: str | dict[str, Any] | Encoding = "auto",
        layers: int = 2,
        epochs: int = 30,
        lr: float = 0.05,
        batch_size: int | None = None,
        random_state: int | np.random.RandomState | None = 0,
        model: str = "invariant",
        frame: str = "X",
        validation_fraction: float | None = None,
        n_iter_no_change: int = 10,
        verbose: bool = False,
    ) -> None:
        self.group = group
        self.encoding = encoding
        self.layers = layers
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.random_state = random_state
        self.model = model
        self.frame = frame
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.verbose = verbose

    # -- scikit-learn plumbing --------------------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # a few epochs of a small QNN do not reach the accuracy thresholds of the common checks
        tags.classifier_tags.poor_score = True
        return tags

    # -- fitting ----------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> InvariantQNNClassifier:
        """Build a fresh QNN for the group and train it on ``X`` ``(n_samples, n_features)``.

        Args:
            X: array-like ``(n_samples, n_features)`` of real numbers; ``n_features`` must equal
                the group's number of sites.
            y: class labels ``(n_samples,)``, at least two distinct classes.
        Returns:
            ``self``, fitted.
        """
        X, y = _validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                f"InvariantQNNClassifier needs at least 2 classes in y; got only 1 class "
                f"({classes[0]!r}) in {y.shape[0]} samples. Pass training data with two or more "
                "classes."
            )
        hyper = self._checked_hyperparameters()
        group = self._resolve_group(X.shape[1])
        seed = _seed_from(self.random_state)
        net = self._build_model(group, int(classes.shape[0]), seed).double()

        x_all = torch.from_numpy(np.array(X, dtype=np.float64, copy=True)).reshape(
            X.shape[0], *group.shape
        )
        y_all = torch.from_numpy(np.asarray(y_idx, dtype=np.int64).reshape(-1).copy())
        gen = torch.Generator(device="cpu").manual_seed(seed)
        x_tr, y_tr, x_val, y_val = _split(x_all, y_all, hyper["validation_fraction"], gen)
        _standardize(net, x_tr)

        history, best_epoch = _train(
            net,
            x_tr,
            y_tr,
            x_val,
            y_val,
            gen,
            epochs=hyper["epochs"],
            lr=hyper["lr"],
            batch_size=hyper["batch_size"],
            patience=hyper["n_iter_no_change"],
            verbose=bool(self.verbose),
        )
        net.eval()
        self.classes_ = classes
        self.group_ = group
        self.model_ = net
        self.history_ = history
        self.n_epochs_ = len(history)
        self.best_epoch_ = best_epoch
        return self

    def _checked_hyperparameters(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "layers": _int_at_least(self.layers, "layers", 1, "layers=2"),
            "epochs": _int_at_least(self.epochs, "epochs", 1, "epochs=30"),
            "n_iter_no_change": _int_at_least(
                self.n_iter_no_change, "n_iter_no_change", 1, "n_iter_no_change=10"
            ),
            "batch_size": None
            if self.batch_size is None
            else _int_at_least(self.batch_size, "batch_size", 1, "batch_size=32 (or None)"),
        }
        lr = self.lr
        if (
            isinstance(lr, bool)
            or not isinstance(lr, (int, float, np.floating, np.integer))
            or not (math.isfinite(float(lr)) and lr > 0)
        ):
            raise ValueError(f"lr must be a finite number > 0; got {lr!r}. Pass e.g. lr=0.05.")
        out["lr"] = float(lr)
        vf = self.validation_fraction
        if vf is not None and (
            isinstance(vf, bool) or not isinstance(vf, (int, float, np.floating)) or not 0 < vf < 1
        ):
            raise ValueError(
                f"validation_fraction must be None or a number in (0, 1); got {vf!r}. Pass e.g. "
                "validation_fraction=0.2."
            )
        out["validation_fraction"] = None if vf is None else float(vf)
        if self.model not in _MODELS:
            raise ValueError(f"model must be one of {_MODELS}; got {self.model!r}.")
        if self.frame not in ("X", "Z"):
            raise ValueError(f"frame must be 'X' or 'Z'; got {self.frame!r}.")
        return out

    def _resolve_group(self, n_features: int) -> PermutationGroup:
        g = self.group
        if g is None:
            group = default_group(n_features)
        elif isinstance(g, PermutationGroup):
            group = copy.deepcopy(g)
        elif isinstance(g, (list, tuple)):
            group = group_from_spec(list(g))
        else:
            raise TypeError(
                f"group must be None, a PermutationGroup or a group spec list such as "
                f"['grid_d4', 4]; got {type(g).__name__} {g!r}."
            )
        if group.n_sites != n_features:
            raise ValueError(
                f"{group!r} acts on {group.n_sites} sites (data shape {group.shape}), but X has "
                f"n_features={n_features}. Pass a group with one site per feature (e.g. "
                f"group=['grid_d4', s] for s*s pixels), or group=None to infer one."
            )
        return group

    def _encoding_for(self, group: PermutationGroup) -> Encoding:
        enc = self.encoding
        if isinstance(enc, str):
            resolved = make_encoding(group, enc)
            if isinstance(resolved, RegisterAmplitude):
                return make_encoding(group, "register", frame=self.frame)
            return resolved
        if isinstance(enc, Encoding):
            return copy.deepcopy(enc)
        if isinstance(enc, dict):
            return make_encoding(group, copy.deepcopy(enc))
        raise TypeError(
            f"encoding must be 'auto', 'angle', 'register', an encoding config dict or an "
            f"Encoding; got {type(enc).__name__} {enc!r}."
        )

    def _build_model(self, group: PermutationGroup, n_classes: int, seed: int) -> nn.Module:
        kw: dict[str, Any] = {
            "encoding": self._encoding_for(group),
            "layers": int(self.layers),
            "n_classes": n_classes,
            "seed": seed,
        }
        if self.model == "invariant":
            return invariant_qnn(group, **kw)
        base = control_qnn(group, **kw)
        return symmetrized(base) if self.model == "symmetrized" else base

    # -- prediction -------------------------------------------------------------------------------
    def _logits(self, X: Any) -> torch.Tensor:
        check_is_fitted(self, "model_")
        X = _validate_data(self, X, reset=False, dtype=np.float64)
        x = torch.from_numpy(np.array(X, dtype=np.float64, copy=True)).reshape(
            X.shape[0], *self.group_.shape
        )
        with torch.no_grad():
            return _batched_logits(self.model_, x)

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits: ``(n_samples,)`` log-odds of ``classes_[1]`` for two classes, else
        ``(n_samples, n_classes)``."""
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return (logits[:, 1] - logits[:, 0]).numpy()
        return logits.numpy()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` (softmax of the logits), columns in
        the order of ``classes_``."""
        return torch.softmax(self._logits(X), dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class label per sample ``(n_samples,)``."""
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[np.argmax(proba, axis=1)])


# -- helpers --------------------------------------------------------------------------------------
