"""Profile equiqnn's training step on one benchmark case: wall time per unit, cProfile (Python
functions) and the torch profiler (ATen operators).

``python -m benchmarks.profile_equiqnn --case w1-sv-n8-L4-B64 [--sim equiqnn-c64] [--threads N]``

For a sampling profile of the same loop use py-spy, e.g.
``py-spy record -r 250 -f raw -o /tmp/steps.txt -- python -m benchmarks.profile_equiqnn --case
w1-sv-n12-L4-B64 --reps 20 --no-profilers``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

import torch

from benchmarks.equiqnn_cases import build
from benchmarks.workloads import case_by_id, make_data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", required=True)
    ap.add_argument("--sim", default="equiqnn-c64")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--no-profilers", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    case = case_by_id(args.case)
    runner = build(args.sim, case, make_data(case))
    runner.step(0)  # warm-up
    times = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        runner.unit()
        times.append(time.perf_counter() - t0)
    print(
        f"{args.case} {args.sim} threads={torch.get_num_threads()}: median {statistics.median(times):.4g} s,"
        f" min {min(times):.4g} s per {case.unit} over {args.reps}"
    )
    steps = getattr(getattr(runner, "engine", None), "_steps", None)
    if steps is not None:
        kinds: dict[str, int] = {}
        for s in steps:
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
        print(f"plan: {len(steps)} steps {kinds}")
    if args.no_profilers:
        return 0
    pr = cProfile.Profile()
    pr.enable()
    runner.unit()
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(args.top)
    print(buf.getvalue())
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        runner.unit()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
