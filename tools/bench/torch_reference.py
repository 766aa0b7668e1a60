#!/usr/bin/env python3
"""PyTorch reference timings for tools/Bench.

Each subcommand measures one operation the way the C# benchmark measures ours (warm-up, then the median
of repeated runs) and prints a single JSON object on stdout. When torch cannot be imported it prints
{"error": ...} and exits with status 3, so the caller can try another interpreter or report the problem.
"""
import argparse
import ctypes
import json
import statistics
import sys
import time

TORCH_MISSING_EXIT_CODE = 3


def import_torch():
    try:
        import torch
    except ImportError as error:
        print(json.dumps({"error": f"torch is not importable: {error}", "python": sys.executable}))
        sys.exit(TORCH_MISSING_EXIT_CODE)
    return torch


def loaded_blas():
    """Names the BLAS that torch actually loaded, which its build configuration often reports only as 'generic'."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if line.rstrip().endswith(".so") or ".so." in line}
    except OSError:
        return "unknown"
    for path in sorted(paths):
        name = path.rsplit("/", 1)[-1]
        if "openblas" in name:
            library = ctypes.CDLL(path)
            library.openblas_get_config.restype = ctypes.c_char_p
            library.openblas_get_corename.restype = ctypes.c_char_p
            version = " ".join(library.openblas_get_config().decode().split()[:2])
            return f"{version}, {library.openblas_get_corename().decode()} kernels ({name})"
        if "mkl" in name or "blis" in name:
            return name
    return "unknown"


def median_seconds(operation, warmup, min_repeats, min_seconds, max_repeats):
    for _ in range(warmup):
        operation()
    times = []
    started = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - started < min_seconds):
        begin = time.perf_counter()
        operation()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), len(times)


def matmul(torch, args):
    results = []
    for n in args.sizes:
        a = torch.randn(n, n, dtype=torch.float32)
        b = torch.randn(n, n, dtype=torch.float32)
        out = torch.empty(n, n, dtype=torch.float32)
        seconds, repeats = median_seconds(
            lambda: torch.matmul(a, b, out=out), args.warmup, args.min_repeats, args.min_seconds, args.max_repeats)
        results.append({"n": n, "seconds": seconds, "gflops": 2.0 * n ** 3 / seconds / 1e9, "repeats": repeats})
    return results


def sizes(text):
    return [int(value) for value in text.split(",") if value]


def main():
    timing = argparse.ArgumentParser(add_help=False)
    timing.add_argument("--threads", type=int, required=True, help="torch.set_num_threads value")
    timing.add_argument("--warmup", type=int, default=2)
    timing.add_argument("--min-repeats", type=int, default=7)
    timing.add_argument("--min-seconds", type=float, default=1.0)
    timing.add_argument("--max-repeats", type=int, default=200)
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    matmul_parser = commands.add_parser("matmul", parents=[timing], help="square float32 matmul")
    matmul_parser.add_argument("--sizes", type=sizes, required=True, help="comma-separated n values")
    matmul_parser.set_defaults(run=matmul)
    args = parser.parse_args()

    torch = import_torch()
    torch.set_num_threads(args.threads)
    results = args.run(torch, args)
    print(json.dumps({
        "torch_version": torch.__version__,
        "blas": loaded_blas(),
        "threads": torch.get_num_threads(),
        "python": sys.executable,
        "results": results,
    }))


if __name__ == "__main__":
    main()
