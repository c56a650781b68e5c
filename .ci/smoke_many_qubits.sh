#!/usr/bin/env bash
# Smoke run of the many-qubit studies (configs/many_qubits.yaml, its `smoke` section): all three
# parts at small n, < 2 minutes on 2 cores. Writes the store, figures and many_qubits.md to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-${TMPDIR:-/tmp}/equiqnn_smoke_many_qubits}"
rm -rf "$OUT"
start=$(date +%s)
python -m equiqnn.experiments.many_qubits configs/many_qubits.yaml --out "$OUT" --smoke
for f in many_qubits.md results.sqlite results.csv gradvar_vs_qubits.png many_qubits_ising_accuracy.png; do
  test -s "$OUT/$f" || { echo "smoke_many_qubits: $OUT/$f missing" >&2; exit 1; }
done
if grep -qE '\| (error|killed) \|' "$OUT/many_qubits.md"; then
  echo "smoke_many_qubits: a cell failed, see $OUT/many_qubits.md" >&2
  exit 1
fi
echo "smoke_many_qubits: ok in $(( $(date +%s) - start )) s ($OUT)"
