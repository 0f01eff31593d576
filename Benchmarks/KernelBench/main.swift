// Kernel benchmark (run by hand, release build with the AVX2/FMA target):
//   swift build -c release -Xswiftc -target-cpu -Xswiftc haswell --product kernel-bench
//   .build/release/kernel-bench [dense|decode|decode-core|decode-indexer|dispatch|projections|indexer|indexer2x16|select|topk|gather|sparse|gemm|layer|speedup|gsa-layer|all] [L ...]
import Foundation
import GSAModel
import GSATheory

// Repeats reuse freed buffers (GSA_SYSTEM_MALLOC=1 keeps glibc's default, for comparison).
if ProcessInfo.processInfo.environment["GSA_SYSTEM_MALLOC"] == nil { MemoryPolicy.keepFreedMemory() }
let args = Array(CommandLine.arguments.dropFirst())
let mode = args.first ?? "all"
let lengths = args.dropFirst().compactMap { Int($0) }
/// Repeats per measurement (GSA_REPEATS, default 3): the machine is shared, so compare best times.
let repeats = Int(ProcessInfo.processInfo.environment["GSA_REPEATS"] ?? "") ?? 3
// FMA peaks in GFLOP/s (Roofline's microbenchmark, best of 3 repeats of 2.4·10⁸ vector FMAs per thread):
// all kernel workers by wall time, and one thread alone (the per-core roof).
func fmaPeakGFLOPS(threads: Int) -> Double {
  ((0..<3).map { _ in Roofline.peakFlops(threads: threads, fmaPerThread: 240_000_000) }.max() ?? .nan) / 1e9
}
// GSA_NO_PEAK=1 skips the peak probes (for `perf stat` counts of one kernel alone; percentages are then nan).
let skipPeak = ProcessInfo.processInfo.environment["GSA_NO_PEAK"] != nil
let peak = skipPeak ? .nan : fmaPeakGFLOPS(threads: kernelWorkerCount)
let peakPerCore = skipPeak ? .nan : fmaPeakGFLOPS(threads: 1)
print(
  String(
    format: "FMA peak (all %d workers): %.1f GFLOP/s wall, %.1f GFLOP/s on one core", kernelWorkerCount, peak, peakPerCore))

func report(_ name: String, _ L: Int, _ t: KernelProbe.Timing) {
  print(
    String(
      format: "%-30@ L %6d  best %7.3f s  median %7.3f s  executed %6.2f GFLOP/s (%3.0f%% of peak), per core %6.2f (%3.0f%%)",
      name as NSString, L, t.seconds.min() ?? .nan, t.medianSeconds, t.executedGFLOPS, 100 * t.executedGFLOPS / peak,
      t.executedGFLOPSPerCore,
      100 * t.executedGFLOPSPerCore / peakPerCore))
}

