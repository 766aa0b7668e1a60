#!/usr/bin/env python3
"""Writes the spectrum test fixtures with numpy alone (independent of the C# reader and writer).

A small Llama-shaped checkpoint (q_proj in two layers, a down_proj, a conv kernel, a 1-D norm), each matrix a Gaussian
bulk plus a planted low-rank signal, stored as F32, BF16 (round to nearest even) and F16 safetensors; the F32 one also
as two shards with model.safetensors.index.json; a file with a NaN. expected.json holds, for every stored dtype,
numpy's singular values of the values as stored and Spectrum's SNR computed from them.

    /usr/bin/python3 tests/RawDiffusion.Tests/Fixtures/spectrum/make_fixtures.py
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261202)


def planted(rows, cols, rank, strength):
    noise = rng.standard_normal((rows, cols)) * 0.02
    edge = 0.02 * (np.sqrt(rows) + np.sqrt(cols))
    for k in range(rank):
        u = rng.standard_normal(rows)
        v = rng.standard_normal(cols)
        noise += strength * edge * (1 + k) * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    return noise.astype(np.float32)


tensors = {
    "model.layers.0.self_attn.q_proj.weight": planted(48, 64, 2, 2.5),
    "model.layers.1.self_attn.q_proj.weight": planted(48, 64, 4, 2.5),
    "model.layers.0.mlp.down_proj.weight": planted(64, 96, 3, 3.0),
    "model.conv.weight": planted(8, 36, 1, 3.0).reshape(8, 4, 3, 3),
    "model.norm.weight": np.ones(64, dtype=np.float32),
}


def to_bf16_bits(x):
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def stored(x, dtype):
    """(raw little-endian bytes, the float32 values they hold)."""
    if dtype == "F32":
        return x.astype("<f4").tobytes(), x.astype(np.float32)
    if dtype == "F16":
        h = x.astype("<f2")
        return h.tobytes(), h.astype(np.float32)
    bits = to_bf16_bits(x)
    return bits.astype("<u2").tobytes(), bf16_values(bits)


def write_safetensors(path, entries, dtype):
    header, blobs, offset = {}, [], 0
    for name, x in entries.items():
        raw, _ = stored(x, dtype)
        header[name] = {"dtype": dtype, "shape": list(x.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def spectrum_snr(s, rows, cols):
    """cognitivecomputations/spectrum: sigma from the IQR of the singular values, MP threshold, SNR / s_max."""
    q75, q25 = np.quantile(s, 0.75), np.quantile(s, 0.25)
    sigma = (q75 - q25) / 1.349
    beta = min(rows, cols) / max(rows, cols)
    threshold = sigma * (1 + np.sqrt(beta))
    signal, noise = s[s > threshold].sum(), s[s <= threshold].sum()
    return float(signal / noise / s[0]) if noise > 0 else None


expected = {}
for dtype, suffix in [("F32", "f32"), ("BF16", "bf16"), ("F16", "f16")]:
    write_safetensors(os.path.join(HERE, f"weights-{suffix}.safetensors"), tensors, dtype)
    per = {}
    for name, x in tensors.items():
        if x.ndim < 2:
            continue
        _, values = stored(x, dtype)
        matrix = values.reshape(x.shape[0], -1).astype(np.float64)
        s = np.linalg.svd(matrix, compute_uv=False)
        per[name] = {"singular_values": s.tolist(), "spectrum_snr": spectrum_snr(s, *matrix.shape)}
    expected[dtype] = per

names = list(tensors)
shards = {"model-00001-of-00002.safetensors": names[:2], "model-00002-of-00002.safetensors": names[2:]}
os.makedirs(os.path.join(HERE, "sharded"), exist_ok=True)
weight_map = {}
for shard, members in shards.items():
    write_safetensors(os.path.join(HERE, "sharded", shard), {n: tensors[n] for n in members}, "F32")
    weight_map.update({n: shard for n in members})
with open(os.path.join(HERE, "sharded", "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": sum(t.nbytes for t in tensors.values())}, "weight_map": weight_map}, f, indent=2)

bad = planted(16, 24, 1, 2.0)
bad[3, 5] = np.nan
write_safetensors(os.path.join(HERE, "nan.safetensors"), {"model.layers.0.mlp.up_proj.weight": bad}, "F32")

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
