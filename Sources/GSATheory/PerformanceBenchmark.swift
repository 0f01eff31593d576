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
///   against the FLOP ratio of their ledgers (= CostModel); at H_kv = H = 8, and again (A′, B′) at
///   the paper's H/H_kv = 4, where the heads of a kv group share every gathered row.
/// - **Sparse core**: `KernelProbe.sparseCore` (the kernel alone on uniformly random causal
///   selections of k keys, all cores) for H_kv = 8 (series B's shape) and H_kv = 2 (the paper's
///   H/H_kv = 4): time exponent over the fit lengths, and its gather traffic against the measured
///   bandwidth. Also, as a cross-check, T_B − T_C, where C is B with the attention heads shrunk to
///   1 × 2 (same indexer, k and L; the top-k cost is data-independent).
/// Timings are repeated, the probes round-robin over the lengths (`roundRobin`: one repeat of
/// every length per round, then a short FMA probe of the host's speed); the verdicts use the best
/// repeat (the roofline is a best repeat too), the tables show best and median.
public enum PerformanceBenchmark {
  public struct Options: Sendable {
    public var fitLengths = [2048, 4096, 8192, 16384, 32768]
    public var denseLengths = [8192, 32768]
    public var speedupLength = 32768
    public var k = 256
    public var indexerHeads = 2
    public var indexerDim = 16
    public var repeats = 3
    /// kv-head counts of the sparse-core probe (H 8 × d_h 64).
    public var sparseKvHeads = [8, 2]
    /// kv heads of the second speedup pair (A′ dense, B′ gsa, at the speedup length only): 2 is the
    /// paper's H/H_kv = 4 for H 8; nil skips the pair.
    public var groupedKvHeads: Int? = 2
    /// Longer lengths for the sparse-core probe at H_kv 8 (one repeat each), where its K/V rows
    /// (L·H_kv·d_h·8 B: 128 MiB at 32768) are far larger than the L3 cache: the asymptotic exponent.
    public var sparseAsymptoticLengths = [32768, 65536, 131072]
    /// Rows each worker reads per repeat of the random-gather probe (`KernelProbe.gatherBandwidth`,
    /// run over one kv group's K and V rows at every fit length): 2·10⁶ rows of 256 B = 512 MB.
    public var gatherRowsPerWorker = 2_000_000
    /// Roofline measurement size (see `Roofline.measure`).
    public var rooflineRepeats = 5
    public var rooflineFmaPerThread = 320_000_000
    public var rooflineTriadElements = 1 << 25
    /// FMAs per thread of the short peak probe run after every round-robin round (`HostSpeedSample`):
    /// 4·10⁷ ≈ 6 ms on this machine.
    public var hostProbeFmaPerThread = 40_000_000
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

  /// A short all-core FMA peak probe run right after one round of a round-robin probe: the host's
  /// speed at that moment. A VM's host can run slower for minutes (other tenants, frequency), which
  /// slows every repeat in that window alike, so the repeats' spread cannot show it; a probe
  /// between rounds can.
  public struct HostSpeedSample: Sendable, Equatable {
    /// The round-robin probe (`roundRobin`'s label) and its 1-based round.
    public let label: String
    public let round: Int
    public let flopsPerSecond: Double
  }

  public struct SparseProbe: Sendable {
    public let kvHeads: Int
    /// Sparse core alone per length.
    public let timings: [Int: KernelProbe.Timing]

    /// Gathered bytes (`TrafficModel.gatherBytes`, k keys per query) over the best time at `length`;
    /// nil when that length was not timed.
    public func effectiveGatherBytesPerSecond(length: Int, k: Int) -> Double? {
      timings[length].map {
        TrafficModel.gatherBytes(length: length, k: k, kvHeads: kvHeads, headDim: probeHeadDim) / $0.bestSeconds
      }
    }
  }

