import Foundation
import GSLKit

extension Claim {
  /// AK-direction: the figure, the prose and the code describe the same adaptive-k rule.
  public static let akDirection = Claim(
    id: "AK-direction", group: .adaptiveK,
    statement: """
      The adaptive sparsity controller modulates k_t by the score variance consistently: the figure's rule \
      (k_t ∝ Var_t), the prose (high variance = confident = fewer tokens) and the code (k_t = k_base(0.5 + 1/(1 + v̂_t))) \
      move k_t in the same direction.
      """,
    sources: [.figure, .thirdParty, .code],
    assumptions: """
      Each rule is applied to the same indexer rows: brute-force float64 gated indexer (D = 32, H_I = 4, d_I = 16, \
      1/√d_I) on GSL-sampled sequences (batch 8, L = 128), indexer projections ×8 the reference init so variances \
      spread as after training. Figure: V̄ = the batch mean variance (the EMA's fixed point), variance over the \
      valid entries; code: its masked-zeros variance, T = 1. Budgets 2048/256/4096; the clamp to the number of \
      candidates is not applied (it would hide the rule at L = 128). Direction = sign of Spearman's ρ(Var_t, k_t); \
      the prose states only the sign, −1.
      """,
    scope: "Rule arithmetic, any size; the three rules on the same rows (D = 32)."
  ) { context in try AdaptiveKChecks.direction(context: context, compare: ["figure", "prose", "code"]) }
}

extension AdaptiveKChecks {
  /// Measured direction of each rule named in `compare` ("figure", "prose", "code"); holds when
  /// all signs agree.
  public static func direction(context: ClaimContext, compare: [String]) throws -> ClaimOutcome {
    let random = context.random()
    let length = context.scaled(full: 128, quick: 48)
    let batch = context.scaled(full: 8, quick: 3)
    let rows = sampleRows(random: random, batch: batch, length: length, gain: 8).flatMap { $0.dropFirst() }
    let valid = rows.map(validVariance)
    let masked = rows.map { maskedVariance($0, length: length) }
    let budgets = Budgets()
    let figureK = figureRule(valid, budgets)
    let codeK = codeRule(masked, budgets)
    let rhoFigure = spearman(valid, figureK)
    let rhoCode = spearman(masked, codeK)
    let signs: [String: Double] = ["figure": rhoFigure.sign == .minus ? -1 : 1, "prose": -1, "code": rhoCode.sign == .minus ? -1 : 1]
    let chosen = compare.compactMap { signs[$0] }
    let evidence = [
      EvidenceItem("Spearman ρ(Var, k), figure rule", rhoFigure), EvidenceItem("Spearman ρ(Var, k), code rule", rhoCode),
      EvidenceItem("prose direction (stated)", -1),
      EvidenceItem("figure k range min", figureK.min()!), EvidenceItem("figure k range max", figureK.max()!),
      EvidenceItem("code k range min", codeK.min()!), EvidenceItem("code k range max", codeK.max()!),
      EvidenceItem("rows", Double(rows.count)),
    ]
    if Set(chosen).count > 1 {
      return ClaimOutcome(
        verdict: .refuted,
        summary: """
          inconsistency 1: on the same rows the figure's k_t rises with variance (ρ = \(String.num(rhoFigure))) while the code's \
          falls (ρ = \(String.num(rhoCode))), as the prose says; V̄ is undefined in the figure.
          """,
        counterexample: """
          the highest-variance row gets k = \(String.num(figureK[valid.indices.max { valid[$0] < valid[$1] }!])) by the figure \
          and \(String.num(codeK[masked.indices.max { masked[$0] < masked[$1] }!])) by the code (k_base 2048)
          """,
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds, summary: "the compared rules (\(compare.joined(separator: ", "))) all move k_t the same way.",
      evidence: evidence)
  }
}
