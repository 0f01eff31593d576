import Foundation
import GSLKit

extension Claim {
  /// BD-indexer-variance: Var_s(I_{t,s}) ≤ H_I²/4 (Popoviciu).
  public static let bdIndexerVariance = Claim(
    id: "BD-indexer-variance", group: .bounds,
    statement: "Var_s(I_{t,s}) ≤ H_I²/4 (Popoviciu: the scores lie in an interval of width H_I).",
    sources: [.figure, .reconstruction],
    assumptions: """
      Population variance (divide by n = t + 1 causal candidates) of each row of the brute-force float64 gated \
      sigmoid indexer. Evidence: Monte Carlo over GSL-sampled weights/inputs (reference init and ×4, ×16 gains), \
      and an adversarial layer (keys alternating ±c·x₀, head weights saturated by c_j = 40) that drives each row \
      to alternating 0 / H_I as c grows. With Bessel's correction (torch.var's default) the supremum is \
      H_I²/4·n/(n−1), reported separately.
      """,
    scope: "Mathematical bound, any size; sampled layers and a tight construction."
  ) { context in try BoundsChecks.indexerVariance(context: context, claimedBound: nil) }
}

extension BoundsChecks {
  /// Largest row variance found, relative to `claimedBound` (default H_I²/4).
  public static func indexerVariance(context: ClaimContext, claimedBound: Double?) throws -> ClaimOutcome {
    let random = context.random()
    let (d, hi, di) = context.scaled(full: (32, 4, 16), quick: (16, 4, 8))
    let length = context.scaled(full: 48, quick: 16)
    let bound = claimedBound ?? Double(hi * hi) / 4
    let popoviciu = Double(hi * hi) / 4
    var sampledMax = 0.0
    var initMean = 0.0
    for gain in [1.0, 4, 16] {
      var layer = ClaimLayer.sample(modelDim: d, heads: 1, headDim: 1, indexerHeads: hi, indexerDim: di, random: random)
      layer.wIndexQ = layer.wIndexQ.map { $0 * gain }
      layer.wIndexK = layer.wIndexK.map { $0 * gain }
      let rows = layer.indexerScores(ClaimLayer.sequence(length: length, modelDim: d, random: random))
      let variances = rows.dropFirst().map(Numerics.variance)
      sampledMax = max(sampledMax, variances.max() ?? 0)
      if gain == 1 { initMean = Numerics.mean(Array(variances)) }
    }
    // Adversarial: h_s = (−1)^s·c·x₀, so k_s = ±c·k₀ and q_t·k_s = ±c²·(q₀·k₀): rows alternate σ(±big).
    var adversarial = [(Double, Double, Double)]()  // (c, max population var, max unbiased var)
    var layer = ClaimLayer.sample(modelDim: d, heads: 1, headDim: 1, indexerHeads: hi, indexerDim: di, random: random)
    layer.indexWeightBias = Array(repeating: 40, count: hi)
    let x0 = (0..<d).map { _ in random.gaussian() }
    // Make q₀·k₀ positive for every head: flip the head's query columns if needed.
    let k0 = Numerics.vecMat(x0, layer.wIndexK, rows: d, cols: di)
    let q0 = Numerics.vecMat(x0, layer.wIndexQ, rows: d, cols: hi * di)
    for j in 0..<hi {
      let dot = (0..<di).reduce(0.0) { $0 + q0[j * di + $1] * k0[$1] }
      if dot < 0 { for r in 0..<d { for i in 0..<di { layer.wIndexQ[r * hi * di + j * di + i] *= -1 } } }
    }
    for c in [0.5, 1, 2, 4, 8] {
      let h = (0..<length).map { s in x0.map { $0 * c * (s.isMultiple(of: 2) ? 1 : -1) } }
      let rows = layer.indexerScores(h).dropFirst()
      let population = rows.map(Numerics.variance).max() ?? 0
      let unbiased = rows.map { Numerics.variance($0) * Double($0.count) / Double($0.count - 1) }.max() ?? 0
      adversarial.append((c, population, unbiased))
    }
    let adversarialMax = adversarial.map(\.1).max()!
    let observed = max(sampledMax, adversarialMax)
    let evidence = [
      EvidenceItem("H_I²/4", popoviciu), EvidenceItem("claimed bound", bound),
      EvidenceItem("mean row variance at reference init", initMean),
      EvidenceItem("max sampled row variance", sampledMax),
      EvidenceItem("adversarial max variance (c = 0.5)", adversarial[0].1),
      EvidenceItem("adversarial max variance (c = 8)", adversarial[4].1),
      EvidenceItem("observed max / claimed bound", observed / bound),
      EvidenceItem("unbiased (n−1) max variance, adversarial", adversarial.map(\.2).max()!),
    ]
    if observed > bound * (1 + 1e-12) {
      return ClaimOutcome(
        verdict: .refuted, summary: "a row reaches variance \(String.num(observed, 8)) > claimed \(String.num(bound)).",
        counterexample: "alternating-sign keys h_s = ±c·x₀ with c = 8 give Var = \(String.num(adversarialMax, 8))", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds,
      summary: """
        max row variance \(String.num(observed, 8)) ≤ H_I²/4 = \(String.num(popoviciu)); the adversarial rows approach it \
        (\(String.num(adversarial[0].1 / popoviciu)) → \(String.num(adversarialMax / popoviciu)) of the bound), so it is tight; at \
        reference init the mean row variance is only \(String.num(initMean)). With Bessel's correction the same rows \
        reach \(String.num(adversarial.map(\.2).max()!)) (n/(n−1) above H_I²/4).
        """,
      evidence: evidence)
  }
}
