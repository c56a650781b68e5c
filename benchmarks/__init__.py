"""Performance benchmarks of equiqnn against peer simulators (see docs/performance.md).

Run ``python -m benchmarks.run [--quick] [--json FILE] [--only PATTERN] [--timeout S]`` from the
repository root. The workloads are those of ``WORKLOAD.md`` (generic QNN and the register model),
built once from seeds in ``benchmarks.workloads`` and handed identically to every simulator; the
issue-12 many-qubit cases (equiqnn only) are in ``benchmarks.many_qubits``. Modules: ``run`` (CLI),
``child`` (one process per pair, time and memory limits), ``harness`` (agreement, warm-up, timing
inside that process), ``reference`` (complex128 reference), ``equiqnn_cases`` and ``peers_*``
(the simulators), ``machine`` (machine info, measured contention), ``report`` (tables, JSON).
"""
