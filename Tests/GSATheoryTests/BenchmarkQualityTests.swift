import Testing

@testable import GSAModel
@testable import GSATheory

/// `PerformanceBenchmark.disturbances`: each sign of a contended run is reported, a clean run
/// gets none (synthetic measurements; no timing).
/// A synthetic roofline with these FMA repeats (FLOP/s) and a 30 GB/s triad.
private func roofline(_ flops: [Double], threads: Int = 2) -> Roofline.Measurement {
  Roofline.Measurement(
    flopsPerSecond: Roofline.Statistics(values: flops), bytesPerSecond: Roofline.Statistics(values: [3e10]),
    threads: threads, fmaPerThread: 1, triadElements: 1)
}

@Suite struct BenchmarkQualityTests {

  @Test func aCleanRunHasNoDisturbances() {
    let signs = PerformanceBenchmark.disturbances(
      roofline: roofline([1.9e11, 2.0e11, 1.8e11]), kernelRates: [("dense", 1.3e11), ("indexer", 2.0e11)],
      loadAverages: ["0.50 0.40 0.30", "1.99 1.00 0.50", "n/a"])
    #expect(signs.isEmpty, "\(signs)")
  }

  @Test func aKernelAboveThePeakFlagsTheRun() {
    let signs = PerformanceBenchmark.disturbances(
      roofline: roofline([1.0e11, 1.02e11]), kernelRates: [("the dense core at L = 8192", 1.3e11), ("indexer", 0.5e11)],
      loadAverages: [])
    #expect(signs.count == 1)
    #expect(signs.first?.contains("kernels ran above the measured peak, the dense core at L = 8192 (127%):") == true, "\(signs)")
  }

  @Test func aWideRooflineSpreadAndAHighLoadFlagTheRun() {
    let signs = PerformanceBenchmark.disturbances(
      roofline: roofline([2.0e11, 1.4e11]), kernelRates: [], loadAverages: ["2.00 1.00 1.00", "0.10 0.10 0.10"])
    #expect(signs.count == 2, "\(signs)")
    #expect(signs.contains { $0.contains("ranged from 70% to 100%") })
    #expect(signs.contains { $0.contains("load average was 2.00 on 2 cores") })
  }

  /// A slow round is one whose host-speed probe fell below 80% of the best peak (2e11 here:
  /// 1.6e11 is exactly 80%, not flagged); a probe that did not run (NaN) is no evidence.
  @Test func aSlowHostBetweenRoundsFlagsTheRun() {
    let samples = [
      PerformanceBenchmark.HostSpeedSample(label: "dense core", round: 1, flopsPerSecond: 1.9e11),
      PerformanceBenchmark.HostSpeedSample(label: "dense core", round: 2, flopsPerSecond: 1.5e11),
      PerformanceBenchmark.HostSpeedSample(label: "indexer 2×16", round: 1, flopsPerSecond: 1.6e11),
      PerformanceBenchmark.HostSpeedSample(label: "indexer 2×16", round: 2, flopsPerSecond: .nan),
    ]
    let signs = PerformanceBenchmark.disturbances(
      roofline: roofline([2.0e11, 1.9e11]), kernelRates: [], loadAverages: [], hostSpeed: samples)
    #expect(signs.count == 1, "\(signs)")
    #expect(signs.first?.contains("after 1 of 4 rounds, dense core round 2 (75%):") == true, "\(signs)")
    let quiet = PerformanceBenchmark.disturbances(
      roofline: roofline([2.0e11, 1.9e11]), kernelRates: [], loadAverages: [], hostSpeed: Array(samples.prefix(1)))
    #expect(quiet.isEmpty, "\(quiet)")
  }

  /// A probe more than 5% above the roofline's best peak (2e11) means the peak was under-measured:
  /// 2.1e11 (exactly 5% above) is not flagged, 2.3e11 and 2.6e11 are (the largest is named).
  @Test func aHostProbeAboveThePeakFlagsTheRoofline() {
    let samples = [2.1e11, 2.6e11, 2.3e11, .nan].enumerated().map {
      PerformanceBenchmark.HostSpeedSample(label: "dense core", round: $0.offset + 1, flopsPerSecond: $0.element)
    }
    let signs = PerformanceBenchmark.disturbances(
      roofline: roofline([2.0e11, 1.9e11]), kernelRates: [], loadAverages: [], hostSpeed: samples)
    #expect(signs.count == 1, "\(signs)")
    #expect(
      signs.first?.contains("exceeded the roofline's best peak by more than 5% after 2 of 4 rounds (up to 130%)") == true,
      "\(signs)")
    let within = PerformanceBenchmark.disturbances(
      roofline: roofline([2.0e11, 1.9e11]), kernelRates: [], loadAverages: [], hostSpeed: Array(samples.prefix(1)))
    #expect(within.isEmpty, "\(within)")
  }
}

/// `PerformanceBenchmark.exponentFitDisturbance`: only a standard error wider than the band is a sign.
@Suite struct ExponentFitDisturbanceTests {
  @Test func aWideFitIsASignAndANarrowOneIsNot() {
    #expect(PerformanceBenchmark.exponentFitDisturbance(name: "dense core", standardError: 0.05) == nil)
    let sign = PerformanceBenchmark.exponentFitDisturbance(name: "sparse core (H_kv 8)", standardError: 0.249)
    #expect(
      sign?.hasPrefix("the sparse core (H_kv 8)'s exponent fit has a standard error of 0.249, wider than the ±0.05 target band")
        == true, "\(sign ?? "nil")")
  }
}

