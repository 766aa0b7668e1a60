#!/usr/bin/env bash
# Builds .gpu-bundle/ (git-ignored): what a GPU machine without the .NET SDK needs to run the test suite, the
# benchmarks and the trainer. Self-contained Release builds of src/Trainer, tools/Bench and tests/RawDiffusion.Tests
# (the .NET runtime included, restored from NuGet) are published into one folder, so they share one copy of the
# runtime, and packed as rawdiffusion-gpu.tar.xz beside the run-*.sh scripts, which unpack it on first use.
# The whole folder must stay well under the 64 MiB a device session can carry; the size is printed at the end.
#
# usage: tools/gpu-bundle.sh
# then, on the GPU machine, from the repository root: .gpu-bundle/run-tests.sh [test filters]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/.gpu-bundle"
limit=$((60 * 1024 * 1024))

command -v dotnet >/dev/null || { echo "error: the .NET SDK (dotnet) is needed to build the bundle" >&2; exit 1; }
command -v xz >/dev/null || { echo "error: xz is needed to pack the bundle" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
for project in src/Trainer tools/Bench tests/RawDiffusion.Tests; do
  echo "publishing $project"
  dotnet publish "$root/$project" -c Release -r linux-x64 --self-contained -o "$stage/app" --nologo -v quiet
done
for program in Trainer Bench RawDiffusion.Tests; do
  [ -x "$stage/app/$program" ] || { echo "error: $program was not published" >&2; exit 1; }
done

rm -rf "$bundle"
mkdir -p "$bundle"
echo "packing"
tar -C "$stage" -cf - app | xz -T0 -6 > "$bundle/rawdiffusion-gpu.tar.xz"
cp "$root"/tools/gpu-bundle/*.sh "$bundle/"
chmod +x "$bundle"/run-*.sh

size=$(du -sb "$bundle" | cut -f1)
echo "$bundle: $(numfmt --to=iec-i --suffix=B "$size") ($size bytes; unpacked programs $(du -sh "$stage/app" | cut -f1))"
ls -l "$bundle"
if [ "$size" -gt "$limit" ]; then
  echo "error: the bundle exceeds $((limit / 1024 / 1024)) MiB; a device session carries at most 64 MiB" >&2
  exit 1
fi