  public struct Result: Sendable {
    public let options: Options
    public let roofline: Roofline.Measurement
    /// Dense core alone, per length.
    public let denseCore: [Int: KernelProbe.Timing]
    /// Paper-shape indexer, then the paper's indexer.
    public let indexers: [IndexerProbe]
    /// Sparse core alone, per kv-head count of `Options.sparseKvHeads`.
    public let sparseCores: [SparseProbe]
    /// Sparse core alone at H_kv 8 over `Options.sparseAsymptoticLengths`.
    public let sparseAsymptotic: [Int: KernelProbe.Timing]
    /// Uniform random row gathers over one kv group's K and V rows (2·L rows of d_h floats) at
    /// every fit length L: gathered bytes per second of each repeat, all workers.
    public let gatherBandwidth: [Int: [Double]]
    /// Whole dense layer, D 16, at the speedup length (series A).
    public let denseLayer: Series
    public let gsa: Series
    public let indexerStage: Series
    /// Series A and B with H_kv = `Options.groupedKvHeads`, at the speedup length (nil when skipped).
    public let groupedDenseLayer: Series?
    public let groupedGsa: Series?
    /// The host-speed probe after every round of the dense-core, indexer and sparse-core probes.
    public let hostSpeed: [HostSpeedSample]
    public let loadAverageBefore: String
    public let loadAverageAfter: String
  }

  /// The fixed-k GSA configuration of series B (or C with `tinyCore`).
  /// `kvHeads` (default H) applies to B only.
  public static func gsaConfig(_ o: Options, tinyCore: Bool, kvHeads: Int = probeHeads) -> LayerConfig {
    LayerConfig(
      modelDim: 16, heads: tinyCore ? 1 : probeHeads, kvHeads: tinyCore ? 1 : kvHeads, headDim: tinyCore ? 2 : probeHeadDim,
      indexerHeads: o.indexerHeads, indexerDim: o.indexerDim, kBase: o.k, kMin: o.k, kMax: o.k, kRule: .fixed)
  }

  /// The attention shape of every probe and layer: H heads of dimension d_h (the dense core and
  /// layers over H_kv = H, the sparse core over each of `sparseKvHeads`).
  public static let probeHeads = 8, probeHeadDim = 64

  public static func denseConfig(_ o: Options, kvHeads: Int = probeHeads) -> LayerConfig {
    LayerConfig(
      modelDim: 16, heads: probeHeads, kvHeads: kvHeads, headDim: probeHeadDim, indexerHeads: 1, indexerDim: 1, kBase: 1,
      kMin: 1, kMax: 1)
  }

  /// One timed layer series: `variant` under `config` at `lengths`, `o.repeats` repeats.
  static func series(
    _ name: String, _ config: LayerConfig, _ variant: Variant, _ lengths: [Int], _ o: Options, progress: (String) -> Void
  ) throws(ConfigError) -> Series {
    // `configured(for:)` only flips gates and activation; sizes stay as given.
    let plan = SweepPlan(config: config, variants: [variant], lengths: lengths, repeats: o.repeats, seed: o.seed)
    let points = try Sweep.run(plan) { done, total, label in progress("\(name): \(label) (\(done)/\(total))") }
    return Series(name: name, config: plan.config(for: variant), variant: variant, points: points)
  }

  /// The speedup series alone, at the speedup length: A (dense) and B (gsa) at H_kv 8, and A′/B′
  /// at `groupedKvHeads` when set, as `run` times them (for gsa-bench `--only time-model`).
  public static func speedupSeries(
    _ o: Options, progress: (String) -> Void = { _ in }
  ) throws(ConfigError) -> [(String, Series, Series)] {
    let L = [o.speedupLength]
    let dense = try series("A dense layer", denseConfig(o), .dense, L, o, progress: progress)
    let gsa = try series("B gsa layer", gsaConfig(o, tinyCore: false), .gsa, L, o, progress: progress)
    var pairs = [("A/B, H_kv \(dense.config.kvHeads)", dense, gsa)]
    if let kvHeads = o.groupedKvHeads {
      let d = try series("A′ dense layer, H_kv \(kvHeads)", denseConfig(o, kvHeads: kvHeads), .dense, L, o, progress: progress)
      let g = try series("B′ gsa layer, H_kv \(kvHeads)", gsaConfig(o, tinyCore: false, kvHeads: kvHeads), .gsa, L, o, progress: progress)
      pairs.append(("A′/B′, H_kv \(kvHeads)", d, g))
    }
    return pairs
  }

