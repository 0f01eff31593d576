import Dispatch
import Foundation
import GSAModel

/// The decode part of the performance benchmark: decode steps of the four variants, timed
/// interleaved (one step of each variant per round, every cache alive at once), against the byte
/// model's prediction at this machine's measured STREAM triad bandwidth.
///
/// Targets (docs/performance.md):
/// - dense decode at the target length, batch 1, reads its K and V at ≥ 70% of the triad bandwidth;
/// - a GSA step takes ≤ 1.25 × (counted bytes / triad + indexer FLOPs / peak);
/// both judged per round against the triad measured just before that round (the host's bandwidth
/// drifts on a shared VM), on the median over rounds;
/// - the measured GSA/dense speedup at the target length and the large batch is within 25% of the
///   bytes-predicted one (compulsory bytes of the two steps);
/// - at batch 1 (a finding): the steps' footprints against the caches, the measured and
///   bytes-predicted speedups.
public enum DecodeBenchmark {
  public struct Options: Sendable {
    public var config = LayerConfig.paperShape
    /// Batch-1 lengths (the figure's series).
    public var lengths = [8192, 32768, 131072]
    /// The targets' length (the last of `lengths`).
    public var targetLength = 131072
    /// The large batch, at the target length only.
    public var largeBatch = 8
    public var repeats = 7
    public var seed: UInt64 = 42
    /// Roofline probe sizes: vector FMAs per thread per repeat, triad floats per array, read-stream floats.
    public var fmaPerThread = 120_000_000
    public var triadElements = 1 << 25
    public var readElements = 3 << 25
    public init() {}
  }

  public struct Point: Sendable {
    public let variant: Variant
    public let length: Int
    public let batch: Int
    /// Each timed step (interleaved rounds), seconds.
    public let seconds: [Double]
    /// The STREAM triad (bytes/s, all cores) measured just before each round's steps: the bandwidth
    /// the host gave in that round, so a step's time can be set against its own round's triad.
    public let roundTriads: [Double]
    public let counted: FlopLedger
    public let predicted: FlopLedger
    public let kPerSequence: [Int]
    public var bestSeconds: Double { seconds.min() ?? .nan }
    public var medianSeconds: Double { median(seconds) }
    /// Compulsory bytes of the step.
    public var bytes: Int { counted.bytesTotal.compulsory }
    /// Bytes of the cached K and V rows the core reads (dense: every row, 4·B·(L + 1)·2·H_kv·d_h;
    /// sparse: the gathered ones).
    public let keyValueBytes: Int
    /// Bytes the step touches that can stay cached between steps: the weights and (sparse) the
    /// indexer keys, plus the gathered rows: its working set. Dense: the whole cache it streams.
    public let footprintBytes: Int
  }

  public struct Result: Sendable {
    public let options: Options
    /// Best of the triad repeats (bytes/s) and of the FMA peak repeats (FLOP/s).
    public let triadBytesPerSecond: [Double]
    public let peakFlopsPerSecond: [Double]
    /// A read-only stream (Σ over 3 × `triad` bytes) on all cores: the bandwidth a decode core,
    /// which only reads its cache, can reach; bytes/s per repeat.
    public let readBytesPerSecond: [Double]
    public let points: [Point]

    public var triad: Double { triadBytesPerSecond.max() ?? .nan }
    public var peak: Double { peakFlopsPerSecond.max() ?? .nan }
    public var read: Double { readBytesPerSecond.max() ?? .nan }

    public func point(_ v: Variant, length: Int, batch: Int) -> Point? {
      points.first { $0.variant == v && $0.length == length && $0.batch == batch }
    }

    /// Bytes-predicted step time: counted compulsory bytes at the triad bandwidth, plus (sparse)
    /// the indexer's useful FLOPs at the peak.
    public func predictedSeconds(_ p: Point) -> Double {
      Double(p.bytes) / triad + (p.variant.isSparse ? Double(p.counted.useful.indexer.flops) / peak : 0)
    }

    /// Dense K/V bytes per second at the best step.
    public func denseCacheRate(length: Int, batch: Int) -> Double? {
      point(.dense, length: length, batch: batch).map { Double($0.keyValueBytes) / $0.bestSeconds }
    }

    /// Per round: the dense step's K/V bytes per second over that round's triad.
    public func denseCacheTriadFractions(length: Int, batch: Int) -> [Double] {
      guard let p = point(.dense, length: length, batch: batch) else { return [] }
      return zip(p.seconds, p.roundTriads).map { Double(p.keyValueBytes) / $0 / $1 }
    }

    /// Per round: the step over its bytes-predicted time at that round's triad
    /// (bytes / triad_r + (sparse) indexer FLOPs / peak).
    public func roundPredictionRatios(_ p: Point) -> [Double] {
      let indexer = p.variant.isSparse ? Double(p.counted.useful.indexer.flops) / peak : 0
      return zip(p.seconds, p.roundTriads).map { $0 / (Double(p.bytes) / $1 + indexer) }
    }

