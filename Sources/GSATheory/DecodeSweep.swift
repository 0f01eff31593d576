import Dispatch
import Foundation
import GSAModel
import GSLKit

/// One measured point of a decode sweep: B sequences holding L tokens each, one step.
public struct DecodePoint: Sendable {
  public let variant: Variant
  public let length: Int
  public let batch: Int
  /// What the kernels counted in the step (FLOPs and bytes, by bucket).
  public let counted: FlopLedger
  /// `CostModel.decodeLedger` for the same step (with the measured k_t).
  public let predicted: FlopLedger
  /// k_t of each sequence's new token (L + 1 for dense variants).
  public let kPerSequence: [Int]
  /// Wall time of each timed step, seconds (each at length L: the cache is truncated back).
  public let seconds: [Double]
  /// Bytes the cache's tensors hold at L (`KVCache.heldBytes`).
  public let cacheBytes: Int
  /// Bytes the cache allocated, scratch included (`KVCache.bytes`).
  public let allocatedBytes: Int
  /// Wall seconds per bucket of each timed step (`DecodeResult.seconds`), in the order of `seconds`.
  public var bucketSeconds: [BucketSeconds] = []

  public var medianSeconds: Double { median(seconds) }
  /// Each bucket's median over the timed steps.
  public var medianBucketSeconds: BucketSeconds { BucketSeconds.median(bucketSeconds) }
  public var bestBucketSeconds: BucketSeconds { BucketSeconds.minimum(bucketSeconds) }
  public var bestSeconds: Double { seconds.min() ?? .nan }
  /// Counted compulsory bytes (read + written) per second at the median time.
  public var bytesPerSecond: Double { Double(counted.bytesTotal.compulsory) / medianSeconds }
}

/// Decode sweeps: per length and variant a cache of B sequences filled to L tokens, one warm-up
/// step, then `repeats` timed steps at length L.
public enum DecodeSweep {
  /// Tokens per chunk of the cache fill (the generated inputs of a chunk: B·chunk·D floats).
  public static let fillChunk = 2048

  /// Bytes a decode point needs: the cache (room for L + 1 tokens, scratch included), the weights,
  /// a fill chunk's inputs and projections (B·chunk·(D + 2·n_kv + H_I·d_I + d_I + H_I) floats) and
  /// the fill's score buffers (2 workers × 12 × ⌈L⌉₁₆ floats).
  public static func predictedBytes(_ config: LayerConfig, _ variant: Variant, length L: Int, batch B: Int) -> Double {
    let c = config
    let weights = LayerWeights.shapes(for: c).values.reduce(0) { $0 + $1.rows * $1.cols }
    let chunk = min(fillChunk, L)
    let perRow = c.modelDim + 2 * c.kvHeads * c.headDim + c.indexerHeads * c.indexerDim + c.indexerDim + c.indexerHeads
    let scores = variant.isSparse ? kernelWorkerCount * 12 * (L + 32) : 0
    return Double(KVCache.bytes(config: c, variant: variant, batch: B, capacity: L + 1))
      + 4 * Double(weights + B * chunk * perRow + scores)
  }

  /// Seed of sequence b's input at sweep length L (`Sweep.inputSeed` of (seed, L), then b).
  public static func sequenceSeed(_ seed: UInt64, length: Int, sequence b: Int) -> UInt64 {
    Sweep.inputSeed(Sweep.inputSeed(seed, length: length), length: b)
  }

