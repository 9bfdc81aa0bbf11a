"""Writes affine-golden.json: MLX CPU affine quantization of a few bf16 rows, computed with numpy.

This is an independent numpy transcription of the CPU kernel as described for mlx commit 846d176
(mlx/backend/cpu/quantized.cpp), used to cross-check the Java quantizer on widths and group sizes
that the hand-checked examples do not cover. It reproduces the documented worked examples for
numpy.random.default_rng(0).normal(0, 0.02, 32) at 3 and 4 bits. Run: python3 make_affine_golden.py
"""
import json

import numpy as np


def to_bf16_bits(x):
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint32)


def from_bf16_bits(b):
    return (np.asarray(b, dtype=np.uint32) << 16).astype(np.uint32).view(np.float32)


def quantize_group(g, bits):
    n_bins = np.float32(2**bits - 1)
    w_min, w_max = g.min(), g.max()
    scale = max(np.float32((w_max - w_min) / n_bins), np.float32(1e-7))
    mask = abs(w_min) > abs(w_max)
    if not mask:
        scale = -scale
    edge = w_min if mask else w_max
    q0 = np.rint(np.float32(edge / scale))
    bias = np.float32(0)
    if q0 != 0:
        scale = np.float32(edge / q0)
        bias = edge
    q = np.clip(np.rint(((g - bias) / scale).astype(np.float32)), 0, n_bins).astype(np.uint32)
    return np.float32(scale), np.float32(bias), q


def pack(codes, bits):
    words = [0] * (len(codes) * bits // 32)
    for i, c in enumerate(codes):
        p = i * bits
        words[p >> 5] |= (int(c) << (p & 31)) & 0xFFFFFFFF
        if (p & 31) + bits > 32:
            words[(p >> 5) + 1] |= int(c) >> (32 - (p & 31))
    return words


def inputs():
    rng = np.random.default_rng(7)
    rows = [
        rng.normal(0, 0.02, 128),
        rng.normal(0, 0.02, 128) + rng.standard_cauchy(128) * 0.002,
        -np.abs(rng.normal(0, 0.02, 128)) - 0.01,
        np.concatenate([np.zeros(64), rng.normal(0, 1e-8, 32), rng.normal(0, 3e-7, 32)]),
    ]
    return [to_bf16_bits(r.astype(np.float32)) for r in rows]


def main():
    rows = inputs()
    cases = []
    for bits in (2, 3, 4, 5, 6, 8):
        for gs in (32, 64, 128):
            words, scales, biases = [], [], []
            for r in rows:
                v = from_bf16_bits(r)
                codes = []
                for start in range(0, len(v), gs):
                    s, b, q = quantize_group(v[start:start + gs], bits)
                    scales.append(int(to_bf16_bits(s)))
                    biases.append(int(to_bf16_bits(b)))
                    codes.extend(q)
                words.append(pack(codes, bits))
            cases.append({"bits": bits, "group_size": gs, "words": words,
                          "scales_bf16": scales, "biases_bf16": biases})
    out = {"inputs_bf16": [[int(x) for x in r] for r in rows], "cases": cases}
    with open("affine-golden.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
