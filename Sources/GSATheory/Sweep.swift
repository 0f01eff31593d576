import Dispatch
import Foundation
import GSAModel
import GSLKit

/// What a sweep runs: one configuration, several variants and lengths, timed repeats.
public struct SweepPlan: Sendable, Hashable {
  public var config: LayerConfig
  public var variants: [Variant]
  public var lengths: [Int]
  /// Timed forward passes per point (the median is reported); one untimed warm-up precedes them.
  public var repeats: Int
  /// Root seed: weights use `seed`, the input of length L uses a seed derived from (seed, L).
  public var seed: UInt64

  public init(config: LayerConfig, variants: [Variant], lengths: [Int], repeats: Int, seed: UInt64) {
    self.config = config
    self.variants = variants
    self.lengths = lengths
    self.repeats = repeats
    self.seed = seed
  }

  /// The configuration a variant runs with (`LayerConfig.configured(for:)`: the paper's baselines).
  public func config(for variant: Variant) -> LayerConfig { config.configured(for: variant) }
}

/// One measured point of a sweep.
public struct SweepPoint: Sendable {
  public let variant: Variant
  public let length: Int
  /// What the kernels counted (useful and executed, by bucket).
  public let counted: FlopLedger
  /// What the closed-form `CostModel` predicts for the same point (with the measured k_t).
  public let predicted: FlopLedger?
  /// Σ_t k_t (for dense variants: Σ_t (t + 1), the causal candidates).
  public let totalSelected: Int
  /// Wall time of each timed forward pass, seconds.
  public let seconds: [Double]
  /// Peak resident memory during the point's passes (VmHWM after a reset), bytes; nil off Linux.
  public let peakResidentBytes: Int?
  /// The prediction of the layer's own allocations for this point (what the CLI's `MemoryGuard` checks up front).
  public let predictedBytes: Double
  /// Wall seconds per bucket of each timed pass (`ForwardResult.seconds`), in the order of `seconds`.
  public var bucketSeconds: [BucketSeconds] = []

  public var medianSeconds: Double { median(seconds) }
  /// Each bucket's median over the timed passes.
  public var medianBucketSeconds: BucketSeconds { BucketSeconds.median(bucketSeconds) }
  /// Each bucket's fastest repeat (the fastest total is `bestSeconds`).
  public var bestBucketSeconds: BucketSeconds { BucketSeconds.minimum(bucketSeconds) }
  /// Executed FLOPs (multiply/add; transcendentals and comparisons apart) per second, median time.
  public var executedFlopsPerSecond: Double { Double(counted.executedTotal.flops) / medianSeconds }
}

/// Runs the real kernels over a plan and analyses the results.
public enum Sweep {
  /// Bytes a sweep point needs at length L: the forward pass's own peak allocations
  /// (`CostModel.peakMemoryBytes`, sized for k_max keys per query under adaptive rules) plus the
  /// float32 input h (L × D) and every weight tensor of `LayerWeights`.
  public static func predictedBytes(_ config: LayerConfig, _ variant: Variant, length: Int, threads: Int) -> Double {
    let forward = CostModel(config: config, variant: variant).peakMemoryBytes(length: length, workers: max(1, threads))
    let weights = LayerWeights.shapes(for: config).values.reduce(0) { $0 + $1.rows * $1.cols }
    return Double(forward) + 4 * Double(length * config.modelDim + weights)
  }

  /// The exact bucketed prediction of the forward pass's ledger.
  public static func predictedLedger(_ config: LayerConfig, _ variant: Variant, length: Int, kPerQuery: [Int]) -> FlopLedger? {
    CostModel(config: config, variant: variant).ledger(length: length, kPerQuery: variant.isSparse ? kPerQuery : nil)
  }

