import Foundation
import GSLKit

extension Claim {
  /// AK-masked-variance: the code's variance is the variance of the query's candidates.
  public static let akMaskedVariance = Claim(
    id: "AK-masked-variance", group: .adaptiveK,
    statement: "The code's adaptive statistic is Var(I_{t,:}) over the query's causal candidates s ≤ t, as the figure defines it.",
    sources: [.code, .figure],
    assumptions: """
      [code] computes the variance over the full length-L row with masked (future) entries replaced by 0. Both \
      variances are computed by brute force on the rows of a float64 gated indexer (D = 32, H_I = 4, d_I = 16) over \
      GSL-sampled sequences (batch 4, L = 256, reference init), compared by relative position t/L; the check also \
      verifies the identity Var_masked = (n/L)(v + μ²) − (nμ/L)² (n = t + 1 valid entries of mean μ, variance v).
      Tolerance: within 10% counts as the same statistic.
      """,
    scope: "Exact algebra of the code's statistic; sampled rows (L = 256) size it."
  ) { context in try AdaptiveKChecks.maskedVariance(context: context, positions: 0.0..<1.0) }
}

extension AdaptiveKChecks {
  /// Inflation Var_masked/Var_valid at relative positions in `positions`.
  public static func maskedVariance(context: ClaimContext, positions: Range<Double>) throws -> ClaimOutcome {
    let random = context.random()
    let length = context.scaled(full: 256, quick: 64)
    let batch = context.scaled(full: 4, quick: 2)
    let sequences = sampleRows(random: random, batch: batch, length: length, gain: 1)
    var identityError = 0.0
    var buckets: [(String, Range<Double>, [Double])] = [
      ("t/L < 5%", 0..<0.05, []), ("t/L in 5–25%", 0.05..<0.25, []), ("t/L in 25–75%", 0.25..<0.75, []),
      ("t/L ≥ 75%", 0.75..<1, []),
    ]
    var selected = [Double]()
    var kEarly = (masked: [Double](), valid: [Double]())
    let budgets = Budgets()
    for rows in sequences {
      let valid = rows.map(validVariance)
      let masked = rows.map { maskedVariance($0, length: length) }
      let codeMasked = codeRule(masked, budgets)
      let codeValid = codeRule(valid, budgets)
      for t in 1..<length {
        let n = Double(t + 1), l = Double(length)
        let mu = Numerics.mean(rows[t])
        let predicted = (n / l) * (valid[t] + mu * mu) - (n * mu / l) * (n * mu / l)
        identityError = max(identityError, abs(predicted - masked[t]) / masked[t])
        let ratio = masked[t] / valid[t]
        let position = Double(t) / l
        for i in buckets.indices where buckets[i].1.contains(position) { buckets[i].2.append(ratio) }
        if positions.contains(position) || (positions.upperBound >= 1 && t == length - 1) { selected.append(ratio) }
        if position < 0.25 {
          kEarly.masked.append(codeMasked[t])
          kEarly.valid.append(codeValid[t])
        }
      }
    }
    var evidence = buckets.map { EvidenceItem("median Var_masked/Var_valid, \($0.0)", median($0.2)) }
    evidence += [
      EvidenceItem("max inflation in checked positions", selected.max() ?? .nan),
      EvidenceItem("min inflation in checked positions", selected.min() ?? .nan),
      EvidenceItem("mean code k_t for t/L < 25%, masked variance", Numerics.mean(kEarly.masked)),
      EvidenceItem("mean code k_t for t/L < 25%, valid variance", Numerics.mean(kEarly.valid)),
      EvidenceItem("identity max relative error", identityError),
    ]
    let worst = selected.max() ?? 1
    let best = selected.min() ?? 1
    if worst > 1.1 || best < 1 / 1.1 {
      let kShift = Numerics.mean(kEarly.masked) > Numerics.mean(kEarly.valid) ? "larger" : "smaller"
      return ClaimOutcome(
        verdict: .refuted,
        summary: """
          inconsistency 2: zero-filled future entries distort the variance by the factor (n/L)·[1 + (1 − n/L)·μ²/v]: median \
          ×\(String.num(median(buckets[0].2))) in the first 5% of positions (the very first rows are even deflated, down to \
          ×\(String.num(best))), ×\(String.num(median(buckets[2].2))) in the middle and ×\(String.num(median(buckets[3].2))) in the \
          last quarter (up to ×\(String.num(worst))), since μ² ≫ v; only t = L − 1 is exact. Queries in the first quarter get \
          \(kShift) k_t from the code rule (mean \(String.num(Numerics.mean(kEarly.masked))) vs \(String.num(Numerics.mean(kEarly.valid))) \
          with the candidates' variance).
          """,
        counterexample:
          "in the middle of the sequence (t/L in 25–75%) the masked variance is \(String.num(median(buckets[2].2)))× the candidates' variance (median)",
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds,
      summary:
        "in the checked positions the masked variance is within 10% of the candidates' (×\(String.num(best))–×\(String.num(worst))).",
      evidence: evidence)
  }

  static func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s.count.isMultiple(of: 2) ? (s[s.count / 2 - 1] + s[s.count / 2]) / 2 : s[s.count / 2]
  }
}
