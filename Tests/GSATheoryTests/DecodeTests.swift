import GSATheory
import GSLKit
import PropertyTesting
import Testing

@testable import GSAModel

@Suite struct DecodeTests {
  struct Case: CustomStringConvertible {
    var config: LayerConfig
    var variant: Variant
    /// Tokens already in the cache; the step decodes token t.
    var t: Int
    var batch: Int
    var seed: UInt64
    var description: String { "\(variant) t \(t) batch \(batch) seed \(seed) \(config)" }
  }

  /// Random causal configurations (every rule, activation, gate and scale setting), variants,
  /// cache lengths 0...90 and batches 1...3.
  static var cases: Gen<Case> {
    Gen<(LayerConfig, Variant, Int)>.zip(
      Gen<LayerConfig>.layerConfig(maxHeadDim: 12, maxHeads: 4, maxK: 24), .element(of: Variant.allCases),
      Gen<Int>.int(in: 0...90)
    ).flatMap { config, variant, t in
      Gen<(Int, Int)>.zip(.int(in: 1...3), .int(in: 0...1_000_000)).map { batch, seed in
        Case(config: config, variant: variant, t: t, batch: batch, seed: UInt64(seed))
      }
    }
  }

  /// Seeded inputs of t + 1 tokens per sequence.
  static func inputs(_ test: Case) throws -> [Matrix] {
    let rng = GSLRandom(seed: test.seed)
    return try (0..<test.batch).map { _ in
      try Matrix(
        rows: test.t + 1, cols: test.config.modelDim,
        doubles: rng.gaussianMatrix(rows: test.t + 1, cols: test.config.modelDim, scale: 1))
    }
  }

  /// The case's layer, its full inputs, a cache holding the prefill of the first t tokens (an
  /// empty cache of capacity 1 at t = 0) and token t of every sequence as the next decode input.
  static func prefilled(_ test: Case) throws -> (AttentionLayer, [Matrix], KVCache, Matrix) {
    let layer = try AttentionLayer(config: test.config, variant: test.variant, seed: test.seed)
    let full = try inputs(test)
    let cache: KVCache
    if test.t == 0 {
      cache = try layer.makeCache(batch: test.batch, capacity: 1)
    } else {
      cache = try layer.prefill(try full.map { try rows($0, 0..<test.t) }, capacity: test.t + 1).cache
    }
    var next = Matrix(rows: test.batch, cols: test.config.modelDim)
    for b in 0..<test.batch {
      for j in 0..<test.config.modelDim { next[b, j] = full[b][test.t, j] }
    }
    return (layer, full, cache, next)
  }

  static func rows(_ m: Matrix, _ range: Range<Int>) throws -> Matrix {
    try Matrix(rows: range.count, cols: m.cols, storage: Array(m.storage[(range.lowerBound * m.cols)..<(range.upperBound * m.cols)]))
  }

