import GSAModel
import GSLKit
import Testing

@testable import GSATheory

/// The generator of one variant's case: seed `base` + the variant's index, so each case replays alone.
func variantRNG(_ base: UInt64, _ variant: Variant) -> GSLRandom {
  GSLRandom(seed: base + UInt64(Variant.allCases.firstIndex(of: variant)!))
}

/// Small random configurations for property tests (seeded).
func randomSmallConfig(_ rng: GSLRandom) -> LayerConfig {
  let kvHeads = 1 + rng.uniformInt(below: 2)
  let heads = kvHeads * (1 + rng.uniformInt(below: 2))
  return LayerConfig(
    modelDim: 3 + rng.uniformInt(below: 3), heads: heads, kvHeads: kvHeads, headDim: 2 + rng.uniformInt(below: 3),
    indexerHeads: 1 + rng.uniformInt(below: 2), indexerDim: 2 + rng.uniformInt(below: 2),
    kBase: 2 + rng.uniformInt(below: 2), kMin: 1, kMax: 8, indexerScale: rng.uniform() < 0.5)
}

func randomBatch(_ rng: GSLRandom, config: LayerConfig, sequences: Int, length: Int, scale: Double = 1) -> RegressionBatch {
  let d = config.modelDim
  return RegressionBatch(
    inputs: (0..<sequences).map { _ in rng.gaussianMatrix(rows: length, cols: d, scale: scale) },
    targets: (0..<sequences).map { _ in rng.gaussianMatrix(rows: length, cols: d, scale: 1) }, length: length)
}

/// Random parameters with gate biases and weights perturbed away from the initialisation, so
/// every gate and every head contributes non-trivially.
func randomParameters(_ rng: GSLRandom, config: LayerConfig, variant: Variant) -> LayerParameters {
  var p = LayerParameters.random(config: config, variant: variant, rng: rng)
  for name in LayerTensor.used(by: variant, config: config) {
    p[name] = p[name].map { $0 + rng.gaussian(sigma: 0.3) }
  }
  return p
}

