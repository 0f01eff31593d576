import PropertyTesting
import Testing

@testable import GSAModel

/// Extreme logits and huge or tiny activations never turn into NaN or infinity inside the
/// kernels (stable softmax and sigmoid). docs/reliability.md, "Numerics".
@Suite struct ExtremeNumericsTests {
  /// Values at and beyond float32's limits, both signs, subnormals and infinities.
  static let extremes: [Float] = [
    -.infinity, -.greatestFiniteMagnitude, -1e30, -1e4, -88.8, -88.3, -87.4, -87.3, -50, -1, -.leastNormalMagnitude,
    -.leastNonzeroMagnitude, 0, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-30, 1, 50, 87.3, 88.3, 88.8, 1e4, 1e30,
    .greatestFiniteMagnitude, .infinity,
  ]

  @Test func vectorSigmoidAndExpStayFiniteAndInRangeAtTheExtremes() {
    for start in stride(from: 0, to: Self.extremes.count, by: 8) {
      var lane = SIMD8<Float>(repeating: 0)
      for i in 0..<8 { lane[i] = Self.extremes[(start + i) % Self.extremes.count] }
      let sigmoid = sigmoidV(lane)
      let exponential = expV(lane)
      for i in 0..<8 {
        #expect(sigmoid[i].isFinite && sigmoid[i] >= 0 && sigmoid[i] <= 1, "σ(\(lane[i])) = \(sigmoid[i])")
        #expect(exponential[i].isFinite && exponential[i] >= 0, "exp(\(lane[i])) = \(exponential[i])")
      }
    }
    for x in Self.extremes {
      let s = stableSigmoid(x)
      #expect(s.isFinite && s >= 0 && s <= 1, "stableSigmoid(\(x)) = \(s)")
      let d = stableSigmoid(Double(x))
      #expect(d.isFinite && d >= 0 && d <= 1)
    }
    // Monotone through the clamps: σ never decreases as x grows.
    let grid = stride(from: Float(-100), through: 100, by: 0.25).map { $0 }
    var previous: Float = 0
    for start in stride(from: 0, to: grid.count - 8, by: 8) {
      let values = sigmoidV(SIMD8(grid[start..<(start + 8)]))
      for i in 0..<8 {
        #expect(values[i] >= previous)
        previous = values[i]
      }
    }
  }

  /// A valid small configuration, a variant, a length, and the scales of inputs and weights:
  /// inputs from 1e-30 (tiny activations) to 1e9 (huge), weights scaled by 1e-10...1e3, so
  /// attention and indexer logits span ~1e-80...1e18 and every gate saturates at both ends.
  struct Case: CustomStringConvertible {
    var config: LayerConfig
    var variant: Variant
    var length: Int
    var inputScale: Double
    var weightScale: Float
    var seed: UInt64
    var description: String {
      "\(variant) L=\(length) x×\(inputScale) w×\(weightScale) seed \(seed) D \(config.modelDim) H \(config.heads)/\(config.kvHeads) "
        + "d_h \(config.headDim) H_I \(config.indexerHeads) d_I \(config.indexerDim) k \(config.kMin)/\(config.kBase)/\(config.kMax) "
        + "\(config.kRule) \(config.indexerActivation) gates \(config.valueGate)/\(config.outputGate)"
    }
  }

  static var cases: Gen<Case> {
    Gen<LayerConfig>.layerConfig(maxHeadDim: 8, maxHeads: 4, maxK: 16)
      .map { config in
        var even = config
        even.headDim += even.headDim % 2  // RoPE needs an even d_h; D = H·d_h as in the generator.
        even.modelDim = even.heads * even.headDim
        return even
      }
      .flatMap { config in
        Gen<(Variant, Int, Double)>.zip(
          .element(of: Variant.allCases), .int(in: 1...24), .element(of: [1e-30, 1e-20, 1e-6, 1, 1e3, 1e6, 1e9])
        ).flatMap { variant, length, inputScale in
          Gen<(Float, Int)>.zip(.element(of: [1e-10, 1e-3, 1, 10, 1e3]), .int(in: 0...1_000_000)).map { weightScale, seed in
            Case(
              config: config, variant: variant, length: length, inputScale: inputScale, weightScale: weightScale, seed: UInt64(seed))
          }
        }
      }
      .filter { Double($0.weightScale) * $0.inputScale <= 1e9 }
  }

  @Test func everyVariantStaysFiniteForExtremeInputsAndWeights() throws {
    try forAll(Self.cases, configuration: .init(cases: 150)) { c in
      let base = try AttentionLayer(config: c.config, variant: c.variant, seed: c.seed)
      var weights = base.weights
      for path in [\LayerWeights.wQ, \.wK, \.wV, \.wO, \.wGateV, \.wGateO, \.wIQ, \.wIK, \.wIW] as [WritableKeyPath<LayerWeights, Matrix>] {
        weights[keyPath: path].storage = weights[keyPath: path].storage.map { $0 * c.weightScale }
      }
      let layer = try AttentionLayer(config: c.config, variant: c.variant, weights: weights)
      let input = randomInput(rows: c.length, cols: c.config.modelDim, seed: c.seed &+ 1, scale: c.inputScale)
      let result = try layer.forward(input)
      guard result.output.storage.allSatisfy(\.isFinite) else { return false }
      // Budgets stay within their bounds even when the indexer saturates.
      for (t, k) in result.kPerQuery.enumerated() where k < 1 || k > c.config.candidateCount(query: t, length: c.length) {
        return false
      }
      return result.indexerVariances.allSatisfy(\.isFinite)
    }
  }

  @Test func extremeLogitsGiveOneHotSoftmaxNotNaN() throws {
    // Two identical-direction keys with logits ~1e18 apart: attention must pick one, finitely.
    var config = LayerConfig.tiny
    config.kRule = .fixed
    for variant in Variant.allCases {
      let layer = try AttentionLayer(config: config.configured(for: variant), variant: variant, seed: 7)
      var weights = layer.weights
      weights.wQ.storage = weights.wQ.storage.map { $0 * 1e3 }
      weights.wK.storage = weights.wK.storage.map { $0 * 1e3 }
      let scaled = try AttentionLayer(config: layer.config, variant: variant, weights: weights)
      let input = randomInput(rows: 9, cols: config.modelDim, seed: 3, scale: 1e6)
      let output = try scaled.forward(input).output
      #expect(output.storage.allSatisfy { $0.isFinite }, "\(variant)")
    }
  }

  @Test func aLayerAcceptsItsOwnWeightsEveryTime() throws {
    // Regression: the shape check compared Dictionary descriptions, whose order varies
    // between equal dictionaries, so this failed at random.
    var keepAlive = [AttentionLayer]()  // vary the heap addresses the hash seeds derive from
    for seed in 0..<120 as Range<UInt64> {
      for config in [
        LayerConfig.tiny,
        LayerConfig(modelDim: 2, heads: 1, kvHeads: 1, headDim: 2, indexerHeads: 1, indexerDim: 1, kBase: 1, kMin: 1, kMax: 1),
      ] {
        for variant in Variant.allCases {
          let layer = try AttentionLayer(config: config, variant: variant, seed: seed)
          let rebuilt = try AttentionLayer(config: config, variant: variant, weights: layer.weights)
          _ = try rebuilt.forward(randomInput(rows: 1 + Int(seed % 5), cols: config.modelDim, seed: seed))
          if seed % 3 == 0 { keepAlive.append(rebuilt) }
        }
      }
    }
  }
}