  /// Worst |a − b| / max(max |b|, 1e-6) over a row, with NaN equal to NaN (empty selections).
  static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    let scale = max(b.map { Double(abs($0)) }.filter(\.isFinite).max() ?? 0, 1e-6)
    var worst = 0.0
    for (x, y) in zip(a, b) {
      if x.isNaN && y.isNaN { continue }
      worst = max(worst, x.isNaN || y.isNaN ? .infinity : Double(abs(x - y)) / scale)
    }
    return worst
  }

  /// Decoding token t after a prefill of t tokens gives the prefill of t + 1 tokens at position t:
  /// output within 1e-5 relative, the same S_t and k_t; and the step's ledger (FLOPs and bytes,
  /// every bucket) equals `CostModel.decodeLedger` exactly.
  @Test func decodeEqualsPrefillAndItsLedgerIsPredicted() throws {
    try forAll(Self.cases, configuration: .init(cases: 70)) { test in
      let (layer, full, cache, next) = try Self.prefilled(test)
      let step = try layer.decodeStep(next, cache: cache, options: ForwardOptions(recordSelection: true))
      guard cache.length == test.t + 1 else { return false }
      for b in 0..<test.batch {
        let reference = try layer.forward(full[b], options: ForwardOptions(recordSelection: true))
        guard Self.relativeError(step.output.row(b), reference.output.row(test.t)) <= 1e-5 else { return false }
        guard step.kPerSequence[b] == reference.kPerQuery[test.t] else { return false }
        if test.variant.isSparse {
          guard step.selected?[b] == reference.selected?[test.t] else { return false }
        }
      }
      guard
        step.parallelRegions
          == AttentionLayer.decodeParallelRegions(config: layer.config, variant: test.variant, batch: test.batch, length: test.t)
      else { return false }
      let model = CostModel(config: test.config, variant: test.variant)
      return step.ledger == model.decodeLedger(length: test.t, batch: test.batch, kPerSequence: step.kPerSequence)
    }
  }

  /// The parallel regions a step opens, counted per bucket as it runs, are
  /// `AttentionLayer.decodeParallelRegions`: at the paper shape's widths (D 512, so the one-row
  /// GEMMs split), every variant and rule, batches 1...4, forced and standard splits.
  @Test func decodeParallelRegionsAreTheCountedOnes() throws {
    let gen = Gen<(Variant, AdaptiveKRule, Int)>.zip(
      .element(of: Variant.allCases), .element(of: AdaptiveKRule.allCases), .int(in: 0...40)
    ).flatMap { variant, rule, t in
      Gen<(Int, Int, Bool)>.zip(.int(in: 1...4), .int(in: 0...1_000_000), .bool).map { batch, seed, forced in
        var config = LayerConfig.paperShape
        config.kRule = rule
        config.kBase = 8
        config.kMin = 4
        config.kMax = 16
        return (Case(config: config, variant: variant, t: t, batch: batch, seed: UInt64(seed)), forced)
      }
    }
    try forAll(gen, configuration: .init(cases: 24)) { test, forced in
      let (layer, _, cache, next) = try Self.prefilled(test)
      let split = forced ? DecodeSelectionSplit(threshold: 0, rangeSize: 7) : .standard
      let step = try layer.decodeStep(next, cache: cache, options: ForwardOptions(), selectionSplit: split)
      return step.parallelRegions
        == AttentionLayer.decodeParallelRegions(
          config: layer.config, variant: test.variant, batch: test.batch, length: test.t, selectionSplit: split)
    }
  }

  /// Hand-counted regions at the paper shape on 2 workers: one-row GEMMs open one when B holds
  /// ≥ 2¹⁸ floats (W_q, W_o, W_gate_o: 512 × 512), the scores at n = 8193 split in 4 tasks, the
  /// selection's candidate pass splits from n = 32768 (10 tasks at n = 131073), its per-sequence
  /// pass needs B ≥ 2, the core has B·H_kv·parts ≥ 2 tasks; nothing opens on one worker.
  @Test func decodeParallelRegionsHandCounted() {
    let c = LayerConfig.paperShape
    func regions(_ v: Variant, _ B: Int, _ L: Int, _ W: Int = 2) -> [Int] {
      let r = AttentionLayer.decodeParallelRegions(config: c.configured(for: v), variant: v, batch: B, length: L, workers: W)
      return FlopBucket.allCases.map { r[$0] }
    }
    // projections, gates, indexer, selection, attention
    #expect(FlopBucket.allCases == [.projections, .gates, .indexer, .selection, .attention])
    #expect(regions(.gsa, 1, 8192) == [2, 1, 1, 0, 1])
    #expect(regions(.gsa, 1, 131_072) == [2, 1, 1, 1, 1])
    #expect(regions(.gsa, 4, 8192) == [2, 1, 1, 1, 1])
    #expect(regions(.dense, 1, 8192) == [2, 0, 0, 0, 1])
    #expect(regions(.gatedOnly, 1, 100) == [2, 1, 0, 0, 1])
    #expect(regions(.sparseOnly, 1, 131_072) == [2, 0, 1, 1, 1])
    #expect(regions(.gsa, 8, 131_072, 1) == [0, 0, 0, 0, 0])
  }

  struct SplitCase: CustomStringConvertible {
    var base: Case
    var rangeSize: Int
    var description: String { "\(base) range \(rangeSize)" }
  }

  /// Sparse variants, every rule, cache lengths 0...600 (more than two of `varianceMeanChunk`'s
  /// 256-row chunks), batches 1...3, ranges of 1...700 candidates (below, at and above the
  /// chunk; below and above the budget).
  static var splitCases: Gen<SplitCase> {
    Gen<(LayerConfig, Variant, Int)>.zip(
      Gen<LayerConfig>.layerConfig(maxHeadDim: 8, maxHeads: 4, maxK: 24), .element(of: [Variant.sparseOnly, .gsa]),
      Gen<Int>.int(in: 0...600)
    ).flatMap { config, variant, t in
      Gen<(Int, Int, Int)>.zip(.int(in: 1...3), .int(in: 0...1_000_000), .element(of: [1, 2, 7, 16, 33, 255, 256, 300, 700]))
        .map { batch, seed, range in
          SplitCase(base: Case(config: config, variant: variant, t: t, batch: batch, seed: UInt64(seed)), rangeSize: range)
        }
    }
  }

  /// The split selection (`DecodeSelectionSplit`, forced at every n and batch) is the one select:
  /// the same S_t, k_t, Var_t, V̄ and output bits as the unsplit step on the same cache; it still
  /// equals the prefill of t + 1 tokens at position t; and both steps' ledgers equal
  /// `CostModel.decodeLedger` with the same split.
  @Test func splitSelectionEqualsOneSelectAndThePrefill() throws {
    try forAll(Self.splitCases, configuration: .init(cases: 40)) { split in
      let test = split.base
      let (layer, full, cache, next) = try Self.prefilled(test)
      let forced = DecodeSelectionSplit(threshold: 0, rangeSize: split.rangeSize)
      let never = DecodeSelectionSplit(threshold: .max, rangeSize: split.rangeSize)
      let options = ForwardOptions(recordSelection: true)
      let splitStep = try layer.decodeStep(next, cache: cache, options: options, selectionSplit: forced)
      cache.truncate(to: test.t)
      let oneStep = try layer.decodeStep(next, cache: cache, options: options, selectionSplit: never)
      guard splitStep.selected == oneStep.selected, splitStep.kPerSequence == oneStep.kPerSequence else { return false }
      guard splitStep.variances.map(\.bitPattern) == oneStep.variances.map(\.bitPattern) else { return false }
      guard splitStep.meanVariances.map(\.bitPattern) == oneStep.meanVariances.map(\.bitPattern) else { return false }
      guard splitStep.output.storage.map(\.bitPattern) == oneStep.output.storage.map(\.bitPattern) else { return false }
      for b in 0..<test.batch {
        let reference = try layer.forward(full[b], options: options)
        guard Self.relativeError(splitStep.output.row(b), reference.output.row(test.t)) <= 1e-5 else { return false }
        guard splitStep.kPerSequence[b] == reference.kPerQuery[test.t] else { return false }
        guard splitStep.selected?[b] == reference.selected?[test.t] else { return false }
      }
      guard
        splitStep.parallelRegions
          == AttentionLayer.decodeParallelRegions(
            config: layer.config, variant: test.variant, batch: test.batch, length: test.t, selectionSplit: forced)
      else { return false }
      let model = CostModel(config: test.config, variant: test.variant)
      let k = splitStep.kPerSequence
      return splitStep.ledger == model.decodeLedger(length: test.t, batch: test.batch, kPerSequence: k, selectionSplit: forced)
        && oneStep.ledger == model.decodeLedger(length: test.t, batch: test.batch, kPerSequence: k, selectionSplit: never)
    }
  }

  /// The standard split: ranges of 16384 from n = 32768, at any batch; a split's
  /// comparisons at L = 131072, c = 512 are 8·r(16384, 512) + r(1, 512) + r(4097, 512).
  @Test func standardSplitCounts() {
    let standard = DecodeSelectionSplit.standard
    #expect(!standard.splits(candidates: 32767))
    #expect(standard.splits(candidates: 32768))
    #expect(standard.splits(candidates: 131_073))
    let config = LayerConfig.paperShape
    let forced = DecodeSelectionSplit(threshold: 32768, rangeSize: 16384)
    let model = CostModel(config: config, variant: .gsa)
    let split = model.decodeLedger(length: 131_072, batch: 1, kPerSequence: [256], selectionSplit: forced)
    let one = model.decodeLedger(
      length: 131_072, batch: 1, kPerSequence: [256], selectionSplit: .init(threshold: .max, rangeSize: 1))
    let r = { (n: Int, k: Int) in TopK.comparisons(candidates: n, k: k) }
    #expect(
      split.useful.selection.comparisons - one.useful.selection.comparisons
        == 8 * r(16384, 512) + r(1, 512) + r(4097, 512) - r(131_073, 512))
    #expect(split.bytes == one.bytes)
  }

  /// Several steps in a row stay equal to the prefill of t + 1 tokens at position t (the cached
  /// statistics carry over). Under the code rule that is not the prefill of the longest length at
  /// t: its variances count the masked future entries (N = L) and V̄ averages over all L queries,
  /// so a prefill's k_t at position t depends on how many tokens follow.
  @Test func consecutiveStepsFollowThePrefill() throws {
    for variant in Variant.allCases {
      for rule in AdaptiveKRule.allCases {
        var config = LayerConfig.small
        config.kRule = rule
        config.kBase = 12
        config.kMin = 4
        config.kMax = 24
        let layer = try AttentionLayer(config: config, variant: variant, seed: 5)
        let x = try Self.inputs(Case(config: config, variant: variant, t: 59, batch: 1, seed: 77))[0]
        let (_, cache) = try layer.prefill([try Self.rows(x, 0..<52)], capacity: 60)
        for t in 52..<60 {
          let reference = try layer.forward(try Self.rows(x, 0..<(t + 1)), options: ForwardOptions(recordSelection: true))
          let step = try layer.decodeStep(try Self.rows(x, t..<(t + 1)), cache: cache, options: ForwardOptions(recordSelection: true))
          #expect(Self.relativeError(step.output.row(0), reference.output.row(t)) <= 1e-5, "\(variant) \(rule) t \(t)")
          #expect(step.kPerSequence[0] == reference.kPerQuery[t], "\(variant) \(rule) t \(t)")
          if variant.isSparse { #expect(step.selected?[0] == reference.selected?[t], "\(variant) \(rule) t \(t)") }
        }
      }
    }
  }

  /// The counts are not vacuous: a dense step reads every cached K and V row once; a sparse step
  /// gathers exactly its k_t rows per kv head, and its cache read shrinks to them.
  @Test func stepBytesFollowTheCache() throws {
    let config = LayerConfig.small
    let L = 300, B = 2
    for variant in [Variant.dense, .gsa] {
      let layer = try AttentionLayer(config: config, variant: variant, seed: 3)
      let test = Case(config: config, variant: variant, t: L, batch: B, seed: 11)
      let x = try Self.inputs(test)
      let cache = try layer.makeCache(batch: B, capacity: L + 1)
      try layer.append(try x.map { try Self.rows($0, 0..<L) }, to: cache)
      var next = Matrix(rows: B, cols: config.modelDim)
      for b in 0..<B { for j in 0..<config.modelDim { next[b, j] = x[b][L, j] } }
      let step = try layer.decodeStep(next, cache: cache)
      let rowBytes = 4 * 2 * config.kvHeads * config.headDim
      let attention = step.ledger.bytes.attention
      if variant == .dense {
        #expect(attention.gathered == 0)
        #expect(attention.read >= B * (L + 1) * rowBytes)
      } else {
        #expect(attention.gathered == step.kPerSequence.reduce(0, +) * rowBytes)
        #expect(attention.read < B * (L + 1) * rowBytes / 4)
        #expect(step.ledger.bytes.indexer.read >= B * (L + 1) * 4 * config.indexerDim)
      }
    }
  }

  @Test func badDecodeInputIsRefused() throws {
    let layer = try AttentionLayer(config: .tiny, variant: .gsa, seed: 1)
    let cache = try layer.makeCache(batch: 2, capacity: 1)
    #expect(throws: ConfigError.self) { try layer.decodeStep(Matrix(rows: 1, cols: 16), cache: cache) }
    _ = try layer.decodeStep(Matrix(rows: 2, cols: 16), cache: cache)
    #expect(throws: ConfigError.self) { try layer.decodeStep(Matrix(rows: 2, cols: 16), cache: cache) }
    #expect(throws: ConfigError.self) { try layer.makeCache(batch: 0, capacity: 4) }
    var nonCausal = LayerConfig.tiny
    nonCausal.causal = false
    #expect(throws: ConfigError.self) { try AttentionLayer(config: nonCausal, variant: .dense, seed: 1).makeCache(batch: 1, capacity: 4) }
  }
}

