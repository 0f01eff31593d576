import Foundation
import GSAModel

/// The time model's validation for gsa-bench (docs/performance.md, "Time model"): a machine
/// profile measured in the same run, then the layers' measured seconds per bucket against
/// `TimeModel`'s prediction from that profile, for every variant in prefill and decode, and the
/// GSA/dense speedup of the benchmark's speedup series. The profile is measured before any layer
/// runs and nothing measured afterwards feeds back into it (docs/time-model.md, "The rule").
public enum TimeModelValidation {
  /// The target: predicted within ±20% of measured, per point and per bucket taking ≥ 10% of it.
  public static let tolerance = 0.20
  public static let bucketShare = 0.10

  public struct Options: Sendable {
    public var config = LayerConfig.paperShape
    public var prefillLengths = [2048, 8192, 32768]
    public var decodeLengths = [8192, 32768, 131_072]
    public var batch = 1
    public var repeats = 3
    public var profile = MachineProfile.MeasurementSettings.full()
    /// Lengths of the GPU model lines (paper configuration, bf16).
    public var gpuLengths = [8192, 16384, 32768, 65536, 131_072, 262_144]
    public var onChipFractions = [0.0, 0.9, 0.95, 0.99, 1.0]
    public var seed: UInt64 = 42
    public init() {}

    public static func quick() -> Options {
      var o = Options()
      o.prefillLengths = [2048, 8192]
      o.decodeLengths = [8192, 32768]
      o.repeats = 1
      o.profile = .quick()
      return o
    }

    public static func smoke() -> Options {
      var o = Options()
      o.config = .tiny
      o.prefillLengths = [64, 128]
      o.decodeLengths = [64, 128]
      o.repeats = 1
      o.profile = .smoke()
      o.gpuLengths = [8192, 131_072]
      return o
    }
  }

  /// One measured point against its prediction, twice: the median pass against the model at the
  /// profile's median rates (typical against typical: on a shared host both carry the contention
  /// of the run), and the best pass against the model at the profile's best rates (what
  /// `predict --machine FILE` gives from a saved profile).
  public struct Row: Sendable {
    public let series: String
    public let phase: TimeModel.Phase
    public let variant: Variant
    public let length: Int
    /// Median wall time of the pass or step, and each bucket's median.
    public let measuredSeconds: Double
    public let measured: BucketSeconds
    /// The prediction at the profile's median rates.
    public let predicted: TimeModel.Prediction
    /// The prediction at the median primitive rates only (`TimeModel.Rates.primitivesOnly`: every
    /// FLOP at the FMA peak, streams at the triad): the model without its kernel rates.
    public let primitive: TimeModel.Prediction
    /// Best wall time of the pass or step, and each bucket's best.
    public let bestSeconds: Double
    public let best: BucketSeconds
    /// The prediction at the profile's best rates.
    public let predictedFromBest: TimeModel.Prediction

    public init(
      series: String, phase: TimeModel.Phase, variant: Variant, length: Int, measuredSeconds: Double, measured: BucketSeconds,
      predicted: TimeModel.Prediction, primitive: TimeModel.Prediction, bestSeconds: Double, best: BucketSeconds,
      predictedFromBest: TimeModel.Prediction
    ) {
      self.series = series
      self.phase = phase
      self.variant = variant
      self.length = length
      self.measuredSeconds = measuredSeconds
      self.measured = measured
      self.predicted = predicted
      self.primitive = primitive
      self.bestSeconds = bestSeconds
      self.best = best
      self.predictedFromBest = predictedFromBest
    }

