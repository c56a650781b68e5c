"""Executors: a smoke study on a real local Ray cluster stores the same rows as the local pool; pool
workers are pinned to distinct cores; a missing Ray is a clear error before any work."""

import os
import sys
import time
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from equiqnn.cli import main
from equiqnn.experiments import executor, load_spec, run_study
from equiqnn.experiments.store import ResultStore

QUICKSTART = str(Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml")
SMOKE = [
    "models=[logistic]",
    "data.n_train=[20]",
    "seeds=0,1",
    "train.epochs=1",
    "data.n_val=20",
    "data.n_test=20",
]
NO_RAY = "Ray is not installed (pip install 'equiqnn[ray]'); the Ray executor is not tested"


def _stored(out: Path) -> dict[str, tuple]:
    """key -> (model, N, seed, metrics, history) of every stored row, without wall times."""
    with ResultStore(out) as store:
        rows = store.rows()
    out_rows = {}
    for r in rows:
        metrics = {k: v for k, v in r["metrics"].items() if k != "seconds"}
        history = [{k: v for k, v in h.items() if k != "seconds"} for h in r["history"]]
        out_rows[r["key"]] = (r["model"], r["n_train"], r["seed"], metrics, history)
    return out_rows


class _RecordingPool(ProcessPoolExecutor):
    """The pool ``run_cells`` makes, noting each worker's CPU affinity before it shuts down."""

    affinities: list[set[int]] = []

    def shutdown(self, *args, **kwargs):
        deadline = time.monotonic() + 60
        while hasattr(os, "sched_getaffinity"):  # a worker may still be starting
            pinned = [os.sched_getaffinity(pid) for pid in list(self._processes)]
            if all(len(a) == 1 for a in pinned) or time.monotonic() > deadline:
                _RecordingPool.affinities = pinned
                break
            time.sleep(0.1)
        super().shutdown(*args, **kwargs)


@pytest.fixture(scope="module")
def pool_rows(tmp_path_factory):
    """The smoke study on the local pool (two pinned worker processes), and the workers'
    affinities."""
    out = tmp_path_factory.mktemp("pool")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(executor, "ProcessPoolExecutor", _RecordingPool)
        run_study(load_spec(QUICKSTART, SMOKE), out, progress=False, workers=2)
    rows = _stored(out)
    assert len(rows) == 2
    return rows, _RecordingPool.affinities


@pytest.fixture(scope="module")
def cluster():
    """One real local Ray cluster (a head node with 2 CPUs, no driver) for this module."""
    pytest.importorskip("ray", reason=NO_RAY)
    from ray.cluster_utils import Cluster

    head = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 2, "include_dashboard": False},
    )
    yield head
    head.shutdown()


def test_cli_ray_executor_joins_a_running_cluster_and_leaves_it_running(
    cluster, pool_rows, tmp_path, capsys
):
    import ray

    out = tmp_path / "ray"
    code = main(
        ["run", QUICKSTART, "--out", str(out), "--quiet", "--executor", "ray"]
        + ["--address", cluster.address, *SMOKE]
    )
    assert code == 0, capsys.readouterr().err
    assert "0 of 2 cells already in" in capsys.readouterr().out
    assert _stored(out) == pool_rows[0]  # same keys, metrics (test_acc, ...), history
    assert not ray.is_initialized()  # the driver disconnected ...
    assert cluster.head_node.remaining_processes_alive()  # ... and the cluster still runs

    again = run_study(
        load_spec(QUICKSTART, SMOKE), out, progress=False, executor="ray", address=cluster.address
    )
    assert again["skipped"] == 2 and again["computed"] == 0  # resume works the same on Ray


def test_run_cells_ray_rejects_num_cpus_with_an_address():
    from equiqnn.experiments.ray_executor import run_cells_ray

    with pytest.raises(ValueError, match="applies only to a local cluster"):
        run_cells_ray([], load_spec(QUICKSTART, SMOKE), address="auto", num_cpus=2)


def test_executor_ray_without_ray_is_a_clear_error_before_any_work(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    out = tmp_path / "x"
    code = main(["run", QUICKSTART, "--out", str(out), "--executor", "ray", *SMOKE])
    assert code == 2
    err = capsys.readouterr().err
    assert "needs Ray" in err and "pip install 'equiqnn[ray]'" in err
    assert not out.exists()

    from equiqnn.experiments.ray_executor import run_cells_ray

    with pytest.raises(ImportError, match=r"equiqnn\[ray\]"):
        run_cells_ray([], load_spec(QUICKSTART, SMOKE))


def test_address_needs_the_ray_executor(tmp_path, capsys):
    code = main(["run", QUICKSTART, "--out", str(tmp_path / "x"), "--address", "auto", *SMOKE])
    assert code == 2 and "--address needs --executor ray" in capsys.readouterr().err
    with pytest.raises(ValueError, match="needs executor='ray'"):
        run_study(load_spec(QUICKSTART, SMOKE), tmp_path, address="auto")
    with pytest.raises(ValueError, match="unknown executor"):
        run_study(load_spec(QUICKSTART, SMOKE), tmp_path, executor="dask")


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(executor.available_cores()) < 2,
    reason="needs Linux sched_setaffinity and at least 2 usable cores",
)
def test_pool_workers_are_pinned_to_distinct_cores(pool_rows):
    _, affinities = pool_rows
    assert len(affinities) == 2 and all(len(a) == 1 for a in affinities), affinities
    assert sorted(next(iter(a)) for a in affinities) == executor.available_cores()[:2]
    assert len(os.sched_getaffinity(0)) > 1  # the calling process is not pinned


