"""Synthetic stored rows of every study kind (seeded), and a helper that puts rows into a store.

Shared by test_figures.py and test_report.py; the numbers are made up, the columns follow the
stored-row contract of the studies.
"""

import itertools

import numpy as np

from equiqnn.experiments.cells import Cell
from equiqnn.experiments.store import ResultStore

KINDS = ("generalization", "noise", "shortcut", "layers", "scaling")


def _base(rng, kind, dataset, model, seed, n_train=40, layers=2, encoding="register", n_qubits=6):
    invariant = model in ("invariant", "symmetrized")
    test = float(np.clip(0.8 + 0.1 * rng.standard_normal(), 0, 1))
    orbit = test if invariant else test - 0.3
    return {
        "study": kind,
        "dataset": dataset,
        "model": model,
        "seed": seed,
        "n_train": n_train,
        "layers": layers,
        "encoding": encoding,
        "n_qubits": n_qubits,
        "n_params": 14 if model != "logistic" else 130,
        "gate_count": 40 * layers if model != "logistic" else None,
        "seconds": 0.5,
        "test_acc": test,
        "orbit_acc": orbit,
        "train_acc": min(1.0, test + 0.1),
        "train_test_gap": 0.1,
        "val_acc": test,
        "invariance_gap": 0.0 if invariant else test - orbit,
        "max_output_deviation": 1e-7 if invariant else 0.4,
        "label_misassignment": 0.0 if invariant else 0.3,
        "bowker_stat": 0.0 if invariant else 20.0 + seed,
        "bowker_p": 1.0 if invariant else 1e-4,
    }


def rows_for(kind, seed=0):
    """Rows of one synthetic study of ``kind``."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    out = []
    seeds = range(3)
    if kind == "generalization":
        for ds, m, n, s in itertools.product(
            ("digits", "ising"), ("invariant", "control", "logistic"), (20, 40, 80), seeds
        ):
            out.append(_base(rng, kind, ds, m, s, n_train=n))
    elif kind == "noise":
        for m, ch, g, fr, pl, ph, lay, s in itertools.product(
            ("invariant", "control"),
            ("depolarizing", "amplitude_damping"),
            (0.0, 0.2),
            ("X", "Z"),
            ("gate", "layer"),
            ("test", "train"),
            (1, 3),
            range(2),
        ):
            r = _base(rng, kind, "digits", m, s, layers=lay)
            breaks = ch == "amplitude_damping" and fr == "X"
            r.update(
                noise_channel=ch,
                noise_strength=g,
                noise_frame=fr,
                noise_placement=pl,
                noise_phase=ph,
                test_acc=r["test_acc"] - g,
                max_output_deviation=r["max_output_deviation"] + (g * lay if breaks else 0.0),
            )
            out.append(r)
    elif kind == "shortcut":
        for m, s in itertools.product(("invariant", "control"), seeds):
            r = _base(rng, kind, "digits", m, s)
            r.update(watermark_acc=0.99, transformed_acc=r["orbit_acc"], clean_acc=r["test_acc"])
            out.append(r)
    elif kind == "layers":
        for m, lay, s in itertools.product(("invariant", "control"), (1, 2, 4, 8), seeds):
            out.append(_base(rng, kind, "digits", m, s, n_train=20, layers=lay))
    elif kind == "scaling":
        families = [("ising", "register", q) for q in (6, 8, 10, 12)]
        families += [("ising_pixels", "angle", q) for q in (4, 9, 16)]
        for (ds, enc, q), m, s in itertools.product(families, ("invariant", "control"), seeds):
            r = _base(rng, kind, ds, m, s, encoding=enc, n_qubits=q)
            scale = 2.0 ** (-q / (4 if m == "invariant" else 1))
            r.update(grad_var=scale * (1 + 0.1 * s), grad_var_se=0.05 * scale)
            out.append(r)
    else:
        raise ValueError(kind)
    return out


def put_rows(path, rows, configs=None):
    """Store each row as its own cell (a unique config per row, or ``configs[i]`` plus the cell)."""
    with ResultStore(path) as store:
        for i, row in enumerate(rows):
            own = {"model": row["model"], "n_train": row["n_train"], "seed": row["seed"]}
            config = {"uid": i} if configs is None else dict(configs[i])
            store.put(Cell(**own), dict(row), {**config, "cell": own})