if mode == "dense" || mode == "all" {
  for L in lengths.isEmpty ? [8192, 32768] : lengths {
    report(
      "dense core 8x64 (H_kv 2)", L, KernelProbe.denseCore(length: L, heads: 8, kvHeads: 2, headDim: 64, repeats: L > 16384 ? 1 : repeats))
  }
}
if mode == "decode" {
  // The dense decode core at paper shape (H_kv 2 × G 4 × d_h 64), one query per kv head, against a
  // read-only stream and the triad on 1 and all workers; GB/s of K and V (2·H_kv·L·d_h·4 bytes).
  func bestMedian(_ r: [Double]) -> (Double, Double) { (r.max() ?? .nan, r.sorted()[r.count / 2]) }
  for threads in Set([1, kernelWorkerCount]).sorted() {
    let (rb, rm) = bestMedian(KernelProbe.readBandwidth(elements: 3 << 25, passes: 1, threads: threads, repeats: 7))
    let triad = Roofline.streamTriad(threads: threads, elements: 1 << 25, passes: 2, repeats: 5).max() ?? .nan
    print(
      String(
        format: "read-only stream, %d thread(s): best %5.2f GB/s  median %5.2f GB/s;  triad best %5.2f GB/s", threads, rb / 1e9, rm / 1e9,
        triad / 1e9))
  }
  var kernels: [KernelProbe.DenseDecodeKernel] = [
    .indexList, .blocked(splitRows: 8192, blockRows: 64, prefetchRows: 0, groupBlocked: false),
  ]
  for split in [8192, 32768, 131072] { kernels.append(.blocked(splitRows: split, blockRows: 64, prefetchRows: 0)) }
  kernels += [
    .blocked(splitRows: 8192, blockRows: 128, prefetchRows: 0), .blocked(splitRows: 8192, blockRows: 256, prefetchRows: 0),
    .blocked(splitRows: 8192, blockRows: 64, prefetchRows: 256), .blocked(splitRows: 2048, blockRows: 64, prefetchRows: 0),
  ]
  for L in lengths.isEmpty ? [131072] : lengths {
    let seconds = KernelProbe.denseDecode(length: L, kvHeads: 2, groupSize: 4, headDim: 64, kernels: kernels, rounds: max(repeats, 15))
    let bytes = Double(2 * 2 * L * 64 * 4)
    for (kernel, s) in zip(kernels, seconds) {
      let best = s.min() ?? .nan, median = s.sorted()[s.count / 2]
      print(
        String(
          format: "dense decode L %6d %-40@ best %7.3f ms (%5.2f GB/s)  median %7.3f ms (%5.2f GB/s)", L,
          kernel.description as NSString, best * 1e3, bytes / best / 1e9, median * 1e3, bytes / median / 1e9))
    }
  }
}
if mode == "decode-core" {
  // The dense decode core per cached row (G 4 × d_h 64: 512 B of K and V, 1024 FLOPs), each worker on its own
  // K/V blocks, by footprint per thread: in L1/L2 it is the kernel's compute rate, beyond the L3 DRAM's.
  for rows in lengths.isEmpty ? [64, 512, 2048, 8192, 65536, 262144] : lengths {
    for workers in Set([1, kernelWorkerCount]).sorted() {
      let passes = max(1, 4_000_000 / rows)
      let r = KernelProbe.denseDecodeRowSeconds(
        rows: rows, groupSize: 4, headDim: 64, workers: workers, passes: passes, repeats: max(repeats, 7), seed: 1)
      let best = r.min() ?? .nan, median = r.sorted()[r.count / 2]
      print(
        String(
          format:
            "decode core rows %7d (%8.1f KiB/thread) x%d: best %6.2f ns/row (%5.2f GB/s/thread, %5.1f GFLOP/s/thread)  median %6.2f ns/row",
          rows, Double(rows * 512) / 1024, workers, best * 1e9, 512 / best / 1e9, 1024 / best / 1e9, median * 1e9))
    }
  }
}
if mode == "decode-indexer" {
  // The decode indexer's scoring per cached key (paper shape: H_I 2 × d_I 16, σ: 64 B per key), each
  // worker on its own keys, by footprint per thread (arguments: keys per thread).
  for keys in lengths.isEmpty ? [4096, 16384, 65536, 262144, 1 << 21] : lengths {
    for workers in Set([1, kernelWorkerCount]).sorted() {
      let r = KernelProbe.decodeIndexerKeySeconds(
        keys: keys, heads: 2, dim: 16, relu: false, workers: workers, passes: max(1, 8_000_000 / keys),
        repeats: max(repeats, 7), seed: 1)
      let best = r.min() ?? .nan, median = r.sorted()[r.count / 2]
      print(
        String(
          format: "decode indexer keys %8d (%8.1f KiB/thread) x%d: best %6.3f ns/key (%5.2f GB/s/thread)  median %6.3f ns/key",
          keys, Double(keys * 64) / 1024, workers, best * 1e9, 64 / best / 1e9, median * 1e9))
    }
  }
}
if mode == "dispatch" {
  // One empty parallel region on every worker after the pool sat idle (µs): the fixed cost per region.
  for idle in lengths.isEmpty ? [0, 20, 100, 1000] : lengths {
    let r = KernelProbe.dispatchSeconds(workers: kernelWorkerCount, idleMicroseconds: idle, repeats: 200).sorted()
    print(
      String(
        format: "dispatch after %5d us idle: best %6.2f us  median %6.2f us  p90 %6.2f us", idle, r[0] * 1e6,
        r[r.count / 2] * 1e6, r[r.count * 9 / 10] * 1e6))
  }
}
if mode == "indexer" || mode == "indexer2x16" || mode == "all" {
  for L in lengths.isEmpty ? [8192, 32768] : lengths {
    report("indexer paper-shape (2x16)", L, KernelProbe.indexer(length: L, config: .paperShape, repeats: L > 16384 ? 1 : repeats))
    if mode == "indexer2x16" { continue }
    var paperIndexer = LayerConfig.paperShape
    paperIndexer.indexerHeads = 4
    paperIndexer.indexerDim = 64
    report("indexer paper heads (4x64)", L, KernelProbe.indexer(length: L, config: paperIndexer, repeats: L > 16384 ? 1 : repeats))
  }
}
if mode == "select" || mode == "all" {
  for L in lengths.isEmpty ? [8192, 32768] : lengths {
    var fixed = LayerConfig.paperShape
    fixed.kRule = .fixed
    report("indexer+top-k fixed k 256", L, KernelProbe.indexer(length: L, config: fixed, select: true, repeats: 1))
    report("indexer+top-k code rule", L, KernelProbe.indexer(length: L, config: .paperShape, select: true, repeats: 1))
  }
}
if mode == "topk" || mode == "all" {
  // One thread, the last query block's rows (≈ L candidates each): ns per candidate.
  for L in lengths.isEmpty ? [8192, 32768] : lengths {
    let t = KernelProbe.selection(length: L, config: .paperShape, k: 256, repeats: max(repeats, 5))
    let candidates = Double(KernelProbe.selectionCandidates(length: L, config: .paperShape))
    print(
      String(
        format: "top-256 alone, one thread   L %6d  best %8.5f s  median %8.5f s  %.3f ns per candidate", L,
        t.seconds.min() ?? .nan, t.medianSeconds, 1e9 * (t.seconds.min() ?? .nan) / candidates))
  }
}
if mode == "gather" || mode == "all" {
  // Random 256-byte row gathers over one kv group's K and V rows (2·L rows of d_h 64), all workers.
  for L in lengths.isEmpty ? [2048, 8192, 32768] : lengths {
    let rates = KernelProbe.gatherBandwidth(rows: 2 * L, rowFloats: 64, gathersPerWorker: 4_000_000, repeats: max(repeats, 5))
    print(
      String(
        format: "gather 256 B rows over %6.1f MiB  best %6.1f GB/s  median %6.1f GB/s", Double(2 * L * 256) / 1048576,
        (rates.max() ?? .nan) / 1e9, rates.sorted()[rates.count / 2] / 1e9))
  }
}
if mode == "sparse" || mode == "all" {
  for L in lengths.isEmpty ? [8192, 32768] : lengths {
    for hkv in [8, 2] {
      report(
        "sparse core 8x64 H_kv \(hkv) k 256", L, KernelProbe.sparseCore(length: L, heads: 8, kvHeads: hkv, headDim: 64, k: 256, repeats: 3))
    }
  }
}
if mode == "layer" || mode == "all" {
  for L in lengths.isEmpty ? [8192] : lengths {
    let x = Matrix(rows: L, cols: LayerConfig.paperShape.modelDim) { r, c in Float(((r * 31 + c * 17) % 97)) / 97 - 0.5 }
    var fixed = LayerConfig.paperShape
    fixed.kRule = .fixed
    var denseTime = 0.0
    for variant in Variant.allCases {
      let layer = try! AttentionLayer(config: fixed.configured(for: variant), variant: variant, seed: 1)
      let start = DispatchTime.now().uptimeNanoseconds
      let result = try! layer.forward(x)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      if variant == .dense { denseTime = seconds }
      let e = result.ledger.executed
      print(
        String(
          format: "layer %-11@ L %6d  %8.3f s  speedup %5.2f  GFLOP/s %6.2f  (proj %.2g gates %.2g idx %.2g sel-cmp %.2g attn %.2g)",
          variant.rawValue as NSString, L, seconds, denseTime / seconds, Double(e.total.flops) / seconds / 1e9,
          Double(e.projections.flops), Double(e.gates.flops), Double(e.indexer.flops), Double(e.selection.comparisons),
          Double(e.attention.flops)))
    }
  }
}
if mode == "projections" {
  // The paper-shape layer's projections bucket (dense variant) against its GEMMs alone at the same
  // shapes (Q and O: L × 512 · 512 × 512; K and V: L × 512 · 512 × 128), interleaved.
  let config = LayerConfig.paperShape.configured(for: .dense)
  for L in lengths.isEmpty ? [2048, 8192] : lengths {
    let x = Matrix(rows: L, cols: config.modelDim) { r, c in Float(((r * 31 + c * 17) % 97)) / 97 - 0.5 }
    let layer = try! AttentionLayer(config: config, variant: .dense, seed: 1)
    _ = try! layer.forward(x)
    for _ in 0..<repeats {
      let bucket = try! layer.forward(x).seconds[.projections]
      let wide = KernelProbe.gemm(rows: L, inner: 512, cols: 512, repeats: 1).bestSeconds
      let narrow = KernelProbe.gemm(rows: L, inner: 512, cols: 128, repeats: 1).bestSeconds
      let flops = 2.0 * Double(L) * 512 * (512 + 128 + 128 + 512)
      print(
        String(
          format:
            "L %6d  projections bucket %7.2f ms (%5.1f GFLOP/s of GEMM FLOPs)  GEMMs alone %7.2f ms (512: %6.2f ms, 128: %6.2f ms; %5.1f GFLOP/s)",
          L, bucket * 1e3, flops / bucket / 1e9, (2 * wide + 2 * narrow) * 1e3, wide * 1e3, narrow * 1e3,
          flops / (2 * wide + 2 * narrow) / 1e9))
    }
  }
}
if mode == "gemm" || mode == "all" {
  for L in lengths.isEmpty ? [8192] : lengths {
    let t = KernelProbe.gemm(rows: L, inner: 512, cols: 512, repeats: 3)
    report("gemm L×512·512×512", L, t)
  }
}
if mode == "speedup" {
  // GSA (paper-shape, fixed k = k_base = 256) against dense: measured time ratio vs FLOP ratio.
  for L in lengths.isEmpty ? [32768] : lengths {
    let x = Matrix(rows: L, cols: LayerConfig.paperShape.modelDim) { r, c in Float(((r * 31 + c * 17) % 97)) / 97 - 0.5 }
    var fixed = LayerConfig.paperShape
    fixed.kRule = .fixed
    var results: [(Double, Double, Double)] = []
    for variant in [Variant.dense, .gsa] {
      let layer = try! AttentionLayer(config: fixed.configured(for: variant), variant: variant, seed: 1)
      let cpu0 = KernelProbe.processCPUSeconds()
      let start = DispatchTime.now().uptimeNanoseconds
      let result = try! layer.forward(x)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      let cpu = KernelProbe.processCPUSeconds() - cpu0
      results.append((seconds, cpu, Double(result.ledger.executed.total.flops)))
      print(String(format: "%@ L %d: %.2f s wall, %.2f s CPU, %.3g executed flops", variant.rawValue, L, seconds, cpu, results.last!.2))
    }
    print(
      String(
        format: "speedup L %d: wall %.2f, CPU %.2f, FLOP-predicted (executed) %.2f", L, results[0].0 / results[1].0,
        results[0].1 / results[1].1, results[0].2 / results[1].2))
  }
}
if mode == "gsa-layer" {
  // Series B of gsa-bench (D 16, H 8 × d_h 64, H_kv 8, indexer 2 × 16, k 256 fixed): one forward per repeat.
  let config = PerformanceBenchmark.gsaConfig(PerformanceBenchmark.Options(), tinyCore: false).configured(for: .gsa)
  for L in lengths.isEmpty ? [32768] : lengths {
    let x = Matrix(rows: L, cols: config.modelDim) { r, c in Float(((r * 31 + c * 17) % 97)) / 97 - 0.5 }
    let layer = try! AttentionLayer(config: config, variant: .gsa, seed: 1)
    for _ in 0..<repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try! layer.forward(x)
      print(String(format: "gsa layer (series B) L %6d  %8.3f s", L, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
    }
  }
}