    /// dense best / variant best.
    public func measuredSpeedup(_ v: Variant, length: Int, batch: Int) -> Double? {
      guard let d = point(.dense, length: length, batch: batch), let p = point(v, length: length, batch: batch) else { return nil }
      return d.bestSeconds / p.bestSeconds
    }

    /// dense bytes / variant bytes.
    public func bytesSpeedup(_ v: Variant, length: Int, batch: Int) -> Double? {
      guard let d = point(.dense, length: length, batch: batch), let p = point(v, length: length, batch: batch) else { return nil }
      return Double(d.bytes) / Double(p.bytes)
    }
  }

  /// The working set a step of `variant` re-reads every step (see `Point.footprintBytes`).
  static func footprint(_ config: LayerConfig, _ variant: Variant, length L: Int, batch B: Int, ledger: FlopLedger) -> Int {
    let shapes = LayerWeights.shapes(for: config)
    var names = ["w_q", "w_k", "w_v", "w_o"]
    if variant.isGated { names += ["w_gate_v", "b_gate_v", "w_gate_o", "b_gate_o"] }
    if variant.isSparse { names += ["w_iq", "w_ik", "w_iw", "b_iw", "b_i"] }
    let weights = names.reduce(0) { $0 + 4 * shapes[$1]!.rows * shapes[$1]!.cols }
    let cache =
      variant.isSparse
      ? 4 * B * (L + 1) * config.indexerDim + ledger.bytes.attention.gathered
      : 4 * B * (L + 1) * 2 * config.kvHeads * config.headDim
    return weights + cache
  }

  /// Runs the benchmark: the roofline probes, then per (length, batch) the four variants' caches,
  /// filled with seeded tokens, and `repeats` interleaved rounds of one step each.
  public static func run(_ o: Options, progress: (String) -> Void = { _ in }) throws -> Result {
    let threads = ProcessInfo.processInfo.activeProcessorCount
    progress("decode: roofline")
    let peak = (0..<3).map { _ in Roofline.peakFlops(threads: threads, fmaPerThread: o.fmaPerThread) }
    let triadBuffers = Roofline.TriadBuffers(threads: threads, elements: o.triadElements)
    let triad = triadBuffers.measure(passes: 2, repeats: 5)
    // The machine profile's read probe (one probe for both): a buffer well beyond the last cache level.
    let read = KernelProbe.readBandwidth(elements: o.readElements, passes: 1, threads: threads, repeats: 5)
    var points = [Point]()
    var settings = o.lengths.map { ($0, 1) }
    if o.largeBatch > 1 { settings.append((o.targetLength, o.largeBatch)) }
    for (L, B) in settings {
      var layers = [(Variant, AttentionLayer, KVCache, Matrix)]()
      for variant in Variant.allCases {
        progress("decode: filling \(variant.rawValue) L=\(L) B=\(B)")
        let config = o.config.configured(for: variant)
        let layer = try AttentionLayer(config: config, variant: variant, seed: o.seed)
        let cache = try layer.makeCache(batch: B, capacity: L + 1)
        try DecodeSweep.fill(layer, cache, length: L, seed: o.seed)
        let token = Sweep.input(length: B, modelDim: config.modelDim, seed: DecodeSweep.sequenceSeed(o.seed, length: L, sequence: -1))
        layers.append((variant, layer, cache, token))
      }
      var seconds = [[Double]](repeating: [], count: layers.count)
      var roundTriads = [Double]()
      var warm = [DecodeResult]()
      for (_, layer, cache, token) in layers { warm.append(try layer.decodeStep(token, cache: cache)) }
      for round in 0..<max(1, o.repeats) {
        progress("decode: L=\(L) B=\(B) round \(round + 1)/\(o.repeats)")
        roundTriads.append(
          triadBuffers.measure(passes: 2, repeats: 2).max() ?? .nan)
        for (i, (_, layer, cache, token)) in layers.enumerated() {
          cache.truncate(to: L)
          let start = DispatchTime.now().uptimeNanoseconds
          _ = try layer.decodeStep(token, cache: cache)
          seconds[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
      }
      for (i, (variant, layer, _, _)) in layers.enumerated() {
        let counted = warm[i].ledger
        points.append(
          Point(
            variant: variant, length: L, batch: B, seconds: seconds[i], roundTriads: roundTriads, counted: counted,
            predicted: CostModel(config: layer.config, variant: variant).decodeLedger(
              length: L, batch: B, kPerSequence: warm[i].kPerSequence),
            kPerSequence: warm[i].kPerSequence,
            keyValueBytes: variant.isSparse
              ? counted.bytes.attention.gathered : 4 * B * (L + 1) * 2 * layer.config.kvHeads * layer.config.headDim,
            footprintBytes: footprint(layer.config, variant, length: L, batch: B, ledger: counted)))
      }
    }
    return Result(options: o, triadBytesPerSecond: triad, peakFlopsPerSecond: peak, readBytesPerSecond: read, points: points)
  }
}