/// `PerformanceBenchmark.exponentVerdict`: met inside the band with a standard error at most its
/// half-width, missed only when the band is more than 2 standard errors away, else inconclusive.
@Suite struct ExponentVerdictTests {
  @Test func verdictsAtTheBoundaries() {
    #expect(PerformanceBenchmark.exponentVerdict(exponent: 2.04, standardError: 0.05, target: 2) == "met")
    let wide = PerformanceBenchmark.exponentVerdict(exponent: 0.96, standardError: 0.077, target: 1)
    #expect(wide.hasPrefix("inconclusive (inside the band, but the standard error 0.077"), "\(wide)")
    #expect(PerformanceBenchmark.exponentVerdict(exponent: 1.95, standardError: 0, target: 2) == "met")
    // 0.10 outside the band, SE 0.04: 0.10 > 0.08, missed.
    #expect(PerformanceBenchmark.exponentVerdict(exponent: 1.15, standardError: 0.04, target: 1) == "missed")
    // 0.08 outside the band, SE 0.045: 0.08 ≤ 0.09, inconclusive.
    let noisy = PerformanceBenchmark.exponentVerdict(exponent: 1.13, standardError: 0.045, target: 1)
    #expect(noisy.hasPrefix("inconclusive (outside the band by 0.080"), "\(noisy)")
    #expect(PerformanceBenchmark.exponentVerdict(exponent: .nan, standardError: 0.01, target: 1).hasPrefix("inconclusive"))
  }
}

/// `PerformanceBenchmark.peakFractionVerdict`: a miss is inconclusive only when the repeats'
/// spread could hide the gap to the target.
@Suite struct PeakFractionVerdictTests {
  @Test func contentionMakesOnlyACloseMissInconclusive() {
    #expect(PerformanceBenchmark.peakFractionVerdict(fraction: 0.62, target: 0.6, seconds: [1, 2]) == "met")
    // Repeats within 25%: the miss stands.
    #expect(PerformanceBenchmark.peakFractionVerdict(fraction: 0.55, target: 0.6, seconds: [1.0, 1.2, 1.1]) == "missed")
    // 0.548 · (0.998 / 0.637) = 0.86 ≥ 0.6: the slowest repeat shows a slowdown that could hide the gap.
    let close = PerformanceBenchmark.peakFractionVerdict(fraction: 0.548, target: 0.6, seconds: [0.998, 0.786, 0.692, 0.637])
    #expect(close.hasPrefix("inconclusive (repeats ranged 57% above the best"), "\(close)")
    // 0.33 · 1.4 = 0.46 < 0.5: even that slowdown cannot reach the target.
    #expect(PerformanceBenchmark.peakFractionVerdict(fraction: 0.33, target: 0.5, seconds: [1.0, 1.4]) == "missed")
    #expect(PerformanceBenchmark.peakFractionVerdict(fraction: 0.33, target: 0.5, seconds: []) == "missed")
  }

  @Test func scatteredTargetedRepeatsFlagTheRun() {
    let signs = PerformanceBenchmark.disturbances(
      roofline: roofline([2e11, 1.9e11]), kernelRates: [], loadAverages: [],
      kernelRepeats: [("the dense core at L = 8192", [0.998, 0.637]), ("the dense core at L = 32768", [9.9, 9.2])])
    #expect(signs.count == 1)
    #expect(signs.first?.contains("more than 25% slower than their best, the dense core at L = 8192 (57%):") == true, "\(signs)")
  }
}

/// `PerformanceBenchmark.roundRobin`: one repeat of every length per round, merged per length in
/// order, with the first repeat's ledger.
@Suite struct RoundRobinTests {
  @Test func repeatsInterleaveAcrossLengthsAndMergeInOrder() {
    var calls = [Int]()
    var labels = [String]()
    var hostSpeed = [PerformanceBenchmark.HostSpeedSample]()
    let timings = PerformanceBenchmark.roundRobin(
      rounds: 3, lengths: [64, 128], progress: { labels.append($0) }, label: "probe",
      hostProbe: { Double(calls.count) }, hostSpeed: &hostSpeed
    ) { l in
      calls.append(l)
      var ledger = FlopLedger()
      ledger.add(.attention, FlopCounts(flops: l))
      return KernelProbe.Timing(ledger: ledger, seconds: [Double(calls.count)], cpuSeconds: [Double(calls.count) / 2])
    }
    #expect(calls == [64, 128, 64, 128, 64, 128])
    #expect(labels.first == "probe L=64, repeat 1/3" && labels.last == "probe L=128, repeat 3/3")
    #expect(timings[64]?.seconds == [1, 3, 5])
    #expect(timings[128]?.seconds == [2, 4, 6])
    #expect(timings[128]?.cpuSeconds == [1, 2, 3])
    #expect(timings[64]?.ledger.useful.total.flops == 64)
    // One host-speed sample after each round, taken after both lengths ran.
    #expect(hostSpeed.map(\.round) == [1, 2, 3] && hostSpeed.map(\.flopsPerSecond) == [2, 4, 6])
    #expect(hostSpeed.allSatisfy { $0.label == "probe" })
  }
}
