import Foundation
import GSAModel
import GSATheory
import PropertyTesting
import Testing

/// The time model's formulas against hand-computed cases, the phase timers' structure (never a
/// wall-clock threshold), and the GPU requirements' algebra.
@Suite struct TimeModelTests {
  typealias Profile = MachineProfile

  /// P = 100 FLOP/s, W = 10 B/s, gather 5 B/s at 100 B and 1 B/s at 10⁴ B (3 B/s at 10³ B by the
  /// log-linear rule), τ_c = 0.5 s per top-k comparison, R_σ = 4/s, R_exp = 2/s.
  static let rates = TimeModel.Rates(
    flopsPerSecond: 100, streamBytesPerSecond: 10,
    gatherCurve: [
      .init(footprintBytes: 100, bytesPerSecond: .init(perThread: 5, allCores: 5)),
      .init(footprintBytes: 10_000, bytesPerSecond: .init(perThread: 1, allCores: 1)),
    ], topKSecondsPerComparison: 0.5, sigmoidsPerSecond: 4, expsPerSecond: 2)

  static func ledger() -> FlopLedger {
    var l = FlopLedger()
    // projections: 300 flops + 100 comparisons → 4 s compute; 20 bytes → 2 s memory.
    l.add(.projections, FlopCounts(flops: 300, transcendentals: 0, comparisons: 100))
    l.addBytes(.projections, ByteCounts(read: 15, written: 5))
    // gates: 8 sigmoids → 2 s; 100 flops → 1 s; 50 bytes → 5 s (memory-bound).
    l.add(.gates, FlopCounts(flops: 100, transcendentals: 8))
    l.addBytes(.gates, ByteCounts(read: 40, written: 10))
    // selection: 7 top-k comparisons at τ_c → 3.5 s, 10 flops → 0.1 s.
    l.add(.selection, FlopCounts(flops: 10, comparisons: 7))
    // attention: 4 exps → 2 s, 200 flops → 2 s; 30 bytes streamed → 3 s, 6 gathered at 3 B/s → 2 s.
    l.add(.attention, FlopCounts(flops: 200, transcendentals: 4))
    l.addBytes(.attention, ByteCounts(read: 25, written: 5, gathered: 6))
    return l
  }

  @Test func bucketSecondsMatchHandComputedCases() {
    let model = TimeModel(rates: Self.rates)
    let p = model.predict(Self.ledger(), phase: .prefill, gatherFootprints: [.init(bytes: 1000)])
    let expected: [FlopBucket: (Double, String)] = [
      .projections: (4, "compute"), .gates: (5, "memory"), .indexer: (0, "compute"), .selection: (3.6, "compute"),
      .attention: (5, "memory"),
    ]
    for (bucket, (seconds, limit)) in expected {
      let b = p.buckets[bucket]!
      #expect(abs(b.seconds - seconds) < 1e-12, "\(bucket): \(b.seconds) vs \(seconds)")
      #expect(b.limit == limit, "\(bucket)")
    }
    #expect(abs(p.buckets[.attention]!.gatherSeconds - 2) < 1e-12)
    #expect(abs(p.total - 17.6) < 1e-12)
    // Gathers split evenly between a 100-byte (5 B/s) and a 10⁴-byte (1 B/s) footprint: 6·(1/5 + 1)/2.
    let split = model.predict(
      Self.ledger(), phase: .prefill, gatherFootprints: [.init(bytes: 100, weight: 2), .init(bytes: 10_000, weight: 2)])
    #expect(abs(split.buckets[.attention]!.gatherSeconds - 3.6) < 1e-12)
    #expect(p.unpriced.isEmpty)
  }

  /// At decode the gathered rows are part of the core's compulsory read: priced once, by the gather curve.
  @Test func decodeDoesNotPriceGatheredRowsTwice() {
    let model = TimeModel(rates: Self.rates)
    let prefill = model.predict(Self.ledger(), phase: .prefill, gatherFootprints: [.init(bytes: 1000)])
    let decode = model.predict(Self.ledger(), phase: .decode, gatherFootprints: [.init(bytes: 1000)])
    #expect(abs(prefill.buckets[.attention]!.streamSeconds - 3) < 1e-12)
    #expect(abs(decode.buckets[.attention]!.streamSeconds - 2.4) < 1e-12)  // (30 − 6)/10
    #expect(abs(decode.buckets[.attention]!.gatherSeconds - 2) < 1e-12)
  }

