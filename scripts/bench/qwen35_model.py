"""Qwen3.5 dense text model (`qwen3_5`): config, weights and a batched full-sequence forward pass.

The forward pass takes token ids [B, T] (every sequence read from position 0, no cache) and
returns logits [B, T, V], computed entirely in the dtype of the loaded weights (float32 or
float64). Vision (`model.visual.*`) and multi-token-prediction (`mtp.*`) tensors are ignored.
"""

import json
import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gated_delta import chunked_gated_delta_rule, recurrent_gated_delta_rule
from safetensors_io import Checkpoint

LINEAR = "linear_attention"
FULL = "full_attention"
L2_NORM_EPS = 1e-6  # the GDN q/k L2 norm uses 1e-6 whatever rms_norm_eps is


@dataclass(frozen=True)
class Qwen35Config:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    layer_types: tuple
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    linear_num_key_heads: int
    linear_num_value_heads: int
    linear_key_head_dim: int
    linear_value_head_dim: int
    linear_conv_kernel_dim: int
    rms_norm_eps: float
    rope_theta: float
    partial_rotary_factor: float
    tie_word_embeddings: bool

    @property
    def rotary_dim(self):
        return int(self.head_dim * self.partial_rotary_factor)

    @property
    def conv_channels(self):
        return (
            2 * self.linear_num_key_heads * self.linear_key_head_dim
            + self.linear_num_value_heads * self.linear_value_head_dim
        )


def load_config(folder):
    """Read config.json: the nested text_config when present, otherwise the top level."""
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        top = json.load(f)
    text = top.get("text_config", top)
    model_type = text.get("model_type", top.get("model_type"))
    if model_type not in ("qwen3_5", "qwen3_5_text"):
        raise NotImplementedError(
            f"{path}: model_type {model_type!r} is not supported; this script implements the dense"
            " qwen3_5 / qwen3_5_text model only (no MoE, no qwen3_next)"
        )

    def field(name, default=None):
        if name in text:
            return text[name]
        if default is None:
            raise ValueError(f"{path}: text config field {name!r} is missing")
        return default

    layers = field("num_hidden_layers")
    layer_types = text.get("layer_types")
    if layer_types is None:
        interval = field("full_attention_interval", 4)
        layer_types = [FULL if (i + 1) % interval == 0 else LINEAR for i in range(layers)]
    if len(layer_types) != layers or set(layer_types) - {LINEAR, FULL}:
        raise ValueError(
            f"{path}: layer_types must list {layers} entries of {LINEAR!r} or {FULL!r},"
            f" found {layer_types}"
        )
    rope = text.get("rope_parameters") or text.get("rope_scaling") or {}
    theta = rope.get("rope_theta", text.get("rope_theta", 10000000.0))
    partial = rope.get("partial_rotary_factor", text.get("partial_rotary_factor", 0.25))
    tied = bool(text.get("tie_word_embeddings", top.get("tie_word_embeddings", False)))
    return Qwen35Config(
        vocab_size=field("vocab_size"),
        hidden_size=field("hidden_size"),
        intermediate_size=field("intermediate_size"),
        layer_types=tuple(layer_types),
        num_attention_heads=field("num_attention_heads"),
        num_key_value_heads=field("num_key_value_heads"),
        head_dim=field("head_dim"),
        linear_num_key_heads=field("linear_num_key_heads"),
        linear_num_value_heads=field("linear_num_value_heads"),
        linear_key_head_dim=field("linear_key_head_dim"),
        linear_value_head_dim=field("linear_value_head_dim"),
        linear_conv_kernel_dim=field("linear_conv_kernel_dim", 4),
        rms_norm_eps=field("rms_norm_eps", 1e-6),
        rope_theta=float(theta),
        partial_rotary_factor=float(partial),
        tie_word_embeddings=tied,
    )


