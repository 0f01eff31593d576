import Dispatch
import Foundation
import GSAModel

/// The performance benchmark behind docs/performance.md: the kernels measured against this
/// machine's roofline and against the FLOP counts.
///
/// Experimental design:
/// - **Dense core**: `KernelProbe.denseCore` (the flash-style kernel alone, all cores), H 8 × d_h 64,
///   H_kv 8 (torch SDPA's shapes): % of peak at the dense lengths, time exponent over the fit lengths.
/// - **Indexer**: `KernelProbe.indexer` (the streaming score kernel alone, and with top-k selection),
///   for the paper-shape indexer (H_I × d_I of the options) and the paper's (H_I 4 × d_I 64).
/// - **Speedup**: whole layers at D 16 (projections negligible), dense (A) vs gsa with fixed k (B),
///   against the FLOP ratio of their ledgers (= CostModel).
/// - **Sparse core**: per-bucket layer times are not exposed, so the sparse core's time is
///   T_B − T_C, where C is B with the attention heads shrunk to 1 × 2 (same indexer, k and L; the
///   top-k cost is data-independent): its exponent over the fit lengths.
public enum PerformanceBenchmark {
  public struct Options: Sendable {
    public var fitLengths = [2048, 4096, 8192, 16384, 32768]
    public var denseLengths = [8192, 32768]
    public var speedupLength = 32768
    public var k = 256
    public var indexerHeads = 2
    public var indexerDim = 16
    public var repeats = 2
    public var seed: UInt64 = 42
    public init() {}
  }

  public struct Series: Sendable {
    public let name: String
    public let config: LayerConfig
    public let variant: Variant
    public let points: [SweepPoint]
  }

  public struct IndexerProbe: Sendable {
    public let indexerHeads: Int
    public let indexerDim: Int
    /// Score kernel alone, per length.
    public let scores: [Int: KernelProbe.Timing]
    /// Scores + top-k selection, per length.
    public let withSelection: [Int: KernelProbe.Timing]
  }

  public struct Result: Sendable {
    public let options: Options
    public let roofline: Roofline.Measurement
    /// Dense core alone, per length.
    public let denseCore: [Int: KernelProbe.Timing]
    /// Paper-shape indexer, then the paper's indexer.
    public let indexers: [IndexerProbe]
    /// Whole dense layer, D 16, at the speedup length (series A).
    public let denseLayer: Series
    public let gsa: Series
    public let indexerStage: Series
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
    var denseCore = [Int: KernelProbe.Timing]()
    for l in lengths {
      progress("dense core L=\(l)")
      denseCore[l] = KernelProbe.denseCore(length: l, heads: 8, kvHeads: 8, headDim: 64, seed: o.seed, repeats: o.repeats + 1)
    }
    var indexers = [IndexerProbe]()
    for (heads, dim) in [(o.indexerHeads, o.indexerDim), (4, 64)] {
      var config = gsaConfig(o, tinyCore: true).configured(for: .gsa)
      config.indexerHeads = heads
      config.indexerDim = dim
      var scores = [Int: KernelProbe.Timing]()
      var selected = [Int: KernelProbe.Timing]()
      for l in lengths {
        progress("indexer \(heads)×\(dim) L=\(l)")
        scores[l] = KernelProbe.indexer(length: l, config: config, select: false, seed: o.seed, repeats: o.repeats + 1)
        selected[l] = KernelProbe.indexer(length: l, config: config, select: true, seed: o.seed, repeats: o.repeats + 1)
      }
      indexers.append(IndexerProbe(indexerHeads: heads, indexerDim: dim, scores: scores, withSelection: selected))
    }
    func series(_ name: String, _ config: LayerConfig, _ variant: Variant, _ lengths: [Int]) throws(ConfigError) -> Series {
      // `configured(for:)` only flips gates and activation; sizes stay as given.
      let plan = SweepPlan(config: config, variants: [variant], lengths: lengths, repeats: o.repeats, seed: o.seed)
      let points = try Sweep.run(plan) { done, total, label in progress("\(name): \(label) (\(done)/\(total))") }
      return Series(name: name, config: plan.config(for: variant), variant: variant, points: points)
    }
    let seriesLengths = Array(Set(o.fitLengths + [o.speedupLength])).sorted()
    let denseLayer = try series("A dense layer", denseConfig(o), .dense, [o.speedupLength])
    let gsa = try series("B gsa layer", gsaConfig(o, tinyCore: false), .gsa, seriesLengths)
    let stage = try series("C gsa layer, 1×2 heads", gsaConfig(o, tinyCore: true), .gsa, seriesLengths)
    return Result(
      options: o, roofline: roofline, denseCore: denseCore, indexers: indexers, denseLayer: denseLayer, gsa: gsa,
      indexerStage: stage, loadAverageBefore: before, loadAverageAfter: loadAverage())
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
