"""equiqnn.train: fitting, honest evaluation (orbit accuracy) and checkpoints.

* ``fit`` trains with Adam on cross-entropy, seeded shuffling, early stopping on the validation
  loss, and restores the best-validation parameters; it returns a ``FitResult``.
* ``evaluate`` measures loss, clean accuracy and orbit metrics over all |G| copies ``g·x``;
  ``evaluate_split`` gives train vs test and the gap; ``report`` merges best-validation and
  final-epoch figures into one flat row. Model selection uses the validation set only: the test set
  is measured after ``fit`` and never chooses anything.
* ``save_checkpoint`` / ``load_model`` round-trip weights and config with ``weights_only=True``.
* ``make_generator`` is the only source of randomness (no global seeding).
"""

from equiqnn.train.augment import GroupAugmentation
from equiqnn.train.checkpoint import load_checkpoint, load_model, save_checkpoint
from equiqnn.train.evaluate import Evaluation, evaluate
from equiqnn.train.fit import fit
from equiqnn.train.report import SplitReport, evaluate_split, report
from equiqnn.train.result import EPOCH_KEYS, FitResult
from equiqnn.train.seeding import make_generator
from equiqnn.train.symmetry_metrics import (
    BowkerTest,
    ElementBowker,
    LabelMisassignment,
    OutputDeviation,
    adaptive_threshold,
    apply_threshold,
    label_misassignment,
    mcnemar_bowker,
    mcnemar_bowker_model,
    output_deviation,
    readout_mean_shift,
)

__all__ = [
    "fit",
    "FitResult",
    "EPOCH_KEYS",
    "evaluate",
    "Evaluation",
    "evaluate_split",
    "SplitReport",
    "report",
    "save_checkpoint",
    "load_checkpoint",
    "load_model",
    "GroupAugmentation",
    "make_generator",
    "BowkerTest",
    "ElementBowker",
    "LabelMisassignment",
    "OutputDeviation",
    "adaptive_threshold",
    "apply_threshold",
    "label_misassignment",
    "mcnemar_bowker",
    "mcnemar_bowker_model",
    "output_deviation",
    "readout_mean_shift",
]