  /// Fills a cache with L seeded standard-normal tokens per sequence, in chunks (the inputs are
  /// never held whole); the sequences' generators run in parallel, one GSL generator each.
  public static func fill(_ layer: AttentionLayer, _ cache: KVCache, length L: Int, seed: UInt64) throws(ConfigError) {
    let B = cache.batch, D = layer.config.modelDim
    let generators = (0..<B).map { GSLRandom(seed: sequenceSeed(seed, length: L, sequence: $0)) }
    let box = UncheckedSendable(generators)
    var done = 0
    while done < L {
      let rows = min(fillChunk, L - done)
      let buffers = UnsafeMutablePointer<[Float]>.allocate(capacity: B)
      buffers.initialize(repeating: [], count: B)
      let shared = UncheckedSendable(buffers)
      DispatchQueue.concurrentPerform(iterations: B) { b in
        let rng = box.value[b]
        shared.value[b] = (0..<(rows * D)).map { _ in Float(rng.gaussian()) }
      }
      let matrices = (0..<B).map { try! Matrix(rows: rows, cols: D, storage: buffers[$0]) }  // counts match by construction
      buffers.deinitialize(count: B)
      buffers.deallocate()
      try layer.append(matrices, to: cache)
      done += rows
    }
  }

  /// Runs every (length, variant) point of `plan` at batch `batch`. `progress(done, total, label)`.
  public static func run(
    _ plan: SweepPlan, batch B: Int, progress: (Int, Int, String) -> Void = { _, _, _ in }
  ) throws(ConfigError) -> [DecodePoint] {
    var points = [DecodePoint]()
    let total = plan.lengths.count * plan.variants.count
    for L in plan.lengths {
      for variant in plan.variants {
        progress(points.count, total, "\(variant.rawValue) L=\(L) B=\(B): filling the cache")
        let config = plan.config(for: variant)
        let layer = try AttentionLayer(config: config, variant: variant, seed: plan.seed)
        let cache = try layer.makeCache(batch: B, capacity: L + 1)
        try fill(layer, cache, length: L, seed: plan.seed)
        let tokens = Sweep.input(length: B, modelDim: config.modelDim, seed: sequenceSeed(plan.seed, length: L, sequence: -1))
        progress(points.count, total, "\(variant.rawValue) L=\(L) B=\(B): decoding")
        let warm = try layer.decodeStep(tokens, cache: cache)
        var seconds = [Double]()
        var buckets = [BucketSeconds]()
        for _ in 0..<max(1, plan.repeats) {
          cache.truncate(to: L)
          let start = DispatchTime.now().uptimeNanoseconds
          let result = try layer.decodeStep(tokens, cache: cache)
          seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
          buckets.append(result.seconds)
        }
        var point =
          DecodePoint(
            variant: variant, length: L, batch: B, counted: warm.ledger,
            predicted: CostModel(config: config, variant: variant).decodeLedger(
              length: L, batch: B, kPerSequence: warm.kPerSequence),
            kPerSequence: warm.kPerSequence, seconds: seconds,
            cacheBytes: KVCache.heldBytes(config: config, variant: variant, batch: B, length: L),
            allocatedBytes: KVCache.bytes(config: config, variant: variant, batch: B, capacity: L + 1))
        point.bucketSeconds = buckets
        points.append(point)
      }
    }
    progress(total, total, "done")
    return points
  }
}

/// Step time against L for one variant: the log-log exponent and the straight line
/// seconds ≈ a + b·L (b: seconds per cached token).
public struct DecodeFit: Sendable {
  public let variant: Variant
  public let powerLaw: PowerLawFit?
  /// (a, b) and their standard errors; nil with fewer than 3 points.
  public let intercept: Double?
  public let slope: Double?
  public let slopeStandardError: Double?

  public init(variant: Variant, points: [DecodePoint]) {
    self.variant = variant
    let series = points.filter { $0.variant == variant }.sorted { $0.length < $1.length }
    let x = series.map { Double($0.length) }, y = series.map(\.medianSeconds)
    powerLaw = series.count >= 3 ? try? PowerLawFit.fit(x: x, y: y) : nil
    let line = series.count >= 3 ? try? LinearLeastSquares.line(x: x, y: y) : nil
    intercept = line?.coefficients[0]
    slope = line?.coefficients[1]
    slopeStandardError = line?.standardErrors[1]
  }
}

/// A value moved across threads whose accesses the caller keeps disjoint.
struct UncheckedSendable<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
