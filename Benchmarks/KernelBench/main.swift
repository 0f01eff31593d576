// Kernel benchmark (run by hand, release build with the AVX2/FMA target):
//   swift build -c release -Xswiftc -target-cpu -Xswiftc x86-64-v3 --product kernel-bench
//   .build/release/kernel-bench [dense|indexer|select|peak|all] [L ...]
import Foundation
import GSAModel

let args = Array(CommandLine.arguments.dropFirst())
let mode = args.first ?? "all"
let lengths = args.dropFirst().compactMap { Int($0) }
let peak = KernelProbe.fmaPeakGFLOPS()
print(String(format: "FMA peak (all %d workers): %.1f GFLOP/s", kernelWorkerCount, peak))

func report(_ name: String, _ L: Int, _ t: KernelProbe.Timing) {
  print(
    String(
      format: "%-34@ L %6d  median %8.4f s  executed %7.2f GFLOP/s (%.0f%% of peak)  useful %7.2f GFLOP/s", name as NSString,
      L, t.medianSeconds, t.executedGFLOPS, 100 * t.executedGFLOPS / peak, t.usefulGFLOPS))
}

if mode == "dense" || mode == "all" {
  for L in lengths.isEmpty ? [8192, 32768] : lengths {
    report("dense core 8x64 (H_kv 2)", L, KernelProbe.denseCore(length: L, heads: 8, kvHeads: 2, headDim: 64, repeats: L > 16384 ? 1 : 3))
  }
}
if mode == "indexer" || mode == "all" {
  for L in lengths.isEmpty ? [8192, 32768] : lengths {
    report("indexer paper-shape (2x16)", L, KernelProbe.indexer(length: L, config: .paperShape, repeats: L > 16384 ? 1 : 3))
    var paperIndexer = LayerConfig.paperShape
    paperIndexer.indexerHeads = 4
    paperIndexer.indexerDim = 64
    report("indexer paper heads (4x64)", L, KernelProbe.indexer(length: L, config: paperIndexer, repeats: L > 16384 ? 1 : 3))
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
