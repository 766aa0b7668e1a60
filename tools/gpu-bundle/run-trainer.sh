#!/usr/bin/env bash
# Runs src/Trainer from the bundle, e.g. `.gpu-bundle/run-trainer.sh classify --epochs 1`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bundle-env.sh"
exec "$app/Trainer" "$@"