    /// measured / predicted − 1 of the whole point (medians).
    public var error: Double { measuredSeconds / predicted.total - 1 }
    /// best / predicted from the best rates − 1.
    public var bestError: Double { bestSeconds / predictedFromBest.total - 1 }
    /// The buckets that take at least `bucketShare` of the measured (median) time.
    public var majorBuckets: [FlopBucket] {
      FlopBucket.allCases.filter { measured[$0] >= bucketShare * measured.total && measured.total > 0 }
    }
    public func error(_ bucket: FlopBucket) -> Double { measured[bucket] / (predicted.buckets[bucket]?.seconds ?? .nan) - 1 }
    /// The major buckets outside the tolerance (medians), each with its largest term's implied cost.
    public var misses: [Miss] {
      majorBuckets.compactMap { bucket in
        guard abs(error(bucket)) > tolerance, let p = predicted.buckets[bucket], let (term, seconds) = p.largestTerm
        else { return nil }
        let others = p.seconds - seconds
        let implied = measured[bucket] - others
        return Miss(
          bucket: bucket, term: TimeModelValidation.termName(term, bucket: bucket, phase: phase, variant: variant),
          costRatio: implied > 0 ? implied / seconds : .nan)
      }
    }
    /// Medians against the median rates meet the target.
    public var withinTolerance: Bool { Self.within(measuredSeconds, measured, predicted, majorBuckets) }
    /// Bests against the best rates meet the target.
    public var bestWithinTolerance: Bool { Self.within(bestSeconds, best, predictedFromBest, majorBuckets) }
    /// Whether the primitive-rates prediction meets the target (medians).
    public var primitiveWithinTolerance: Bool { Self.within(measuredSeconds, measured, primitive, majorBuckets) }
    private static func within(
      _ seconds: Double, _ buckets: BucketSeconds, _ p: TimeModel.Prediction, _ major: [FlopBucket]
    ) -> Bool {
      abs(seconds / p.total - 1) <= tolerance
        && major.allSatisfy { abs(buckets[$0] / (p.buckets[$0]?.seconds ?? .nan) - 1) <= tolerance }
    }
  }

  /// What a missed bucket says about the rate behind it: the prediction's largest term (the rate
  /// that prices most of the bucket) and the cost the measured time implies for that term,
  /// against the probe's, holding the bucket's other terms as predicted:
  ///
  ///     costRatio = (measured_b − (predicted_b − term)) / term
  ///
  /// 1.3 says the layer ran that term's work 1.3× slower than its probe; below 1, faster. NaN when
  /// the other terms alone exceed the measured time.
  public struct Miss: Sendable, Hashable {
    public let bucket: FlopBucket
    /// The term's rate, by name ("R_gemm", "c_G(F)", "τ_c", ...).
    public let term: String
    public let costRatio: Double
  }

  /// The rate that prices most of a bucket, by name.
  public static func termName(
    _ term: TimeModel.BucketPrediction.Term, bucket: FlopBucket, phase: TimeModel.Phase, variant: Variant
  )
    -> String
  {
    switch term {
    case .kernel:
      switch (phase, bucket) {
      case (.prefill, .projections), (.prefill, .gates): return "R_gemm"
      case (.decode, .projections), (.decode, .gates), (.decode, .indexer): return "R_gemv"
      case (.prefill, .indexer): return "R_idx"
      case (_, .attention): return variant.isSparse ? "c_G(F)" : phase == .prefill ? "R_tile" : "c_D(F)"
      default: return "kernel rate"
      }
    case .flops: return "P"
    case .transcendentals: return bucket == .attention ? "R_exp" : bucket == .projections ? "R_rope" : "R_σ"
    case .topK: return "τ_c"
    case .stream: return phase == .decode ? "W_read" : "W"
    case .gather: return "r(F)"
    case .regions: return "r_region"
    }
  }

  /// The measured and predicted GSA/dense speedup of a pair of the benchmark's series: medians
  /// against the median rates, bests against the best rates.
  public struct Speedup: Sendable {
    public let name: String
    public let length: Int
    public let measured: Double
    public let predicted: Double
    /// At the median primitive rates only.
    public let primitive: Double
    public let measuredBest: Double
    public let predictedFromBest: Double
    public var error: Double { measured / predicted - 1 }
    public var bestError: Double { measuredBest / predictedFromBest - 1 }
  }

  /// The model's GSA/dense attention-core speedup on a GPU against L, per on-chip fraction.
  public struct GPULine: Sendable {
    public let machine: String
    public let onChipFraction: Double
    public let lengths: [Int]
    public let speedups: [Double]
  }

  public struct Result: Sendable {
    /// The profile's best rates (as `roofline --save` writes them) and its median rates.
    public let profile: MachineProfile
    public let medianProfile: MachineProfile
    public let rows: [Row]
    public let speedups: [Speedup]
    public let gpuLines: [GPULine]
    /// φ needed for 12× and 16× at 131072 per GPU (nil: unreachable).
    public let gpuRequirements: [(machine: String, low: Double?, high: Double?)]
  }