  public static func run(_ o: Options, progress: (String) -> Void = { _ in }) throws(ConfigError) -> Result {
    let before = loadAverage()
    progress("roofline")
    let roofline = Roofline.measure(
      repeats: o.rooflineRepeats, fmaPerThread: o.rooflineFmaPerThread, triadElements: o.rooflineTriadElements)
    let lengths = Array(Set(o.fitLengths + o.denseLengths + [o.speedupLength])).sorted()
    let rounds = o.repeats + 1
    var hostSpeed = [HostSpeedSample]()
    let hostProbe = { Roofline.peakFlops(threads: roofline.threads, fmaPerThread: o.hostProbeFmaPerThread) }
    func roundRobin(
      label: String, _ probe: (Int) -> KernelProbe.Timing
    ) -> [Int: KernelProbe.Timing] {
      Self.roundRobin(
        rounds: rounds, lengths: lengths, progress: progress, label: label, hostProbe: hostProbe, hostSpeed: &hostSpeed, probe)
    }
    let denseCore = roundRobin(label: "dense core") { l in
      KernelProbe.denseCore(length: l, heads: probeHeads, kvHeads: probeHeads, headDim: probeHeadDim, seed: o.seed, repeats: 1)
    }
    var indexers = [IndexerProbe]()
    for (heads, dim) in [(o.indexerHeads, o.indexerDim), (4, 64)] {
      var config = gsaConfig(o, tinyCore: true).configured(for: .gsa)
      config.indexerHeads = heads
      config.indexerDim = dim
      let scores = roundRobin(label: "indexer \(heads)×\(dim)") { l in
        KernelProbe.indexer(length: l, config: config, select: false, seed: o.seed, repeats: 1)
      }
      let selected = roundRobin(label: "indexer+top-k \(heads)×\(dim)") { l in
        KernelProbe.indexer(length: l, config: config, select: true, seed: o.seed, repeats: 1)
      }
      indexers.append(IndexerProbe(indexerHeads: heads, indexerDim: dim, scores: scores, withSelection: selected))
    }
    var sparseCores = [SparseProbe]()
    for kvHeads in o.sparseKvHeads {
      let timings = roundRobin(label: "sparse core H_kv \(kvHeads)") { l in
        KernelProbe.sparseCore(length: l, heads: probeHeads, kvHeads: kvHeads, headDim: probeHeadDim, k: o.k, seed: o.seed, repeats: 1)
      }
      sparseCores.append(SparseProbe(kvHeads: kvHeads, timings: timings))
    }
    var sparseAsymptotic = [Int: KernelProbe.Timing]()
    for l in o.sparseAsymptoticLengths {
      progress("sparse core H_kv 8 L=\(l) (asymptotic)")
      sparseAsymptotic[l] = KernelProbe.sparseCore(
        length: l, heads: probeHeads, kvHeads: probeHeads, headDim: probeHeadDim, k: o.k, seed: o.seed, repeats: 1)
    }
    var gatherBandwidth = [Int: [Double]]()
    for l in o.fitLengths {
      progress("random gathers over 2·\(l) rows")
      gatherBandwidth[l] = KernelProbe.gatherBandwidth(
        rows: 2 * l, rowFloats: probeHeadDim, gathersPerWorker: o.gatherRowsPerWorker, repeats: max(3, o.repeats), seed: o.seed)
    }
    func series(_ name: String, _ config: LayerConfig, _ variant: Variant, _ lengths: [Int]) throws(ConfigError) -> Series {
      try Self.series(name, config, variant, lengths, o, progress: progress)
    }
    let seriesLengths = Array(Set(o.fitLengths + [o.speedupLength])).sorted()
    let denseLayer = try series("A dense layer", denseConfig(o), .dense, [o.speedupLength])
    let gsa = try series("B gsa layer", gsaConfig(o, tinyCore: false), .gsa, seriesLengths)
    let stage = try series("C gsa layer, 1×2 heads", gsaConfig(o, tinyCore: true), .gsa, seriesLengths)
    var groupedDense: Series?, groupedGsa: Series?
    if let kvHeads = o.groupedKvHeads {
      groupedDense = try series("A′ dense layer, H_kv \(kvHeads)", denseConfig(o, kvHeads: kvHeads), .dense, [o.speedupLength])
      groupedGsa = try series(
        "B′ gsa layer, H_kv \(kvHeads)", gsaConfig(o, tinyCore: false, kvHeads: kvHeads), .gsa, [o.speedupLength])
    }
    return Result(
      options: o, roofline: roofline, denseCore: denseCore, indexers: indexers, sparseCores: sparseCores,
      sparseAsymptotic: sparseAsymptotic, gatherBandwidth: gatherBandwidth, denseLayer: denseLayer, gsa: gsa,
      indexerStage: stage, groupedDenseLayer: groupedDense, groupedGsa: groupedGsa, hostSpeed: hostSpeed, loadAverageBefore: before,
      loadAverageAfter: loadAverage())
  }

