#!/usr/bin/env python3
"""PyTorch reference timings for tools/Bench.

Each subcommand measures one operation the way the C# benchmark measures ours (warm-up, then the median
of repeated runs) and prints a single JSON object on stdout. When torch cannot be imported it prints
{"error": ...} and exits with status 3, so the caller can try another interpreter or report the problem.
"""
import argparse
import ctypes
import json
import math
import os
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


def svdvals(torch, args):
    """torch.linalg.svdvals of float32 matrices, what cognitivecomputations/spectrum runs per weight (LAPACK gesdd on the CPU)."""
    results = []
    for shape in args.shapes:
        rows, columns = (int(x) for x in shape.split("x"))
        generator = torch.Generator().manual_seed(rows * 100003 + columns)
        a = torch.randn(rows, columns, dtype=torch.float32, generator=generator) * 0.02
        seconds, repeats = median_seconds(lambda: torch.linalg.svdvals(a), args.warmup, args.min_repeats, args.min_seconds, args.max_repeats)
        results.append({"shape": shape, "seconds": seconds, "repeats": repeats})
    return results


# ----- train-step: the d2nwg-small networks of src/RawDiffusion/Models, layer for layer -----

def group_norm(nn, channels):
    """latent-diffusion's Normalize() as GroupNorm.ForChannels: min(32, C) groups, lowered until they divide C."""
    groups = min(32, channels)
    while channels % groups:
        groups -= 1
    return nn.GroupNorm(groups, channels, eps=1e-6)


def conv(nn, dims, cin, cout, kernel, stride=1, padding=0):
    return (nn.Conv2d if dims == 2 else nn.Conv1d)(cin, cout, kernel, stride=stride, padding=padding)


def attention(torch, q, k, v, scale):
    """softmax(q kᵀ scale) v over the last two dimensions (F.ScaledDotProductAttention): PyTorch's own fused
    F.scaled_dot_product_attention where this torch has it with a scale argument (2.1 and later, flash or
    memory-efficient kernels on a GPU), as a PyTorch user would write it; the explicit product on older versions."""
    functional = torch.nn.functional
    if hasattr(functional, "scaled_dot_product_attention") and tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 1):
        return functional.scaled_dot_product_attention(q, k, v, scale=scale)
    return torch.softmax(q @ k.transpose(-1, -2) * scale, dim=-1) @ v


