import GSAModel
import PropertyTesting
import Testing

@testable import GSATheory

/// The sweep runner, its analysis and the measurement helpers, at tiny sizes (no wall-clock assertions).
@Suite struct SweepTests {
  @Test func tinySweepCountsEqualTheCostModelAndFitsTheirExponents() throws {
    let plan = SweepPlan(config: .tiny, variants: [.dense, .gsa], lengths: [32, 48, 64, 96, 128], repeats: 1, seed: 3)
    var calls = 0
    let points = try Sweep.run(plan) { _, _, _ in calls += 1 }
    #expect(calls == 11)  // before each of the 10 points, and once at the end
    #expect(points.count == 10)
    for point in points {
      #expect(point.predicted == point.counted)
      #expect(point.seconds.count == 1)
      #expect(point.predictedBytes > 0)
    }
    let analysis = SweepAnalysis(points: points, config: plan.config)
    let dense = try #require(analysis.fits.first { $0.variant == .dense })
    // Counted dense attention: 2·d·H·L(L+1) + lower-order terms; the α·L² + γ·L law fits it almost exactly.
    let law = try #require(dense.buckets[.attention]?.costLaw)
    #expect(law.rSquared > 0.999999)
    for point in points where point.variant == .dense {
      let counted = SweepAnalysis.operations(point.counted.useful[.attention])
      let fitted = law(length: Double(point.length), selectedPairs: 0)
      #expect(abs(fitted / counted - 1) < 1e-3)
    }
    // At least 4·d_h FLOPs per causal pair and head (Q·K and A·V), plus a few softmax operations.
    let width = Double(plan.config.heads * plan.config.headDim)
    #expect(law.alpha >= 2 * width && law.alpha < 2.5 * width)
    let gsa = try #require(analysis.fits.first { $0.variant == .gsa })
    let sparse = try #require(gsa.buckets[.attention]?.powerLaw)
    #expect(sparse.exponent > 0.9 && sparse.exponent < 1.3)  // k_t ≤ k_max: linear once L ≫ k
    #expect(analysis.breakEven.count == 1)
  }

  @Test func predictedBytesSeparateWhatFitsFromWhatDoesNot() {
    // The CLI's MemoryGuard refuses with this prediction: the paper's configuration at 1M tokens
    // does not fit in 24 GiB, the paper-shape preset at 128K fits comfortably for every variant.
    let budget = 0.9 * Double(24 << 30)
    #expect(Sweep.predictedBytes(.paper, .gsa, length: 1 << 20, threads: 2) > budget)
    let shape = SweepPlan(config: .paperShape, variants: Variant.allCases, lengths: [131_072], repeats: 1, seed: 1)
    for variant in Variant.allCases {
      #expect(Sweep.predictedBytes(shape.config(for: variant), variant, length: 131_072, threads: 2) < budget, "\(variant)")
    }
  }

  @Test func inputSeedsDifferPerLengthAndInputsAreReproducible() {
    #expect(Sweep.inputSeed(42, length: 1024) != Sweep.inputSeed(42, length: 2048))
    let a = Sweep.input(length: 8, modelDim: 4, seed: 9)
    let b = Sweep.input(length: 8, modelDim: 4, seed: 9)
    #expect(a == b)
  }

  @Test func procFieldsParseWithTabsAndSpaces() {
    let status = "Name:\tx\nVmHWM:\t   2048 kB\nVmRSS:    1024 kB\n"
    #expect(ProcessMemory.kibibyteField("VmHWM:", in: status) == 2048 * 1024)
    #expect(ProcessMemory.kibibyteField("VmRSS:", in: status) == 1024 * 1024)
    #expect(ProcessMemory.kibibyteField("VmPeak:", in: status) == nil)
  }

  @Test func statisticsOfRepeats() {
    let s = Roofline.Statistics(values: [3, 1, 2, 10])
    #expect(s.best == 10 && s.worst == 1 && s.median == 2.5 && s.mean == 4)
    #expect(abs(s.standardDeviation - (50.0 / 3).squareRoot()) < 1e-12)
    #expect(median([5]) == 5)
    #expect(median([]).isNaN)
  }

