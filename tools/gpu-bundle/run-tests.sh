#!/usr/bin/env bash
# Runs the test suite from the bundle (no .NET SDK needed). Arguments go to the xunit v3 in-process runner
# (`--help` lists them; its filters are -namespace, -class, -method, and results can be saved with -xml FILE), e.g.
#   .gpu-bundle/run-tests.sh -namespace RawDiffusion.Tests.Cuda
#   .gpu-bundle/run-tests.sh -class RawDiffusion.Tests.Cuda.CudaTrainingTests
# Output is also written to $OUT/tests.log when OUT is set (the device tool's output folder).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bundle-env.sh"
if [ -n "${OUT:-}" ]; then
  set +e
  "$app/RawDiffusion.Tests" "$@" 2>&1 | tee "$OUT/tests.log"
  status=${PIPESTATUS[0]}
  exit "$status"
fi
exec "$app/RawDiffusion.Tests" "$@"
