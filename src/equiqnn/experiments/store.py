"""The result store: one SQLite row per finished cell, keyed by a hash of the cell's resolved config.

A row is written in one transaction when its cell ends, so a sweep killed at any moment (even with
SIGKILL) leaves only whole rows behind, and a rerun skips every cell whose key is already stored::

    with ResultStore(out / "results.sqlite") as store:
        if cell_key(spec, cell) not in store.done_keys():
            store.put(cell, row, cell_config(spec, cell), history)

The key covers everything that can change a cell's numbers (data, QNN and training settings, the
cell's own model, training size and seed, and its other axis values) and nothing that cannot (the
study's ``name``, its ``smoke`` section, the sweep lists): editing ``train.epochs`` gives new keys,
while adding a seed to the sweep keeps the finished cells' keys. A cell with several rows (one per
test-time noise setting) stores them with ``put_many``, all in one transaction, each under the key of
its own resolved config (``cell_config(spec, cell, variant)``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from equiqnn.experiments.cells_axes import NOT_KEYED, Cell, Variant
from equiqnn.experiments.cells_axes import cell_config as _cell_config
from equiqnn.experiments.spec import StudySpec

__all__ = [
    "STORE_NAME",
    "ResultStore",
    "cell_config",
    "cell_key",
    "row_keys",
    "package_versions",
]

#: File name of the store inside a study's output directory.
STORE_NAME = "results.sqlite"

#: Spec fields that never change a cell's numbers: the label, the smoke section, the sweep lists.
_NOT_KEYED = NOT_KEYED

_FILE_SUFFIXES = (".sqlite", ".sqlite3", ".db")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    n_train INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    config_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    history_json TEXT NOT NULL,
    seconds REAL,
    versions_json TEXT NOT NULL,
    finished_at TEXT NOT NULL
)
"""

_COLUMNS = (
    "key",
    "model",
    "n_train",
    "seed",
    "config_json",
    "metrics_json",
    "history_json",
    "seconds",
    "versions_json",
    "finished_at",
)


def cell_config(spec: StudySpec, cell: Cell, variant: Variant = ()) -> dict[str, Any]:
    """The resolved config of one stored row: the spec without its label and sweep lists, with the
    cell's (and ``variant``'s) axis values, plus ``cell``: its own ``model``, ``n_train`` and
    ``seed``. Plain JSON types only (see ``equiqnn.experiments.cells_axes.cell_config``)."""
    return _cell_config(spec, cell, variant)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True, default=_plain)


def _dumps(obj: Any) -> str:
    """JSON text keeping the key order (rows read back keep their column order)."""
    return json.dumps(obj, allow_nan=True, default=_plain)


def cell_key(spec: StudySpec, cell: Cell, variant: Variant = ()) -> str:
    """sha256 (hex) of the canonical JSON (sorted keys) of ``cell_config(spec, cell, variant)``."""
    return hashlib.sha256(_canonical(cell_config(spec, cell, variant)).encode()).hexdigest()


def row_keys(spec: StudySpec, cell: Cell) -> list[str]:
    """The store keys of ``cell``'s rows, one per entry of ``cell.variants``, in that order."""
    return [cell_key(spec, cell, v) for v in cell.variants]


def package_versions() -> dict[str, str]:
    """Versions that produced a row: equiqnn, torch, numpy and Python."""
    import torch

    import equiqnn

    return {
        "equiqnn": str(equiqnn.__version__),
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "python": platform.python_version(),
    }


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"a stored metric must be a JSON number, string, bool, None, list or dict; got "
        f"{type(value).__name__} ({value!r}). Convert it to a plain Python value in the row."
    )


