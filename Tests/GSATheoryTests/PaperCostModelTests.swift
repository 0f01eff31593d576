import GSAModel
import Testing

@testable import GSATheory

/// The paper-level cost analysis against the numbers anyone can redo by hand (GSA-THEORY.md §3)
/// and against brute-force counting of the operations a small causal layer performs.
@Suite struct PaperCostModelTests {
  let paper = PaperCostModel(config: LayerConfig.paper, length: 131_072)

  @Test func paperAttentionCoreGivesTwelvePointEightAndSixteen() {
    #expect(abs(paper.core(.oRatio).speedup - 12.8) < 1e-9)
    #expect(abs(paper.core(.causal).speedup - 16.0) < 1e-9)
  }

  @Test func paperBreakEvenCrossoverAndCaps() {
    // 4·2048·4096 / (2·4096 − 256) = 33554432 / 7936.
    #expect(abs(paper.breakEven(.causal) - 33_554_432.0 / 7936.0) < 1e-6)
    #expect(Int(paper.breakEven(.causal).rounded()) == 4228)
    #expect(paper.indexerCrossover(.oRatio) == 32768)
    #expect(paper.indexerCrossover(.causal) == 131_072)
    #expect(paper.cap(.oRatio) == 16)
    #expect(paper.cap(.causal) == 32)
  }

  @Test func breakEvenIsWhereTheSpeedupIsOne() {
    // Evaluate the ratio at the closed-form root, one token on either side (independent of the root formula).
    for convention in PaperCostModel.Convention.allCases {
      let root = paper.breakEven(convention)
      let at = PaperCostModel(config: paper.config, length: Int(root.rounded(.down)))
      let after = PaperCostModel(config: paper.config, length: Int(root.rounded(.up)) + 1)
      #expect(at.core(convention).speedup <= 1 + 1e-3)
      #expect(after.core(convention).speedup > 1)
    }
  }

  @Test func indexerTermOvertakesSparseCoreAtTheCrossover() {
    for convention in PaperCostModel.Convention.allCases {
      let crossover = Int(paper.indexerCrossover(convention))
      let before = PaperCostModel(config: paper.config, length: crossover - 1).core(convention)
      let at = PaperCostModel(config: paper.config, length: crossover).core(convention)
      let after = PaperCostModel(config: paper.config, length: crossover + 1).core(convention)
      #expect(before.indexer < before.sparse)
      #expect(at.indexer == at.sparse)
      #expect(after.indexer > after.sparse)
    }
  }

  @Test func speedupRisesTowardsTheCap() {
    for convention in PaperCostModel.Convention.allCases {
      var previous = 0.0
      for exponent in 10...30 {
        let s = PaperCostModel(config: paper.config, length: 1 << exponent).core(convention).speedup
        #expect(s > previous)
        #expect(s < paper.cap(convention))
        previous = s
      }
      #expect(previous > 0.99 * paper.cap(convention))
    }
  }

  @Test func kAblationFollowsTheOneOverSumLaw() {
    // GSA-THEORY.md §3: 1/(d_I·H_I/D + k/L) gives 15.1, 14.2, 12.8, 10.7 for k = 512 ... 4096.
    let expected = [15.1, 14.2, 12.8, 10.7]
    for (k, value) in zip(PaperCostModel.ablationBudgets, expected) {
      let model = PaperCostModel(config: paper.config, length: 131_072, k: Double(k))
      #expect(abs(model.core(.oRatio).speedup - value) < 0.05)
    }
    // The ablation's 22× at k = 512 exceeds the O-ratio cap of 16.
    #expect(22 > paper.cap(.oRatio))
  }

  @Test func wholeLayerRatioIsAboutSixAtOneTwentyEightK() {
    let ratio = paper.layerSpeedup(.gsa, .causal)
    #expect(ratio > 5.5 && ratio < 6.5)
    // Independent tally of the paper layer's multiply-adds per token at L = 128K, from the weight shapes.
    let d = 4096.0, l = 131_072.0
    let weightColumns = [4096.0, 1024, 1024]  // W_Q, W_K, W_V (rows D)
    let projections = 2 * d * (weightColumns.reduce(0, +) + 4096)  // + W_O (4096 × D)
    let gates = 2 * d * (4096 + 1024)  // W_O^g, W_V^g
    let indexerProjections = 2 * d * (4 * 64 + 64 + 4)
    let dense = projections + 2 * l * d  // 4·D FLOPs per causal pair, L/2 pairs per token on average
    let gsa = projections + gates + indexerProjections + l * 64 * 4 + 4 * 2048 * d
    #expect(abs(ratio - dense / gsa) < 1e-9)
  }