def build_networks(torch):
    """Module classes mirroring Models/Blocks, Models/Vae, Models/UNet and Models/SetTransformer."""
    nn = torch.nn
    functional = torch.nn.functional

    class ResBlock(nn.Module):
        def __init__(self, dims, cin, cout, embedding=0, scale_shift=False, zero_last=False):
            super().__init__()
            self.scale_shift = scale_shift
            self.norm1 = group_norm(nn, cin)
            self.conv1 = conv(nn, dims, cin, cout, 3, padding=1)
            self.emb_proj = nn.Linear(embedding, 2 * cout if scale_shift else cout) if embedding > 0 else None
            self.norm2 = group_norm(nn, cout)
            self.conv2 = conv(nn, dims, cout, cout, 3, padding=1)
            if zero_last:
                nn.init.zeros_(self.conv2.weight)
                nn.init.zeros_(self.conv2.bias)
            self.nin_shortcut = conv(nn, dims, cin, cout, 1) if cin != cout else None

        def forward(self, x, embedding=None):
            h = self.conv1(functional.silu(self.norm1(x)))
            if self.emb_proj is not None:
                e = self.emb_proj(functional.silu(embedding))
                e = e.reshape(e.shape[0], e.shape[1], *([1] * (h.dim() - 2)))
                if self.scale_shift:
                    scale, shift = e.chunk(2, dim=1)
                    h = functional.silu(self.norm2(h) * (scale + 1) + shift)
                else:
                    h = functional.silu(self.norm2(h + e))
            else:
                h = functional.silu(self.norm2(h))
            h = self.conv2(h)
            return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h

    class AttentionBlock(nn.Module):
        def __init__(self, channels, heads=1, zero_output=False):
            super().__init__()
            self.heads = heads
            self.norm = group_norm(nn, channels)
            self.q = nn.Linear(channels, channels)
            self.k = nn.Linear(channels, channels)
            self.v = nn.Linear(channels, channels)
            self.proj_out = nn.Linear(channels, channels)
            if zero_output:
                nn.init.zeros_(self.proj_out.weight)
                nn.init.zeros_(self.proj_out.bias)

        def forward(self, x):
            b, c = x.shape[0], x.shape[1]
            positions = x[0, 0].numel()
            tokens = self.norm(x).reshape(b, c, positions).transpose(1, 2)

            def split(t):
                return t.reshape(b, positions, self.heads, c // self.heads).permute(0, 2, 1, 3)

            width = c // self.heads
            attended = attention(torch, split(self.q(tokens)), split(self.k(tokens)), split(self.v(tokens)), width ** -0.5)
            merged = attended.permute(0, 2, 1, 3).reshape(b, positions, c)
            return x + self.proj_out(merged).transpose(1, 2).reshape(x.shape)

    class Downsample(nn.Module):
        def __init__(self, dims, channels):
            super().__init__()
            self.conv = conv(nn, dims, channels, channels, 3, stride=2, padding=1)

        def forward(self, x, embedding=None):
            return self.conv(x)

    class Upsample(nn.Module):
        def __init__(self, dims, channels):
            super().__init__()
            self.conv = conv(nn, dims, channels, channels, 3, padding=1)

        def forward(self, x, embedding=None):
            return self.conv(functional.interpolate(x, scale_factor=2, mode="nearest"))

    def apply(module, h):
        return module(h)

    class Encoder(nn.Module):
        def __init__(self, c, cin):
            super().__init__()
            dims, ch = c["dims"], c["baseChannels"]
            extent = c["mapSize"]
            self.conv_in = conv(nn, dims, cin, ch, 3, padding=1)
            self.levels = nn.ModuleList()
            block_in, multipliers = ch, c["channelMultipliers"]
            for level, multiplier in enumerate(multipliers):
                block_out = ch * multiplier
                for _ in range(c["resBlocksPerLevel"]):
                    self.levels.append(ResBlock(dims, block_in, block_out))
                    block_in = block_out
                    if extent in c["attentionResolutions"]:
                        self.levels.append(AttentionBlock(block_in))
                if level != len(multipliers) - 1:
                    self.levels.append(Downsample(dims, block_in))
                    extent //= 2
            self.mid_block_1 = ResBlock(dims, block_in, block_in)
            self.mid_attn_1 = AttentionBlock(block_in)
            self.mid_block_2 = ResBlock(dims, block_in, block_in)
            self.norm_out = group_norm(nn, block_in)
            self.conv_out = conv(nn, dims, block_in, 2 * c["latentChannels"], 3, padding=1)

        def forward(self, x):
            h = self.conv_in(x)
            for module in self.levels:
                h = apply(module, h)
            h = self.mid_block_2(self.mid_attn_1(self.mid_block_1(h)))
            return self.conv_out(functional.silu(self.norm_out(h)))

    class Decoder(nn.Module):
        def __init__(self, c, cout):
            super().__init__()
            dims, ch, multipliers = c["dims"], c["baseChannels"], c["channelMultipliers"]
            block_in = ch * multipliers[-1]
            extent = c["mapSize"] >> (len(multipliers) - 1)
            self.conv_in = conv(nn, dims, c["latentChannels"], block_in, 3, padding=1)
            self.mid_block_1 = ResBlock(dims, block_in, block_in)
            self.mid_attn_1 = AttentionBlock(block_in)
            self.mid_block_2 = ResBlock(dims, block_in, block_in)
            self.levels = nn.ModuleList()
            for level in reversed(range(len(multipliers))):
                block_out = ch * multipliers[level]
                for _ in range(c["resBlocksPerLevel"] + 1):
                    self.levels.append(ResBlock(dims, block_in, block_out))
                    block_in = block_out
                    if extent in c["attentionResolutions"]:
                        self.levels.append(AttentionBlock(block_in))
                if level != 0:
                    self.levels.append(Upsample(dims, block_in))
                    extent *= 2
            self.norm_out = group_norm(nn, block_in)
            self.conv_out = conv(nn, dims, block_in, cout, 3, padding=1)

        def forward(self, z):
            h = self.mid_block_2(self.mid_attn_1(self.mid_block_1(self.conv_in(z))))
            for module in self.levels:
                h = apply(module, h)
            return self.conv_out(functional.silu(self.norm_out(h)))

    class WeightVae(nn.Module):
        """The 2-D D2NWG weight VAE (vae.dims = 2), training mode."""

        def __init__(self, c):
            super().__init__()
            if c["dims"] != 2 or c["inputNoise"] or c["latentNoise"] or c["reconstruction"] != "mse":
                raise ValueError("the reference VAE covers dims 2, mse reconstruction, no input or latent noise")
            self.c = c
            size = c["mapSize"]
            self.fc_in = nn.Linear(c["vectorLength"], size * size)
            self.fc_out = nn.Linear(size * size, c["vectorLength"])
            self.encoder = Encoder(c, 1)
            self.decoder = Decoder(c, 1)
            self.quant_conv = conv(nn, 2, 2 * c["latentChannels"], 2 * c["latentChannels"], 1)
            self.post_quant_conv = conv(nn, 2, c["latentChannels"], c["latentChannels"], 1)
            self.register_buffer("latent_scale", torch.ones(1))

        def loss(self, vectors):
            b, size = vectors.shape[0], self.c["mapSize"]
            image = functional.leaky_relu(self.fc_in(vectors), 0.01).reshape(b, 1, size, size)
            mean, log_variance = self.quant_conv(self.encoder(image)).chunk(2, dim=1)
            log_variance = log_variance.clamp(-30, 20)
            z = mean + (log_variance * 0.5).exp() * torch.randn_like(mean)
            reconstruction = self.fc_out(self.decoder(self.post_quant_conv(z)).reshape(b, size * size))
            kl = ((mean.square() + log_variance.exp() - log_variance - 1) * 0.5).sum() * (1.0 / b)
            return functional.mse_loss(reconstruction, vectors) + kl * self.c["beta"]

    def sinusoidal(timesteps, dim, max_period=10000.0):
        half = dim // 2
        frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
        arguments = timesteps.double()[:, None] * frequencies[None]
        return torch.cat([torch.cos(arguments), torch.sin(arguments)], dim=1).float()

    class Stage(nn.Module):
        def __init__(self, res, attn, resample):
            super().__init__()
            self.res, self.attn, self.resample = res, attn, resample

        def forward(self, h, embedding):
            if self.res is not None:
                h = self.res(h, embedding)
            if self.attn is not None:
                h = self.attn(h)
            if self.resample is not None:
                h = self.resample(h)
            return h

    class UNet(nn.Module):
        """The openai / latent-diffusion UNet with a condition map (no class or vector condition, no dropout)."""

        def __init__(self, c):
            super().__init__()
            if c["classCount"] or c["conditionVectorLength"] or c["dropout"]:
                raise ValueError("the reference UNet covers a map condition only, without dropout")
            self.c = c
            mc, multipliers = c["modelChannels"], c["channelMultipliers"]
            emb = 4 * mc
            self.time_embed = nn.Sequential(nn.Linear(mc, emb), nn.SiLU(), nn.Linear(emb, emb))
            self.input_conv = conv(nn, 2, c["latentChannels"] + c["conditionMapChannels"], mc, 3, padding=1)

            def res(cin, cout):
                return ResBlock(2, cin, cout, emb, c["scaleShift"], zero_last=True)

            def attn(channels, resolution):
                return AttentionBlock(channels, c["heads"], zero_output=True) if resolution in c["attentionResolutions"] else None

            skips = [mc]
            channels, resolution = mc, c["imageSize"]
            self.down = nn.ModuleList()
            for level, multiplier in enumerate(multipliers):
                for _ in range(c["resBlocksPerLevel"]):
                    block = res(channels, multiplier * mc)
                    channels = multiplier * mc
                    self.down.append(Stage(block, attn(channels, resolution), None))
                    skips.append(channels)
                if level != len(multipliers) - 1:
                    self.down.append(Stage(None, None, Downsample(2, channels)))
                    skips.append(channels)
                    resolution //= 2
            self.middle_1 = res(channels, channels)
            self.middle_attention = AttentionBlock(channels, c["heads"], zero_output=True)
            self.middle_2 = res(channels, channels)
            self.up = nn.ModuleList()
            for level in reversed(range(len(multipliers))):
                for r in range(c["resBlocksPerLevel"] + 1):
                    block = res(channels + skips.pop(), multipliers[level] * mc)
                    channels = multipliers[level] * mc
                    attention_block = attn(channels, resolution)
                    upsample = None
                    if level != 0 and r == c["resBlocksPerLevel"]:
                        upsample = Upsample(2, channels)
                        resolution *= 2
                    self.up.append(Stage(block, attention_block, upsample))
            self.norm_out = group_norm(nn, channels)
            self.conv_out = conv(nn, 2, channels, c["outChannels"], 3, padding=1)
            nn.init.zeros_(self.conv_out.weight)
            nn.init.zeros_(self.conv_out.bias)

        def forward(self, x, timesteps, condition_map):
            embedding = self.time_embed(sinusoidal(timesteps, self.c["modelChannels"]))
            h = self.input_conv(torch.cat([x, condition_map], dim=1))
            skips = [h]
            for stage in self.down:
                h = stage(h, embedding)
                skips.append(h)
            h = self.middle_2(self.middle_attention(self.middle_1(h, embedding)), embedding)
            for stage in self.up:
                h = stage(torch.cat([h, skips.pop()], dim=1), embedding)
            return self.conv_out(functional.silu(self.norm_out(h)))

    class Mab(nn.Module):
        """The Set Transformer's multihead attention block (official code): H = LN(Q' + Attention(Q', K', V')) with
        Q' = fc_q(Q), then LN(H + ReLU(fc_o(H))); logits scaled by 1/sqrt(dim_v). nn.MultiheadAttention is not this
        block: it adds an output projection and keeps the residual on the unprojected query."""

        def __init__(self, dim_q, dim_k, dim_v, heads):
            super().__init__()
            self.dim_v, self.heads = dim_v, heads
            self.fc_q = nn.Linear(dim_q, dim_v)
            self.fc_k = nn.Linear(dim_k, dim_v)
            self.fc_v = nn.Linear(dim_k, dim_v)
            self.fc_o = nn.Linear(dim_v, dim_v)
            self.ln0 = nn.LayerNorm(dim_v)
            self.ln1 = nn.LayerNorm(dim_v)

        def forward(self, q, k):
            b, nq, nk, d = q.shape[0], q.shape[1], k.shape[1], self.dim_v // self.heads
            qp = self.fc_q(q)

            def split(t, n):
                return t.reshape(b, n, self.heads, d).permute(0, 2, 1, 3)

            attended = attention(torch, split(qp, nq), split(self.fc_k(k), nk), split(self.fc_v(k), nk), self.dim_v ** -0.5)
            h = self.ln0(qp + attended.permute(0, 2, 1, 3).reshape(b, nq, self.dim_v))
            return self.ln1(h + functional.relu(self.fc_o(h)))

    class Isab(nn.Module):
        def __init__(self, dim_in, dim_out, heads, inducing):
            super().__init__()
            self.I = nn.Parameter(torch.empty(1, inducing, dim_out))
            nn.init.xavier_uniform_(self.I)
            self.mab0 = Mab(dim_out, dim_in, dim_out, heads)
            self.mab1 = Mab(dim_in, dim_out, dim_out, heads)

        def forward(self, x):
            return self.mab1(x, self.mab0(self.I.expand(x.shape[0], -1, -1), x))

    class Pma(nn.Module):
        def __init__(self, dim, heads, seeds):
            super().__init__()
            self.S = nn.Parameter(torch.empty(1, seeds, dim))
            nn.init.xavier_uniform_(self.S)
            self.mab = Mab(dim, dim, dim, heads)

        def forward(self, x):
            return self.mab(self.S.expand(x.shape[0], -1, -1), x)

    class Sab(nn.Module):
        def __init__(self, dim_in, dim_out, heads):
            super().__init__()
            self.mab = Mab(dim_in, dim_in, dim_out, heads)

        def forward(self, x):
            return self.mab(x, x)

    class SetTransformerEncoder(nn.Module):
        """Models/SetTransformer/SetTransformerEncoder.cs: each class's examples -> ISAB, ISAB, PMA(1), SAB, SAB ->
        Linear back to the feature width (one prototype per class); a learned embedding per class slot is added; an
        inter-class ISAB stack gives one vector per slot; the slots are concatenated in class order, zero-padded to
        maxClasses slots, and projected to the output length."""

        def __init__(self, c):
            super().__init__()
            f, hidden, heads, inducing = c["featureLength"], c["hidden"], c["heads"], c["inducingPoints"]
            self.max_classes = c["maxClasses"]
            self.intra = nn.Sequential(
                Isab(f, hidden, heads, inducing), Isab(hidden, hidden, heads, inducing),
                Pma(hidden, heads, 1), Sab(hidden, hidden, heads), Sab(hidden, hidden, heads),
                nn.Linear(hidden, f))
            self.class_slots = nn.Parameter(torch.randn(self.max_classes, f) * 0.02)
            self.inter = nn.Sequential(Isab(f, hidden, heads, inducing), Isab(hidden, hidden, heads, inducing))
            self.proj = nn.Linear(self.max_classes * hidden, c["outputLength"])

        def forward(self, features):
            b, c, k, f = features.shape
            prototypes = self.intra(features.reshape(b * c, k, f)).reshape(b, c, f) + self.class_slots[:c]
            slots = functional.pad(self.inter(prototypes), (0, 0, 0, self.max_classes - c))
            return self.proj(slots.reshape(b, -1))

    def contrastive_alignment(d, w, temperature):
        logits = w @ d.t() * (1 / temperature)
        targets = torch.softmax((d @ d.t() + w @ w.t()) * (0.5 / temperature), dim=-1)
        rows = functional.cross_entropy(logits, targets)
        columns = functional.cross_entropy(logits.t(), targets.t())
        return (rows + columns) * 0.5

    return {
        "WeightVae": WeightVae, "UNet": UNet, "SetTransformerEncoder": SetTransformerEncoder,
        "contrastive_alignment": contrastive_alignment, "mse_loss": functional.mse_loss,
    }


def training_case(torch, name, config, batch, device="cpu"):
    """(model, loss closure) for one network on a device, with fixed random inputs as in TrainStepBenchmark.cs."""
    networks = build_networks(torch)

    def randn(*shape):
        return torch.randn(*shape).to(device)

    if name == "vae":
        c = config["vae"]
        model = networks["WeightVae"](c).to(device)
        vectors = randn(batch, c["vectorLength"]) * 0.1
        return model, lambda: model.loss(vectors)
    if name == "unet":
        c = config["unet"]
        model = networks["UNet"](c).to(device)
        size = c["imageSize"]
        latents = randn(batch, c["latentChannels"], size, size)
        condition_map = randn(batch, c["conditionMapChannels"], size, size)
        noise = randn(batch, c["outChannels"], size, size)
        timesteps = torch.randint(0, config["diffusion"]["steps"], (batch,)).float().to(device)
        return model, lambda: networks["mse_loss"](model(latents, timesteps, condition_map), noise)
    if name == "encoder":
        c = config["datasetEncoder"]
        model = networks["SetTransformerEncoder"](c).to(device)
        features = randn(batch, c["maxClasses"], 5, c["featureLength"])
        latents = randn(batch, c["outputLength"])
        return model, lambda: networks["contrastive_alignment"](model(features), latents, c["temperature"])
    raise ValueError(f"unknown network {name}")


def train_step(torch, args):
    config = json.loads(args.config)
    torch.manual_seed(42)
    results = []
    on_gpu = args.device == "cuda"
    if on_gpu:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    for name in args.networks:
        model, loss = training_case(torch, name, config, args.batch, args.device)
        model.train()
        # Default AdamW: on a GPU that is PyTorch's multi-tensor (foreach) implementation.
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
        if args.mode == "compile":
            # The whole loss (forward, and through AOTAutograd the backward) compiled by TorchInductor; the warm-up
            # steps pay for the compilation.
            loss = torch.compile(loss)

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss().backward()
            optimizer.step()
            if on_gpu:
                torch.cuda.synchronize()

        load = os.getloadavg()[0]
        seconds, repeats = median_seconds(step, args.warmup, args.min_repeats, args.min_seconds, args.max_repeats)
        parameters = sum(p.numel() for p in model.parameters())
        results.append({"network": name, "parameters": parameters, "seconds": seconds, "repeats": repeats, "load": load,
                        "onednn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
                        "device": args.device, "mode": args.mode})
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


def names(text):
    return [value for value in text.split(",") if value]


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
    svd_parser = commands.add_parser("svdvals", parents=[timing], help="torch.linalg.svdvals of float32 matrices")
    svd_parser.add_argument("--shapes", type=names, required=True, help="comma-separated ROWSxCOLUMNS")
    svd_parser.set_defaults(run=svdvals)
    train_parser = commands.add_parser("train-step", parents=[timing], help="one training step of the d2nwg networks")
    train_parser.add_argument("--networks", type=names, required=True, help="comma-separated: vae, unet, encoder")
    train_parser.add_argument("--batch", type=int, required=True)
    train_parser.add_argument("--learning-rate", type=float, required=True)
    train_parser.add_argument("--config", required=True, help="the model config as JSON (ModelConfig serialised)")
    train_parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    train_parser.add_argument("--mode", choices=["eager", "compile"], default="eager", help="eager, or the loss through torch.compile")
    train_parser.set_defaults(run=train_step)
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
    on_gpu = args.command.startswith("gpu-") or getattr(args, "device", "cpu") == "cuda"
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