  /// A spec profile: gathers at HBM times (1 − φ); σ, exp and top-k unpriced.
  @Test func specProfilesServeTheOnChipFractionFree() throws {
    let h100 = try Profile.spec(named: "h100")
    let spec = try #require(h100.spec)
    var ledger = FlopLedger()
    ledger.addBytes(.attention, ByteCounts(gathered: 1_000_000_000_000))
    ledger.add(.gates, FlopCounts(transcendentals: 10))
    ledger.add(.selection, FlopCounts(comparisons: 10))
    for phi in [0.0, 0.25, 0.9, 1.0] {
      let p = TimeModel(profile: h100, precision: .bf16, onChipFraction: phi)
        .predict(ledger, phase: .prefill, gatherFootprints: [.init(bytes: 1)])
      let expected = (1 - phi) * 1e12 / spec.hbmBytesPerSecond.value
      #expect(abs(p.buckets[.attention]!.seconds - expected) <= 1e-12 * max(1, expected))
      #expect(p.unpriced == ["top-k", "transcendentals"])
    }
    #expect(TimeModel(profile: h100, precision: .bf16).rates.flopsPerSecond == spec.peakDenseBF16FlopsPerSecond.value)
    #expect(TimeModel(profile: h100, precision: .fp32).rates.flopsPerSecond == spec.peakFP32FlopsPerSecond.value)
  }

  @Test func footprintsAndTheComparisonRateAreTheDocumentedOnes() throws {
    var c = LayerConfig.tiny  // H_kv 1, d_h 8
    c.kRule = .fixed
    c.kBase = 4
    // Prefill L = 6: one chunk per query, F_t = 2·(t + 1)·d_h·4 bytes, weight k_t = min(4, t + 1).
    let prefill = TimeModel.gatherFootprints(config: c, phase: .prefill, length: 6)
    let expectedBytes: [Double] = [64, 128, 192, 256, 320, 384]
    #expect(prefill.map(\.bytes) == expectedBytes)
    #expect(prefill.map(\.weight) == [1, 2, 3, 4, 4, 4])
    // 1024 queries in 256 chunks: the weights still sum to Σ_t min(k, t + 1).
    let weights = TimeModel.gatherFootprints(config: c, phase: .prefill, length: 1024).map(\.weight)
    let weightSum = weights.reduce(0, +)
    #expect(weightSum == Double(4 * 1024 - 6))
    let decode = TimeModel.gatherFootprints(config: LayerConfig.paper, phase: .decode, length: 10, batch: 3, elementBytes: 2)
    let cacheBytes: Double = 3 * 8 * 2 * 10 * 128 * 2
    #expect(decode == [TimeModel.Footprint(bytes: cacheBytes)])
    // τ_c = τ·n_p / r(n_p, k_p), r(32768, 2048) = 6·32768 + 3·4096 + 7168 = 216 064.
    let measured = MachineProfile.MeasuredRates(
      threads: 2, fmaFlopsPerSecond: .init(perThread: 1, allCores: 2), triadBytesPerSecond: .init(perThread: 1, allCores: 2),
      gatherRowBytes: 512, gatherCurve: [.init(footprintBytes: 1024, bytesPerSecond: .init(perThread: 1, allCores: 1))],
      topKCandidates: 32768, topKBudget: 2048, topKSecondsPerCandidate: .init(perThread: 3e-9, allCores: 2e-9),
      sigmoidsPerSecond: .init(perThread: 1, allCores: 1), expsPerSecond: .init(perThread: 1, allCores: 1),
      kernels: Self.kernelRates)
    let profile = MachineProfile(machine: .init(name: "this", model: "test"), date: "2026-01-01T00:00:00Z", rates: .measured(measured))
    let tau = try #require(TimeModel(profile: profile).rates.topKSecondsPerComparison)
    #expect(abs(tau - 2e-9 * 32768 / 216_064) < 1e-24)
    #expect(TimeModel(profile: profile).rates.flopsPerSecond == 2)
    #expect(TimeModel(profile: profile, scope: .perThread).rates.flopsPerSecond == 1)
  }

  /// Sparse row cost: G 1 costs 1 s/row at 100 B and 3 s/row at 10⁴ B, G 3 costs 2 and 7 (per
  /// thread half of it). GEMM 50, dense tile 25, indexer tile 20 FLOP/s, read stream 8 B/s.
  static let kernelRates = MachineProfile.KernelRates(
    gemmRows: 6, gemmInner: 8, gemmCols: 16, gemmFlopsPerSecond: .init(perThread: 25, allCores: 50), denseLength: 64,
    denseHeads: 2, denseHeadDim: 8, denseFlopsPerSecond: .init(perThread: 12.5, allCores: 25), indexerLength: 64, indexerHeads: 2,
    indexerDim: 4, indexerFlopsPerSecond: .init(perThread: 10, allCores: 20), sparseHeadDim: 8, sparseQueries: 16, sparseK: 4,
    sparseGroupSizes: [1, 3],
    sparseRowCurve: [
      .init(footprintBytes: 100, secondsPerRow: [.init(perThread: 2, allCores: 1), .init(perThread: 4, allCores: 2)]),
      .init(footprintBytes: 10_000, secondsPerRow: [.init(perThread: 6, allCores: 3), .init(perThread: 14, allCores: 7)]),
    ], readBytesPerSecond: .init(perThread: 4, allCores: 8), decodeGroupSize: 4, decodeHeadDim: 8,
    decodeRowCurve: [
      .init(footprintBytes: 100, secondsPerRow: .init(perThread: 2, allCores: 1)),
      .init(footprintBytes: 10_000, secondsPerRow: .init(perThread: 6, allCores: 5)),
    ], gemvInner: 8, gemvCols: 8, gemvWeightBytesPerSecond: .init(perThread: 2, allCores: 4), parallelRegionIdleMicroseconds: 20,
    parallelRegionSeconds: 0.5, ropeLength: 16, ropeHeadDim: 8, ropeTranscendentalsPerSecond: .init(perThread: 3, allCores: 6))

