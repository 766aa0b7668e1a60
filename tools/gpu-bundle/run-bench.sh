#!/usr/bin/env bash
# Runs tools/Bench from the bundle, e.g. `.gpu-bundle/run-bench.sh gpu` (see `gpu --help` usage in GpuBenchmark.cs).
# Reports land in docs/bench/ of the repository; with OUT set (the device tool's output folder) they are copied there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bundle-env.sh"
set +e
"$app/Bench" "$@"
status=$?
set -e
if [ -n "${OUT:-}" ]; then cp docs/bench/*.md "$OUT/" 2>/dev/null || true; fi
exit "$status"
