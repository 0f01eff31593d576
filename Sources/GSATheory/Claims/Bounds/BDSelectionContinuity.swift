import Foundation
import GSLKit

extension Claim {
  /// BD-selection-continuity: the layer, top-k included, is Lipschitz in its input.
  public static let bdSelectionContinuity = Claim(
    id: "BD-selection-continuity", group: .bounds,
    statement: """
      The GSA layer including its top-k selection is Lipschitz continuous in its input, as a smoothness-based \
      convergence argument (Theorem 6, "standard convergence guarantees") needs without holding S_t fixed.
      """,
    sources: [.reconstruction, .thirdParty],
    assumptions: """
      Inconsistency 7 (how the paper treats the discontinuous selection is unknown). Brute-force float64 layer (D = 8, \
      H = 2, d_h = 4, H_I = 2, d_I = 4, L = 12, k = 3; GSL-sampled weights and input). For the last query, the best \
      unselected key b is moved along the finite-difference gradient of I_{t,b} until it ties the k-th selected key \
      (bisection to 1e-14); the difference quotient ‖u_t(λ* + ε) − u_t(λ* − ε)‖/(2ε) is measured for ε = 1e-2 … 1e-8, with \
      top-k recomputed and, as the control, with S_t held fixed at the set containing b.
      """,
    scope: "Mathematical property, any size; one constructed layer decides it."
  ) { context in try BoundsChecks.selectionContinuity(context: context, k: 3) }
}

extension BoundsChecks {
  /// Holds when the difference quotient stays bounded as ε → 0 (e.g. k ≥ L: no selection).
  public static func selectionContinuity(context: ClaimContext, k: Int) throws -> ClaimOutcome {
    let random = context.random()
    let (d, length) = (8, 12)
    let t = length - 1
    for _ in 0..<20 {
      let layer = ClaimLayer.sample(
        modelDim: d, heads: 2, headDim: 4, indexerHeads: 2, indexerDim: 4, random: random, projectionGain: 2, gateGain: 1)
      let x = ClaimLayer.sequence(length: length, modelDim: d, random: random)
      let row = layer.indexerScores(x)[t]
      let order = row.indices.sorted { row[$0] > row[$1] }
      guard k < order.count else {
        return try continuousControl(layer, x, t: t, k: k)
      }
      let kth = order[k - 1]
      guard let b = order[k...].first(where: { $0 != t }) else { continue }
      // Direction: gradient of I_{t,b} with respect to h_b (central differences).
      func score(_ input: [[Double]], _ s: Int) -> Double { layer.indexerScores(Array(input[0...t]))[t][s] }
      var direction = [Double](repeating: 0, count: d)
      for j in 0..<d {
        var plus = x, minus = x
        plus[b][j] += 1e-6
        minus[b][j] -= 1e-6
        direction[j] = (score(plus, b) - score(minus, b)) / 2e-6
      }
      let size = Numerics.norm(direction)
      guard size > 1e-9 else { continue }
      direction = direction.map { $0 / size }
      func moved(_ lambda: Double) -> [[Double]] {
        var y = x
        for j in 0..<d { y[b][j] += lambda * direction[j] }
        return y
      }
      let gap = { (lambda: Double) -> Double in
        let y = moved(lambda); return score(y, b) - score(y, kth)
      }
      var high = 0.5
      while gap(high) <= 0 && high < 64 { high *= 2 }
      guard gap(high) > 0, let tie = MeasuredCost.bisect(0, high, gap) else { continue }
      var evidence = [EvidenceItem("tie at λ*", tie)]
      var quotients = [Double]()
      var fixedQuotients = [Double]()
      for epsilon in [1e-2, 1e-4, 1e-6, 1e-8] {
        let (low, up) = (moved(tie - epsilon), moved(tie + epsilon))
        let selectionLow = ClaimLayer.topK(layer.indexerScores(low), k: k)
        let uLow = layer.forward(low, selection: selectionLow).output[t]
        let selectionUp = ClaimLayer.topK(layer.indexerScores(up), k: k)
        let uUp = layer.forward(up, selection: selectionUp).output[t]
        // Control: S_t held fixed at the set that contains key b, so u_t does depend on the move.
        let uUpFixed = layer.forward(up, selection: selectionUp).output[t]
        let uLowFixed = layer.forward(low, selection: selectionUp).output[t]
        let quotient = Numerics.norm(zip(uUp, uLow).map { $0 - $1 }) / (2 * epsilon)
        let fixed = Numerics.norm(zip(uUpFixed, uLowFixed).map { $0 - $1 }) / (2 * epsilon)
        quotients.append(quotient)
        fixedQuotients.append(fixed)
        evidence += [
          EvidenceItem("ε = \(String.num(epsilon)): quotient with top-k", quotient),
          EvidenceItem("ε = \(String.num(epsilon)): quotient with S_t fixed", fixed),
        ]
      }
      let jump = quotients.last! * 2e-8
      evidence.append(EvidenceItem("output jump ‖Δu_t‖ at the tie", jump))
      if quotients.last! > 100 * quotients.first! && jump > 1e-6 {
        return ClaimOutcome(
          verdict: .refuted,
          summary: """
            inconsistency 7: when key \(b) overtakes the k-th selected key, u_t jumps by \(String.num(jump)) however small the input \
            change: the difference quotient grows like 1/ε (\(String.num(quotients.first!)) at ε = 1e-2 → \(String.num(quotients.last!)) at \
            1e-8), while with S_t held fixed (key b selected on both sides) it stays ≤ \(String.num(fixedQuotients.max()!)). Smoothness (β) arguments must hold S_t fixed \
            or treat the selection as piecewise constant.
            """,
          counterexample: "input move of 2e-8 along ∇I_{t,b} changes u_t by \(String.num(jump))", evidence: evidence)
      }
      return ClaimOutcome(
        verdict: .holds, summary: "the difference quotient stays bounded (≤ \(String.num(quotients.max()!))) through the tie.",
        evidence: evidence)
    }
    throw CheckError("BD-selection-continuity: no tie between selected and unselected keys found in 20 sampled layers")
  }

  /// k ≥ candidates: no selection happens; the quotient under random directions stays bounded.
  static func continuousControl(_ layer: ClaimLayer, _ x: [[Double]], t: Int, k: Int) throws -> ClaimOutcome {
    let direction = (0..<layer.modelDim).map { Double($0 % 3) - 1 }
    var quotients = [Double]()
    for epsilon in [1e-2, 1e-4, 1e-6] {
      var up = x, low = x
      for j in 0..<layer.modelDim {
        up[0][j] += epsilon * direction[j]
        low[0][j] -= epsilon * direction[j]
      }
      let a = layer.forward(up, selection: ClaimLayer.topK(layer.indexerScores(up), k: k)).output[t]
      let b = layer.forward(low, selection: ClaimLayer.topK(layer.indexerScores(low), k: k)).output[t]
      quotients.append(Numerics.norm(zip(a, b).map { $0 - $1 }) / (2 * epsilon * Numerics.norm(direction)))
    }
    return ClaimOutcome(
      verdict: .holds, summary: "with k ≥ L every key is selected and the quotient stays bounded (≤ \(String.num(quotients.max()!))).",
      evidence: quotients.enumerated().map { EvidenceItem("quotient \($0.offset)", $0.element) })
  }
}
