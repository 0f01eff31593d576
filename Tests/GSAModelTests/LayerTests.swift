import GSLKit
import Testing

@testable import GSAModel

@Suite struct LayerTests {
  /// Kernel vs float64 reference for every variant and rule on small random problems.
  @Test(arguments: Variant.allCases)
  func kernelMatchesReference(variant: Variant) throws {
    let rng = GSLRandom(seed: 2024)
    for trial in 0..<6 {
      let config = randomConfig(rng)
      let L = 1 + rng.uniformInt(below: 40)
      let seed = UInt64(trial) + 100
      let layer = try AttentionLayer(config: config, variant: variant, seed: seed)
      let reference = ReferenceAttention(config: config, variant: variant, weights: layer.weights)
      let x = randomInput(rows: L, cols: config.modelDim, seed: seed)
      let result = try layer.forward(x, options: ForwardOptions(recordSelection: true))
      let context = "trial \(trial) seed 2024 L \(L) \(config)"
      if variant.isSparse {
        let scores = try layer.indexerScores(x)
        let refScores = reference.indexerScores((0..<L).map { t in (0..<config.modelDim).map { Double(x[t, $0]) } })
        var worst = 0.0, scale = 1e-30
        for t in 0..<L {
          for s in 0..<config.candidateCount(query: t, length: L) {
            worst = max(worst, abs(Double(scores[t, s]) - refScores[t][s]))
            scale = max(scale, abs(refScores[t][s]))
          }
        }
        #expect(worst / scale < 1e-5, "indexer \(context)")
        let selected = try #require(result.selected)
        for t in 0..<L {
          let n = config.candidateCount(query: t, length: L)
          let k = result.kPerQuery[t]
          #expect(k <= n && k >= 1, "k_t \(context)")
          if config.kRule == .fixed {
            #expect(k == min(config.kBase, n))
          } else {
            #expect(k == n || (k >= config.kMin && k <= config.kMax), "bounds \(context)")
          }
          let row = (0..<n).map { Double(scores[t, $0]) }
          #expect(selected[t] == ReferenceAttention.topK(row, count: n, k: k), "selection t \(t) \(context)")
        }
        if config.kRule != .fixed {
          let refVariances = reference.forward(x).variances
          for t in 0..<L {
            #expect(abs(result.indexerVariances[t] - refVariances[t]) <= 1e-4 * max(refVariances.max()!, 1e-12) + 1e-9)
          }
        }
        let ref = reference.forward(x, selection: selected)
        #expect(relativeError(result.output, ref.output) < 2e-5, "output \(context)")
      } else {
        let ref = reference.forward(x)
        #expect(relativeError(result.output, ref.output) < 2e-5, "output \(context)")
        #expect(result.kPerQuery == ref.kPerQuery)
      }
    }
  }

  @Test func gsaWithFullBudgetAndNoGatesEqualsDense() throws {
    for (L, seed) in [(5, UInt64(1)), (37, 2), (130, 3)] {
      var config = LayerConfig.tiny
      config.kRule = .fixed
      config.kBase = L
      config.kMax = L
      config.kMin = 1
      config.valueGate = false
      config.outputGate = false
      let x = randomInput(rows: L, cols: config.modelDim, seed: seed)
      let gsa = try AttentionLayer(config: config, variant: .gsa, seed: seed).forward(x)
      let dense = try AttentionLayer(config: config, variant: .dense, seed: seed).forward(x)
      #expect(relativeError(gsa.output, dense.output) < 1e-5, "L \(L) seed \(seed)")
      #expect(gsa.kPerQuery == dense.kPerQuery)
    }
  }

  @Test(arguments: Variant.allCases)
  func causality(variant: Variant) throws {
    let rng = GSLRandom(seed: 99)
    for trial in 0..<4 {
      var config = randomConfig(rng)
      config.causal = true
      // The adaptive rules normalise by V̄, a mean over the whole sequence (future included),
      // so they are not causal by construction; causality is checked with the fixed rule.
      config.kRule = .fixed
      let L = 2 + rng.uniformInt(below: 70)
      let layer = try AttentionLayer(config: config, variant: variant, seed: UInt64(trial))
      var x = randomInput(rows: L, cols: config.modelDim, seed: UInt64(trial) + 7)
      let before = try layer.forward(x).output
      let cut = 1 + rng.uniformInt(below: L - 1)
      for t in cut..<L { for c in 0..<config.modelDim { x[t, c] = x[t, c] * -3 + 1 } }
      let after = try layer.forward(x).output
      for t in 0..<cut {
        #expect(before.row(t) == after.row(t), "trial \(trial) seed 99 token \(t) changed (cut \(cut), L \(L))")
      }
    }
  }

  @Test(arguments: AdaptiveKRule.allCases)
  func adaptiveBudgetsWithinBounds(rule: AdaptiveKRule) throws {
    var config = LayerConfig.small
    config.kRule = rule
    let L = 150
    let result = try AttentionLayer(config: config, variant: .gsa, seed: 3).forward(
      randomInput(rows: L, cols: config.modelDim, seed: 4))
    for t in 0..<L {
      let k = result.kPerQuery[t]
      #expect(k <= t + 1)
      #expect(k == t + 1 || (k >= config.kMin && k <= config.kMax))
    }
    if rule == .code {
      // [code] range: k_base·(0.5 + 1/(1 + v̂)) ∈ (0.5, 1.5]·k_base before clamping.
      for t in 0..<L where t + 1 > config.kMax {
        #expect(Double(result.kPerQuery[t]) > 0.5 * Double(config.kBase) - 1)
      }
    }
  }

  @Test(arguments: Variant.allCases)
  func extremeInputsStayFinite(variant: Variant) throws {
    var config = LayerConfig.tiny.configured(for: variant)
    config.kRule = .code
    for scale in [1e3, 1e6] {
      let x = randomInput(rows: 33, cols: config.modelDim, seed: 8, scale: scale)
      let result = try AttentionLayer(config: config, variant: variant, seed: 1).forward(x)
      #expect(result.output.storage.allSatisfy { $0.isFinite }, "scale \(scale)")
    }
  }

  @Test func ledgerIsDeterministicAndBadInputIsRejected() throws {
    let layer = try AttentionLayer(config: .small, variant: .gsa, seed: 1)
    let x = randomInput(rows: 70, cols: 128, seed: 2)
    let a = try layer.forward(x), b = try layer.forward(x)
    #expect(a.ledger == b.ledger && a.output == b.output)
    #expect(a.ledger.executed.indexer.flops >= a.ledger.useful.indexer.flops)
    #expect(throws: ConfigError.self) { try layer.forward(Matrix(rows: 3, cols: 5)) }
    #expect(throws: ConfigError.self) { try layer.forward(Matrix(rows: 0, cols: 128)) }
  }
}

@Suite struct WeightsLayerTests {
  @Test func layerFromWeightsMatchesSeededLayerAndChecksShapes() throws {
    let config = LayerConfig.tiny
    let seeded = try AttentionLayer(config: config, variant: .gsa, seed: 5)
    let loaded = try AttentionLayer(
      config: config, variant: .gsa, weights: LayerWeights(config: config, tensors: seeded.weights.tensors))
    let x = randomInput(rows: 9, cols: config.modelDim, seed: 6)
    #expect(try loaded.forward(x).output == seeded.forward(x).output)
    var bigger = config
    bigger.indexerDim += 1
    #expect(throws: ConfigError.self) { try AttentionLayer(config: bigger, variant: .gsa, weights: seeded.weights) }
  }
}