class Qwen35Model:
    """Weights of a qwen3_5 checkpoint upcast to one dtype, with the forward pass."""

    def __init__(self, folder, dtype=torch.float32):
        self.config = load_config(folder)
        self.dtype = dtype
        checkpoint = Checkpoint(folder)
        self._prefix = self._find_prefix(checkpoint)
        self._checkpoint = checkpoint
        self._numpy_dtype = np.float64 if dtype == torch.float64 else np.float32
        cfg = self.config
        self.embed = self._tensor("embed_tokens.weight", (cfg.vocab_size, cfg.hidden_size))
        if cfg.tie_word_embeddings or "lm_head.weight" not in checkpoint:
            self.lm_head = self.embed
        else:
            self.lm_head = self._tensor("lm_head.weight", (cfg.vocab_size, cfg.hidden_size), "")
        self.final_norm = 1 + self._tensor("norm.weight", (cfg.hidden_size,))
        self.layers = [self._load_layer(i, kind) for i, kind in enumerate(cfg.layer_types)]
        del self._checkpoint

    @staticmethod
    def _find_prefix(checkpoint):
        for prefix in ("model.language_model.", "model."):
            if prefix + "embed_tokens.weight" in checkpoint:
                return prefix
        raise ValueError(
            f"{checkpoint.folder}: found neither model.language_model.embed_tokens.weight nor"
            " model.embed_tokens.weight; this is not a qwen3_5 text checkpoint"
        )

    def _tensor(self, name, shape, prefix=None):
        full = (self._prefix if prefix is None else prefix) + name
        found = tuple(self._checkpoint.shape(full)) if full in self._checkpoint else None
        if found != tuple(shape):
            raise ValueError(
                f"{self._checkpoint.folder}: tensor {full} has shape {found}, expected"
                f" {tuple(shape)} from config.json"
            )
        return torch.from_numpy(self._checkpoint.read(full, self._numpy_dtype))

    def _load_layer(self, index, kind):
        cfg = self.config
        hidden = cfg.hidden_size
        p = f"layers.{index}."
        if self._prefix + p + "mlp.gate.weight" in self._checkpoint:
            raise NotImplementedError(
                f"{self._checkpoint.folder}: layer {index} has a MoE MLP (mlp.gate.weight);"
                " only the dense qwen3_5 MLP is supported"
            )
        layer = {
            "kind": kind,
            "input_norm": 1 + self._tensor(p + "input_layernorm.weight", (hidden,)),
            "post_norm": 1 + self._tensor(p + "post_attention_layernorm.weight", (hidden,)),
            # gate and up fused into one [2I, H] matrix: one GEMM instead of two.
            "gate_up": torch.cat(
                [
                    self._tensor(p + "mlp.gate_proj.weight", (cfg.intermediate_size, hidden)),
                    self._tensor(p + "mlp.up_proj.weight", (cfg.intermediate_size, hidden)),
                ]
            ),
            "down": self._tensor(p + "mlp.down_proj.weight", (hidden, cfg.intermediate_size)),
        }
        layer.update(self._load_gdn(p) if kind == LINEAR else self._load_attention(p))
        return layer

    def _load_gdn(self, p):
        cfg = self.config
        hidden, channels = cfg.hidden_size, cfg.conv_channels
        hv, dv = cfg.linear_num_value_heads, cfg.linear_value_head_dim
        g = p + "linear_attn."
        if cfg.linear_num_value_heads % cfg.linear_num_key_heads:
            raise ValueError(
                f"linear_num_value_heads {hv} must be a multiple of linear_num_key_heads"
                f" {cfg.linear_num_key_heads}"
            )
        return {
            # Rows [qkv | z | b | a] fused so that all input projections are one GEMM.
            "in_proj": torch.cat(
                [
                    self._tensor(g + "in_proj_qkv.weight", (channels, hidden)),
                    self._tensor(g + "in_proj_z.weight", (hv * dv, hidden)),
                    self._tensor(g + "in_proj_b.weight", (hv, hidden)),
                    self._tensor(g + "in_proj_a.weight", (hv, hidden)),
                ]
            ),
            "conv": self._tensor(g + "conv1d.weight", (channels, 1, cfg.linear_conv_kernel_dim)),
            "dt_bias": self._tensor(g + "dt_bias", (hv,)),
            "neg_a": -self._tensor(g + "A_log", (hv,)).exp(),
            "gated_norm": self._tensor(g + "norm.weight", (dv,)),
            "out_proj": self._tensor(g + "out_proj.weight", (hidden, hv * dv)),
        }

    def _load_attention(self, p):
        cfg = self.config
        hidden, dim = cfg.hidden_size, cfg.head_dim
        heads, kv_heads = cfg.num_attention_heads, cfg.num_key_value_heads
        a = p + "self_attn."
        if heads % kv_heads:
            raise ValueError(f"num_attention_heads {heads} must be a multiple of {kv_heads}")
        return {
            "qkv": torch.cat(
                [
                    self._tensor(a + "q_proj.weight", (heads * 2 * dim, hidden)),
                    self._tensor(a + "k_proj.weight", (kv_heads * dim, hidden)),
                    self._tensor(a + "v_proj.weight", (kv_heads * dim, hidden)),
                ]
            ),
            "q_norm": 1 + self._tensor(a + "q_norm.weight", (dim,)),
            "k_norm": 1 + self._tensor(a + "k_norm.weight", (dim,)),
            "o_proj": self._tensor(a + "o_proj.weight", (hidden, heads * dim)),
        }

    @torch.inference_mode()
    def forward(self, ids, gdn="chunked", chunk_size=64):
        """Return logits [B, T, V] for token ids [B, T] (int64), each row read from position 0."""
        if gdn not in ("chunked", "recurrent"):
            raise ValueError(f"gdn mode {gdn!r} is invalid; use 'chunked' or 'recurrent'")
        cfg = self.config
        x = F.embedding(ids, self.embed)
        rope = _rope_tables(cfg, ids.shape[1], self.dtype)
        for layer in self.layers:
            h = _rms_norm(x, layer["input_norm"], cfg.rms_norm_eps)
            if layer["kind"] == LINEAR:
                x = x + _gated_delta_net(cfg, layer, h, gdn, chunk_size)
            else:
                x = x + _gated_attention(cfg, layer, h, rope)
            h = _rms_norm(x, layer["post_norm"], cfg.rms_norm_eps)
            gate, up = F.linear(h, layer["gate_up"]).chunk(2, dim=-1)
            x = x + F.linear(F.silu(gate) * up, layer["down"])
        x = _rms_norm(x, self.final_norm, cfg.rms_norm_eps)
        return F.linear(x, self.lm_head)