  /// The seeded input h (L × D), standard normal entries from GSL's mt19937.
  public static func input(length: Int, modelDim: Int, seed: UInt64) -> Matrix {
    let random = GSLRandom(seed: seed)
    var storage = [Float](repeating: 0, count: length * modelDim)
    for i in storage.indices { storage[i] = Float(random.gaussian()) }
    return try! Matrix(rows: length, cols: modelDim, storage: storage)  // count matches by construction
  }

  /// Seed of the input of length L: a SplitMix64 step of (seed, L), so every length has its own stream.
  public static func inputSeed(_ seed: UInt64, length: Int) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(length + 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Runs every (length, variant) point: builds the layer and input, one warm-up pass, then
  /// `repeats` timed passes. `progress(done, total, label)` is called before each point and at the end.
  /// With a `shard`, only its points: point p of the order (lengths outer, variants inner) runs in
  /// shard p mod N; weights and inputs depend on the plan's seed and L only, as in the whole run.
  public static func run(
    _ plan: SweepPlan, shard: Shard? = nil, progress: (Int, Int, String) -> Void = { _, _, _ in }
  ) throws(ConfigError) -> [SweepPoint] {
    var points = [SweepPoint]()
    let positions = plan.lengths.indices.flatMap { l in plan.variants.indices.map { l * plan.variants.count + $0 } }
    let total = positions.filter { shard?.contains($0) ?? true }.count
    let threads = ProcessInfo.processInfo.activeProcessorCount
    for (lengthIndex, length) in plan.lengths.enumerated() {
      let mine = plan.variants.indices.filter { shard?.contains(lengthIndex * plan.variants.count + $0) ?? true }
      guard !mine.isEmpty else { continue }
      let x = input(length: length, modelDim: plan.config.modelDim, seed: inputSeed(plan.seed, length: length))
      for variant in mine.map({ plan.variants[$0] }) {
        progress(points.count, total, "\(variant.rawValue) L=\(length)")
        let layer = try AttentionLayer(config: plan.config(for: variant), variant: variant, seed: plan.seed)
        ProcessMemory.resetPeak()
        let warm = try layer.forward(x)
        var seconds = [Double]()
        var buckets = [BucketSeconds]()
        for _ in 0..<max(1, plan.repeats) {
          let start = DispatchTime.now().uptimeNanoseconds
          let result = try layer.forward(x)
          seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
          buckets.append(result.seconds)
        }
        var point =
          SweepPoint(
            variant: variant, length: length, counted: warm.ledger,
            predicted: predictedLedger(layer.config, variant, length: length, kPerQuery: warm.kPerQuery),
            totalSelected: warm.totalSelected, seconds: seconds,
            peakResidentBytes: ProcessMemory.peakResidentBytes(),
            predictedBytes: predictedBytes(layer.config, variant, length: length, threads: threads))
        point.bucketSeconds = buckets
        points.append(point)
      }
    }
    progress(total, total, "done")
    return points
  }
}

/// Fits of one series (a variant's bucket FLOPs, total FLOPs or time) against L.
public struct SeriesFits: Sendable {
  /// (a) log-log exponent; nil with fewer than 3 positive points.
  public let powerLaw: PowerLawFit?
  /// (b) α·L² + β·K + γ·L; nil with fewer than 4 non-zero points.
  public let costLaw: CostLawFit?

  /// Fits y(L) with K = Σ_t k_t per point.
  public init(lengths: [Int], selected: [Int], values: [Double]) {
    let positive = zip(lengths, values).filter { $0.1 > 0 }
    powerLaw = positive.count >= 3 ? try? PowerLawFit.fit(x: positive.map { Double($0.0) }, y: positive.map(\.1)) : nil
    let points = (0..<lengths.count).filter { values[$0] != 0 }.map {
      CostLawFit.Point(length: Double(lengths[$0]), selectedPairs: Double(selected[$0]), value: values[$0])
    }
    costLaw = points.count >= 4 ? try? CostLawFit.fit(points) : nil
  }
}

/// The fits and break-even analysis of a sweep.
public struct SweepAnalysis: Sendable {
  public struct VariantFits: Sendable {
    public let variant: Variant
    /// Per bucket, on counted useful FLOPs (multiply/add FLOPs + transcendentals + comparisons).
    public let buckets: [FlopBucket: SeriesFits]
    /// All buckets together, counted useful operations.
    public let totalCounted: SeriesFits
    /// Median wall time.
    public let time: SeriesFits
  }