  /// `probe(L)` (one timed repeat) for every length, `rounds` times over, round-robin: a burst of
  /// contention on the shared host then lands in one repeat of several lengths instead of every
  /// repeat of one length, which a best-of-repeats time cannot recover from and which bends a
  /// fitted exponent. Each length's repeats are merged in order. After every round `hostProbe`
  /// (FLOP/s) is appended to `hostSpeed`, labelled with `label` and the round.
  static func roundRobin(
    rounds: Int, lengths: [Int], progress: (String) -> Void, label: String, hostProbe: () -> Double = { .nan },
    hostSpeed: inout [HostSpeedSample], _ probe: (Int) -> KernelProbe.Timing
  ) -> [Int: KernelProbe.Timing] {
    var timings = [Int: KernelProbe.Timing]()
    for round in 0..<max(1, rounds) {
      for l in lengths {
        progress("\(label) L=\(l), repeat \(round + 1)/\(max(1, rounds))")
        let t = probe(l)
        timings[l] = timings[l].map { $0.appending(t) } ?? t
      }
      hostSpeed.append(HostSpeedSample(label: label, round: round + 1, flopsPerSecond: hostProbe()))
    }
    return timings
  }

  /// /proc/loadavg's first three fields (the machine is shared; contention shows here).
  public static func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
  }
}

extension PerformanceBenchmark {
  /// Roofline lower bounds on time (seconds) at a measured peak FLOP/s and bandwidth: a
  /// compute-bound kernel needs F/peak, a gather-bound one B/bandwidth, a kernel both max of the two.
  public struct RooflineBound: Sendable {
    public let peakFlopsPerSecond: Double
    public let bytesPerSecond: Double
    public init(_ m: Roofline.Measurement) {
      self.init(peakFlopsPerSecond: m.peakFlopsPerSecond, bytesPerSecond: m.peakBytesPerSecond)
    }
    public init(peakFlopsPerSecond: Double, bytesPerSecond: Double) {
      self.peakFlopsPerSecond = peakFlopsPerSecond
      self.bytesPerSecond = bytesPerSecond
    }
    public func seconds(flops: Double, bytes: Double = 0) -> Double {
      max(flops / peakFlopsPerSecond, bytes / bytesPerSecond)
    }
  }
}

extension PerformanceBenchmark {
  /// GSA over dense at one length, whole layers: the measured speedup (best times) against the
  /// FLOP prediction (useful FLOPs: the ledger, equal to `CostModel`), the same with exps, sigmoids
  /// and comparisons counted as one operation each, and the roofline bound. The bound puts every
  /// kernel at peak FLOP/s or at the triad bandwidth on its compulsory DRAM traffic, whichever is
  /// slower (dense: its FLOPs; gsa: the indexer and projection FLOPs plus the sparse core's FLOPs
  /// or K and V read once), with top-k, sigmoids and exps free: a lower bound on each time, so
  /// their ratio bounds the speedup any kernels could reach on this machine.
  ///
  /// The part limit is a tighter bound for kernels that, like this one, read each selected key's K
  /// and V rows once per query (no reuse across queries beyond what the caches give): gsa's time
  /// is at least its FLOPs outside the attention core at peak plus the core's FLOPs at peak or
  /// its gathered bytes (`TrafficModel.gatherBytes`) at the fastest random-gather rate measured on
  /// this machine for any footprint, whichever is slower; top-k, sigmoids and exps free. Dense
  /// stays at its measured time (a faster dense kernel only lowers the speedup), so
  /// `partLimitBound` is the most speedup the parts of gsa leave room for against this dense
  /// kernel.
  public struct SpeedupSummary: Sendable {
    public let length: Int
    public let measured: Double
    public let flopPredicted: Double
    public let operationPredicted: Double
    public let denseBoundSeconds: Double
    public let gsaBoundSeconds: Double
    /// Measured dense time (best).
    public let denseSeconds: Double
    /// The terms of gsa's part limit (nil without a gather rate).
    public let partLimit: PartLimit?
    /// gsa's time with every part at its limit on this machine (nil without a gather rate).
    public var gsaPartLimitSeconds: Double? { partLimit?.seconds }
    public var rooflineBound: Double { denseBoundSeconds / gsaBoundSeconds }
    /// measured / FLOP-predicted − 1.
    public var deviation: Double { measured / flopPredicted - 1 }
    /// Dense time over gsa's part-limit time.
    public var partLimitBound: Double? { gsaPartLimitSeconds.map { denseSeconds / $0 } }
    /// The gsa time at the lower edge of the target band: dense time / ((1 − tolerance) · FLOP-predicted).
    public var bandEdgeSeconds: Double { denseSeconds / ((1 - speedupTolerance) * flopPredicted) }
  }

