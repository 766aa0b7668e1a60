#!/usr/bin/env python3
"""Builds the text domains of the language-model experiments from Debian's fortune packages.

Domains (one Debian package each, files in /usr/share/games/fortunes):
  en    fortunes               every English collection except the ASCII-art ones (art, ascii-art)
  de    fortunes-de            every German collection (de/) except asciiart
  pt    fortunes-br            the Brazilian Portuguese collection (brasil)
  bofh  fortunes-bofh-excuses  the BOFH excuses (bofh-excuses)

A fortune file is a list of entries separated by lines holding only "%". Each entry (with its trailing newline)
is one document. The split is by content: an entry whose SHA-1 (of its UTF-8 bytes) is 0 modulo 10 is held out for
validation, so it does not depend on file order and the full corpus and the subset agree on every shared entry.
Entries that are not valid UTF-8, or are empty, are skipped (counted in sources.json).

  python3 tools/make-text-subset.py                 the compact subset in data/text (the first entries of each
                                                    domain, in file order, up to --train-bytes / --valid-bytes)
  python3 tools/make-text-subset.py --full DIR      every entry, into DIR/text (tools/get-data.sh does this)

Writes <out>/<domain>/train.txt and valid.txt in fortune format, COPYRIGHT (the package's copyright file), and <out>/sources.json (packages, versions,
files, entry and byte counts). Only the standard library is needed.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

FORTUNES = "/usr/share/games/fortunes"
DOMAINS = {
    "en": {"package": "fortunes", "folder": "", "exclude": {"art", "ascii-art"}},
    "de": {"package": "fortunes-de", "folder": "de", "exclude": {"asciiart"}},
    "pt": {"package": "fortunes-br", "folder": "", "only": {"brasil"}},
    "bofh": {"package": "fortunes-bofh-excuses", "folder": "", "only": {"bofh-excuses"}},
}


def package_files(package, folder):
    """The package's plain fortune files (not .dat indexes, not .u8 links) in one folder, sorted."""
    listing = subprocess.run(["dpkg", "-L", package], check=True, capture_output=True, text=True).stdout.split("\n")
    base = os.path.join(FORTUNES, folder) if folder else FORTUNES
    files = []
    for path in listing:
        if os.path.dirname(path) != base or path.endswith((".dat", ".u8")) or not os.path.isfile(path) or os.path.islink(path):
            continue
        files.append(path)
    return sorted(files)


def version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], check=True, capture_output=True, text=True).stdout


def entries(path):
    raw = open(path, "rb").read()
    current, skipped = [], 0
    for line in raw.split(b"\n"):
        if line == b"%":
            yield from finish(current)
            current = []
        else:
            current.append(line)
    yield from finish(current)


def finish(lines):
    data = b"\n".join(lines).strip(b"\n")
    if not data.strip():
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        yield None
        return
    yield text + "\n"


def is_validation(text):
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 10 == 0


def write(path, docs):
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("%\n".join(docs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", metavar="DIR", help="write every entry into DIR/text instead of the subset")
    parser.add_argument("--train-bytes", type=int, default=60_000)
    parser.add_argument("--valid-bytes", type=int, default=12_000)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.join(args.full, "text") if args.full else os.path.join(root, "data", "text")
    limit = (None, None) if args.full else (args.train_bytes, args.valid_bytes)
    sources = {"split": "sha1(entry utf-8) % 10 == 0 -> valid", "subset": not args.full,
               "train_bytes_limit": limit[0], "valid_bytes_limit": limit[1], "domains": {}}
    for name, spec in DOMAINS.items():
        files = package_files(spec["package"], spec["folder"])
        files = [f for f in files if os.path.basename(f) not in spec.get("exclude", set())
                 and ("only" not in spec or os.path.basename(f) in spec["only"])]
        if not files:
            sys.exit(f"make-text-subset: no fortune files of {spec['package']} found; install it (apt-get install {spec['package']})")
        seen, train, valid, counts = set(), [], [], {"invalid_utf8": 0, "duplicates": 0}
        sizes = [0, 0]
        for path in files:
            for text in entries(path):
                if text is None:
                    counts["invalid_utf8"] += 1
                    continue
                if text in seen:
                    counts["duplicates"] += 1
                    continue
                seen.add(text)
                side = 1 if is_validation(text) else 0
                size = len(text.encode("utf-8"))
                if limit[side] is not None and sizes[side] + size > limit[side]:
                    continue
                (valid if side else train).append(text)
                sizes[side] += size
        os.makedirs(os.path.join(out, name), exist_ok=True)
        write(os.path.join(out, name, "train.txt"), train)
        write(os.path.join(out, name, "valid.txt"), valid)
        shutil.copyfile(f"/usr/share/doc/{spec['package']}/copyright", os.path.join(out, name, "COPYRIGHT"))
        sources["domains"][name] = {
            "package": spec["package"], "version": version(spec["package"]),
            "files": [os.path.relpath(f, FORTUNES) for f in files],
            "train_entries": len(train), "valid_entries": len(valid), "train_bytes": sizes[0], "valid_bytes": sizes[1],
            "skipped_invalid_utf8": counts["invalid_utf8"], "skipped_duplicates": counts["duplicates"]}
        print(f"{name}: {len(train)} train entries ({sizes[0]} bytes), {len(valid)} valid ({sizes[1]} bytes) from {len(files)} files")
    with open(os.path.join(out, "sources.json"), "w") as f:
        json.dump(sources, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