def _rms_norm(x, scale, eps):
    """RMSNorm over the last dim; `scale` is already 1 + w for the zero-centred norms."""
    return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + eps) * scale


def _l2_normalize(x):
    return x * torch.rsqrt(x.square().sum(-1, keepdim=True) + L2_NORM_EPS)


def _gated_delta_net(cfg, layer, h, gdn, chunk_size):
    batch, length, _ = h.shape
    hk, hv = cfg.linear_num_key_heads, cfg.linear_num_value_heads
    dk, dv = cfg.linear_key_head_dim, cfg.linear_value_head_dim
    channels = cfg.conv_channels
    mixed, z, b, a = F.linear(h, layer["in_proj"]).split((channels, hv * dv, hv, hv), dim=-1)

    # Causal depthwise conv: Kc - 1 zeros padded on the left make output t depend on inputs
    # t-Kc+1..t only.
    kernel = cfg.linear_conv_kernel_dim
    mixed = F.pad(mixed.transpose(1, 2), (kernel - 1, 0))
    mixed = F.silu(F.conv1d(mixed, layer["conv"], groups=channels)).transpose(1, 2)
    q, k, v = mixed.split((hk * dk, hk * dk, hv * dv), dim=-1)
    q = _l2_normalize(q.reshape(batch, length, hk, dk)) * dk**-0.5
    k = _l2_normalize(k.reshape(batch, length, hk, dk))
    v = v.reshape(batch, length, hv, dv)
    if hv != hk:  # consecutive value heads share one key head
        q = q.repeat_interleave(hv // hk, dim=2)
        k = k.repeat_interleave(hv // hk, dim=2)
    beta = torch.sigmoid(b)
    g = layer["neg_a"] * F.softplus(a + layer["dt_bias"])

    if gdn == "chunked":
        o = chunked_gated_delta_rule(q, k, v, g, beta, chunk_size)
    else:
        o = recurrent_gated_delta_rule(q, k, v, g, beta)
    z = z.reshape(batch, length, hv, dv)
    o = _rms_norm(o, layer["gated_norm"], cfg.rms_norm_eps) * F.silu(z)
    return F.linear(o.reshape(batch, length, hv * dv), layer["out_proj"])


def _rope_tables(cfg, length, dtype):
    """Return cos and sin [T, R] for positions 0..T-1, with inv_freq_i = theta^(-2i/R)."""
    rotary = cfg.rotary_dim
    inv_freq = cfg.rope_theta ** (-torch.arange(0, rotary, 2, dtype=torch.float64) / rotary)
    angles = torch.arange(length, dtype=torch.float64)[:, None] * inv_freq[None, :]
    angles = torch.cat((angles, angles), dim=-1).to(dtype)
    return angles.cos(), angles.sin()


def _apply_rope(x, cos, sin):
    """Rotate-half RoPE on the first R dims of x [B, heads, T, D]; dims R..D-1 pass through."""
    rotary = cos.shape[-1]
    half = rotary // 2
    x1, x2, rest = x[..., :half], x[..., half:rotary], x[..., rotary:]
    c1, s1 = cos[:, :half], sin[:, :half]
    return torch.cat((x1 * c1 - x2 * s1, x2 * c1 + x1 * s1, rest), dim=-1)


def _gated_attention(cfg, layer, h, rope):
    batch, length, _ = h.shape
    heads, kv_heads, dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    group = heads // kv_heads
    query_gate, k, v = F.linear(h, layer["qkv"]).split(
        (heads * 2 * dim, kv_heads * dim, kv_heads * dim), dim=-1
    )
    # Each head's 2D slice of q_proj's output is [query (D) | gate (D)].
    q, gate = query_gate.reshape(batch, length, heads, 2 * dim).chunk(2, dim=-1)
    q = _rms_norm(q, layer["q_norm"], cfg.rms_norm_eps).transpose(1, 2)
    k = _rms_norm(k.reshape(batch, length, kv_heads, dim), layer["k_norm"], cfg.rms_norm_eps)
    k = k.transpose(1, 2)
    v = v.reshape(batch, length, kv_heads, dim).transpose(1, 2)
    cos, sin = rope
    q = _apply_rope(q, cos, sin)
    k = _apply_rope(k, cos, sin)

    # GQA without copying K/V: the `group` query heads of one KV head are stacked along the
    # row axis, so one [group*T, D] x [D, T] product per KV head scores all of them.
    q = q.reshape(batch, kv_heads, group * length, dim)
    scores = (q @ k.transpose(-1, -2)) * dim**-0.5
    causal = torch.ones(length, length, dtype=torch.bool).tril().repeat(group, 1)
    scores = scores.masked_fill(~causal, float("-inf"))
    attn = torch.softmax(scores, dim=-1) @ v  # [B, nKV, group*T, D]
    attn = attn.reshape(batch, heads, length, dim).transpose(1, 2)
    attn = attn * torch.sigmoid(gate)
    return F.linear(attn.reshape(batch, length, heads * dim), layer["o_proj"])
