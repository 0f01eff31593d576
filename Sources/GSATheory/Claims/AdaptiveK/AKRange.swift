import Foundation
import GSLKit

extension Claim {
  /// AK-range: the code's rule spans [k_min, k_max].
  public static let akRange = Claim(
    id: "AK-range", group: .adaptiveK,
    statement: "k_t adapts within [k_min, k_max] = [256, 4096] around k_base = 2048 (reference defaults).",
    sources: [.code],
    assumptions: """
      The [code] rule k_t = clamp(k_base(0.5 + 1/(1 + T·v̂_t)), k_min, k_max), T = 1, v̂_t = Var_t/(batch mean + 1e-8), \
      evaluated on indexer rows (masked-zeros variance) from GSL-sampled sequences (batch 8, L = 128) at indexer \
      gains ×1 (reference init), ×8 and ×64, plus two-row batches with one row's variance forced to 0 and one \
      large, the most extreme v̂ a batch allows. The clamp to the number of candidates is not applied.
      """,
    scope: "Rule arithmetic, any size; sampled rows (D = 32) show the range reached."
  ) { context in try AdaptiveKChecks.range(context: context, budgets: AdaptiveKChecks.Budgets()) }
}

extension AdaptiveKChecks {
  /// Observed range of the code rule against [k_min, k_max]; holds when both clamps are reached.
  public static func range(context: ClaimContext, budgets: Budgets) throws -> ClaimOutcome {
    let random = context.random()
    let length = context.scaled(full: 128, quick: 32)
    let batch = context.scaled(full: 8, quick: 3)
    var lowest = Double.infinity
    var highest = -Double.infinity
    var atMin = 0, atMax = 0, total = 0
    func account(_ ks: [Double]) {
      for k in ks {
        lowest = min(lowest, k)
        highest = max(highest, k)
        if k <= budgets.min { atMin += 1 }
        if k >= budgets.max { atMax += 1 }
        total += 1
      }
    }
    for gain in [1.0, 8, 64] {
      let rows = sampleRows(random: random, batch: batch, length: length, gain: gain).flatMap { $0.dropFirst() }
      account(codeRule(rows.map { maskedVariance($0, length: length) }, budgets))
    }
    // Extreme batches: one constant row (Var 0, v̂ = 0) and one row alternating 0/H_I.
    for n in [2, 16, 256] {
      let variances = [0.0] + Array(repeating: 0, count: n - 2) + [4.0]
      account(codeRule(variances, budgets))
    }
    let evidence = [
      EvidenceItem("k_min", budgets.min), EvidenceItem("k_max", budgets.max), EvidenceItem("k_base", budgets.base),
      EvidenceItem("observed min k", lowest), EvidenceItem("observed max k", highest),
      EvidenceItem("fraction at k_min", Double(atMin) / Double(total)), EvidenceItem("fraction at k_max", Double(atMax) / Double(total)),
      EvidenceItem("observed min / k_base", lowest / budgets.base), EvidenceItem("observed max / k_base", highest / budgets.base),
    ]
    if atMin > 0 && atMax > 0 {
      return ClaimOutcome(
        verdict: .holds, summary: "the rule reaches both clamps: k ∈ [\(String.num(lowest)), \(String.num(highest))].", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holdsWithCorrection,
      summary: """
        inconsistency 1: over all rows and extreme batches the code's k_t stays in [\(String.num(lowest)), \(String.num(highest))] \
        = [\(String.num(lowest / budgets.base, 3)), \(String.num(highest / budgets.base, 3))]·k_base: k_min = \(String.num(budgets.min)) \
        and k_max = \(String.num(budgets.max)) are never reached (0 of \(total) rows clamped).
        """,
      correctedStatement: "With T = 1 the code's k_t lies in (0.5, 1.5]·k_base = (1024, 3072]; the clamps to [256, 4096] never act.",
      evidence: evidence)
  }
}
