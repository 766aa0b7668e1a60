#!/usr/bin/env bash
# The whole first GPU run of issue #14 as one script, for a CUDA machine without .NET (the device tool: CUDA 13,
# python3 with PyTorch, one GPU). Build the bundle first on a machine with the SDK (bash tools/gpu-bundle.sh) and
# carry .gpu-bundle/ with the working tree. Every step writes its log under $OUT (default: ./gpu-run-out), gets a
# share of a fixed time budget, and a failing step does not stop the next:
#
#   1. the device (nvidia-smi, driver, toolkit, torch)           device.txt
#   2. the GPU tests (RawDiffusion.Tests.Cuda, xunit XML)         tests.log, tests.xml
#   3. Bench gpu: matmul vs PyTorch, memory-bound kernels vs      bench-gpu.log, gpu.md
#      copy bandwidth, launch overhead and CUDA graphs,
#      classifier training steps with launches per step
#   4. the demo with --device cuda: time and table                demo.log, demo-report.md, demo-report.json, demo-*.csv, demo-plots/
#   5. d2nwg-base training step: ours vs PyTorch eager and        train-step.log (and its section in gpu.md)
#      torch.compile (F.scaled_dot_product_attention)
#   6. tools/profile.sh (Nsight Compute) on a few steps           profile/ (summary.txt, details.csv, .ncu-rep)
#
# usage: bash tools/gpu-run.sh [total seconds, default 530]
# From the device tool: run(command="bash tools/gpu-run.sh 530", carry=[".gpu-bundle"], timeout_s=600).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
budget="${1:-530}"
out="${OUT:-$root/gpu-run-out}"
mkdir -p "$out"
export OUT="$out"
start=$SECONDS
summary="$out/summary.txt"
: > "$summary"

bundle="$root/.gpu-bundle"
if [ ! -f "$bundle/bundle-env.sh" ]; then
  echo "error: $bundle is missing: run tools/gpu-bundle.sh on a machine with the .NET SDK and carry .gpu-bundle" | tee -a "$summary" >&2
  exit 1
fi

# Runs one step with a timeout of min(its share, what is left of the budget), logging to $out/<name>.log.
step() {
  local name="$1" share="$2"
  shift 2
  local left=$((budget - (SECONDS - start)))
  local limit=$((share < left ? share : left))
  if [ "$limit" -le 5 ]; then
    echo "$name: skipped, the time budget is spent" | tee -a "$summary"
    return
  fi
  local begin=$SECONDS
  timeout --kill-after=10 "$limit" "$@" > "$out/$name.log" 2>&1
  local status=$?
  echo "$name: exit $status after $((SECONDS - begin)) s (limit $limit s)" | tee -a "$summary"
}

# 1. The device.
{
  date -u '+%Y-%m-%d %H:%M UTC'
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv 2>&1
  nvidia-smi 2>&1 | head -20
  ls -d /usr/local/cuda*/ 2>/dev/null
  python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "device", torch.cuda.get_device_name(0))' 2>&1
  nproc; free -g | head -2
} > "$out/device.txt" 2>&1
cat "$out/device.txt" | head -3 | tee -a "$summary"

# Unpack the bundle once (the steps below reuse it) and compile every kernel into the cache before anything is timed.
source "$bundle/bundle-env.sh"
cd "$root"
export RAWDIFFUSION_KERNEL_CACHE="$bundle/kernel-cache"

# 2. GPU tests (kernels compile into the cache here, once).
step tests 150 "$app/RawDiffusion.Tests" -namespace RawDiffusion.Tests.Cuda -xml "$out/tests.xml"
grep -E "Total|Failed|Passed|Skipped|\[FAIL\]" "$out/tests.log" | tail -15 >> "$summary"

# 3. Bench gpu (all parts; writes docs/bench/gpu.md).
step bench-gpu 110 "$app/Bench" gpu
cp docs/bench/gpu.md "$out/gpu.md" 2>/dev/null

# 4. The demo on the GPU, in a fresh folder outside $OUT (the zoo's checkpoints need not come back).
demo=/tmp/rawdiffusion-demo-gpu
rm -rf "$demo"
step demo 130 "$app/Trainer" run --config configs/demo.json --out "$demo" --device cuda
cp "$demo/report.md" "$out/demo-report.md" 2>/dev/null
cp "$demo/report.json" "$out/demo-report.json" 2>/dev/null
for csv in "$demo"/*.csv; do [ -f "$csv" ] && cp "$csv" "$out/demo-$(basename "$csv")"; done
[ -d "$demo/plots" ] && cp -r "$demo/plots" "$out/demo-plots"
grep -E "finished in|error" "$out/demo.log" | tail -3 >> "$summary"

# 5. d2nwg-base training step against PyTorch eager and torch.compile (writes its section of docs/bench/gpu.md).
step train-step 140 "$app/Bench" --device cuda train-step --preset d2nwg-base --batch 32
cp docs/bench/gpu.md "$out/gpu.md" 2>/dev/null

# 6. Nsight Compute on a few classifier training steps (whatever time is left).
step profile 60 bash tools/profile.sh "$out/profile" --steps 1 --launch-count 120

echo "total $((SECONDS - start)) s" | tee -a "$summary"