  /// The terms of the part limit: seconds = outsideCoreFlopSeconds + max(coreFlopSeconds,
  /// gatheredBytes / gatherBytesPerSecond).
  public struct PartLimit: Sendable {
    /// gsa's useful FLOPs outside the attention core at peak.
    public let outsideCoreFlopSeconds: Double
    /// The sparse core's useful FLOPs at peak.
    public let coreFlopSeconds: Double
    /// `TrafficModel.gatherBytes` of the sparse core.
    public let gatheredBytes: Double
    /// The fastest gather rate the run saw.
    public let gatherBytesPerSecond: Double
    public var gatherSeconds: Double { gatheredBytes / gatherBytesPerSecond }
    public var seconds: Double { outsideCoreFlopSeconds + max(coreFlopSeconds, gatherSeconds) }
  }

  /// The speedup target's tolerance: measured within 25% of the FLOP-predicted speedup (issue 3).
  public static let speedupTolerance = 0.25

  /// Verdict on the speedup target: "met" inside the band; a miss names the bound that already lies
  /// below the band: the roofline bound (unreachable by any kernels here), or the part limit (as a
  /// property of this machine only when the run was not `disturbed`, since a slowed gather rate
  /// lowers it).
  public static func speedupVerdict(_ s: SpeedupSummary, disturbed: Bool) -> String {
    if abs(s.deviation) <= speedupTolerance { return "met" }
    if s.rooflineBound < s.flopPredicted * (1 - speedupTolerance) {
      return "missed (unreachable: roofline bound below the band)"
    }
    guard let limit = s.gsaPartLimitSeconds, limit > s.bandEdgeSeconds else { return "missed" }
    return disturbed
      ? "missed (part limit below the band in this disturbed run)" : "missed (unreachable here: part limit below the band)"
  }

  /// The summary of a dense point `a` and a gsa point `b` at the same length (`config`: b's);
  /// `gatherBytesPerSecond`: the fastest random-gather rate measured here (for the part limit).
  public static func speedup(
    dense a: SweepPoint, gsa b: SweepPoint, config: LayerConfig, roofline: RooflineBound,
    gatherBytesPerSecond: Double? = nil
  )
    -> SpeedupSummary
  {
    let useful = b.counted.useful
    let sparseBytes = TrafficModel.keyValueBytes(length: b.length, kvHeads: config.kvHeads, headDim: config.headDim)
    let attentionFlops = Double(useful[.attention].flops)
    let otherFlops = Double(b.counted.usefulTotal.flops) - attentionFlops
    let gathered = TrafficModel.gatherBytes(
      length: b.length, k: config.kBase, kvHeads: config.kvHeads, headDim: config.headDim)
    let peak = roofline.peakFlopsPerSecond
    let partLimit = gatherBytesPerSecond.flatMap { rate in
      rate > 0
        ? PartLimit(
          outsideCoreFlopSeconds: otherFlops / peak, coreFlopSeconds: attentionFlops / peak, gatheredBytes: gathered,
          gatherBytesPerSecond: rate) : nil
    }
    return SpeedupSummary(
      length: b.length, measured: a.bestSeconds / b.bestSeconds,
      flopPredicted: Double(a.counted.usefulTotal.flops) / Double(b.counted.usefulTotal.flops),
      operationPredicted: SweepAnalysis.operations(a.counted.usefulTotal)
        / SweepAnalysis.operations(b.counted.usefulTotal),
      denseBoundSeconds: roofline.seconds(flops: Double(a.counted.usefulTotal.flops)),
      gsaBoundSeconds: roofline.seconds(flops: Double(useful[.indexer].flops + useful[.projections].flops))
        + roofline.seconds(flops: attentionFlops, bytes: sparseBytes),
      denseSeconds: a.bestSeconds, partLimit: partLimit)
  }
}

