"""``equiqnn run SPEC --out DIR [--smoke] [--fresh] [--workers N] [--executor pool|ray]
[--address ADDR] [--track mlflow|wandb] [key=value ...]``, ``equiqnn export DIR --csv FILE |
--parquet FILE``, ``equiqnn report DIR [--command CMD]`` and ``equiqnn check``."""

from __future__ import annotations

import argparse
import shlex
import sys

__all__ = ["main"]


def _run(args: argparse.Namespace) -> int:
    from equiqnn.experiments import ConfigError, load_spec, run_study

    try:
        spec = load_spec(args.spec, args.overrides, smoke=args.smoke)
    except ConfigError as exc:
        print(f"ConfigError: {exc}", file=sys.stderr)
        return 2
    if args.address is not None and args.executor != "ray":
        print("run: --address needs --executor ray.", file=sys.stderr)
        return 2
    argv = getattr(args, "argv", None) or sys.argv[1:]
    command = "equiqnn " + " ".join(shlex.quote(a) for a in argv) if argv else "equiqnn run"
    try:
        result = run_study(
            spec,
            args.out,
            command=command,
            progress=not args.quiet,
            workers=args.workers,
            fresh=args.fresh,
            notify=lambda line: print(line, flush=True),
            executor=args.executor,
            address=args.address,
            track=args.track,
        )
    except (ImportError, FileNotFoundError) as exc:  # a missing extra or missing data files
        print(f"run: {exc}", file=sys.stderr)
        return 2
    print(result["table"])
    print(
        f"\nwrote {args.out}/results.csv, study.json and the report in {result['seconds']:.0f} s "
        f"({result['computed']} cells computed, {result['skipped']} reused from "
        f"{result['store'].name})"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from equiqnn.experiments.store import ResultStore

    if not args.csv and not args.parquet:
        print("export: give --csv FILE and/or --parquet FILE.", file=sys.stderr)
        return 2
    try:
        store = ResultStore(args.dir, create=False)
    except FileNotFoundError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    with store:
        if args.csv:
            n = store.export_csv(args.csv)
            print(f"wrote {n} rows to {args.csv}")
        if args.parquet:
            try:
                n = store.export_parquet(args.parquet)
            except ImportError as exc:
                print(f"export: {exc}", file=sys.stderr)
                return 2
            print(f"wrote {n} rows to {args.parquet}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from equiqnn.experiments.report import build_report

    store = Path(args.dir) / "results.sqlite"
    if not store.is_file():
        print(
            f"report: no result store at {store}; run `equiqnn run SPEC --out {args.dir}` first.",
            file=sys.stderr,
        )
        return 2
    paths = build_report(Path(args.dir), command=args.command_line)
    figures = ", ".join(p.name for p in paths["figures"].values()) or "no figures"
    print(f"wrote {paths['markdown']}, {paths['html']} and {figures}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from equiqnn.groups import grid_d4
    from equiqnn.models import control_qnn, invariant_qnn
    from equiqnn.symmetry import check_invariance

    for side, enc in ((args.side, "register"), (4, "angle")):
        for factory in (invariant_qnn, control_qnn):
            model = factory(grid_d4(side), encoding=enc, layers=1).double()
            print(f"{model}\n  {check_invariance(model, model.example_inputs(4))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="equiqnn", description="Group-invariant quantum neural networks."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run a study spec (YAML) and write results, a figure and a report; cells already in "
        "DIR/results.sqlite are skipped",
    )
    run.add_argument("spec", help="path to a study YAML, e.g. configs/quickstart.yaml")
    run.add_argument("--out", required=True, help="output directory")
    run.add_argument("--smoke", action="store_true", help="apply the spec's smoke-size overrides")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--fresh",
        action="store_true",
        help="recompute every cell and overwrite its row in DIR/results.sqlite",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the local pool, each pinned to a core (default: up to 2); with "
        "--executor ray, the CPUs of the local Ray cluster (default 2)",
    )
    run.add_argument(
        "--executor",
        choices=("pool", "ray"),
        default="pool",
        help="where cells run: a local process pool (default) or Ray (pip install 'equiqnn[ray]')",
    )
    run.add_argument(
        "--address",
        default=None,
        help="with --executor ray: join this running cluster (e.g. auto, ray://host:10001) "
        "instead of starting a local one",
    )
    run.add_argument(
        "--track",
        choices=("mlflow", "wandb"),
        default=None,
        help="also log each computed cell to MLflow (DIR/mlruns; pip install 'equiqnn[mlflow]') "
        "or Weights & Biases (offline, DIR/wandb; pip install wandb); never needs a network",
    )
    run.add_argument(
        "overrides", nargs="*", help="dotted overrides such as train.epochs=20 data.n_train=20,40"
    )
    run.set_defaults(func=_run)
    export = sub.add_parser(
        "export", help="export the result store DIR/results.sqlite as CSV and/or Parquet"
    )
    export.add_argument("dir", help="a study output directory (or its results.sqlite)")
    export.add_argument("--csv", metavar="FILE", help="write every stored cell as CSV")
    export.add_argument(
        "--parquet", metavar="FILE", help="write every stored cell as Parquet (pandas, pyarrow)"
    )
    export.set_defaults(func=_export)
    report = sub.add_parser(
        "report",
        help="write DIR/report.md, a self-contained DIR/report.html and the figures from the "
        "stored results DIR/results.sqlite (nothing is retrained)",
    )
    report.add_argument("dir", help="a study output directory holding results.sqlite")
    report.add_argument(
        "--command",
        dest="command_line",
        default=None,
        help="the `equiqnn run ...` command that produced the data (default: DIR/study.json's)",
    )
    report.set_defaults(func=_report)
    check = sub.add_parser(
        "check", help="print invariance reports of the invariant model and its control"
    )
    check.add_argument("--side", type=int, default=16, help="image side of the register model")
    check.set_defaults(func=_check)
    args, extra = parser.parse_known_args(argv)
    stray = [e for e in extra if e.startswith("-") or "=" not in e or args.command != "run"]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    if args.command == "run":
        args.overrides = list(args.overrides) + extra  # key=value anywhere on the line
        args.argv = list(sys.argv[1:] if argv is None else argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
