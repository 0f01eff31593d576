#!/usr/bin/env python3
"""The toolkit side by side with what users would run instead, in one run.

1. torch's scaled_dot_product_attention (CPU) against the toolkit's dense causal kernel:
   batch 1, 8 heads x 64, causal, float32 (default L = 8192, 32768). The toolkit side is
   `gsa-theory sweep --variants dense` at D = 16, H 8 x 64, H_kv 8, whose per-bucket timing gives the
   attention core alone (`seconds_by_bucket.attention`).
2. The reference implementation's layer (alfredcs/Gated-Sparse-Attention, `GatedSparseAttention`,
   float32, eval, no grad) against the toolkit's GSA layer (`gsa-theory sweep --variants gsa`) at
   the same configuration, the paper-shape preset (D 512, H 8, H_kv 2, d_h 64, H_I 2 x d_I 16,
   k_base 256, k_min 32, k_max 512, adaptive k under the code rule, both gates), whole forward pass,
   at L from 1024 doubling up to the reference's memory limit: the next length is run only while the
   reference's peak, extrapolated from the last two lengths, stays under --memory-limit-gib.

Every measurement runs in its own child process; its peak resident memory is the child's
ru_maxrss (os.wait4), and each side's idle baseline (the same process at L = 256) is reported
beside it. The parent never imports torch, since a child's ru_maxrss starts from its parent's
high-water mark at exec. The two sides alternate at every length, both use every core (torch.set_num_threads),
and each reports the median and best of --repeats timed calls after one warm-up call.

Optional: needs PyTorch (a CPU wheel: pip install torch) and, for part 2, a checkout of the
reference (see scripts/reference/README.md for the pinned commit). Writes JSON (--json, default
docs/data/side-by-side.json), which gsa-bench reads into docs/performance.md.

Usage:
  python3 Benchmarks/side_by_side.py --reference /path/to/Gated-Sparse-Attention \
      [--binary .build/release/gsa-theory] [--sdpa-lengths 8192,32768] [--layer-max-length 65536] \
      [--repeats 3] [--memory-limit-gib 20] [--json docs/data/side-by-side.json]
"""

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCHEMA_VERSION = 1

# The paper-shape preset, in the reference's GSAConfig fields (Sources/GSAModel/LayerConfig+Validation.swift).
PAPER_SHAPE = dict(d_model=512, n_heads=8, n_kv_heads=2, d_indexer=16, n_indexer_heads=2, k_base=256, k_min=32,
                   k_max=512, use_adaptive_k=True)


# ---------------------------------------------------------------------------------------------
# Child processes: each prints one JSON object on stdout.


def worker_sdpa(length, heads, head_dim, repeats, seed):
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    generator = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(1, heads, length, head_dim, generator=generator, dtype=torch.float32) for _ in range(3))
    fn = torch.nn.functional.scaled_dot_product_attention
    with torch.no_grad():
        fn(q, k, v, is_causal=True)  # warm-up at full size
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            out = fn(q, k, v, is_causal=True)
            times.append(time.perf_counter() - start)
    assert out.shape == q.shape and bool(torch.isfinite(out).all())
    return dict(seconds=times, threads=torch.get_num_threads())


def worker_reference(reference, length, repeats, seed):
    import torch
    sys.path.insert(0, os.path.abspath(reference))
    from gsa.attention import GatedSparseAttention
    from gsa.config import GSAConfig
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(seed)
    config = GSAConfig(n_layers=1, max_position_embeddings=max(length, 1024), attention_dropout=0.0,
                       rope_base=10000.0, **PAPER_SHAPE)
    layer = GatedSparseAttention(config).eval()
    generator = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(1, length, config.d_model, generator=generator, dtype=torch.float32)
    with torch.no_grad():
        layer(x)  # warm-up at full size
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            out, _, _ = layer(x)
            times.append(time.perf_counter() - start)
    assert out.shape == x.shape and bool(torch.isfinite(out).all())
    return dict(seconds=times, threads=torch.get_num_threads())


# ---------------------------------------------------------------------------------------------
# The parent: runs children, reads their peak memory.


