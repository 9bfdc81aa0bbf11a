#!/usr/bin/python3
"""Write a random bf16 qwen3_5 checkpoint folder (config.json with text_config + model.safetensors).

The defaults give the layer shapes of Qwen3.5-0.8B (hidden 1024, intermediate 3584, attention
8/2 heads of 256, Gated DeltaNet 16/16 heads of 128) with vocab 32768 and 4 layers
[linear, linear, linear, full]. The weights are random and meaningless but keep activations
in a normal range, so the checkpoint serves for benchmarks and loader tests. Needs numpy only.
"""

import argparse
import json
import os
import sys

import numpy as np

from safetensors_io import float32_to_bf16_bits, write_safetensors


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--layers", type=int, default=4, help="decoder layers")
    p.add_argument("--full-attention-interval", type=int, default=4,
                   help="layer i is full attention iff (i + 1) %% interval == 0")
    p.add_argument("--vocab", type=int, default=32768)
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--intermediate", type=int, default=3584)
    p.add_argument("--heads", type=int, default=8, help="full-attention query heads")
    p.add_argument("--kv-heads", type=int, default=2, help="full-attention key/value heads")
    p.add_argument("--head-dim", type=int, default=256)
    p.add_argument("--linear-key-heads", type=int, default=16)
    p.add_argument("--linear-value-heads", type=int, default=16)
    p.add_argument("--linear-key-dim", type=int, default=128)
    p.add_argument("--linear-value-dim", type=int, default=128)
    p.add_argument("--conv-kernel", type=int, default=4)
    p.add_argument("--tie-word-embeddings", action="store_true",
                   help="write no lm_head.weight and set tie_word_embeddings")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def make_config(args, layer_types):
    text = {
        "model_type": "qwen3_5_text",
        "vocab_size": args.vocab,
        "hidden_size": args.hidden,
        "intermediate_size": args.intermediate,
        "num_hidden_layers": args.layers,
        "layer_types": layer_types,
        "full_attention_interval": args.full_attention_interval,
        "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads,
        "head_dim": args.head_dim,
        "attention_bias": False,
        "attn_output_gate": True,
        "linear_num_key_heads": args.linear_key_heads,
        "linear_num_value_heads": args.linear_value_heads,
        "linear_key_head_dim": args.linear_key_dim,
        "linear_value_head_dim": args.linear_value_dim,
        "linear_conv_kernel_dim": args.conv_kernel,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-6,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 10000000.0,
            "partial_rotary_factor": 0.25,
        },
        "partial_rotary_factor": 0.25,
        "max_position_embeddings": 262144,
        "tie_word_embeddings": args.tie_word_embeddings,
        "dtype": "bfloat16",
    }
    return {
        "architectures": ["Qwen3_5ForConditionalGeneration"],
        "model_type": "qwen3_5",
        "text_config": text,
        "tie_word_embeddings": args.tie_word_embeddings,
        "dtype": "bfloat16",
    }


class RandomTensors:
    """Collect random tensors as bf16 bit patterns under their checkpoint names."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.tensors = {}

    def add(self, name, values):
        self.tensors[name] = ("BF16", float32_to_bf16_bits(values))

    def normal(self, name, shape, std, mean=0.0):
        values = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        self.add(name, values + np.float32(mean))

    def uniform(self, name, shape, low, high):
        self.add(name, self.rng.uniform(low, high, shape).astype(np.float32))


def add_gdn(out, prefix, args):
    hidden = args.hidden
    hk, hv = args.linear_key_heads, args.linear_value_heads
    dk, dv = args.linear_key_dim, args.linear_value_dim
    channels = 2 * hk * dk + hv * dv
    g = prefix + "linear_attn."
    out.normal(g + "in_proj_qkv.weight", (channels, hidden), 0.02)
    out.normal(g + "in_proj_z.weight", (hv * dv, hidden), 0.02)
    out.normal(g + "in_proj_b.weight", (hv, hidden), 0.02)
    out.normal(g + "in_proj_a.weight", (hv, hidden), 0.02)
    bound = args.conv_kernel**-0.5  # PyTorch's default conv init bound for fan-in Kc
    out.uniform(g + "conv1d.weight", (channels, 1, args.conv_kernel), -bound, bound)
    out.uniform(g + "dt_bias", (hv,), 0.5, 1.5)
    out.add(g + "A_log", np.log(out.rng.uniform(1.0, 16.0, hv)).astype(np.float32))
    out.normal(g + "norm.weight", (dv,), 0.02, mean=1.0)  # plain weight, near 1
    out.normal(g + "out_proj.weight", (hidden, hv * dv), 0.02)


def add_attention(out, prefix, args):
    hidden, dim = args.hidden, args.head_dim
    a = prefix + "self_attn."
    out.normal(a + "q_proj.weight", (args.heads * 2 * dim, hidden), 0.02)
    out.normal(a + "k_proj.weight", (args.kv_heads * dim, hidden), 0.02)
    out.normal(a + "v_proj.weight", (args.kv_heads * dim, hidden), 0.02)
    out.normal(a + "o_proj.weight", (hidden, args.heads * dim), 0.02)
    out.normal(a + "q_norm.weight", (dim,), 0.02)  # zero-centred: applied as 1 + w
    out.normal(a + "k_norm.weight", (dim,), 0.02)


def main(argv):
    args = parse_args(argv)
    if args.linear_value_heads % args.linear_key_heads or args.heads % args.kv_heads:
        sys.exit("--linear-value-heads must be a multiple of --linear-key-heads, and --heads of"
                 " --kv-heads")
    layer_types = [
        "full_attention" if (i + 1) % args.full_attention_interval == 0 else "linear_attention"
        for i in range(args.layers)
    ]
    out = RandomTensors(args.seed)
    base = "model.language_model."
    out.normal(base + "embed_tokens.weight", (args.vocab, args.hidden), 0.02)
    for i, kind in enumerate(layer_types):
        prefix = f"{base}layers.{i}."
        out.normal(prefix + "input_layernorm.weight", (args.hidden,), 0.02)
        out.normal(prefix + "post_attention_layernorm.weight", (args.hidden,), 0.02)
        if kind == "linear_attention":
            add_gdn(out, prefix, args)
        else:
            add_attention(out, prefix, args)
        out.normal(prefix + "mlp.gate_proj.weight", (args.intermediate, args.hidden), 0.02)
        out.normal(prefix + "mlp.up_proj.weight", (args.intermediate, args.hidden), 0.02)
        out.normal(prefix + "mlp.down_proj.weight", (args.hidden, args.intermediate), 0.02)
    out.normal(base + "norm.weight", (args.hidden,), 0.02)
    if not args.tie_word_embeddings:
        out.normal("lm_head.weight", (args.vocab, args.hidden), 0.02)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(make_config(args, layer_types), f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(args.out, "model.safetensors"), out.tensors)
    count = sum(bits.size for _, bits in out.tensors.values())
    print(f"wrote {args.out}: {len(out.tensors)} tensors, {count} parameters, layers {layer_types}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
