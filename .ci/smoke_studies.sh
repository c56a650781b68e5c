#!/usr/bin/env bash
# Run every shipped study at its --smoke size into a temporary directory and
# print the time each took. Usage: .ci/smoke_studies.sh [WORKERS]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
workers="${1:-2}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
total_start=$(date +%s)
for name in quickstart generalization noise shortcut layers scaling images; do
    spec="configs/$name.yaml"

    start=$(date +%s)
    python -m equiqnn.cli run "$spec" --out "$out/$name" --smoke --quiet --workers "$workers" >"$out/$name.log" 2>&1 || {
        echo "smoke study $spec failed:"; cat "$out/$name.log"; exit 1; }
    test -s "$out/$name/results.sqlite" && test -s "$out/$name/study.json"
    echo "$name: $(( $(date +%s) - start )) s"
done
echo "all smoke studies: $(( $(date +%s) - total_start )) s"
