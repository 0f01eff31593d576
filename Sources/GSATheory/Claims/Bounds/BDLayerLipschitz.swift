import Foundation
import GSLKit

extension Claim {
  /// BD-layer-lipschitz: with S_t held fixed the layer is Lipschitz with an explicit constant.
  public static let bdLayerLipschitz = Claim(
    id: "BD-layer-lipschitz", group: .bounds,
    statement: """
      With the selection S_t held fixed and ‖h_s‖ ≤ R, the GSA layer is Lipschitz: max_t ‖Δu_t‖ ≤ Λ·max_s ‖Δh_s‖ with \
      Λ = ‖W_O‖·Σ_h [‖W_V^h‖(1 + R‖W_{Vg}^h‖/4) + 4·B_h·‖W_Q^h‖‖W_K^h‖R/√d_h + B_h‖W_{Og}^h‖/4], B_h = ‖W_V^h‖R.
      """,
    sources: [.reconstruction],
    assumptions: """
      [rec] bound derived here from σ ≤ 1, σ' ≤ 1/4, the softmax Jacobian (Σ_s ∂A_s V'_s = Σ_s A_s(∂z_s − z̄')V'_s) \
      and ‖a⊙b‖ ≤ ‖a‖‖b‖_∞; norms: max over tokens of the Euclidean norm. Top-k selection is discontinuous, so S_t \
      is chosen by the gated indexer at the input and held fixed. Spectral norms of the per-head weight slices by \
      GSL SVD. Observed: the central finite-difference Jacobian (ε = 1e-5) at GSL-sampled inputs and weights \
      (L = 6, D = 8, H = 2, d_h = 4, k = 3; projection gains 1 and 3, gate gains 0.1 and 1), reduced to \
      max_t Σ_s ‖∂u_t/∂h_s‖₂ (an upper bound of the local constant in this norm), each block's norm by GSL SVD.
      """,
    scope: "Mathematical bound, any size; sampled layers (D ≤ 16) measure its slack."
  ) { context in try BoundsChecks.layerLipschitz(context: context, includeSoftmaxTerm: true, boundScale: 1) }
}

extension BoundsChecks {
  /// Observed local Lipschitz constants over sampled points against the bound Λ (optionally
  /// without its softmax term, a deliberately wrong bound, or scaled by `boundScale`).
  public static func layerLipschitz(context: ClaimContext, includeSoftmaxTerm: Bool, boundScale: Double) throws -> ClaimOutcome {
    let random = context.random()
    let (length, d, h, dh) = (6, 8, 2, 4)
    let samples = context.scaled(full: 16, quick: 3)
    var ratios = [Double]()
    var worst = (observed: 0.0, bound: 0.0)
    for sample in 0..<samples {
      let projectionGain = sample.isMultiple(of: 2) ? 1.0 : 3.0
      let gateGain = sample % 4 < 2 ? 0.1 : 1.0
      let layer = ClaimLayer.sample(
        modelDim: d, heads: h, headDim: dh, indexerHeads: 2, indexerDim: 4, random: random,
        projectionGain: projectionGain, gateGain: gateGain)
      let x = ClaimLayer.sequence(length: length, modelDim: d, random: random)
      let selection = ClaimLayer.topK(layer.indexerScores(x), k: 3)
      let observed = try finiteDifferenceLipschitz(layer, x, selection)
      let bound = try lipschitzBound(layer, radius: x.map(Numerics.norm).max()!, includeSoftmaxTerm: includeSoftmaxTerm) * boundScale
      ratios.append(observed / bound)
      if observed / bound >= ratios.max()! { worst = (observed, bound) }
    }
    let sorted = ratios.sorted()
    let evidence = [
      EvidenceItem("samples", Double(samples)), EvidenceItem("max observed/bound", sorted.last!),
      EvidenceItem("median observed/bound", sorted[sorted.count / 2]), EvidenceItem("min observed/bound", sorted.first!),
      EvidenceItem("observed at worst sample", worst.observed), EvidenceItem("bound at worst sample", worst.bound),
    ]
    if sorted.last! > 1 + 1e-6 {
      return ClaimOutcome(
        verdict: .refuted,
        summary: "the finite-difference Jacobian exceeds the bound: observed/bound up to \(String.num(sorted.last!)).",
        counterexample: "observed \(String.num(worst.observed)) > bound \(String.num(worst.bound))", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds,
      summary: """
        observed/bound ≤ \(String.num(sorted.last!)) over \(samples) sampled layers (median \(String.num(sorted[sorted.count / 2]))): \
        the bound holds with fixed S_t and is loose by ×\(String.num(1 / sorted.last!))–×\(String.num(1 / sorted.first!)).
        """,
      evidence: evidence)
  }

  /// max_t Σ_s ‖∂u_t/∂h_s‖₂ from a central-difference Jacobian with S_t fixed.
  static func finiteDifferenceLipschitz(_ layer: ClaimLayer, _ x: [[Double]], _ selection: [[Int]]) throws -> Double {
    let (length, d) = (x.count, layer.modelDim)
    let epsilon = 1e-5
    // blocks[t][s] is the d×d Jacobian ∂u_t/∂h_s, row-major (output i, input j).
    var blocks = Array(repeating: Array(repeating: [Double](repeating: 0, count: d * d), count: length), count: length)
    for s in 0..<length {
      for j in 0..<d {
        var plus = x
        var minus = x
        plus[s][j] += epsilon
        minus[s][j] -= epsilon
        let up = layer.forward(plus, selection: selection).output
        let down = layer.forward(minus, selection: selection).output
        for t in 0..<length { for i in 0..<d { blocks[t][s][i * d + j] = (up[t][i] - down[t][i]) / (2 * epsilon) } }
      }
    }
    var best = 0.0
    for t in 0..<length {
      var total = 0.0
      for s in 0..<length where blocks[t][s].contains(where: { $0 != 0 }) {
        total += try GSLLinearAlgebra.spectralNorm(of: blocks[t][s], rows: d, cols: d)
      }
      best = max(best, total)
    }
    return best
  }

  /// Λ of the statement, with spectral norms of per-head column slices from GSL.
  static func lipschitzBound(_ layer: ClaimLayer, radius r: Double, includeSoftmaxTerm: Bool) throws -> Double {
    let (d, dh, w) = (layer.modelDim, layer.headDim, layer.width)
    func headNorm(_ m: [Double], _ head: Int) throws -> Double {
      var slice = [Double]()
      for row in 0..<d { slice += m[(row * w + head * dh)..<(row * w + head * dh + dh)] }
      return try GSLLinearAlgebra.spectralNorm(of: slice, rows: d, cols: dh)
    }
    var total = 0.0
    for head in 0..<layer.heads {
      let v = try headNorm(layer.wV, head)
      let b = v * r
      var c = v * (1 + (layer.valueGate ? r * (try headNorm(layer.wValueGate, head)) / 4 : 0))
      if includeSoftmaxTerm {
        c += 4 * b * (try headNorm(layer.wQ, head)) * (try headNorm(layer.wK, head)) * r / Double(dh).squareRoot()
      }
      if layer.outputGate { c += b * (try headNorm(layer.wOutputGate, head)) / 4 }
      total += c
    }
    return total * (try GSLLinearAlgebra.spectralNorm(of: layer.wO, rows: w, cols: d))
  }
}