class _FakeRay(types.ModuleType):
    """Just enough of Ray's API to check what ``run_cells_ray`` asks of it: tasks run at
    submission, and ``wait`` hands them back in reverse order."""

    def __init__(self, initialized: bool = False) -> None:
        super().__init__("ray")
        self.initialized = initialized
        self.calls: list[tuple] = []
        self.submitted: list = []
        self.results: dict[int, object] = {}

    def is_initialized(self) -> bool:
        return self.initialized

    def init(self, **kwargs) -> None:
        self.calls.append(("init", kwargs))
        self.initialized = True

    def shutdown(self) -> None:
        self.calls.append(("shutdown",))
        self.initialized = False

    def remote(self, **options):
        self.calls.append(("remote", options))

        def wrap(fn):
            def submit(cell, spec):
                self.submitted.append(cell)
                ref = len(self.submitted)
                try:
                    self.results[ref] = fn(cell, spec)
                except Exception as exc:
                    self.results[ref] = exc
                return ref

            return types.SimpleNamespace(remote=submit)

        return wrap

    def put(self, value):
        return value

    def wait(self, refs, num_returns=1):
        return refs[-num_returns:], refs[:-num_returns]

    def get(self, ref):
        result = self.results[ref]
        if isinstance(result, Exception):
            raise result
        return result

    def cancel(self, ref, force=False):
        self.calls.append(("cancel", ref))


@pytest.fixture
def fake_ray(monkeypatch):
    """A fake ``ray`` module, and ``_work`` replaced by a canned row (no training)."""
    import torch

    threads = torch.get_num_threads()

    def work(cell, spec):
        if cell.seed == 99:
            raise RuntimeError("cell failed")
        return {"model": cell.model, "seed": cell.seed}, [{"epoch": 1}]

    fake = _FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setattr(executor, "_work", work)
    yield fake
    torch.set_num_threads(threads)


def test_run_cells_ray_starts_a_local_cluster_longest_first_and_shuts_it_down(fake_ray):
    from equiqnn.experiments.cells import Cell
    from equiqnn.experiments.ray_executor import run_cells_ray

    cells = [Cell("logistic", 20, 0), Cell("invariant", 20, 0), Cell("logistic", 20, 1)]
    done: list[Cell] = []
    rows = run_cells_ray(
        cells, load_spec(QUICKSTART, SMOKE), on_done=lambda c, row, history: done.append(c)
    )
    assert [(r["model"], r["seed"]) for r in rows] == [(c.model, c.seed) for c in cells]
    assert fake_ray.submitted[0] == Cell("invariant", 20, 0)  # the longest first
    assert done == fake_ray.submitted[::-1]  # on_done as each finishes
    assert fake_ray.calls == [
        ("init", {"num_cpus": 2, "include_dashboard": False, "log_to_driver": False}),
        ("remote", {"num_cpus": 1, "max_retries": 0}),
        ("shutdown",),
    ]


def test_run_cells_ray_joins_an_address_or_reuses_a_connection(fake_ray):
    from equiqnn.experiments.cells import Cell
    from equiqnn.experiments.ray_executor import run_cells_ray

    spec, cells = load_spec(QUICKSTART, SMOKE), [Cell("logistic", 20, 0)]
    run_cells_ray(cells, spec, address="ray://head:10001")
    assert fake_ray.calls[0] == ("init", {"address": "ray://head:10001", "log_to_driver": False})
    assert fake_ray.calls[-1] == ("shutdown",)  # disconnects; the cluster itself keeps running

    fake_ray.calls.clear()
    run_cells_ray(cells, spec, num_cpus=3)
    assert fake_ray.calls[0][1]["num_cpus"] == 3

    fake_ray.calls.clear()
    fake_ray.initialized = True
    run_cells_ray(cells, spec)
    assert [c[0] for c in fake_ray.calls] == ["remote"]  # no init, no shutdown
    assert fake_ray.is_initialized()


def test_a_failing_ray_cell_cancels_the_rest_and_shuts_down(fake_ray):
    from equiqnn.experiments.cells import Cell
    from equiqnn.experiments.ray_executor import run_cells_ray

    cells = [Cell("logistic", 20, 0), Cell("logistic", 20, 1), Cell("logistic", 20, 99)]
    done: list[Cell] = []
    with pytest.raises(RuntimeError, match="cell failed"):
        run_cells_ray(
            cells, load_spec(QUICKSTART, SMOKE), on_done=lambda c, row, history: done.append(c)
        )
    assert done == []  # the failing cell is the first to come back here
    assert ("cancel", 1) in fake_ray.calls and ("cancel", 2) in fake_ray.calls
    assert fake_ray.calls[-1] == ("shutdown",)
