#!/usr/bin/python3
"""PyTorch CPU forward pass of a Qwen3.5 dense text model: golden check, benchmark, logits dump.

Modes:
  check   compare logits with the float64 goldens in MODEL/golden (chunked and recurrent
          Gated DeltaNet, float32 and float64), and chunked with recurrent on long random ids
  bench   time whole-sequence forward passes (no cache) over a random [B, T] batch and print
          one JSON line
  logits  write the logits of one id sequence as little-endian float32 [T, V]

Run with Debian's interpreter, /usr/bin/python3, which has python3-torch and python3-numpy.
"""

import argparse
import glob
import json
import os
import platform
import statistics
import sys
import time

# Tolerance of a float32 run against the float64 goldens: |diff| <= 1e-3 + 1e-4 * |logit|.
GOLDEN_ABS_TOL = 1e-3
GOLDEN_REL_TOL = 1e-4
# The goldens are float64 results rounded to float32, so a float64 run must land within one
# float32 ulp (2^-23 relative) of them. Float64 chunked and recurrent runs differ only by
# rounding, so they must agree to 1e-9.
FLOAT32_ULP = 2.0**-23
FLOAT64_TOL = 1e-9


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)

    def common(p):
        p.add_argument("--model", required=True, help="checkpoint folder with config.json")
        p.add_argument("--threads", type=int, help="intra-op threads (torch and OpenBLAS)")
        p.add_argument("--chunk-size", type=int, default=64, help="GDN chunk length (tokens)")

    check = sub.add_parser("check", help="compare with the goldens and across GDN modes")
    common(check)
    check.add_argument(
        "--long-len", type=int, default=300, help="length of the random ids that compare"
        " chunked with recurrent GDN over several chunks (tokens)"
    )

    bench = sub.add_parser("bench", help="tokens/s of a whole-sequence forward pass")
    common(bench)
    bench.add_argument("--batch", type=int, default=1, help="sequences per forward pass")
    bench.add_argument("--seq-len", type=int, default=128, help="tokens per sequence")
    bench.add_argument("--warmup", type=int, default=1, help="untimed forward passes")
    bench.add_argument("--repeat", type=int, default=3, help="timed forward passes")
    bench.add_argument("--gdn", choices=("chunked", "recurrent"), default="chunked")
    bench.add_argument("--seed", type=int, default=0, help="seed of the random token ids")

    logits = sub.add_parser("logits", help="write logits [T, V] as little-endian float32")
    common(logits)
    ids = logits.add_mutually_exclusive_group(required=True)
    ids.add_argument("--ids", help="comma-separated token ids, for example 1,147,201")
    ids.add_argument("--ids-file", help="JSON file: a list of ids or an object with 'ids'")
    logits.add_argument("--out", required=True, help="output file")
    logits.add_argument("--gdn", choices=("chunked", "recurrent"), default="chunked")
    logits.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    return parser.parse_args(argv)


def set_threads(threads):
    """Fix the thread count of OpenMP and OpenBLAS before torch loads them, then of torch."""
    if threads is None:
        return
    if threads < 1:
        sys.exit(f"--threads must be at least 1, found {threads}")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def main(argv):
    args = parse_args(argv)
    set_threads(args.threads)
    import torch  # imported here so the thread variables above take effect

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.chunk_size < 1:
        sys.exit(f"--chunk-size must be at least 1, found {args.chunk_size}")
    if args.mode == "check":
        return run_check(args)
    if args.mode == "bench":
        if min(args.batch, args.seq_len, args.repeat) < 1 or args.warmup < 0:
            sys.exit("bench: --batch, --seq-len and --repeat must be at least 1, --warmup at least 0")
        return run_bench(args)
    return run_logits(args)


def run_check(args):
    import numpy as np
    import torch
    from qwen35_model import Qwen35Model

    models = {dtype: Qwen35Model(args.model, dtype) for dtype in (torch.float32, torch.float64)}
    cfg = models[torch.float32].config
    failures = 0
    goldens = sorted(glob.glob(os.path.join(args.model, "golden", "*.json")))
    variants = [
        (torch.float32, "chunked", args.chunk_size),
        (torch.float32, "chunked", 16),
        (torch.float32, "recurrent", None),
        (torch.float64, "chunked", args.chunk_size),
        (torch.float64, "recurrent", None),
    ]
    print(f"model {args.model}: {len(cfg.layer_types)} layers, vocab {cfg.vocab_size}")
    for path in goldens:
        with open(path) as f:
            meta = json.load(f)
        expected = np.fromfile(os.path.join(os.path.dirname(path), meta["logits_file"]), "<f4")
        expected = torch.from_numpy(expected.reshape(meta["shape"]).astype(np.float64))
        ids = torch.tensor([meta["ids"]], dtype=torch.long)
        for dtype, gdn, chunk in variants:
            got = models[dtype].forward(ids, gdn=gdn, chunk_size=chunk or 64)[0].double()
            failures += report(f"{meta['name']:6s} T={ids.shape[1]:3d}", dtype, gdn, chunk,
                               got, expected)
    failures += check_batching(models[torch.float32], goldens)
    for dtype, model in models.items():
        generator = torch.Generator().manual_seed(1)
        ids = torch.randint(cfg.vocab_size, (2, args.long_len), generator=generator)
        reference = model.forward(ids, gdn="recurrent").double()
        got = model.forward(ids, gdn="chunked", chunk_size=args.chunk_size).double()
        failures += report(f"random B=2 T={args.long_len}", dtype, "chunked", args.chunk_size,
                           got, reference, against="recurrent")
    print("check", "FAILED" if failures else "passed", f"({failures} failures)")
    return 1 if failures else 0


