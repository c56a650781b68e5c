"""Optional experiment tracking: each finished cell also logged to MLflow or Weights & Biases.

Tracking is never required and never needs a network: the result store (``results.sqlite``) stays
the source of truth, and a tracker only mirrors each cell computed in this run (cells skipped
because they are already stored are not logged again). One tracker run per cell, named by the
cell's key (``model|N=..|seed=..``), with

* params: the cell's resolved config (``cell_config``), flattened to dotted keys
  (``train.epochs``, ``cell.model``, ...), values as text;
* metrics: the numeric entries of the cell's metric row (``test_acc``, ``orbit_acc``, ...);
* history: each per-epoch value as ``history/<name>`` at step ``epoch``;
* tags: ``equiqnn.key`` (the store key) and ``equiqnn.study`` (the spec's name).

Backends:

``mlflow``
    A local file store under ``OUT/mlruns`` (tracking URI ``file:OUT/mlruns``), one experiment per
    study name; browse with ``mlflow ui --backend-store-uri OUT/mlruns``. Recent MLflow releases
    refuse the file store unless ``MLFLOW_ALLOW_FILE_STORE=true``; the tracker sets that variable
    in this process when it is unset (an explicit value is left alone). Extra:
    ``pip install 'equiqnn[mlflow]'``.
``wandb``
    Offline runs under ``OUT/wandb`` (``mode="offline"``; sync later with ``wandb sync``), one
    project per study name. Needs ``pip install wandb``.

Both packages are imported only when a tracker is made, so ``import equiqnn`` loads neither.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from equiqnn.experiments.cells import Cell

__all__ = ["TRACKERS", "Tracker", "MLflowTracker", "WandbTracker", "make_tracker", "flatten"]

#: Names accepted by ``make_tracker`` (and ``equiqnn run --track``).
TRACKERS = ("mlflow", "wandb")

#: MLflow's limits on one ``log_batch`` call.
_MLFLOW_MAX_METRICS = 1000
_MLFLOW_MAX_PARAMS = 100


class Tracker(Protocol):
    """Logs finished cells somewhere besides the result store."""

    def log_cell(
        self,
        cell: Cell,
        key: str,
        config: Mapping[str, Any],
        row: Mapping[str, Any],
        history: Sequence[Mapping[str, Any]],
    ) -> None:
        """Log one finished cell: its store ``key``, resolved ``config``, metric ``row`` and
        per-epoch ``history``."""

    def close(self) -> None:
        """Flush and release whatever the tracker holds."""


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings to one level of dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``.

    >>> flatten({"train": {"epochs": 2, "betas": [0.9, 0.99]}, "cell": {"seed": 0}})
    {'train.epochs': 2, 'train.betas': [0.9, 0.99], 'cell.seed': 0}
    """
    flat: dict[str, Any] = {}
    for name, value in config.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _numeric(row: Mapping[str, Any]) -> dict[str, float]:
    """The entries of ``row`` that are numbers (not booleans, not ``None``), as floats."""
    return {
        k: float(v)
        for k, v in row.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def _history_metrics(history: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, int]]:
    """``(history/<name>, value, step)`` for every numeric per-epoch value; the step is the row's
    ``epoch`` (1-based) when it has one, else its position."""
    out = []
    for i, entry in enumerate(history):
        step = int(entry.get("epoch", i + 1))
        for name, value in _numeric(entry).items():
            if name != "epoch":
                out.append((f"history/{name}", value, step))
    return out


class MLflowTracker:
    """Each cell as one MLflow run in a local file store (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], experiment: str) -> None:
        try:
            import mlflow  # noqa: F401  (the client below is part of it)
            from mlflow import MlflowClient
        except ImportError as exc:
            raise ImportError(
                "--track mlflow needs MLflow, which is not installed: "
                "pip install 'equiqnn[mlflow]'."
            ) from exc
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.path = Path(path).resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self.uri = f"file:{self.path}"
        self.client = MlflowClient(tracking_uri=self.uri)
        found = self.client.get_experiment_by_name(experiment)
        self.experiment_id = (
            found.experiment_id if found else self.client.create_experiment(experiment)
        )
        self.experiment = experiment

    def log_cell(
        self,
        cell: Cell,
        key: str,
        config: Mapping[str, Any],
        row: Mapping[str, Any],
        history: Sequence[Mapping[str, Any]],
    ) -> None:
        from mlflow.entities import Metric, Param

        tags = {"equiqnn.key": key, "equiqnn.study": self.experiment}
        run = self.client.create_run(self.experiment_id, run_name=cell.key, tags=tags)
        run_id = run.info.run_id
        status = "FAILED"
        try:
            stamp = int(run.info.start_time or 0)
            params = [Param(k, str(v)) for k, v in flatten(config).items()]
            metrics = [Metric(k, v, stamp, 0) for k, v in _numeric(row).items()]
            metrics += [Metric(k, v, stamp, s) for k, v, s in _history_metrics(history)]
            for i in range(0, len(params), _MLFLOW_MAX_PARAMS):
                self.client.log_batch(run_id, params=params[i : i + _MLFLOW_MAX_PARAMS])
            for i in range(0, len(metrics), _MLFLOW_MAX_METRICS):
                self.client.log_batch(run_id, metrics=metrics[i : i + _MLFLOW_MAX_METRICS])
            status = "FINISHED"
        finally:
            self.client.set_terminated(run_id, status)

    def close(self) -> None:
        """Nothing to release: every run is closed when its cell is logged."""


class WandbTracker:
    """Each cell as one offline Weights & Biases run under ``dir/wandb`` (never online)."""

    def __init__(self, path: str | os.PathLike[str], project: str) -> None:
        try:
            import wandb
        except ImportError as exc:
            raise ImportError(
                "--track wandb needs Weights & Biases, which is not installed: pip install wandb."
            ) from exc
        self._wandb = wandb
        self.path = Path(path).resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self.project = project

    def log_cell(
        self,
        cell: Cell,
        key: str,
        config: Mapping[str, Any],
        row: Mapping[str, Any],
        history: Sequence[Mapping[str, Any]],
    ) -> None:
        run = self._wandb.init(
            project=self.project,
            name=cell.key,
            config=flatten(config),
            dir=str(self.path),
            mode="offline",
            tags=[key[:64]],
            reinit=True,
        )
        try:
            for name, value, step in _history_metrics(history):
                run.log({name: value}, step=step)
            run.summary.update(_numeric(row))
        finally:
            run.finish()

    def close(self) -> None:
        """Nothing to release: every run is finished when its cell is logged."""


def make_tracker(kind: str | None, out: str | os.PathLike[str], study: str) -> Tracker | None:
    """The tracker named ``kind`` for a study writing into ``out``, or ``None`` for no tracking.

    ``"mlflow"`` logs to ``out/mlruns``, ``"wandb"`` to ``out/wandb`` (offline). Raises
    ``ImportError`` naming what to install when the package is missing, and ``ValueError`` for an
    unknown name. NaN metrics are logged as NaN.
    """
    if kind is None:
        return None
    if kind == "mlflow":
        return MLflowTracker(Path(out) / "mlruns", study)
    if kind == "wandb":
        return WandbTracker(Path(out), study)
    raise ValueError(f"unknown tracker {kind!r}; choose one of {', '.join(TRACKERS)} (or none).")
