import Dispatch
import Foundation
import GSAModel

/// The performance benchmark behind docs/performance.md: the kernels measured against this
/// machine's roofline and against the FLOP counts.
///
/// Experimental design (per-bucket wall times are not exposed by `AttentionLayer`, so each kernel
/// is isolated by the configuration instead):
/// - **A, dense core**: dense variant, H 8 × d_h 64 (H_kv 8, as torch's SDPA shapes), D 16, so the
///   projections are < 1% of the work and the forward time is the attention core's.
/// - **B, GSA core**: gsa variant with the same heads, D 16, indexer H_I × d_I of the chosen preset,
///   fixed k: indexer + top-k + sparse core.
/// - **C, indexer stage**: B with the attention heads shrunk to H 1 × d_h 2: the indexer and top-k
///   selection are unchanged (same H_I, d_I, k, L; top-k cost is data-independent), the sparse core ~0.
///   Sparse-core time ≈ T_B − T_C.
/// - **Indexer kernel alone**: `AttentionLayer.indexerScores` (one thread, all L × ⌈L⌉₁₆ pairs) at L ≤ 4096.
public enum PerformanceBenchmark {
  public struct Options: Sendable {
    public var fitLengths = [2048, 4096, 8192, 16384, 32768]
    public var denseLengths = [8192, 32768]
    public var speedupLength = 32768
    public var k = 256
    public var indexerHeads = 2
    public var indexerDim = 16
    public var repeats = 2
    public var indexerKernelLength = 4096
    public var seed: UInt64 = 42
    public init() {}
  }

  public struct Series: Sendable {
    public let name: String
    public let config: LayerConfig
    public let variant: Variant
    public let points: [SweepPoint]
  }

  public struct Result: Sendable {
    public let options: Options
    public let roofline: Roofline.Measurement
    public let dense: Series
    public let gsa: Series
    public let indexerStage: Series
    /// Single-thread indexer kernel: executed FLOPs and seconds (median of repeats).
    public let indexerKernelFlops: Double
    public let indexerKernelSeconds: Double
    public let loadAverageBefore: String
    public let loadAverageAfter: String
  }

  /// The fixed-k GSA configuration of series B (or C with `tinyCore`).
  public static func gsaConfig(_ o: Options, tinyCore: Bool) -> LayerConfig {
    LayerConfig(
      modelDim: 16, heads: tinyCore ? 1 : 8, kvHeads: tinyCore ? 1 : 8, headDim: tinyCore ? 2 : 64,
      indexerHeads: o.indexerHeads, indexerDim: o.indexerDim, kBase: o.k, kMin: o.k, kMax: o.k, kRule: .fixed)
  }

  public static func denseConfig(_ o: Options) -> LayerConfig {
    LayerConfig(modelDim: 16, heads: 8, kvHeads: 8, headDim: 64, indexerHeads: 1, indexerDim: 1, kBase: 1, kMin: 1, kMax: 1)
  }

  public static func run(_ o: Options, progress: (String) -> Void = { _ in }) throws(ConfigError) -> Result {
    let before = loadAverage()
    progress("roofline")
    let roofline = Roofline.measure(repeats: 5, fmaPerThread: 320_000_000)
    let lengths = Array(Set(o.fitLengths + o.denseLengths + [o.speedupLength])).sorted()
    func series(_ name: String, _ config: LayerConfig, _ variant: Variant) throws(ConfigError) -> Series {
      // `configured(for:)` only flips gates and activation; sizes stay as given.
      let plan = SweepPlan(config: config, variants: [variant], lengths: lengths, repeats: o.repeats, seed: o.seed)
      let points = try Sweep.run(plan) { done, total, label in progress("\(name): \(label) (\(done)/\(total))") }
      return Series(name: name, config: plan.config(for: variant), variant: variant, points: points)
    }
    let dense = try series("A dense core", denseConfig(o), .dense)
    let gsa = try series("B gsa core", gsaConfig(o, tinyCore: false), .gsa)
    let stage = try series("C indexer stage", gsaConfig(o, tinyCore: true), .gsa)
    progress("indexer kernel")
    let layer = try AttentionLayer(config: gsaConfig(o, tinyCore: true).configured(for: .gsa), variant: .gsa, seed: o.seed)
    let l = o.indexerKernelLength
    let x = Sweep.input(length: l, modelDim: 16, seed: o.seed)
    _ = try layer.indexerScores(x)
    var times = [Double]()
    for _ in 0..<max(3, o.repeats) {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try layer.indexerScores(x)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    // All L × ⌈L⌉₁₆ pairs (not causal), H_I·(2·d_I + 3) FLOPs each (the kernel's own pair count).
    let pairs = Double(((l + 3) / 4 * 4) * ((l + 15) / 16 * 16))
    let kernelFlops = pairs * Double(o.indexerHeads * (2 * o.indexerDim + 3))
    return Result(
      options: o, roofline: roofline, dense: dense, gsa: gsa, indexerStage: stage, indexerKernelFlops: kernelFlops,
      indexerKernelSeconds: median(times), loadAverageBefore: before, loadAverageAfter: loadAverage())
  }

  /// /proc/loadavg's first three fields (the machine is shared; contention shows here).
  public static func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
  }
}

extension PerformanceBenchmark.Series {
  public func point(_ length: Int) -> SweepPoint? { points.first { $0.length == length } }
  public var lengths: [Int] { points.map(\.length) }
  public var times: [Double] { points.map(\.medianSeconds) }
}