  @Test func tinyRooflineRunsAndTriadChecksItsResult() {
    let m = Roofline.measure(threads: 2, repeats: 2, fmaPerThread: 12_000, triadElements: 4096, triadPasses: 1)
    #expect(m.flopsPerSecond.values.count == 2 && m.bytesPerSecond.values.count == 2)
    #expect(m.peakFlopsPerSecond > 0 && m.peakBytesPerSecond > 0)
    #expect(m.attainable(flopsPerByte: 0) == 0)
    #expect(m.attainable(flopsPerByte: .infinity) == m.peakFlopsPerSecond)
  }
}

/// `PerformanceBenchmark.speedup`'s bounds on a real tiny dense/gsa pair, with chosen times (no
/// wall-clock assertions): the part limit against a loop over the selections and the buckets.
@Suite struct SpeedupSummaryTests {
  /// The tiny configuration with fixed k, a dense and a gsa point measured at length L.
  private func tinyPair(length L: Int, seed: UInt64) throws -> (plan: SweepPlan, dense: SweepPoint, gsa: SweepPoint) {
    var config = LayerConfig.tiny
    config.kRule = .fixed
    config.kMin = config.kBase
    config.kMax = config.kBase
    let plan = SweepPlan(config: config, variants: [.dense, .gsa], lengths: [L], repeats: 1, seed: seed)
    let points = try Sweep.run(plan) { _, _, _ in }
    return (
      plan, try #require(points.first { $0.variant == .dense }), try #require(points.first { $0.variant == .gsa })
    )
  }

  /// `p` with chosen repeat times (best = the first), so no test depends on the wall clock.
  private func timed(_ p: SweepPoint, _ seconds: Double) -> SweepPoint {
    SweepPoint(
      variant: p.variant, length: p.length, counted: p.counted, predicted: p.predicted, totalSelected: p.totalSelected,
      seconds: [seconds, 2 * seconds], peakResidentBytes: nil, predictedBytes: p.predictedBytes)
  }

  @Test func partLimitAndBandEdgeMatchLoopsOverTheLedgerAndTheSelections() throws {
    let L = 96
    let (plan, measuredDense, measuredGSA) = try tinyPair(length: L, seed: 5)
    let dense = timed(measuredDense, 3.0)
    let gsaConfig = plan.config(for: .gsa)
    // Gathered bytes by a loop over the queries: k_t = min(k, t + 1) rows of K and V per kv head.
    var gathered = 0.0
    for t in 0..<L { gathered += Double(min(gsaConfig.kBase, t + 1) * gsaConfig.kvHeads * gsaConfig.headDim * 4 * 2) }
    var otherFlops = 0.0
    for bucket in FlopBucket.allCases where bucket != .attention {
      otherFlops += Double(measuredGSA.counted.useful[bucket].flops)
    }
    let attentionFlops = Double(measuredGSA.counted.useful[.attention].flops)
    let peak = 1e9
    let roofline = PerformanceBenchmark.RooflineBound(peakFlopsPerSecond: peak, bytesPerSecond: 1e8)
    // A slow gather rate makes the core gather-bound, a fast one FLOP-bound.
    for rate in [gathered / attentionFlops * peak / 4, gathered / attentionFlops * peak * 4] {
      let summary = PerformanceBenchmark.speedup(
        dense: dense, gsa: timed(measuredGSA, 0.5), config: gsaConfig, roofline: roofline, gatherBytesPerSecond: rate)
      let expected = otherFlops / peak + max(attentionFlops / peak, gathered / rate)
      let limit = try #require(summary.gsaPartLimitSeconds)
      #expect(abs(limit / expected - 1) < 1e-12)
      #expect(abs((summary.partLimitBound ?? 0) - 3.0 / expected) < 1e-9 * 3.0 / expected)
      #expect(abs(summary.measured - 6) < 1e-12)
    }
    // Without a gather rate there is no part limit.
    let noRate = PerformanceBenchmark.speedup(dense: dense, gsa: measuredGSA, config: gsaConfig, roofline: roofline)
    #expect(noRate.gsaPartLimitSeconds == nil && noRate.partLimitBound == nil)
    // A gsa layer that takes exactly the band-edge time sits on the band's lower edge.
    let edge = noRate.bandEdgeSeconds
    let atEdge = PerformanceBenchmark.speedup(dense: dense, gsa: timed(measuredGSA, edge), config: gsaConfig, roofline: roofline)
    #expect(abs(atEdge.deviation + PerformanceBenchmark.speedupTolerance) < 1e-12)
    #expect(PerformanceBenchmark.speedupVerdict(atEdge, disturbed: true) == "met")
  }