  /// Measures the profile, runs the prefill and decode sweeps, and predicts every point; the
  /// speedup pairs (name, dense series, gsa series) come from the benchmark's own series.
  public static func run(
    _ o: Options, speedupPairs: [(String, PerformanceBenchmark.Series, PerformanceBenchmark.Series)],
    progress: (String) -> Void = { _ in }
  ) throws -> Result {
    progress("time model: measuring the machine profile")
    let threads = ProcessInfo.processInfo.activeProcessorCount
    var settings = o.profile
    settings.threads = threads
    let profiles = try MachineProfile.measureBestAndMedian(
      settings, machine: .init(name: "this", model: cpuModel(), cores: threads), seed: o.seed)
    let model = TimeModel(profile: profiles.median)
    let bestModel = TimeModel(profile: profiles.best)
    let primitive = TimeModel(rates: model.rates.primitivesOnly)
    func row(
      _ series: String, _ phase: TimeModel.Phase, _ variant: Variant, _ length: Int,
      _ median: (seconds: Double, buckets: BucketSeconds), _ best: (seconds: Double, buckets: BucketSeconds),
      _ predict: (TimeModel) -> TimeModel.Prediction
    ) -> Row {
      Row(
        series: series, phase: phase, variant: variant, length: length, measuredSeconds: median.seconds,
        measured: median.buckets, predicted: predict(model), primitive: predict(primitive), bestSeconds: best.seconds,
        best: best.buckets, predictedFromBest: predict(bestModel))
    }
    var rows = [Row]()
    let variants = Variant.allCases
    let prefillPlan = SweepPlan(config: o.config, variants: variants, lengths: o.prefillLengths, repeats: o.repeats, seed: o.seed)
    let prefill = try Sweep.run(prefillPlan) { done, total, label in progress("time model, prefill: \(label) (\(done)/\(total))") }
    for p in prefill {
      rows.append(
        row("prefill", .prefill, p.variant, p.length, (p.medianSeconds, p.medianBucketSeconds), (p.bestSeconds, p.bestBucketSeconds)) {
          $0.predict(p, config: o.config)
        })
    }
    let decodePlan = SweepPlan(config: o.config, variants: variants, lengths: o.decodeLengths, repeats: max(3, o.repeats), seed: o.seed)
    let decode = try DecodeSweep.run(decodePlan, batch: o.batch) { done, total, label in
      progress("time model, decode: \(label) (\(done)/\(total))")
    }
    for p in decode {
      rows.append(
        row(
          "decode B=\(o.batch)", .decode, p.variant, p.length, (p.medianSeconds, p.medianBucketSeconds),
          (p.bestSeconds, p.bestBucketSeconds)
        ) {
          $0.predict(p, config: o.config)
        })
    }
    var speedups = [Speedup]()
    for (name, dense, gsa) in speedupPairs {
      for g in gsa.points {
        guard let d = dense.points.first(where: { $0.length == g.length }) else { continue }
        func ratio(_ m: TimeModel) -> Double { m.predict(d, config: dense.config).total / m.predict(g, config: gsa.config).total }
        speedups.append(
          Speedup(
            name: name, length: g.length, measured: d.medianSeconds / g.medianSeconds, predicted: ratio(model),
            primitive: ratio(primitive), measuredBest: d.bestSeconds / g.bestSeconds, predictedFromBest: ratio(bestModel)))
        rows.append(
          row(
            name + " (dense)", .prefill, .dense, d.length, (d.medianSeconds, d.medianBucketSeconds),
            (d.bestSeconds, d.bestBucketSeconds)
          ) { $0.predict(d, config: dense.config) })
        rows.append(
          row(
            name + " (gsa)", .prefill, .gsa, g.length, (g.medianSeconds, g.medianBucketSeconds),
            (g.bestSeconds, g.bestBucketSeconds)
          ) { $0.predict(g, config: gsa.config) })
      }
    }
    var lines = [GPULine]()
    var requirements = [(machine: String, low: Double?, high: Double?)]()
    var paper = LayerConfig.paper
    paper.kRule = .fixed
    for name in MachineProfile.specNames {
      guard let gpu = try? MachineProfile.spec(named: name) else { continue }
      let models = o.gpuLengths.compactMap { GPUSpeedupModel(profile: gpu, config: paper, length: $0) }
      for phi in o.onChipFractions {
        lines.append(
          GPULine(
            machine: name, onChipFraction: phi, lengths: o.gpuLengths, speedups: models.map { $0.speedup(onChipFraction: phi) }))
      }
      if let at128k = GPUSpeedupModel(profile: gpu, config: paper, length: 131_072) {
        requirements.append(
          (name, at128k.requiredOnChipFraction(speedup: 12), at128k.requiredOnChipFraction(speedup: 16)))
      }
    }
    return Result(
      profile: profiles.best, medianProfile: profiles.median, rows: rows, speedups: speedups, gpuLines: lines, gpuRequirements: requirements
    )
  }

  static func cpuModel() -> String {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    return cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
  }
}
