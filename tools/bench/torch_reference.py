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


def gpu_median_seconds(torch, operation, warmup, min_repeats, min_seconds, max_repeats):
    """The median of CUDA-event timings, each around enough back-to-back calls to last about a millisecond."""
    for _ in range(warmup):
        operation()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    operation()
    stop.record()
    stop.synchronize()
    calls = max(1, int(1.0 / max(start.elapsed_time(stop), 1e-3)))
    times = []
    started = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - started < min_seconds):
        start.record()
        for _ in range(calls):
            operation()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3 / calls)
    return statistics.median(times), len(times)


def gpu_matmul(torch, args):
    """Square C = A B on the GPU in float32, with TF32 tensor cores off and on (torch.backends.cuda.matmul.allow_tf32)."""
    results = []
    for n in args.sizes:
        a = torch.randn(n, n, dtype=torch.float32, device="cuda")
        b = torch.randn(n, n, dtype=torch.float32, device="cuda")
        out = torch.empty(n, n, dtype=torch.float32, device="cuda")
        entry = {"n": n}
        for name, tf32 in (("fp32", False), ("tf32", True)):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            seconds, repeats = gpu_median_seconds(
                torch, lambda: torch.matmul(a, b, out=out), args.warmup, args.min_repeats, args.min_seconds, args.max_repeats)
            entry[f"{name}_tflops"] = 2.0 * n ** 3 / seconds / 1e12
            entry[f"{name}_repeats"] = repeats
        torch.backends.cuda.matmul.allow_tf32 = False
        results.append(entry)
    return results


def gpu_train(torch, args):
    """Milliseconds per training step (forward, cross-entropy, backward, AdamW, loss.item()) of the networks of
    RawDiffusion's ImageClassifiers on random 28x28 batches, in float32 on the GPU."""
    nn = torch.nn

    def mlp():
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def cnn():
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 7 * 7, 10))

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    results = []
    for name, build in (("mlp", mlp), ("cnn", cnn)):
        model = build().cuda()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        x = torch.rand(args.batch_size, 1, 28, 28, device="cuda")
        y = torch.randint(0, 10, (args.batch_size,), device="cuda")

        def step():
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            return loss.item()

        for _ in range(args.warmup_steps):
            step()
        torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(args.steps):
            step()
        torch.cuda.synchronize()
        results.append({"model": name, "batch_size": args.batch_size,
                        "ms_per_step": (time.perf_counter() - started) * 1e3 / args.steps, "steps": args.steps})
    return results


def gpu_description(torch):
    """The GPU and the CUDA/cuDNN torch runs with, in place of the CPU BLAS for GPU subcommands."""
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch sees no CUDA device", "python": sys.executable}))
        sys.exit(TORCH_MISSING_EXIT_CODE)
    return f"{torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"


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
    gpu_matmul_parser = commands.add_parser("gpu-matmul", parents=[timing], help="square float32 matmul on the GPU, fp32 and TF32")
    gpu_matmul_parser.add_argument("--sizes", type=sizes, required=True, help="comma-separated n values")
    gpu_matmul_parser.set_defaults(run=gpu_matmul)
    gpu_train_parser = commands.add_parser("gpu-train", parents=[timing], help="MLP and CNN training steps on the GPU")
    gpu_train_parser.add_argument("--batch-size", type=int, required=True)
    gpu_train_parser.add_argument("--steps", type=int, required=True)
    gpu_train_parser.add_argument("--warmup-steps", type=int, required=True)
    gpu_train_parser.set_defaults(run=gpu_train)
    args = parser.parse_args()

    torch = import_torch()
    torch.set_num_threads(args.threads)
    on_gpu = args.command.startswith("gpu-")
    device = gpu_description(torch) if on_gpu else None
    results = args.run(torch, args)
    print(json.dumps({
        "torch_version": torch.__version__,
        "blas": device if on_gpu else loaded_blas(),
        "threads": torch.get_num_threads(),
        "python": sys.executable,
        "results": results,
    }))


if __name__ == "__main__":
    main()