  /// `PerformanceBenchmark.speedupVerdict` on the same pair at chosen times and gather rates: met
  /// inside the band; outside it, "missed" qualified by whichever bound lies below the band.
  @Test func speedupVerdictNamesTheBoundBelowTheBand() throws {
    let (plan, measuredDense, measuredGSA) = try tinyPair(length: 64, seed: 9)
    let dense = timed(measuredDense, 1.0)
    let gsaConfig = plan.config(for: .gsa)
    func summary(
      gsaSeconds: Double, peak: Double = 1e12, bandwidth: Double = 1e12, gatherRate: Double? = nil
    ) -> PerformanceBenchmark.SpeedupSummary {
      PerformanceBenchmark.speedup(
        dense: dense, gsa: timed(measuredGSA, gsaSeconds), config: gsaConfig,
        roofline: .init(peakFlopsPerSecond: peak, bytesPerSecond: bandwidth), gatherBytesPerSecond: gatherRate)
    }
    let predicted = summary(gsaSeconds: 1).flopPredicted
    // Measured exactly at the prediction, and 10% above it: met.
    for factor in [1.0, 1.1] {
      #expect(PerformanceBenchmark.speedupVerdict(summary(gsaSeconds: 1 / (factor * predicted)), disturbed: false) == "met")
    }
    // Half the prediction: missed. A fast machine leaves room for the band; a slow gather rate
    // puts the part limit below it; a bandwidth so low that the compulsory K/V reads alone exceed
    // the band's time puts the roofline bound below it.
    let slow = 1 / (0.5 * predicted)
    #expect(PerformanceBenchmark.speedupVerdict(summary(gsaSeconds: slow, gatherRate: 1e15), disturbed: false) == "missed")
    #expect(PerformanceBenchmark.speedupVerdict(summary(gsaSeconds: slow), disturbed: false) == "missed")
    let gatherBound = summary(gsaSeconds: slow, gatherRate: 1)
    #expect(PerformanceBenchmark.speedupVerdict(gatherBound, disturbed: false) == "missed (unreachable here: part limit below the band)")
    #expect(PerformanceBenchmark.speedupVerdict(gatherBound, disturbed: true) == "missed (part limit below the band in this disturbed run)")
    let memoryBound = summary(gsaSeconds: slow, bandwidth: 1)
    #expect(PerformanceBenchmark.speedupVerdict(memoryBound, disturbed: false) == "missed (unreachable: roofline bound below the band)")
  }
}

@Suite struct ShardPartitionTests {
  /// Shards 1...N are disjoint, cover every item, differ in size by at most one.
  @Test func shardsPartitionTheItems() throws {
    try forAll(Gen.zip(Gen.int(in: 1...40), Gen.int(in: 0...200))) { count, items in
      let all = Array(0..<items)
      let parts = (1...count).map { Shard(index: $0, count: count)!.select(all) }
      let sizes = parts.map(\.count)
      return parts.flatMap { $0 }.sorted() == all && (sizes.max()! - sizes.min()!) <= 1
    }
    #expect(Shard(index: 0, count: 3) == nil && Shard(index: 4, count: 3) == nil && Shard(index: 1, count: 0) == nil)
  }

  /// A sharded sweep computes each of its points exactly as the whole sweep does (counts, k_t).
  @Test func shardedSweepPointsEqualTheWholeRun() throws {
    let plan = SweepPlan(config: .tiny, variants: [.dense, .gsa], lengths: [32, 48, 64], repeats: 1, seed: 11)
    let whole = try Sweep.run(plan)
    let parts = try (1...2).map { try Sweep.run(plan, shard: Shard(index: $0, count: 2)!) }
    #expect(parts.map(\.count) == [3, 3])
    for (i, point) in whole.enumerated() {
      let part = parts[i % 2][i / 2]
      #expect(part.variant == point.variant && part.length == point.length)
      #expect(part.counted.usefulTotal == point.counted.usefulTotal && part.totalSelected == point.totalSelected)
    }
  }
}
