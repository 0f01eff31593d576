import GSAModel
import GSLKit
import Testing

@testable import GSATheory

@Suite("Smoothness bound β (S_t fixed)")
struct SmoothnessTests {
  @Test("gradient-difference ratios never exceed β at GSL-sampled nearby points", arguments: Variant.allCases)
  func ratiosBelowBeta(variant: Variant) throws {
    let rng = variantRNG(2024, variant)
    for _ in 0..<3 {
      let config = randomSmallConfig(rng)
      let batch = randomBatch(rng, config: config, sequences: 2, length: 5)
      let parameters = randomParameters(rng, config: config, variant: variant)
      let probe = try SmoothnessProbe.run(parameters, batch: batch, rng: rng, samples: 6, radii: [1e-3, 1e-1, 0.5], powerSteps: 6)
      #expect(probe.violations == 0)
      #expect(probe.maxTightness <= 1)
      #expect(probe.maxRatio > 0)
      #expect(probe.powerIterationRatio <= probe.betaAtBase)
    }
  }

  @Test("β is monotone in the norms and gated β ≥ ungated β; sparse β = dense β")
  func monotone() {
    let config = LayerConfig(modelDim: 8, heads: 2, kvHeads: 1, headDim: 4, indexerHeads: 2, indexerDim: 4, kBase: 4, kMin: 1, kMax: 8)
    let norms = WeightNormBounds(query: 1, key: 1.2, value: 0.9, output: 1.1, valueGate: 0.2, outputGate: 0.2)
    func beta(_ v: Variant, _ n: WeightNormBounds = norms, r: Double = 2) -> Double {
      SmoothnessBound(config: config, variant: v, inputNorm: r, targetNorm: 1, norms: n).beta
    }
    #expect(beta(.dense) == beta(.sparseOnly))
    #expect(beta(.gatedOnly) == beta(.gsa))
    #expect(beta(.gsa) > beta(.dense))
    var bigger = norms
    bigger.value = 1.5
    #expect(beta(.gsa, bigger) > beta(.gsa))
    #expect(beta(.dense, r: 3) > beta(.dense, r: 2))
  }

  @Test("β is attained: one token, W_V = W_O = 0 gives ‖∇²ℒ‖ = ‖h‖·‖y‖ = β exactly")
  func attained() throws {
    let rng = GSLRandom(seed: 99)
    let config = LayerConfig(modelDim: 3, heads: 1, kvHeads: 1, headDim: 2, indexerHeads: 1, indexerDim: 2, kBase: 2, kMin: 1, kMax: 8)
    var parameters = LayerParameters.random(config: config, variant: .dense, rng: rng)
    parameters[.wV] = [Double](repeating: 0, count: 6)
    parameters[.wO] = [Double](repeating: 0, count: 6)
    let x = rng.gaussianMatrix(rows: 1, cols: 3, scale: 1)
    let y = rng.gaussianMatrix(rows: 1, cols: 3, scale: 1)
    let batch = RegressionBatch(inputs: [x], targets: [y], length: 1)
    // Along δ: u = h δW_V δW_O ε², so D²u[δ,δ] = 2hδW_VδW_O and ‖∇²ℒ‖ = ‖h‖‖y‖ (rank-one δ's).
    let exact = euclideanNorm(x) * euclideanNorm(y)
    let bound = try SmoothnessBound.evaluate(parameters, batch: batch)
    #expect(abs(bound.beta - exact) < 1e-12 * exact)
    let probe = try SmoothnessProbe.run(parameters, batch: batch, rng: rng, samples: 2, radii: [1e-4], powerSteps: 60)
    #expect(abs(probe.powerIterationRatio - exact) < 1e-4 * exact)
    // A bound 1% below the truth is caught by the probe.
    #expect(probe.maxRatio > 0.99 * bound.beta)
  }
}