extension PerformanceBenchmark.Result {
  /// `PerformanceBenchmark.speedup` of series A and B at the options' speedup length, bounded by
  /// this run's roofline and its fastest random gathers; nil when a layer was not timed there.
  public var speedup: PerformanceBenchmark.SpeedupSummary? { speedup(dense: denseLayer, gsa: gsa) }

  /// The same for series A′ and B′ (H_kv = `Options.groupedKvHeads`); nil when they were skipped.
  public var groupedSpeedup: PerformanceBenchmark.SpeedupSummary? {
    guard let groupedDenseLayer, let groupedGsa else { return nil }
    return speedup(dense: groupedDenseLayer, gsa: groupedGsa)
  }

  private func speedup(
    dense: PerformanceBenchmark.Series, gsa: PerformanceBenchmark.Series
  )
    -> PerformanceBenchmark.SpeedupSummary?
  {
    let L = options.speedupLength
    guard let a = dense.point(L), let b = gsa.point(L) else { return nil }
    return PerformanceBenchmark.speedup(
      dense: a, gsa: b, config: gsa.config, roofline: .init(roofline), gatherBytesPerSecond: fastestGatherBytesPerSecond)
  }

  /// The fastest rate at which this run saw gathered rows delivered: the random-gather probe's
  /// repeats and the sparse-core probes' effective rates (`TrafficModel.gatherBytes` / best time),
  /// whichever is higher (a disturbed gather probe alone would understate it); nil when neither ran.
  public var fastestGatherBytesPerSecond: Double? {
    let sparse = sparseCores.flatMap { probe in probe.timings.keys.map { probe.effectiveGatherBytesPerSecond(length: $0, k: options.k) } }
    return (Array(gatherBandwidth.values.joined()) + sparse.compactMap { $0 }).filter(\.isFinite).max()
  }
}

extension KernelProbe.Timing {
  /// Fastest repeat (wall seconds): on a shared machine noise only ever adds time.
  public var bestSeconds: Double { seconds.min() ?? .nan }
}

extension SweepPoint {
  /// Fastest repeat (wall seconds).
  public var bestSeconds: Double { seconds.min() ?? .nan }
}

extension PerformanceBenchmark.Series {
  public func point(_ length: Int) -> SweepPoint? { points.first { $0.length == length } }
  public var lengths: [Int] { points.map(\.length) }
  public var times: [Double] { points.map(\.medianSeconds) }
}

