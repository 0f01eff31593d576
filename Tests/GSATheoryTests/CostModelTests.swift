import GSAModel
import GSATheory
import GSLKit
import PropertyTesting
import Testing

@Suite struct CostModelTests {
  struct Case: CustomStringConvertible {
    var config: LayerConfig
    var variant: Variant
    var length: Int
    var seed: UInt64
    var description: String { "\(variant) L \(length) seed \(seed) \(config)" }
  }

  /// Random valid configurations (every rule, activation, gate and scale setting; causal or
  /// not), variants, lengths 1...150 and input seeds.
  static var cases: Gen<Case> {
    Gen<(LayerConfig, Variant, Int)>.zip(
      Gen<LayerConfig>.layerConfig(maxHeadDim: 12, maxHeads: 4, maxK: 24), .element(of: Variant.allCases),
      Gen<Int>.int(in: 1...150)
    ).flatMap { config, variant, length in
      Gen<(Bool, Int)>.zip(.bool, .int(in: 0...1_000_000)).map { nonCausal, seed in
        var c = config
        c.causal = !nonCausal
        return Case(config: c, variant: variant, length: length, seed: UInt64(seed))
      }
    }
  }

  /// Counted == predicted, exactly, in every bucket, useful and executed.
  @Test func ledgerMatchesCostModelExactly() throws {
    try forAll(Self.cases, configuration: .init(cases: 80)) { test in
      let layer = try AttentionLayer(config: test.config, variant: test.variant, seed: test.seed)
      let rng = GSLRandom(seed: test.seed)
      let x = try Matrix(
        rows: test.length, cols: test.config.modelDim,
        doubles: rng.gaussianMatrix(rows: test.length, cols: test.config.modelDim, scale: 1))
      let result = try layer.forward(x)
      let model = CostModel(config: test.config, variant: test.variant)
      let predicted = model.ledger(length: test.length, kPerQuery: result.kPerQuery)
      guard predicted == result.ledger else { return false }
      // Without measured budgets the fixed rule is still exact.
      return test.config.kRule != .fixed || model.ledger(length: test.length) == result.ledger
    }
  }

  /// The same check spelled out per bucket on one mid-size case (readable failure messages).
  @Test func ledgerMatchesPerBucket() throws {
    var config = LayerConfig.small
    config.kRule = .code
    let L = 200
    let result = try AttentionLayer(config: config, variant: .gsa, seed: 9).forward(
      Matrix(rows: L, cols: config.modelDim) { r, c in Float((r * 7 + c * 3) % 11) - 5 })
    let predicted = CostModel(config: config, variant: .gsa).ledger(length: L, kPerQuery: result.kPerQuery)
    for bucket in FlopBucket.allCases {
      #expect(result.ledger.useful[bucket] == predicted.useful[bucket], "useful \(bucket)")
      #expect(result.ledger.executed[bucket] == predicted.executed[bucket], "executed \(bucket)")
      #expect(result.ledger.bytes[bucket] == predicted.bytes[bucket], "bytes \(bucket)")
      #expect(result.ledger.bytes[bucket].read > 0 && result.ledger.bytes[bucket].written > 0, "bytes \(bucket)")
    }
    // Gathered rows: Σ_t k_t · H_kv · d_h · 2 floats, from the selection itself.
    let c = config
    #expect(result.ledger.bytes.attention.gathered == 4 * 2 * c.kvHeads * c.headDim * result.totalSelected)
    // bf16 halves every float tensor's bytes; index lists stay 4 bytes.
    let half = CostModel(config: config, variant: .gsa, elementBytes: 2).ledger(length: L, kPerQuery: result.kPerQuery)
    #expect(half.bytes.attention.gathered * 2 == predicted.bytes.attention.gathered)
    #expect(half.bytes.selection.written == predicted.bytes.selection.written)
    #expect(result.ledger.executed.indexer.flops > result.ledger.useful.indexer.flops)
  }

  @Test func peakMemoryIsLinearInLength() {
    for variant in Variant.allCases {
      let model = CostModel(config: .paperShape, variant: variant)
      let a = model.peakMemoryBytes(length: 4096, workers: 2)
      let b = model.peakMemoryBytes(length: 8192, workers: 2)
      #expect(a > 0 && Double(b) / Double(a) < 2.2 && Double(b) / Double(a) > 1.8, "\(variant)")
    }
  }
}
