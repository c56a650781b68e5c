"""Classifiers as ``torch.nn.Module``: invariant QNNs, matched controls, baselines, classical models."""

from equiqnn.models.classical import MLP, GroupInvariantCNN, LogisticRegression, SmallCNN
from equiqnn.models.factories import (
    baseline_qnn,
    control_qnn,
    default_readout,
    invariant_qnn,
    make_encoding,
)
from equiqnn.models.qnn import QNNClassifier
from equiqnn.models.registry import build_model, register_model, registered_kinds
from equiqnn.models.symmetrized import Symmetrized, symmetrized


def __getattr__(name: str):
    # the scikit-learn estimator is imported on first use, so `import equiqnn` stays light
    if name in ("InvariantQNNClassifier", "default_group"):
        from equiqnn.models import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'equiqnn.models' has no attribute {name!r}")


__all__ = [
    "QNNClassifier",
    "Symmetrized",
    "symmetrized",
    "InvariantQNNClassifier",
    "default_group",
    "invariant_qnn",
    "control_qnn",
    "baseline_qnn",
    "make_encoding",
    "default_readout",
    "LogisticRegression",
    "MLP",
    "SmallCNN",
    "GroupInvariantCNN",
    "build_model",
    "register_model",
    "registered_kinds",
]