extension PerformanceBenchmark {
  /// Signs that a run was disturbed by other load on the machine, each as one sentence naming
  /// the sign and the fix; empty for a clean run.
  ///
  /// - A kernel above 100% of the measured peak: the FMA microbenchmark cannot be beaten by a
  ///   kernel doing the same FMAs, so the peak was under-measured (contention while it ran, or an
  ///   unoptimised build) and every percentage is inflated.
  /// - Roofline repeats whose worst FLOP rate is below 75% of their best: contention during the
  ///   roofline itself.
  /// - A load average (1-minute) at or above the core count before or after the run.
  /// - A targeted kernel whose slowest repeat took more than `contendedSlowdown` times its best.
  /// - A host-speed probe between rounds below 1/`contendedSlowdown` (80%) of the roofline's best
  ///   peak: the host ran slower for a while, every repeat of that round with it.
  /// - A host-speed probe more than `hostProbeAbovePeakFactor` (5%) above that peak: the probe
  ///   runs the roofline's own FMA loop, so the roofline under-measured the peak (as a kernel
  ///   above it shows; the margin covers the short probe's timing noise).
  public static func disturbances(
    roofline: Roofline.Measurement, kernelRates: [(name: String, flopsPerSecond: Double)], loadAverages: [String],
    kernelRepeats: [(name: String, seconds: [Double])] = [], hostSpeed: [HostSpeedSample] = []
  ) -> [String] {
    var signs = [String]()
    let peak = roofline.peakFlopsPerSecond
    let abovePeak = kernelRates.filter { $0.flopsPerSecond > peak }.map {
      "\($0.name) (\(String(format: "%.0f", 100 * $0.flopsPerSecond / peak))%)"
    }
    if !abovePeak.isEmpty {
      signs.append(
        "kernels ran above the measured peak, \(abovePeak.joined(separator: ", ")): the roofline under-measured the peak (cores contended while it ran, or an unoptimised build), so every percentage is inflated; rerun on a quiet machine with a release build"
      )
    }
    let spread = roofline.flopsPerSecond.worst / roofline.flopsPerSecond.best
    if spread < 0.75 {
      signs.append(
        "the roofline's FMA repeats ranged from \(String(format: "%.0f", 100 * spread))% to 100% of their best: the cores were contended while the peak was measured; rerun on a quiet machine"
      )
    }
    let scattered = kernelRepeats.compactMap { series -> String? in
      guard let slowdown = repeatSlowdown(series.seconds), slowdown > contendedSlowdown else { return nil }
      return "\(series.name) (\(String(format: "%.0f", 100 * (slowdown - 1)))%)"
    }
    if !scattered.isEmpty {
      signs.append(
        "targeted kernels' repeats ran more than \(contendedSlowdownPercent)% slower than their best, \(scattered.joined(separator: ", ")): the cores were contended while they ran; their percentages of peak understate the kernels; rerun on a quiet machine"
      )
    }
    let slowRounds = hostSpeed.filter { $0.flopsPerSecond.isFinite && $0.flopsPerSecond * contendedSlowdown < peak }
    if !slowRounds.isEmpty {
      let listed = slowRounds.map {
        "\($0.label) round \($0.round) (\(String(format: "%.0f", 100 * $0.flopsPerSecond / peak))%)"
      }
      signs.append(
        "the FMA probe run after each round fell below \(hostSpeedFloorPercent)% of the roofline's best peak after \(slowRounds.count) of \(hostSpeed.count) rounds, \(listed.joined(separator: ", ")): the host ran slower for a while, so those rounds' repeats understate the kernels; rerun on a quiet machine"
      )
    }
    let fastRounds = hostSpeed.filter { $0.flopsPerSecond.isFinite && $0.flopsPerSecond > peak * hostProbeAbovePeakFactor }
    if let fastest = fastRounds.map(\.flopsPerSecond).max() {
      signs.append(
        "the FMA probe run after each round exceeded the roofline's best peak by more than \(hostProbeAbovePeakPercent)% after \(fastRounds.count) of \(hostSpeed.count) rounds (up to \(String(format: "%.0f", 100 * fastest / peak))%): the same FMA loop ran faster than when the peak was measured, so the roofline under-measured the peak and every percentage is inflated; rerun on a quiet machine"
      )
    }
    for average in loadAverages {
      guard let first = average.split(separator: " ").first, let load = Double(first) else { continue }
      if load >= Double(roofline.threads) {
        signs.append(
          "the 1-minute load average was \(first) on \(roofline.threads) cores: other processes shared the cores; rerun when the load is below \(roofline.threads)"
        )
      }
    }
    return signs
  }

  /// `disturbances` of a finished run: every dense-core and indexer probe (executed FLOPs per
  /// best second) against the roofline, the host-speed probes between rounds, and the load
  /// averages before and after.
  public static func disturbances(of result: Result) -> [String] {
    var rates = [(name: String, flopsPerSecond: Double)]()
    var repeats = [(name: String, seconds: [Double])]()
    // Every probe against the peak; the targeted ones (at `denseLengths`) also by their repeats.
    func add(_ name: String, length l: Int, _ t: KernelProbe.Timing, flops: Int) {
      rates.append((name, Double(flops) / t.bestSeconds))
      if result.options.denseLengths.contains(l) { repeats.append((name, t.seconds)) }
    }
    for (l, t) in result.denseCore.sorted(by: { $0.key < $1.key }) {
      add("the dense core at L = \(l)", length: l, t, flops: t.ledger.executed.total.flops)
    }
    for probe in result.indexers {
      for (l, t) in probe.scores.sorted(by: { $0.key < $1.key }) {
        add(
          "the \(probe.indexerHeads) × \(probe.indexerDim) indexer at L = \(l)", length: l, t,
          flops: t.ledger.executed[.indexer].flops)
      }
    }
    return disturbances(
      roofline: result.roofline, kernelRates: rates, loadAverages: [result.loadAverageBefore, result.loadAverageAfter],
      kernelRepeats: repeats, hostSpeed: result.hostSpeed)
  }
}