  public struct BreakEvenComparison: Sendable {
    public let variant: Variant
    /// Crossing of the fitted time curves of the variant and dense; nil when they do not cross in [16, 2^24].
    public let measuredFromTime: Double?
    /// Crossing of the fitted counted-operation curves.
    public let measuredFromCounts: Double?
    /// The paper-level causal prediction 4·k·D/(2D − d_I·H_I) (attention core only).
    public let predictedCore: Double
    /// The whole-layer prediction of `PaperCostModel` (where its layer totals cross).
    public let predictedLayer: Double?
  }

  public let fits: [VariantFits]
  public let breakEven: [BreakEvenComparison]

  /// Operations counted in a bucket: FLOPs + transcendentals + comparisons (each counted as one).
  public static func operations(_ counts: FlopCounts) -> Double {
    Double(counts.flops + counts.transcendentals + counts.comparisons)
  }

  public init(points: [SweepPoint], config: LayerConfig) {
    let variants = Variant.allCases.filter { v in points.contains { $0.variant == v } }
    var fits = [VariantFits]()
    for variant in variants {
      let series = points.filter { $0.variant == variant }.sorted { $0.length < $1.length }
      let lengths = series.map(\.length)
      // Dense variants have no selected-pair term (their Σ_t (t + 1) is the α·L² term itself).
      let selected = series.map { variant.isSparse ? $0.totalSelected : 0 }
      var buckets = [FlopBucket: SeriesFits]()
      for bucket in FlopBucket.allCases {
        buckets[bucket] = SeriesFits(
          lengths: lengths, selected: selected, values: series.map { Self.operations($0.counted.useful[bucket]) })
      }
      fits.append(
        VariantFits(
          variant: variant, buckets: buckets,
          totalCounted: SeriesFits(lengths: lengths, selected: selected, values: series.map { Self.operations($0.counted.usefulTotal) }),
          time: SeriesFits(lengths: lengths, selected: selected, values: series.map(\.medianSeconds))))
    }
    self.fits = fits
    var comparisons = [BreakEvenComparison]()
    if let dense = fits.first(where: { $0.variant == .dense }) {
      for sparse in fits where sparse.variant.isSparse {
        // Mean budget per query at the longest length: K(L) ≈ k̄·L for the crossing search.
        let longest = points.filter { $0.variant == sparse.variant }.max { $0.length < $1.length }
        let kMean = longest.map { Double($0.totalSelected) / Double($0.length) } ?? Double(config.kBase)
        func crossing(_ a: SeriesFits, _ b: SeriesFits) -> Double? {
          guard let s = a.costLaw, let d = b.costLaw else { return nil }
          return BreakEven.length(
            where: { s(length: $0, selectedPairs: min(kMean, $0) * $0) },
            beats: { d(length: $0, selectedPairs: 0) })
        }
        let model = PaperCostModel(config: config, length: 1, k: kMean)
        let layerCrossing = BreakEven.length(
          where: { PaperCostModel(config: config, length: Int($0), k: kMean).layer(sparse.variant, .causal).total },
          beats: { PaperCostModel(config: config, length: Int($0), k: kMean).layer(.dense, .causal).total })
        comparisons.append(
          BreakEvenComparison(
            variant: sparse.variant, measuredFromTime: crossing(sparse.time, dense.time),
            measuredFromCounts: crossing(sparse.totalCounted, dense.totalCounted), predictedCore: model.breakEven(.causal),
            predictedLayer: layerCrossing))
      }
    }
    breakEven = comparisons
  }
}
