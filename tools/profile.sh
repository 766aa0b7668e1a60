#!/usr/bin/env bash
# Profiles a few training steps of the MLP and CNN classifiers on the CUDA backend with Nsight Compute and writes the
# report to a folder: train-steps.ncu-rep (open with ncu-ui or `ncu --import`), summary.txt (per-kernel summary)
# and details.csv (every metric section of every profiled kernel).
#
# usage: tools/profile.sh OUTPUT_FOLDER [--steps 3] [--batch-size 128] [--set full] [--launch-count 400]
#                         [--clock-control none] [--kernels REGEX] [-- extra ncu options]
# Runs the bundled Bench (.gpu-bundle/, see tools/gpu-bundle.sh) when present, otherwise a Release build of
# tools/Bench (needs the .NET SDK). Kernel names are the extern "C" names of kernels/*.cu (softmax_rows_f32, ...);
# cuBLAS kernels appear under their own names. NVRTC 12 and later compile with -lineinfo, so the source view maps
# to kernels/*.cu.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out="$(mkdir -p "$1" && cd "$1" && pwd)"
shift
# Clocks are left alone by default: ncu's base-clock locking is not available on every virtualised GPU machine.
steps=3 batch=128 set=full count=400 clocks=none kernels="" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --batch-size) batch="$2"; shift 2 ;;
    --set) set="$2"; shift 2 ;;
    --launch-count) count="$2"; shift 2 ;;
    --clock-control) clocks="$2"; shift 2 ;;
    --kernels) kernels="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done

ncu="$(command -v ncu || true)"
for candidate in /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu /usr/local/NVIDIA-Nsight-Compute*/ncu; do
  if [ -z "$ncu" ] && [ -x "$candidate" ]; then ncu="$candidate"; fi
done
[ -n "$ncu" ] || { echo "error: Nsight Compute (ncu) was not found on PATH, in /usr/local/cuda/bin or /opt/nvidia/nsight-compute" >&2; exit 1; }

if [ -f "$root/.gpu-bundle/bundle-env.sh" ]; then
  source "$root/.gpu-bundle/bundle-env.sh"
  bench=("$app/Bench")
else
  command -v dotnet >/dev/null || { echo "error: neither .gpu-bundle/ (tools/gpu-bundle.sh) nor the .NET SDK is present" >&2; exit 1; }
  dotnet build "$root/tools/Bench" -c Release --nologo -v quiet
  cd "$root"
  bench=(dotnet "$root/tools/Bench/bin/Release/net10.0/Bench.dll")
fi

# Compile (or load from the disk cache) the kernels in a run of its own, so the profiled run starts at once.
"${bench[@]}" gpu --only train --steps 1 --warmup-steps 0 --batch-size "$batch" --no-torch --no-report >/dev/null

filter=()
if [ -n "$kernels" ]; then filter=(--kernel-name "regex:$kernels"); fi
echo "profiling $steps training steps of the MLP and the CNN (batch $batch) with $ncu, section set '$set'"
"$ncu" --target-processes application-only --set "$set" --launch-count "$count" --clock-control "$clocks" "${filter[@]}" \
  --export "$out/train-steps" --force-overwrite "${extra[@]}" \
  "${bench[@]}" gpu --only train --steps "$steps" --warmup-steps 1 --batch-size "$batch" --no-torch --no-report
"$ncu" --import "$out/train-steps.ncu-rep" --print-summary per-kernel > "$out/summary.txt"
"$ncu" --import "$out/train-steps.ncu-rep" --page details --csv > "$out/details.csv"
echo "written: $(ls "$out" | tr '\n' ' ')in $out"