@Suite("Differentiable layer: gradients vs central finite differences (S_t fixed)")
struct GradientTests {
  /// ‖a − b‖ / max(‖a‖, ‖b‖, tiny).
  func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    var diff = 0.0, na = 0.0, nb = 0.0
    for i in 0..<a.count {
      diff += (a[i] - b[i]) * (a[i] - b[i])
      na += a[i] * a[i]
      nb += b[i] * b[i]
    }
    return diff.squareRoot() / max(na.squareRoot(), nb.squareRoot(), 1e-12)
  }

  @Test("weights and input gradients match finite differences for all four variants", arguments: Variant.allCases)
  func finiteDifferences(variant: Variant) {
    let rng = variantRNG(1000, variant)
    for _ in 0..<3 {
      let config = randomSmallConfig(rng)
      let batch = randomBatch(rng, config: config, sequences: 2, length: 5)
      let layer = DifferentiableLayer(parameters: randomParameters(rng, config: config, variant: variant))
      let base = layer.evaluate(batch)
      let fixed = base.selections
      let step = 1e-5
      for name in layer.parameters.trainable {
        var fd = [Double]()
        for i in 0..<name.count(config) {
          var plus = layer, minus = layer
          plus.parameters[name][i] += step
          minus.parameters[name][i] -= step
          let lp = plus.evaluate(batch, selections: fixed, wantGradient: false).loss
          let lm = minus.evaluate(batch, selections: fixed, wantGradient: false).loss
          fd.append((lp - lm) / (2 * step))
        }
        let error = relativeError(base.gradients[name]!, fd)
        #expect(error < 1e-6, "\(variant) \(name.rawValue): relative error \(error)")
      }
      // Input gradient (first sequence).
      var fdx = [Double]()
      for i in 0..<batch.inputs[0].count {
        var plus = batch, minus = batch
        plus.inputs[0][i] += step
        minus.inputs[0][i] -= step
        let lp = layer.evaluate(plus, selections: fixed, wantGradient: false).loss
        let lm = layer.evaluate(minus, selections: fixed, wantGradient: false).loss
        fdx.append((lp - lm) / (2 * step))
      }
      let error = relativeError(base.inputGradients[0], fdx)
      #expect(error < 1e-6, "\(variant) input: relative error \(error)")
    }
  }

  @Test("sparse variants select k_t = min(k_base, t+1) keys and indexer weights get no gradient")
  func sparseSelection() {
    let rng = GSLRandom(seed: 77)
    let config = LayerConfig(modelDim: 4, heads: 2, kvHeads: 1, headDim: 2, indexerHeads: 2, indexerDim: 3, kBase: 3, kMin: 1, kMax: 8)
    for variant in [Variant.sparseOnly, .gsa] {
      let layer = DifferentiableLayer(parameters: randomParameters(rng, config: config, variant: variant))
      let x = rng.gaussianMatrix(rows: 7, cols: 4, scale: 1)
      let selection = layer.selection(x, length: 7)
      for t in 0..<7 {
        #expect(selection.sets[t].count == min(3, t + 1))
        #expect(selection.sets[t].allSatisfy { $0 <= t })
      }
      // Brute force: the selected keys have the highest indexer scores.
      let scores = layer.indexerScores(x, length: 7)
      for t in 3..<7 {
        let chosen = selection.sets[t].map { scores[t * 7 + $0] }.min()!
        let dropped = (0...t).filter { !selection.sets[t].contains($0) }.map { scores[t * 7 + $0] }.max()!
        #expect(chosen >= dropped)
      }
      // ReLU scores can tie at 0 (margin 0: a tie, the earlier key wins); sigmoid scores do not.
      #expect(variant == .gsa ? layer.selectionMargin(x, length: 7) > 0 : layer.selectionMargin(x, length: 7) >= 0)
      let grads = layer.evaluate(RegressionBatch(inputs: [x], targets: [rng.gaussianMatrix(rows: 7, cols: 4, scale: 1)], length: 7))
      #expect(grads.gradients[.wIQ] == nil && grads.gradients[.wIK] == nil)
    }
  }

  @Test("dense equals sparse when k covers every candidate")
  func denseEqualsFullSparse() {
    let rng = GSLRandom(seed: 5)
    let config = LayerConfig(modelDim: 4, heads: 2, kvHeads: 2, headDim: 2, indexerHeads: 1, indexerDim: 2, kBase: 16, kMin: 1, kMax: 16)
    let sparse = randomParameters(rng, config: config, variant: .gsa)
    var gatedTensors = sparse.tensors
    for name in LayerTensor.allCases where name.isIndexer { gatedTensors[name] = nil }
    let gated = LayerParameters(config: config, variant: .gatedOnly, tensors: gatedTensors)
    let x = rng.gaussianMatrix(rows: 6, cols: 4, scale: 1)
    let a = DifferentiableLayer(parameters: sparse).forward(x, length: 6).output
    let b = DifferentiableLayer(parameters: gated).forward(x, length: 6).output
    for i in 0..<a.count { #expect(abs(a[i] - b[i]) < 1e-12) }
  }
}

@Suite("Differentiable layer vs GSAModel.ReferenceAttention (independent float64 implementation)")
struct ReferenceCrossCheckTests {
  @Test("same output and selection for all four variants, GQA and odd head dimensions", arguments: Variant.allCases)
  func matchesReference(variant: Variant) throws {
    let rng = variantRNG(314, variant)
    for trial in 0..<3 {
      let config = randomSmallConfig(rng).configured(for: variant)
      let weights = LayerWeights(config: config, seed: 100 + UInt64(trial))
      let l = 7
      let input = try Matrix(rows: l, cols: config.modelDim, doubles: rng.gaussianMatrix(rows: l, cols: config.modelDim, scale: 1))
      let reference = ReferenceAttention(config: config, variant: variant, weights: weights).forward(input)
      let layer = DifferentiableLayer(parameters: LayerParameters(weights: weights, variant: variant))
      let tape = layer.forward(input.doubles, length: l)
      #expect(tape.selection.sets == reference.selected)
      var maxError = 0.0
      for t in 0..<l {
        for e in 0..<config.modelDim {
          maxError = max(maxError, abs(tape.output[t * config.modelDim + e] - reference.output[t][e]))
        }
      }
      #expect(maxError < 1e-10, "\(variant) trial \(trial): max |Δu| = \(maxError)")
    }
  }
}