@Suite struct DecodeBytesModelTests {
  /// bytes(B) = W + B·s: the model's W and s reproduce the ledger at other batches, the speedup
  /// moves monotonically from B = 1 to the limit, and the crossover batch is the first B with
  /// B·c > w.
  @Test func bytesAreAffineInTheBatch() {
    var config = LayerConfig.paper
    config.kRule = .fixed
    let model = DecodeBytesModel(config: config, length: 131_072, batch: 1, elementBytes: 2, variants: Variant.allCases)
    for entry in model.entries {
      let at64 = CostModel(config: config.configured(for: entry.variant), variant: entry.variant, elementBytes: 2)
        .decodeLedger(length: 131_072, batch: 64).bytesTotal.compulsory
      #expect(at64 == entry.fixedBytes + 64 * entry.bytesPerSequence, "\(entry.variant)")
      if let b = model.cacheOutweighsWeightsBatch(entry.variant) {
        #expect(b * entry.cacheBytesPerSequence > entry.weightBytes && (b - 1) * entry.cacheBytesPerSequence <= entry.weightBytes)
      }
    }
    var previous = model.bytesSpeedup(.gsa)
    for b in [2, 4, 8, 64, 4096] {
      let s = DecodeBytesModel(config: config, length: 131_072, batch: b, elementBytes: 2, variants: [.gsa]).bytesSpeedup(.gsa)
      #expect(s > previous && s < model.bytesSpeedupLimit(.gsa))
      previous = s
    }
    // Hand count of the dense cache read: K and V of 131073 tokens, H_kv·d_h = 1024 bf16 each.
    #expect(model.entry(.dense)?.cacheBytesPerSequence == 2 * 131_073 * 1024 * 2)
  }

  /// CX-decode: the table's 0.13× lies inside the bytes span (holds with correction); a table
  /// claiming more than the B → ∞ limit is refuted; one claiming less than batch 1 is refuted too.
  @Test func decodeClaimFollowsTheTable() throws {
    let context = ClaimContext(seed: 3, quick: true)
    let outcome = try ComplexityChecks.decode(context: context, tableGSA: 0.13, tableSparseOnly: 0.12)
    #expect(outcome.verdict == .holdsWithCorrection)
    let batch = try #require(outcome.value("batch at which GSA's bytes speedup equals the table's"))
    #expect(batch > 1 && batch < 8)
    #expect(try ComplexityChecks.decode(context: context, tableGSA: 0.01, tableSparseOnly: 0.01).verdict == .refuted)
    #expect(try ComplexityChecks.decode(context: context, tableGSA: 0.5, tableSparseOnly: 0.5).verdict == .refuted)
  }
}