def report(label, dtype, gdn, chunk, got, expected, against="golden"):
    """Print the max abs diff and argmax agreement of got vs expected; return 1 on failure.

    Bounds: float32 runs get the golden tolerance 1e-3 + 1e-4 * |logit|. Float64 runs get one
    float32 ulp against the goldens and 1e-9 against another float64 run.
    """
    import torch

    diff = (got - expected).abs()
    if dtype != torch.float64:
        bound = GOLDEN_ABS_TOL + GOLDEN_REL_TOL * expected.abs()
    elif against == "golden":
        bound = FLOAT32_ULP * expected.abs() + 1e-30
    else:
        bound = torch.full_like(expected, FLOAT64_TOL)
    within = bool((diff <= bound).all())
    argmax_same = bool((got.argmax(-1) == expected.argmax(-1)).all())
    mode = gdn + (f"/{chunk}" if chunk else "")
    name = str(dtype).replace("torch.", "")
    ok = within and argmax_same
    print(
        f"{label:22s} {name:7s} {mode:12s} vs {against:9s} max|diff| {diff.max().item():.3e}"
        f"  worst diff/bound {(diff / bound).max().item():.3f}"
        f"  argmax {'same' if argmax_same else 'DIFFERENT'}  {'ok' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


def check_batching(model, goldens):
    """Run goldens of equal length as one batch and compare with running each alone."""
    import torch

    by_length = {}
    for path in goldens:
        with open(path) as f:
            ids = json.load(f)["ids"]
        by_length.setdefault(len(ids), []).append(ids)
    failures = 0
    for length, rows in by_length.items():
        if len(rows) < 2:
            continue
        batch = torch.tensor(rows, dtype=torch.long)
        together = model.forward(batch).double()
        alone = torch.cat([model.forward(batch[i : i + 1]) for i in range(len(rows))]).double()
        failures += report(f"batch B={len(rows)} T={length}", torch.float32, "chunked", 64,
                           together, alone, against="one by one")
    return failures


def run_bench(args):
    import torch
    from qwen35_model import Qwen35Model

    load_start = time.perf_counter()
    model = Qwen35Model(args.model, torch.float32)
    load_seconds = time.perf_counter() - load_start
    generator = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(model.config.vocab_size, (args.batch, args.seq_len), generator=generator)
    for _ in range(args.warmup):
        model.forward(ids, gdn=args.gdn, chunk_size=args.chunk_size)
    times = []
    cpu_start = time.process_time()
    for _ in range(args.repeat):
        start = time.perf_counter()
        logits = model.forward(ids, gdn=args.gdn, chunk_size=args.chunk_size)
        times.append(time.perf_counter() - start)
    cpu_seconds = (time.process_time() - cpu_start) / args.repeat
    if not bool(torch.isfinite(logits).all()):
        sys.exit("bench: the logits contain NaN or infinity; the checkpoint is not usable")
    tokens = args.batch * args.seq_len
    seconds = statistics.median(times)
    result = {
        "engine": "torch",
        "model": os.path.abspath(args.model),
        "batch": args.batch,
        "seq_len": args.seq_len,
        "tokens": tokens,
        "seconds": round(seconds, 6),
        "tokens_per_s": round(tokens / seconds, 2),
        "seconds_min": round(min(times), 6),
        "seconds_all": [round(t, 6) for t in times],
        # CPU time of the process per forward pass (all threads), and the 1-minute load
        # average: a load above the core count means other processes shared the cores.
        "cpu_seconds": round(cpu_seconds, 6),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "gdn": args.gdn,
        "chunk_size": args.chunk_size,
        "threads": torch.get_num_threads(),
        "dtype": "float32",
        "load_seconds": round(load_seconds, 3),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    print(json.dumps(result))
    return 0


def run_logits(args):
    import numpy as np
    import torch
    from qwen35_model import Qwen35Model

    if args.ids is not None:
        ids = [int(token) for token in args.ids.split(",") if token.strip()]
    else:
        with open(args.ids_file) as f:
            loaded = json.load(f)
        ids = loaded["ids"] if isinstance(loaded, dict) else loaded
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    model = Qwen35Model(args.model, dtype)
    vocab = model.config.vocab_size
    bad = [token for token in ids if not 0 <= token < vocab]
    if not ids or bad:
        sys.exit(f"logits: ids must be a non-empty list in [0, {vocab}), found invalid {bad[:5]}")
    logits = model.forward(torch.tensor([ids]), gdn=args.gdn, chunk_size=args.chunk_size)[0]
    logits.float().numpy().astype("<f4").tofile(args.out)
    print(f"wrote {args.out}: float32 little-endian [{len(ids)}, {vocab}]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
