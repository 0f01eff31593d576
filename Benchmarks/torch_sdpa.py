#!/usr/bin/env python3
"""Times torch's scaled_dot_product_attention on CPU next to gsa-theory's dense kernel.

Optional: runs only when PyTorch is importable (`pip install torch`; a CPU wheel is enough).
Shapes: batch 1, 8 heads x 64 (D = 512), causal, float32, L = 8192 and 32768 by default.

The toolkit side is measured by the CLI itself:
  gsa-theory sweep --variants dense --lengths L --d-model 16 --heads 8 --kv-heads 8 --head-dim 64 --format json
with D = 16 so that the Q/K/V/O projections are negligible (< 1% of the work) next to the
8 x 64 attention core; the dense core's time is taken from the sweep's per-bucket timing when the
layer reports it ("bucket_seconds" -> "attention"), otherwise from the whole forward pass; the
script says which.

Usage:
  python3 Benchmarks/torch_sdpa.py [--binary .build/release/gsa-theory] [--lengths 8192,32768] [--repeats 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def torch_sdpa_seconds(torch, length, heads, head_dim, repeats):
    generator = torch.Generator().manual_seed(42)
    q = torch.randn(1, heads, length, head_dim, generator=generator, dtype=torch.float32)
    k = torch.randn(1, heads, length, head_dim, generator=generator, dtype=torch.float32)
    v = torch.randn(1, heads, length, head_dim, generator=generator, dtype=torch.float32)
    fn = torch.nn.functional.scaled_dot_product_attention
    with torch.no_grad():
        fn(q[:, :, :256], k[:, :, :256], v[:, :, :256], is_causal=True)  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            out = fn(q, k, v, is_causal=True)
            times.append(time.perf_counter() - start)
            assert out.shape == q.shape
    return statistics.median(times)


def toolkit_seconds(binary, length, heads, head_dim, repeats):
    command = [
        binary, "sweep", "--variants", "dense", "--lengths", str(length), "--d-model", "16",
        "--heads", str(heads), "--kv-heads", str(heads), "--head-dim", str(head_dim), "--repeats", str(repeats),
        "--k", "16", "--k-min", "16", "--k-max", "16", "--indexer-heads", "1", "--indexer-dim", "8", "--format", "json",
    ]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    report = json.loads(result.stdout)
    point = report["points"][0]
    buckets = point.get("bucket_seconds") or {}
    if "attention" in buckets:
        return buckets["attention"], "attention kernel"
    return point["seconds"]["median"], "whole dense layer, D = 16 (projections < 1%)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "gsa-theory"))
    parser.add_argument("--lengths", default="8192,32768")
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--head-dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed; skipping (pip install torch to run this comparison).")
        return 0
    if not os.access(args.binary, os.X_OK):
        print(f"error: {args.binary} is not an executable; build with "
              "'swift build -c release -Xswiftc -target-cpu -Xswiftc haswell'", file=sys.stderr)
        return 2
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; causal float32, batch 1, "
          f"{args.heads} heads x {args.head_dim}")
    print(f"{'L':>7}  {'torch SDPA s':>12}  {'toolkit s':>10}  {'toolkit/torch':>13}  {'torch GFLOP/s':>13}  toolkit timing")
    for length in [int(x) for x in args.lengths.split(",")]:
        flops = 2.0 * length * (length + 1) * args.heads * args.head_dim  # 4·d FLOPs per causal pair and head
        torch_s = torch_sdpa_seconds(torch, length, args.heads, args.head_dim, args.repeats)
        ours_s, what = toolkit_seconds(args.binary, length, args.heads, args.head_dim, args.repeats)
        print(f"{length:>7}  {torch_s:>12.4f}  {ours_s:>10.4f}  {ours_s / torch_s:>13.3f}  "
              f"{flops / torch_s / 1e9:>13.1f}  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