def run_child(command):
    """Runs command; returns (stdout, peak RSS bytes, wall seconds). Raises on a non-zero exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            message = err.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"{' '.join(command[:3])}... exited {code}: {message[-1] if message else ''}")
        return out.read().decode(), usage.ru_maxrss * 1024, wall


def python_child(*arguments):
    return [sys.executable, os.path.abspath(__file__), *arguments]


def toolkit_sweep(binary, variant, length, repeats, layer_arguments):
    command = [binary, "sweep", "--variants", variant, "--lengths", str(length), "--repeats", str(repeats),
               "--peak-gflops", "100", "--format", "json", *layer_arguments]
    text, peak, _ = run_child(command)
    point = json.loads(text)["points"][0]
    return point, peak


DENSE_CORE_ARGUMENTS = ["--d-model", "16", "--heads", "8", "--kv-heads", "8", "--head-dim", "64", "--k", "16",
                        "--k-min", "16", "--k-max", "16", "--indexer-heads", "1", "--indexer-dim", "8"]
PAPER_SHAPE_ARGUMENTS = ["--preset", "paper-shape"]


def summary(times):
    return dict(median=statistics.median(times), best=min(times), repeats=times)


def sdpa_part(args):
    rows = []
    for index, length in enumerate(args.sdpa_lengths):
        def torch_side():
            text, peak, _ = run_child(python_child("--worker", "sdpa", "--length", str(length),
                                                   "--repeats", str(args.repeats), "--seed", str(args.seed)))
            result = json.loads(text)
            return summary(result["seconds"]), peak

        def toolkit_side():
            point, peak = toolkit_sweep(args.binary, "dense", length, args.repeats, DENSE_CORE_ARGUMENTS)
            # The sweep reports each bucket's median over the repeats; the best is the whole layer's.
            return dict(median=point["seconds_by_bucket"]["attention"], layer_median=point["seconds"]["median"],
                        layer_best=min(point["seconds"]["repeats"])), peak

        # Alternate which side runs first, so drift in the host's speed falls on both.
        if index % 2 == 0:
            ours, ours_peak = toolkit_side()
            theirs, theirs_peak = torch_side()
        else:
            theirs, theirs_peak = torch_side()
            ours, ours_peak = toolkit_side()
        flops = 2.0 * length * (length + 1) * 8 * 64  # 4·d_h per causal pair and head
        rows.append(dict(length=length, torch_seconds=theirs, toolkit_seconds=ours,
                         time_ratio=ours["median"] / theirs["median"],
                         torch_gflops=flops / theirs["median"] / 1e9, toolkit_gflops=flops / ours["median"] / 1e9,
                         torch_peak_bytes=theirs_peak, toolkit_peak_bytes=ours_peak))
        print(f"SDPA  L {length:>6}: torch {theirs['median']:.4f} s, toolkit {ours['median']:.4f} s "
              f"(toolkit/torch {rows[-1]['time_ratio']:.3f})", file=sys.stderr)
    return rows


def layer_part(args):
    def reference_side(length):
        text, peak, _ = run_child(python_child("--worker", "reference", "--reference", args.reference, "--length",
                                               str(length), "--repeats", str(args.repeats), "--seed", str(args.seed)))
        return summary(json.loads(text)["seconds"]), peak

    def toolkit_side(length):
        point, peak = toolkit_sweep(args.binary, "gsa", length, args.repeats, PAPER_SHAPE_ARGUMENTS)
        repeats = point["seconds"]["repeats"]
        return summary(repeats), peak

    _, reference_baseline = reference_side(256)
    _, toolkit_baseline = toolkit_side(256)
    rows, length, stopped = [], args.layer_min_length, None
    limit = args.memory_limit_gib * 2**30
    while length <= args.layer_max_length:
        if len(rows) >= 2:
            grown = rows[-1]["reference_peak_bytes"] ** 2 / rows[-2]["reference_peak_bytes"]
            if grown > limit:
                stopped = dict(length=length, extrapolated_reference_peak_bytes=grown, limit_bytes=limit)
                break
        if len(rows) % 2 == 0:
            ours, ours_peak = toolkit_side(length)
            theirs, theirs_peak = reference_side(length)
        else:
            theirs, theirs_peak = reference_side(length)
            ours, ours_peak = toolkit_side(length)
        rows.append(dict(length=length, reference_seconds=theirs, toolkit_seconds=ours,
                         time_ratio=ours["median"] / theirs["median"], reference_peak_bytes=theirs_peak,
                         toolkit_peak_bytes=ours_peak, peak_ratio=ours_peak / theirs_peak,
                         peak_above_baseline_ratio=(ours_peak - toolkit_baseline) / (theirs_peak - reference_baseline)))
        print(f"layer L {length:>6}: reference {theirs['median']:.3f} s {theirs_peak / 2**30:.2f} GiB, toolkit "
              f"{ours['median']:.3f} s {ours_peak / 2**30:.2f} GiB", file=sys.stderr)
        length *= 2
    return dict(rows=rows, reference_baseline_bytes=reference_baseline, toolkit_baseline_bytes=toolkit_baseline,
                stopped_by_memory=stopped)


def git_commit(path):
    try:
        return subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def versions(args, torch_version):
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True)
    return dict(torch=torch_version, python=platform.python_version(),
                swift=(swift.stdout or swift.stderr).strip().splitlines()[0] if swift.returncode == 0 else None,
                toolkit_commit=git_commit(REPO), reference_commit=git_commit(args.reference) if args.reference else None,
                cpu=platform.processor() or platform.machine(), cores=os.cpu_count())


def write_whole(path, text):
    """Writes text to path whole or not at all (a temporary file in the same directory, renamed)."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".side-by-side.")
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def lengths(text):
    try:
        values = [int(x) for x in text.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of integers, e.g. 8192,32768")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"'{text}': lengths must be positive integers, e.g. 8192,32768")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "release", "gsa-theory"))
    parser.add_argument("--reference", help="checkout of alfredcs/Gated-Sparse-Attention (part 2 is skipped without it)")
    parser.add_argument("--sdpa-lengths", type=lengths, default=[8192, 32768])
    parser.add_argument("--layer-min-length", type=int, default=1024)
    parser.add_argument("--layer-max-length", type=int, default=65536)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--memory-limit-gib", type=float, default=20.0)
    parser.add_argument("--json", default=os.path.join(REPO, "docs", "data", "side-by-side.json"))
    parser.add_argument("--worker", choices=["sdpa", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--length", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats < 1 or args.layer_min_length < 1 or args.memory_limit_gib <= 0:
        parser.error("--repeats, --layer-min-length and --memory-limit-gib must be positive")

    if args.worker == "sdpa":
        print(json.dumps(worker_sdpa(args.length, 8, 64, args.repeats, args.seed)))
        return 0
    if args.worker == "reference":
        print(json.dumps(worker_reference(args.reference, args.length, args.repeats, args.seed)))
        return 0

    # torch is imported only in the children: Linux carries a process's RSS high-water mark across
    # exec into its child's ru_maxrss, so a parent holding torch (~190 MiB) would floor every
    # child's measured peak at its own size.
    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed; nothing to compare (pip install torch, a CPU wheel is enough).")
        return 0
    if not os.access(args.binary, os.X_OK):
        print(f"error: {args.binary} is not an executable; build it with 'make release'", file=sys.stderr)
        return 2
    if args.reference and not os.path.isdir(os.path.join(args.reference, "gsa")):
        print(f"error: {args.reference} holds no 'gsa' package; give a checkout of "
              "alfredcs/Gated-Sparse-Attention (scripts/reference/README.md)", file=sys.stderr)
        return 2
    json_directory = os.path.dirname(os.path.abspath(args.json))
    if not os.path.isdir(json_directory):
        print(f"error: --json: directory '{json_directory}' does not exist; create it first", file=sys.stderr)
        return 2

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    report = dict(schema_version=SCHEMA_VERSION, date=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  versions=versions(args, importlib.metadata.version("torch")), repeats=args.repeats, seed=args.seed,
                  sdpa=dict(shape="batch 1, H 8 x d_h 64, causal, float32", rows=sdpa_part(args)))
    if args.reference:
        report["layer"] = dict(configuration="paper-shape: " + ", ".join(f"{k} {v}" for k, v in PAPER_SHAPE.items()),
                               dtype="float32", **layer_part(args))
    report["load_average_before"] = list(load_before)
    report["load_average_after"] = list(os.getloadavg())
    report["seconds"] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    write_whole(args.json, json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
