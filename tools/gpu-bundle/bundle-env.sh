# Sourced by the run-*.sh scripts of .gpu-bundle/ (built by tools/gpu-bundle.sh): unpacks the self-contained
# programs next to this file the first time (and whenever the archive is newer), makes the CUDA libraries findable,
# and moves to the repository root, where the programs find data/, kernels/ and docs/.
bundle="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
archive="$bundle/rawdiffusion-gpu.tar.xz"
app="$bundle/app"

if [ ! -f "$app/.unpacked" ] || [ "$archive" -nt "$app/.unpacked" ]; then
  [ -f "$archive" ] || { echo "error: $archive is missing; run tools/gpu-bundle.sh" >&2; exit 1; }
  rm -rf "$app"
  if command -v xz >/dev/null; then
    tar -C "$bundle" -xJf "$archive"
  else
    # No xz binary: Python's lzma module reads the archive as well.
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$bundle"
  fi
  touch "$app/.unpacked"
fi

# Driver and toolkit folders the dynamic loader may not search by default.
for dir in /usr/local/nvidia/lib64 /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64; do
  if [ -d "$dir" ]; then LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"
# Compiled kernels are cached beside the bundle, so a warm machine compiles each kernel file once.
export RAWDIFFUSION_KERNEL_CACHE="${RAWDIFFUSION_KERNEL_CACHE:-$bundle/kernel-cache}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

repository="$(cd "$bundle/.." && pwd)"
if [ ! -f "$repository/RawDiffusion.sln" ]; then
  echo "warning: $repository is not a RawDiffusion checkout; tests that read data/ will fail" >&2
fi
cd "$repository"