  static var kernelModelRates: TimeModel.Rates {
    var r = rates
    r.gemmFlopsPerSecond = 50
    r.denseTileFlopsPerSecond = 25
    r.indexerTileFlopsPerSecond = 20
    r.rowCosts = kernelRates
    r.readBytesPerSecond = 8
    return r
  }

  /// c_G(F): log-linear in F per group size, linear in G through the two group sizes.
  @Test func sparseRowCostInterpolatesInFootprintAndGroupSize() {
    let k = Self.kernelRates
    #expect(k.sparseSecondsPerRow(groupSize: 1, footprintBytes: 100) == 1)
    #expect(k.sparseSecondsPerRow(groupSize: 3, footprintBytes: 10_000) == 7)
    #expect(abs(k.sparseSecondsPerRow(groupSize: 1, footprintBytes: 1000) - 2) < 1e-12)  // halfway in ln F
    #expect(abs(k.sparseSecondsPerRow(groupSize: 2, footprintBytes: 1000) - 3.25) < 1e-12)  // 2 + (4.5 − 2)/2
    #expect(abs(k.sparseSecondsPerRow(groupSize: 5, footprintBytes: 100) - 3) < 1e-12)  // extrapolated: 1 + 4·(2 − 1)/2
    #expect(k.sparseSecondsPerRow(groupSize: 1, footprintBytes: 10, scope: .perThread) == 2)  // constant below the curve
    #expect(k.sparseSecondsPerRow(groupSize: 3, footprintBytes: 1e9, scope: .perThread) == 14)
  }

