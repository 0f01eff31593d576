import Foundation
import GSLKit

extension Claim {
  /// EX-dense-limit: k ≥ L and gate bias b → ∞ recover dense attention, error ≤ (1 − σ(b))·‖O‖.
  public static let exDenseLimit = Claim(
    id: "EX-dense-limit", group: .expressiveness,
    statement: "With k ≥ L and gate weights 0, gate bias b → ∞ turns GSA into dense ungated attention, with error ≤ (1 − σ(b))·‖O‖.",
    sources: [.thirdParty, .reconstruction],
    assumptions: """
      Brute-force float64 layer (D = 16, H = 2, d_h = 8, L = 12, reference init of Q/K/V/O) with every causal key \
      selected (k ≥ L), gate weights set to 0 and both gate biases b ∈ {0, 1, 2, 4, 8, 16, 30}; error = \
      max_t ‖O^g_t − O^dense_t‖ on the concatenated heads before W_O, against (1 − σ(b))·‖O^dense_t‖. Dual gating \
      (G1 and G2) as in GSA; the single-gate case is the test's control.
      """,
    scope: "Mathematical limit, any size; float64 layers (D = 16) measure it."
  ) { context in try ExpressivenessChecks.denseLimit(context: context, dualGating: true) }
}

/// The expressiveness checks, on the float64 reference layer.
public enum ExpressivenessChecks {
  public static func denseLimit(context: ClaimContext, dualGating: Bool) throws -> ClaimOutcome {
    let random = context.random()
    let (d, h, dh, length) = (16, 2, 8, context.scaled(full: 12, quick: 6))
    var layer = ClaimLayer.sample(modelDim: d, heads: h, headDim: dh, indexerHeads: 2, indexerDim: 4, random: random)
    layer.wValueGate = layer.wValueGate.map { _ in 0 }
    layer.wOutputGate = layer.wOutputGate.map { _ in 0 }
    layer.valueGate = dualGating
    let x = ClaimLayer.sequence(length: length, modelDim: d, random: random)
    var dense = layer
    dense.valueGate = false
    dense.outputGate = false
    let all = ClaimLayer.causalAll(length: length)
    let reference = dense.forward(x, selection: all).attended
    // k ≥ L through top-k: the selection must be every causal key.
    let topAll = ClaimLayer.topK(layer.indexerScores(x), k: length)
    let sparseEqualsDense = topAll == all
    var ratios = [(Double, Double, Double)]()  // (b, error/‖O‖, error / bound)
    for b in [0.0, 1, 2, 4, 8, 16, 30] {
      var gated = layer
      gated.valueGateBias = b
      gated.outputGateBias = b
      let out = gated.forward(x, selection: topAll).gated
      var relative = 0.0
      for t in 0..<length {
        let diff = zip(out[t], reference[t]).map { $0 - $1 }
        relative = max(relative, Numerics.norm(diff) / Numerics.norm(reference[t]))
      }
      ratios.append((b, relative, relative / (1 - Numerics.sigmoid(b))))
    }
    let worst = ratios.filter { $0.0 <= 16 }.map(\.2).max()!
    var evidence = [EvidenceItem("S_t = all causal keys when k ≥ L", sparseEqualsDense ? 1 : 0)]
    for (b, relative, ratio) in ratios {
      evidence.append(EvidenceItem("b = \(Int(b)): error/‖O‖", relative))
      if b <= 16 { evidence.append(EvidenceItem("b = \(Int(b)): error/((1 − σ(b))‖O‖)", ratio)) }
    }
    let converges = ratios.last!.1 < 1e-10
    guard sparseEqualsDense, converges else {
      return ClaimOutcome(
        verdict: .refuted, summary: "GSA does not converge to dense attention: error/‖O‖ = \(String.num(ratios.last!.1)) at b = 30.",
        counterexample: "b = 30, error/‖O‖ = \(String.num(ratios.last!.1))", evidence: evidence)
    }
    if worst > 1 + 1e-9 {
      return ClaimOutcome(
        verdict: .holdsWithCorrection,
        summary: """
          the limit holds (error/‖O‖ = \(String.num(ratios.last!.1)) at b = 30, k ≥ L selects every key) but the bound is too small for \
          dual gating: both gates scale by σ(b), so the error is (1 − σ(b)²)‖O‖ = (1 + σ(b))·(1 − σ(b))‖O‖; measured \
          error/((1 − σ(b))‖O‖) reaches \(String.num(worst, 6)) (→ 2 as b → ∞).
          """,
        correctedStatement: "error = (1 − σ(b)²)·‖O‖ ≤ 2(1 − σ(b))·‖O‖ with both gates (≤ (1 − σ(b))·‖O‖ holds for one gate).",
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds,
      summary: "error/((1 − σ(b))‖O‖) ≤ \(String.num(worst, 6)) for all b and → 0 as b grows; k ≥ L selects every key.",
      evidence: evidence)
  }
}
