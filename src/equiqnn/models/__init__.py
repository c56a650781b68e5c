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

__all__ = [
    "QNNClassifier",
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