  @Test func causalCoreCountsMatchBruteForcePairCounting() {
    // Count pairs (t, s ≤ t) explicitly for a small layer; leading order must match to O(1/L).
    let config = LayerConfig(
      modelDim: 64, heads: 4, kvHeads: 2, headDim: 16, indexerHeads: 2, indexerDim: 8, kBase: 16, kMin: 4, kMax: 32)
    let l = 512
    var causalPairs = 0
    var selectedPairs = 0
    for t in 0..<l {
      for _ in 0...t { causalPairs += 1 }
      selectedPairs += config.kBase  // the sparse core runs k pairs per query in the paper's accounting
    }
    let model = PaperCostModel(config: config, length: l).core(.causal)
    let width = Double(config.heads * config.headDim)
    let countedDense = Double(causalPairs) * 4 * width
    let countedIndexer = Double(causalPairs) * 2 * Double(config.indexerDim * config.indexerHeads)
    #expect(abs(model.dense / countedDense - 1) < 2.0 / Double(l))
    #expect(abs(model.indexer / countedIndexer - 1) < 2.0 / Double(l))
    #expect(model.sparse == Double(selectedPairs) * 4 * width)
  }

  @Test func noBreakEvenWhenTheIndexerIsWiderThanTheCore() {
    // D_attn = 64, d_I·H_I = 128 = 2·D_attn: per pair the indexer costs as much as the causal dense core.
    let wide = LayerConfig(
      modelDim: 64, heads: 4, kvHeads: 4, headDim: 16, indexerHeads: 8, indexerDim: 16, kBase: 8, kMin: 1, kMax: 8)
    let model = PaperCostModel(config: wide, length: 1024)
    #expect(model.breakEven(.oRatio) == .infinity)
    #expect(model.breakEven(.causal) == .infinity)
    #expect(model.core(.causal).speedup < 1)
    // d_I·H_I = 96: between D and 2D, so only the causal accounting has a break-even (4·8·64/(128 − 96) = 64).
    var between = wide
    between.indexerHeads = 6
    let model2 = PaperCostModel(config: between, length: 1024)
    #expect(model2.breakEven(.oRatio) == .infinity)
    #expect(model2.breakEven(.causal) == 64)
  }

  @Test func streamingMemoryIsLinearAndReferenceQuadratic() {
    let a = PaperCostModel(config: paper.config, length: 65_536)
    let b = PaperCostModel(config: paper.config, length: 131_072)
    for variant in Variant.allCases {
      let weights = 2 * a.memory(variant).streamingBytes - b.memory(variant).streamingBytes  // the L-independent part
      #expect(weights > 0)
      #expect(abs(b.memory(variant).streamingBytes - weights - 2 * (a.memory(variant).streamingBytes - weights)) < 1)
    }
    // Dense reference scores: H·L² floats = 32 · 2^34 · 4 bytes = 2 TiB at 128K.
    #expect(b.memory(.dense).referenceBytes == 2 * 1_099_511_627_776)
    #expect(b.memory(.dense).referenceBytes == 4 * a.memory(.dense).referenceBytes)
    // GSA's reference: indexer scores (H_I + 1)·L² floats, gathered K and V 2·L·k·H·d_h floats.
    let (l, h) = (131_072.0, 4.0)
    #expect(b.memory(.gsa).referenceBytes == 4 * ((h + 1) * l * l + 2 * l * 2048 * 4096))
    #expect(b.memory(.gsa).referenceBytes > 100 * b.memory(.gsa).streamingBytes)
  }

  @Test func exactCostModelAgreesWithTheLeadingOrderLayerRatio() {
    // The exact ledger adds RoPE, softmax, gate products and the causal ramp min(k, t + 1): within 3%.
    let exact = paper.exactLayerSpeedup(.gsa)
    #expect(abs(exact / paper.layerSpeedup(.gsa, .causal) - 1) < 0.03)
    #expect(exact > 5.5 && exact < 6.5)
    // Dense attention bucket: 2·L²·D leading order, exact 2·L(L+1)·D plus the softmax terms.
    let dense = Double(paper.exactLedger(.dense).useful[.attention].flops)
    #expect(abs(dense / paper.core(.causal).dense - 1) < 0.01)
  }
}
