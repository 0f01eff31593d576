import GSAModel
import GSATheory
import GSLKit
import Testing

@Suite struct CostModelTests {
  /// Counted == predicted, exactly, in every bucket, useful and executed, for random valid
  /// configurations, lengths and variants.
  @Test func ledgerMatchesCostModelExactly() throws {
    let rng = GSLRandom(seed: 314)
    for trial in 0..<60 {
      let kvHeads = 1 + rng.uniformInt(below: 2)
      let kMin = 1 + rng.uniformInt(below: 5)
      let kBase = kMin + rng.uniformInt(below: 10)
      let config = LayerConfig(
        modelDim: 1 + rng.uniformInt(below: 20), heads: kvHeads * (1 + rng.uniformInt(below: 2)), kvHeads: kvHeads,
        headDim: 2 * (1 + rng.uniformInt(below: 20)), indexerHeads: 1 + rng.uniformInt(below: 3),
        indexerDim: 1 + rng.uniformInt(below: 9), kBase: kBase, kMin: kMin, kMax: kBase + rng.uniformInt(below: 10),
        kRule: AdaptiveKRule.allCases[rng.uniformInt(below: 3)],
        indexerActivation: rng.uniformInt(below: 2) == 0 ? .sigmoid : .relu, valueGate: rng.uniformInt(below: 2) == 0,
        outputGate: rng.uniformInt(below: 2) == 0, indexerScale: rng.uniformInt(below: 2) == 0,
        causal: rng.uniformInt(below: 4) != 0)
      let variant = Variant.allCases[rng.uniformInt(below: 4)]
      let L = 1 + rng.uniformInt(below: 140)
      let layer = try AttentionLayer(config: config, variant: variant, seed: UInt64(trial))
      let x = try Matrix(
        rows: L, cols: config.modelDim, doubles: rng.gaussianMatrix(rows: L, cols: config.modelDim, scale: 1))
      let result = try layer.forward(x)
      let predicted = CostModel(config: config, variant: variant).ledger(length: L, kPerQuery: result.kPerQuery)
      for bucket in FlopBucket.allCases {
        #expect(
          result.ledger.useful[bucket] == predicted.useful[bucket],
          "useful \(bucket) trial \(trial) seed 314 L \(L) \(variant) \(config)")
        #expect(
          result.ledger.executed[bucket] == predicted.executed[bucket],
          "executed \(bucket) trial \(trial) seed 314 L \(L) \(variant) \(config)")
      }
      if config.kRule == .fixed {
        #expect(CostModel(config: config, variant: variant).ledger(length: L) == result.ledger)
      }
    }
  }

  @Test func peakMemoryIsLinearInLength() {
    let model = CostModel(config: .paperShape, variant: .gsa)
    let a = model.peakMemoryBytes(length: 4096, workers: 2)
    let b = model.peakMemoryBytes(length: 8192, workers: 2)
    #expect(a > 0 && Double(b) / Double(a) < 2.2 && Double(b) / Double(a) > 1.8)
  }
}