class ResultStore:
    """SQLite store of finished cells (WAL journal, one transaction per cell).

    Args:
        path: a study's output directory (the store is its ``results.sqlite``), or the database
            file itself when the name ends in ``.sqlite``, ``.sqlite3`` or ``.db``. Created with its
            table if missing.
        create: when False, a missing database raises ``FileNotFoundError`` instead of being made.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        p = Path(path)
        if p.suffix not in _FILE_SUFFIXES:
            p = p / STORE_NAME
        if not create and not p.is_file():
            raise FileNotFoundError(
                f"no result store at {p}; `equiqnn run SPEC --out DIR` writes DIR/{STORE_NAME}."
            )
        p.parent.mkdir(parents=True, exist_ok=True)
        self.path = p
        self._versions: dict[str, str] | None = None
        self._conn = sqlite3.connect(p, timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        with self._conn:
            self._conn.execute(_SCHEMA)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    # -- writing ---------------------------------------------------------------------------
    def put(
        self,
        cell: Cell,
        row: dict[str, Any],
        config: dict[str, Any],
        history: Sequence[dict[str, Any]] = (),
        *,
        replace: bool = False,
    ) -> str:
        """Store one finished cell in a single transaction and return its key.

        ``config`` is the cell's resolved config (``cell_config``); its hash is the key. A key that
        is already stored is left as it is, unless ``replace`` is True (then the row is overwritten);
        either way the table never holds two rows for one key.
        """
        return self.put_many(cell, [(row, config)], history, replace=replace)[0]

    def put_many(
        self,
        cell: Cell,
        entries: Sequence[tuple[dict[str, Any], dict[str, Any]]],
        history: Sequence[dict[str, Any]] = (),
        *,
        replace: bool = False,
    ) -> list[str]:
        """Store the rows of one finished cell, ``[(row, config), ...]``, in a single transaction
        (all or none); returns their keys. Each key follows ``put``'s rules."""
        values = [self._values(cell, row, config, history) for row, config in entries]
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        marks = ", ".join("?" for _ in _COLUMNS)
        with self._conn:
            self._conn.executemany(
                f"{verb} INTO cells ({', '.join(_COLUMNS)}) VALUES ({marks})", values
            )
        return [str(v[0]) for v in values]

    def _values(
        self,
        cell: Cell,
        row: dict[str, Any],
        config: dict[str, Any],
        history: Sequence[dict[str, Any]],
    ) -> tuple[Any, ...]:
        if not isinstance(row, dict):
            raise TypeError(f"row must be a dict of metrics; got {type(row).__name__}.")
        if not isinstance(config, dict):
            raise TypeError(
                f"config must be the cell's resolved config dict (cell_config(spec, cell)); got "
                f"{type(config).__name__}."
            )
        own = {"model": cell.model, "n_train": cell.n_train, "seed": cell.seed}
        if config.get("cell") != own:
            raise ValueError(
                f"config['cell'] must describe the cell being stored ({own}); got "
                f"{config.get('cell')!r}. Pass cell_config(spec, cell) for this cell."
            )
        key = hashlib.sha256(_canonical(config).encode()).hexdigest()
        if self._versions is None:
            self._versions = package_versions()
        seconds = row.get("seconds")
        return (
            key,
            cell.model,
            int(cell.n_train),
            int(cell.seed),
            _canonical(config),
            _dumps(row),
            _dumps(list(history)),
            None if seconds is None else float(seconds),
            _dumps(self._versions),
            datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        )

    # -- reading ---------------------------------------------------------------------------
    def done_keys(self) -> set[str]:
        """Keys of every stored cell."""
        return {k for (k,) in self._conn.execute("SELECT key FROM cells")}

    def __len__(self) -> int:
        (n,) = self._conn.execute("SELECT COUNT(*) FROM cells").fetchone()
        return int(n)

    def rows(self, keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Stored rows as dicts of the table's columns, the ``*_json`` ones decoded into
        ``config``, ``metrics``, ``history`` and ``versions``. With ``keys``: those rows in that
        order (missing keys are skipped); without: every row, oldest first."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM cells"
        found = [self._decode(r) for r in self._conn.execute(query + " ORDER BY finished_at, key")]
        if keys is None:
            return found
        by_key = {r["key"]: r for r in found}
        return [by_key[k] for k in keys if k in by_key]

    def metrics(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The flat metric rows (as ``run_cell`` returned them) of ``keys``, in that order."""
        return [r["metrics"] for r in self.rows(keys)]

    @staticmethod
    def _decode(values: Sequence[Any]) -> dict[str, Any]:
        out = dict(zip(_COLUMNS, values, strict=True))
        for col in ("config", "metrics", "history", "versions"):
            out[col] = json.loads(out.pop(f"{col}_json"))
        return out

    # -- export ----------------------------------------------------------------------------
    def table(self) -> list[dict[str, Any]]:
        """Every row flattened for export: ``key``, the metrics, ``finished_at``, one
        ``version_<package>`` column per package, and ``config_json``/``history_json`` as text."""
        out = []
        for r in self.rows():
            flat: dict[str, Any] = {"key": r["key"]}
            flat.update(r["metrics"])
            flat.update(
                {"model": r["model"], "n_train": r["n_train"], "seed": r["seed"]}
            )  # the keyed cell wins over any same-named metric
            flat["finished_at"] = r["finished_at"]
            flat.update({f"version_{k}": v for k, v in r["versions"].items()})
            flat["config_json"] = _canonical(r["config"])
            flat["history_json"] = _dumps(r["history"])
            out.append(flat)
        return out

    def export_csv(self, path: str | os.PathLike[str]) -> int:
        """Write ``table()`` as CSV (columns: the union in first-seen order); returns the row
        count."""
        rows = self.table()
        columns = list(dict.fromkeys(k for r in rows for k in r)) or ["key"]
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=columns)
            w.writeheader()
            w.writerows(rows)
        return len(rows)

    def export_parquet(self, path: str | os.PathLike[str]) -> int:
        """Write ``table()`` as Parquet (needs pandas and pyarrow); returns the row count."""
        try:
            import pandas as pd
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                f"Parquet export needs pandas and pyarrow ({exc.name} is missing); run "
                "`pip install pandas pyarrow`, or export CSV with --csv."
            ) from None
        rows = self.table()
        pd.DataFrame(rows).to_parquet(path, index=False)
        return len(rows)