  /// Kernel work at the kernels' rates, the rest at the primitive rates (hand-computed).
  @Test func kernelRatesPriceTheirWorkHandComputed() {
    var l = FlopLedger()
    // projections: 300 flops of which 200 GEMM (4 s at 50) + 100 at P (1 s); 20 bytes at W = 2 s.
    l.add(.projections, FlopCounts(flops: 300))
    l.addBytes(.projections, ByteCounts(read: 15, written: 5))
    // indexer: 150 flops, 10 σ, of which GEMM 50 (1 s), tile 80 flops + 8 σ (4 s at 20); rest 20 flops
    // at P (0.2 s) + 2 σ at R_σ 4 (0.5 s): 5.7 s.
    l.add(.indexer, FlopCounts(flops: 150, transcendentals: 10))
    // attention (sparse): 6 gathered rows at G 3, F 100 → 12 s; rest 10 flops (0.1 s); 30 bytes streamed → 3 s.
    l.add(.attention, FlopCounts(flops: 110, transcendentals: 20, comparisons: 20))
    l.addBytes(.attention, ByteCounts(read: 25, written: 5, gathered: 48))
    var work = TimeModel.KernelWork()
    work.gemmFlops = [.projections: 200, .indexer: 50]
    work.tileCounts = [.indexer: FlopCounts(flops: 80, transcendentals: 8)]
    work.sparseRows = 6
    work.sparseCounts = FlopCounts(flops: 100, transcendentals: 20, comparisons: 20)
    work.groupSize = 3
    let model = TimeModel(rates: Self.kernelModelRates)
    let p = model.predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    let expected: [FlopBucket: Double] = [.projections: 5, .indexer: 5.7, .attention: 12.1, .gates: 0, .selection: 0]
    for (bucket, seconds) in expected {
      #expect(abs(p.buckets[bucket]!.seconds - seconds) < 1e-12, "\(bucket): \(p.buckets[bucket]!.seconds) vs \(seconds)")
    }
    #expect(abs(p.buckets[.projections]!.kernelSeconds - 4) < 1e-12)
    #expect(p.buckets[.attention]!.gatherSeconds == 0)  // the row cost includes the gathers
    #expect(abs(p.buckets[.attention]!.kernelSeconds - 12) < 1e-12)
    // Without the kernel rates (a spec profile's case) the same ledger and work are priced as before.
    let primitive = TimeModel(rates: Self.kernelModelRates.primitivesOnly)
      .predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    let plain = TimeModel(rates: Self.rates).predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)])
    for bucket in FlopBucket.allCases {
      #expect(primitive.buckets[bucket]!.seconds == plain.buckets[bucket]!.seconds, "\(bucket)")
      #expect(primitive.buckets[bucket]!.kernelSeconds == 0)
    }
    // Decode streams at the read rate W_read = 8 B/s.
    let decode = model.predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)])
    #expect(abs(decode.buckets[.projections]!.streamSeconds - 20.0 / 8) < 1e-12)
  }

  /// `kernelWork` takes the closed forms of docs/time-model.md out of `CostModel`'s ledger.
  @Test func kernelWorkIsTheDocumentedPartOfTheLedger() {
    var c = LayerConfig.tiny
    c.kRule = .fixed
    let L = 48
    let D = c.modelDim, nq = c.heads * c.headDim, nkv = c.kvHeads * c.headDim, HI = c.indexerHeads, dI = c.indexerDim
    for variant in Variant.allCases {
      let vc = c.configured(for: variant)
      let ledger = CostModel(config: vc, variant: variant).ledger(length: L)
      let work = TimeModel.kernelWork(config: vc, variant: variant, phase: .prefill, length: L, ledger: ledger)
      #expect(work.gemmFlops[.projections] == 2 * L * D * (nq + 2 * nkv) + 2 * L * nq * D)
      let gates = variant.isGated ? (vc.valueGate ? 2 * L * D * nkv : 0) + (vc.outputGate ? 2 * L * D * nq : 0) : nil
      #expect(work.gemmFlops[.gates] == gates)
      if variant.isSparse {
        #expect(work.gemmFlops[.indexer] == 2 * L * D * (HI * dI + dI + HI))
        // Executed pairs: 6-row groups over ⌈min(6g + 6, L)⌉₁₆ keys; H_I(2d_I + 3) flops each.
        var pairs = 0
        for g in 0..<((L + 5) / 6) { pairs += 6 * ((min(6 * g + 6, L) + 15) / 16 * 16) }
        #expect(work.tileCounts[.indexer]?.flops == pairs * HI * (2 * dI + 3))
        let selected = CostModel(config: vc, variant: variant).nominalBudgets(length: L).reduce(0, +)
        #expect(work.sparseRows == Double(selected * vc.kvHeads))
        #expect(work.sparseCounts.flops == ledger.executed[.attention].flops - L * nq)
        #expect(work.groupSize == vc.heads / vc.kvHeads)
      } else {
        #expect(work.tileCounts[.attention]?.flops == ledger.executed[.attention].flops - L * nq)
        #expect(work.sparseRows == 0)
      }
    }
    // Decode: the dense core's B·H_kv·(L + 1) rows (its K and V bytes), the sparse core's gathered rows.
    for B in [1, 3] {
      for variant in Variant.allCases {
        let vc = c.configured(for: variant)
        let ledger = CostModel(config: vc, variant: variant).decodeLedger(length: L, batch: B, kPerSequence: nil)
        let work = TimeModel.kernelWork(config: vc, variant: variant, phase: .decode, length: L, batch: B, ledger: ledger)
        #expect(work.gemmFlops.isEmpty && work.tileCounts.isEmpty)
        // The B rows' GEMMs: weights e·D(2n_q + 2n_kv) [+ gates] [+ indexer], 2B FLOPs per weight.
        let D = vc.modelDim
        #expect(work.gemvWeightBytes[.projections] == 4 * D * (2 * nq + 2 * nkv))
        #expect(work.gemvFlops[.projections] == 2 * B * D * (2 * nq + 2 * nkv))
        let gateWeights = (vc.valueGate ? D * nkv : 0) + (vc.outputGate ? D * nq : 0)
        #expect(work.gemvWeightBytes[.gates] == (variant.isGated && gateWeights > 0 ? 4 * gateWeights : nil))
        #expect(work.gemvWeightBytes[.indexer] == (variant.isSparse ? 4 * D * (HI * dI + dI + HI) : nil))
        if variant.isSparse {
          let k = min(vc.kBase, L + 1)
          #expect(work.sparseRows == Double(B * vc.kvHeads * k), "\(variant) B \(B)")
          #expect(work.decodeRows == 0)
          #expect(work.selectionTasks == B, "below the split threshold: one selection task per sequence")
        } else {
          #expect(work.decodeRows == Double(B * vc.kvHeads * (L + 1)), "\(variant) B \(B)")
          #expect(work.decodeBytes == B * vc.kvHeads * (L + 1) * 2 * 4 * vc.headDim)
          #expect(work.decodeCounts.flops == ledger.executed[.attention].flops - B * nq)
          #expect(work.sparseRows == 0)
        }
      }
    }
  }

  /// Decode's GEMMs at max(weights/R_gemv, FLOPs/R_gemm) (hand-computed), their weights out of the stream.
  @Test func decodeGemmsArePricedByTheirWeights() {
    var l = FlopLedger()
    // projections: 60 flops, 60 bytes read (48 of them weights), 12 written.
    l.add(.projections, FlopCounts(flops: 60))
    l.addBytes(.projections, ByteCounts(read: 60, written: 12))
    var work = TimeModel.KernelWork()
    work.gemvWeightBytes = [.projections: 48]
    work.gemvFlops = [.projections: 40]
    var rates = Self.kernelModelRates
    rates.gemvWeightBytesPerSecond = 4
    let p = TimeModel(rates: rates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    let b = p.buckets[.projections]!
    // max(48 B / 4, 40 flops / R_gemm 50) = 12 s; 20 flops at P 100 = 0.2 s; 24 bytes at W_read 8 = 3 s.
    #expect(abs(b.kernelSeconds - 12) < 1e-12)
    #expect(abs(b.flopSeconds - 0.2) < 1e-12)
    #expect(abs(b.streamSeconds - 3) < 1e-12)
    // Many rows: the FLOPs bound it.
    work.gemvFlops = [.projections: 1000]
    l.add(.projections, FlopCounts(flops: 940))
    let q = TimeModel(rates: rates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    #expect(abs(q.buckets[.projections]!.kernelSeconds - 20) < 1e-12)
    // Prefill ignores the GEMV work.
    let prefill = TimeModel(rates: rates).predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    #expect(prefill.buckets[.projections]!.kernelSeconds == 0)
  }

  /// Decode's selection (hand-computed): its sides add on a measured profile's rates; with fewer
  /// tasks than threads it runs at the one-thread τ_c and W_read, one thread per task; prefill, and
  /// rates whose sides overlap, keep max(compute, memory).
  @Test func decodeSelectionSidesAddAndUseOneThreadPerTask() {
    var l = FlopLedger()
    // selection: 20 flops, 12 comparisons, 48 bytes read.
    l.add(.selection, FlopCounts(flops: 20, comparisons: 12))
    l.addBytes(.selection, ByteCounts(read: 48))
    var rates = Self.rates
    rates.readBytesPerSecond = 8
    rates.threads = 4
    rates.perThreadTopKSecondsPerComparison = 2
    rates.perThreadReadBytesPerSecond = 3
    rates.decodeSidesAdd = true
    var work = TimeModel.KernelWork()
    // 2 tasks on 4 threads: 12 comparisons × 2 s / 2 tasks = 12 s; 20 flops at P/4 per thread × 2 = 0.4 s;
    // 48 B at 3 B/s × 2 = 8 s; added: 20.4 s.
    work.selectionTasks = 2
    let few = TimeModel(rates: rates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
      .buckets[.selection]!
    #expect(abs(few.topKSeconds - 12) < 1e-12)
    #expect(abs(few.flopSeconds - 0.4) < 1e-12)
    #expect(abs(few.streamSeconds - 8) < 1e-12)
    #expect(abs(few.seconds - 20.4) < 1e-12)
    // 8 tasks: all-cores τ_c 0.5 → 6 s, 0.2 s of flops, 48 B at W_read 8 → 6 s; added: 12.2 s.
    work.selectionTasks = 8
    let many = TimeModel(rates: rates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
      .buckets[.selection]!
    #expect(abs(many.seconds - 12.2) < 1e-12)
    // Sides that overlap: max(6.2, 6) = 6.2 s.
    rates.decodeSidesAdd = false
    let overlapping = TimeModel(rates: rates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    #expect(abs(overlapping.buckets[.selection]!.seconds - 6.2) < 1e-12)
    rates.decodeSidesAdd = true
    // Prefill: max(6.2, 48 B at W 10 = 4.8) = 6.2 s.
    let prefill = TimeModel(rates: rates).predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    #expect(abs(prefill.buckets[.selection]!.seconds - 6.2) < 1e-12)
  }

  /// The decode selection's tasks follow `DecodeSelectionSplit`: B·(⌈n/s⌉ + 1) for the adaptive rules
  /// once n = L + 1 splits (the extra task sums the new row's statistics), B·⌈n/s⌉ for the fixed rule.
  @Test func decodeSelectionTasksFollowTheSplit() {
    let s = DecodeSelectionSplit.standard
    for rule in AdaptiveKRule.allCases {
      var c = LayerConfig.small
      c.kRule = rule
      for (L, B) in [(s.threshold - 2, 1), (s.threshold - 1, 1), (s.threshold - 1, 3), (4 * s.rangeSize, 2)] {
        let ledger = CostModel(config: c, variant: .gsa).decodeLedger(length: L, batch: B, kPerSequence: nil)
        let work = TimeModel.kernelWork(config: c, variant: .gsa, phase: .decode, length: L, batch: B, ledger: ledger)
        let n = L + 1
        let expected = n >= s.threshold ? B * ((n + s.rangeSize - 1) / s.rangeSize + (rule == .fixed ? 0 : 1)) : B
        #expect(work.selectionTasks == expected, "rule \(rule) L \(L) B \(B)")
      }
    }
    // Dense variants have no selection tasks.
    let dense = TimeModel.kernelWork(config: .small, variant: .dense, phase: .decode, length: 10, batch: 1, ledger: FlopLedger())
    #expect(dense.selectionTasks == nil)
  }

  /// Each parallel region a decode bucket opens adds r_region (hand-computed: 3 regions × 0.25 s on
  /// top of the bucket's sides); prefill and a model without the latency add nothing; the kernel
  /// work counts the regions on the rates' threads (none on one thread).
  @Test func decodeRegionsAddTheirLatency() {
    var l = FlopLedger()
    l.add(.attention, FlopCounts(flops: 100))
    var rates = Self.rates
    rates.decodeSidesAdd = true
    var work = TimeModel.KernelWork()
    work.parallelRegions[.attention] = 3
    let without = TimeModel(rates: rates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    rates.parallelRegionSeconds = 0.25
    let with = TimeModel(rates: rates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    #expect(without.buckets[.attention]!.regionSeconds == 0)
    #expect(abs(with.buckets[.attention]!.regionSeconds - 0.75) < 1e-12)
    #expect(abs(with.total - without.total - 0.75) < 1e-12)
    let prefill = TimeModel(rates: rates).predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)], kernelWork: work)
    #expect(prefill.buckets[.attention]!.regionSeconds == 0)
    let c = LayerConfig.paperShape.configured(for: .gsa)
    let ledger = CostModel(config: c, variant: .gsa).decodeLedger(length: 8192, batch: 1, kPerSequence: nil)
    let two = TimeModel.kernelWork(config: c, variant: .gsa, phase: .decode, length: 8192, ledger: ledger, threads: 2)
    #expect(two.parallelRegions == AttentionLayer.decodeParallelRegions(config: c, variant: .gsa, batch: 1, length: 8192, workers: 2))
    #expect(two.parallelRegions.total == 5)
    let one = TimeModel.kernelWork(config: c, variant: .gsa, phase: .decode, length: 8192, ledger: ledger, threads: 1)
    #expect(one.parallelRegions.total == 0)
  }

  /// The projections bucket's transcendentals (the RoPE tables' cos, sin, pow) at R_rope when the
  /// rates have it, at R_σ otherwise; the other buckets keep R_σ (hand-computed: 12 at 4/s = 3 s).
  @Test func ropeTranscendentalsUseTheirOwnRate() {
    var l = FlopLedger()
    l.add(.projections, FlopCounts(transcendentals: 12))
    l.add(.gates, FlopCounts(transcendentals: 12))
    var rates = Self.rates
    let sigmoid = rates.sigmoidsPerSecond!
    rates.ropeTranscendentalsPerSecond = 4
    let p = TimeModel(rates: rates).predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)])
    #expect(abs(p.buckets[.projections]!.transcendentalSeconds - 3) < 1e-12)
    #expect(abs(p.buckets[.gates]!.transcendentalSeconds - 12 / sigmoid) < 1e-12)
    let primitive = TimeModel(rates: rates.primitivesOnly).predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 100)])
    #expect(abs(primitive.buckets[.projections]!.transcendentalSeconds - 12 / sigmoid) < 1e-12)
  }

  /// A missed bucket names the term that prices most of it and the cost its measured time implies
  /// for that term (hand-computed): 1000 FLOPs at P 100 = 10 s, 20 B at W 10 = 2 s. Prefill (max):
  /// 13 s measured → (13 − 0)/10 = 1.3 on P; decode (sides add, 12 s): 15 s → (15 − 2)/10 = 1.3; a
  /// bucket within ±20% is no miss.
  @Test func missesNameTheirRateAndItsImpliedCost() {
    var l = FlopLedger()
    l.add(.projections, FlopCounts(flops: 1000))
    l.addBytes(.projections, ByteCounts(read: 20))
    var rates = Self.rates
    rates.decodeSidesAdd = true
    let model = TimeModel(rates: rates)
    func row(_ phase: TimeModel.Phase, measured: Double) -> TimeModelValidation.Row {
      let p = model.predict(l, phase: phase, gatherFootprints: [.init(bytes: 100)])
      var m = BucketSeconds()
      m[.projections] = measured
      return TimeModelValidation.Row(
        series: "test", phase: phase, variant: .dense, length: 1, measuredSeconds: measured, measured: m, predicted: p,
        primitive: p, bestSeconds: measured, best: m, predictedFromBest: p)
    }
    let prefill = row(.prefill, measured: 13).misses
    #expect(prefill.count == 1 && prefill[0].bucket == .projections && prefill[0].term == "P")
    #expect(abs(prefill[0].costRatio - 1.3) < 1e-12)
    let decode = row(.decode, measured: 15).misses
    #expect(decode.count == 1 && abs(decode[0].costRatio - 1.3) < 1e-12)
    #expect(row(.decode, measured: 14).misses.isEmpty)
    #expect(row(.prefill, measured: 11).misses.isEmpty)
    #expect(
      TimeModelValidation.termName(.kernel, bucket: .attention, phase: .decode, variant: .dense) == "c_D(F)"
        && TimeModelValidation.termName(.kernel, bucket: .projections, phase: .prefill, variant: .gsa) == "R_gemm"
        && TimeModelValidation.termName(.transcendentals, bucket: .projections, phase: .prefill, variant: .gsa) == "R_rope")
  }

  /// The dense decode core's rows at c_D(F) (hand-computed), its K and V bytes out of the stream.
  @Test func decodeRowsArePricedAtTheirRowCost() {
    let k = Self.kernelRates
    // c_D at the curve's points, log-linear between them, constant beyond; scaled by d/d_p.
    #expect(k.decodeSecondsPerRow(headDim: 8, footprintBytes: 100) == 1)
    #expect(abs(k.decodeSecondsPerRow(headDim: 8, footprintBytes: 1000, scope: .perThread) - 4) < 1e-12)
    #expect(k.decodeSecondsPerRow(headDim: 16, footprintBytes: 1e6) == 10)
    var l = FlopLedger()
    // attention: 50 flops of which 40 in the core; 100 bytes read, 64 of them the rows' K and V.
    l.add(.attention, FlopCounts(flops: 50))
    l.addBytes(.attention, ByteCounts(read: 100, written: 4))
    var work = TimeModel.KernelWork()
    work.decodeRows = 3
    work.decodeCounts = FlopCounts(flops: 40)
    work.decodeBytes = 64
    work.headDim = 8
    let p = TimeModel(rates: Self.kernelModelRates).predict(l, phase: .decode, gatherFootprints: [.init(bytes: 1000)], kernelWork: work)
    let a = p.buckets[.attention]!
    // 3 rows × c_D(1000) = 3 × 3 (all cores: 1 → 5 over two decades) = 9 s; 10 flops at P 100 = 0.1 s;
    // 40 bytes at W_read 8 = 5 s.
    #expect(abs(a.kernelSeconds - 9) < 1e-12)
    #expect(abs(a.flopSeconds - 0.1) < 1e-12)
    #expect(abs(a.streamSeconds - 5) < 1e-12)
    #expect(abs(a.seconds - 9.1) < 1e-12)
    // Without the kernel rates the rows are priced at the primitive rates again.
    let primitive = TimeModel(rates: Self.kernelModelRates.primitivesOnly)
      .predict(l, phase: .decode, gatherFootprints: [.init(bytes: 1000)], kernelWork: work)
    #expect(primitive.buckets[.attention]!.kernelSeconds == 0)
    #expect(abs(primitive.buckets[.attention]!.streamSeconds - 10.4) < 1e-12)
  }

  /// A measured profile's model takes every kernel rate at its scope; a spec profile has none.
  @Test func profilesResolveTheKernelRates() throws {
    let k = Self.kernelRates
    let measured = MachineProfile.MeasuredRates(
      threads: 2, fmaFlopsPerSecond: .init(perThread: 1, allCores: 2), triadBytesPerSecond: .init(perThread: 1, allCores: 2),
      gatherRowBytes: 512, gatherCurve: [.init(footprintBytes: 1024, bytesPerSecond: .init(perThread: 1, allCores: 1))],
      topKCandidates: 32768, topKBudget: 2048, topKSecondsPerCandidate: .init(perThread: 3e-9, allCores: 2e-9),
      sigmoidsPerSecond: .init(perThread: 1, allCores: 1), expsPerSecond: .init(perThread: 1, allCores: 1), kernels: k)
    let profile = MachineProfile(machine: .init(name: "this", model: "test"), date: "2026-01-01T00:00:00Z", rates: .measured(measured))
    for scope in MachineProfile.Scope.allCases {
      let r = TimeModel(profile: profile, scope: scope).rates
      #expect(r.gemmFlopsPerSecond == k.gemmFlopsPerSecond[scope])
      #expect(r.denseTileFlopsPerSecond == k.denseFlopsPerSecond[scope])
      #expect(r.indexerTileFlopsPerSecond == k.indexerFlopsPerSecond[scope])
      #expect(r.readBytesPerSecond == k.readBytesPerSecond[scope])
      #expect(r.gemvWeightBytesPerSecond == k.gemvWeightBytesPerSecond[scope])
      #expect(r.sparseRowSeconds(2, groupSize: 1, footprints: [.init(bytes: 100)]) == 2 * k.sparseRowCurve[0].secondsPerRow[0][scope])
      #expect(r.decodeSidesAdd)
    }
    // The all-cores model keeps the one-thread τ_c and W_read for a selection with fewer tasks than threads.
    let allCores = TimeModel(profile: profile).rates
    #expect(allCores.threads == 2)
    #expect(allCores.parallelRegionSeconds == k.parallelRegionSeconds)
    #expect(allCores.ropeTranscendentalsPerSecond == 6)
    #expect(TimeModel(profile: profile, scope: .perThread).rates.ropeTranscendentalsPerSecond == 3)
    #expect(allCores.perThreadReadBytesPerSecond == k.readBytesPerSecond.perThread)
    let comparisons = Double(6 * 32768 + 3 * 4096 + 7168)  // r(n, k), G = 16⌈k/8⌉
    #expect(abs(allCores.perThreadTopKSecondsPerComparison! - 3e-9 * 32768 / comparisons) < 1e-24)
    let h100 = TimeModel(profile: try MachineProfile.spec(named: "h100"), precision: .bf16).rates
    #expect(h100.gemmFlopsPerSecond == nil && h100.denseTileFlopsPerSecond == nil && h100.rowCosts == nil)
    #expect(!h100.decodeSidesAdd)
    #expect(h100 == h100.primitivesOnly)
  }

  /// Scaling every count of a ledger by n scales every bucket's prediction by n (seeded random ledgers).
  @Test func predictionsAreLinearInTheCounts() throws {
    let counts = Gen<Int>.int(in: 0...1_000_000)
    try forAll(Gen.zip(counts.array(count: .constant(8)), Gen<Int>.int(in: 2...9)), configuration: .init(cases: 60)) { values, n in
      var l = FlopLedger()
      l.add(.indexer, FlopCounts(flops: values[0], transcendentals: values[1], comparisons: values[2]))
      l.addBytes(.indexer, ByteCounts(read: values[3], written: values[4]))
      l.add(.attention, FlopCounts(flops: values[5], transcendentals: values[6]))
      l.addBytes(.attention, ByteCounts(read: values[7], gathered: values[7] / 2))
      var scaled = FlopLedger()
      for b in FlopBucket.allCases {
        scaled.add(b, l.executed[b].times(n))
        scaled.addBytes(b, l.bytes[b].times(n))
      }
      let model = TimeModel(rates: Self.rates)
      let p = model.predict(l, phase: .prefill, gatherFootprints: [.init(bytes: 500)])
      let q = model.predict(scaled, phase: .prefill, gatherFootprints: [.init(bytes: 500)])
      return FlopBucket.allCases.allSatisfy { abs(q.seconds[$0] - Double(n) * p.seconds[$0]) <= 1e-9 * max(1, q.seconds[$0]) }
    }
  }

  @Test func bucketSecondsMedianIsPerBucket() {
    var a = BucketSeconds(), b = BucketSeconds(), c = BucketSeconds()
    a.indexer = 1
    b.indexer = 3
    c.indexer = 2
    a.attention = 5
    #expect(BucketSeconds.median([a, b, c]).indexer == 2)
    #expect(BucketSeconds.median([a, b, c]).attention == 0)
    #expect(BucketSeconds.median([a, b]).indexer == 2)
    #expect(BucketSeconds.median([]).total == 0)
  }

  /// The timers charge each variant's buckets (structure only, no threshold on time), and timing
  /// leaves the counts equal to the closed form.
  @Test func phaseTimersChargeTheBucketsThatRan() throws {
    let config = LayerConfig.tiny
    let x = Sweep.input(length: 40, modelDim: config.modelDim, seed: 7)
    for variant in Variant.allCases {
      let layer = try AttentionLayer(config: config.configured(for: variant), variant: variant, seed: 3)
      let result = try layer.forward(x)
      let s = result.seconds
      #expect(FlopBucket.allCases.allSatisfy { s[$0] >= 0 && s[$0].isFinite })
      #expect(s.projections > 0 && s.attention > 0)
      #expect((s.indexer > 0) == variant.isSparse && (s.selection > 0) == variant.isSparse, "\(variant)")
      #expect(
        result.ledger
          == CostModel(config: layer.config, variant: variant).ledger(length: 40, kPerQuery: variant.isSparse ? result.kPerQuery : nil))
      let cache = try layer.makeCache(batch: 2, capacity: 41)
      try layer.append([x, x], to: cache)
      let step = try layer.decodeStep(Sweep.input(length: 2, modelDim: config.modelDim, seed: 8), cache: cache)
      #expect(step.seconds.attention > 0 && (step.seconds.indexer > 0) == variant.isSparse, "\(variant)")
    }
  }

  /// The paper's 128K bf16 gathered bytes by hand: 2e·n_kv·Σ_t min(2048, t + 1) = 4·1024·266 339 328.
  @Test func gpuModelMatchesHandComputedPaperCase() throws {
    var c = LayerConfig.paper
    c.kRule = .fixed
    let m = GPUSpeedupModel(config: c, length: 131_072, flopsPerSecond: 1e15, hbmBytesPerSecond: 4e12)
    #expect(m.gatheredBytes == 4 * 1024 * 266_339_328)
    let phi12 = try #require(m.requiredOnChipFraction(speedup: 12))
    #expect(phi12 > 0 && phi12 < 1)
    // At φ_S the budget left is exactly the indexer's FLOP bound.
    #expect(abs(m.budgetSeconds(speedup: 12, onChipFraction: phi12) - m.indexerFloorSeconds) < 1e-12)
    var previous = 0.0
    for phi in stride(from: 0.0, through: 1.0, by: 0.05) {
      let s = m.speedup(onChipFraction: phi)
      #expect(s >= previous)
      previous = s
    }
    // Unreachable once the core's and indexer's FLOP bounds exceed T_dense/S.
    #expect(m.requiredOnChipFraction(speedup: m.denseSeconds / (m.coreFlops / 1e15 + m.indexerFloorSeconds) * 1.01) == nil)
  }
}