extension PerformanceBenchmark {
  /// The sign of a disturbed run in a targeted exponent fit (`disturbances`' style), nil when its
  /// standard error fits the ±`halfWidth` band: a wider one means the times scattered between
  /// lengths.
  public static func exponentFitDisturbance(name: String, standardError: Double, halfWidth: Double = 0.05) -> String? {
    guard standardError > halfWidth else { return nil }
    return
      "the \(name)'s exponent fit has a standard error of \(String(format: "%.3f", standardError)), wider than the ±\(String(format: "%.2f", halfWidth)) target band: its times scatter between lengths (contention while it ran); rerun on a quiet machine"
  }

  /// Repeats whose slowest took more than this multiple of the fastest show contention
  /// (`disturbances`, `peakFractionVerdict`).
  public static let contendedSlowdown = 1.25

  /// `contendedSlowdown` in the pages' words: repeats more than this many percent slower than
  /// their best ("25"), and the host-speed floor as a percentage of the peak ("80").
  public static var contendedSlowdownPercent: String { String(format: "%.0f", 100 * (contendedSlowdown - 1)) }
  public static var hostSpeedFloorPercent: String { String(format: "%.0f", 100 / contendedSlowdown) }

  /// A host-speed probe above the roofline's best peak by more than this factor marks the peak as
  /// under-measured (`disturbances`).
  public static let hostProbeAbovePeakFactor = 1.05
  /// `hostProbeAbovePeakFactor` in the pages' words: more than this many percent above ("5").
  public static var hostProbeAbovePeakPercent: String { String(format: "%.0f", 100 * (hostProbeAbovePeakFactor - 1)) }

  /// Slowest / fastest of a kernel's repeat times, nil without a positive fastest.
  static func repeatSlowdown(_ seconds: [Double]) -> Double? {
    guard let best = seconds.min(), let worst = seconds.max(), best > 0 else { return nil }
    return worst / best
  }

  /// Verdict of a "≥ `target` of peak" row whose `fraction` comes from the best of `seconds`.
  /// Met when the best repeat reaches the target. Below it, contention may be the cause: it only
  /// slows a kernel, and if it slowed the worst repeat by s = worst/best relative to the best, the
  /// best repeat may have been slowed as much, so the kernel's own rate is taken to be at most
  /// fraction·s. Missed when even that falls short (or s ≤ `contendedSlowdown`); otherwise
  /// inconclusive.
  public static func peakFractionVerdict(fraction: Double, target: Double, seconds: [Double]) -> String {
    if fraction >= target { return "met" }
    guard let slowdown = repeatSlowdown(seconds) else { return "missed" }
    if slowdown <= contendedSlowdown || fraction * slowdown < target { return "missed" }
    return
      "inconclusive (repeats ranged \(String(format: "%.0f", 100 * (slowdown - 1)))% above the best: contention; rerun on a quiet machine)"
  }
}

extension PerformanceBenchmark {
  /// Verdict on a fitted exponent against target ± halfWidth (issue 3's criterion is the point
  /// estimate): "met" when the estimate is inside the band and its standard error is at most the
  /// half-width; "missed" when it is outside and the band lies more than 2 standard errors away
  /// (excluded at ≈ 95%); otherwise "inconclusive": the fit is too noisy to decide either way.
  public static func exponentVerdict(
    exponent: Double, standardError: Double, target: Double, halfWidth: Double = 0.05
  )
    -> String
  {
    let distance = abs(exponent - target)
    guard exponent.isFinite, standardError.isFinite else { return "inconclusive (no finite fit)" }
    // (1e-12: the band's edge, e.g. |1.95 − 2|, is not exact in binary floating point.)
    if distance <= halfWidth + 1e-12 {
      return standardError <= halfWidth
        ? "met" : "inconclusive (inside the band, but the standard error \(String(format: "%.3f", standardError)) exceeds its half-width)"
    }
    if distance - halfWidth > 2 * standardError { return "missed" }
    return "inconclusive (outside the band by \(String(format: "%.3f", distance - halfWidth)), within 2 SE of it)"
  }
}
