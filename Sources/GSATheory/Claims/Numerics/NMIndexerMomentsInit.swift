import Foundation
import GSLKit

extension Claim {
  /// NM-indexer-moments-init: the indexer's score moments at initialisation, and the k_t each rule then yields.
  public static let nmIndexerMomentsInit = Claim(
    id: "NM-indexer-moments-init", group: .numerics,
    statement: """
      At the reference initialisation the gated sigmoid indexer's scores have mean H_I·E[w]·E[σ(z)] = H_I/4 and mean row \
      variance H_I·E[w²]·E_q[Var σ(z)], with z ~ N(0, v_q·v_k·χ²_{d_I}/d_I) (1/√d_I as in [code]); the adaptive rules \
      then start from these statistics.
      """,
    sources: [.code, .reconstruction],
    assumptions: """
      Paper indexer dims (D = 4096, H_I = 4, d_I = 64; D = 512 at quick scale), Xavier-uniform q/k (gain 1) and w (gain \
      0.1), zero biases, inputs h ~ N(0, I). Prediction by nested GSL integration (QAGIU over the χ² law of ‖q_j‖², QAGI \
      over z), cross-head covariances neglected (zero mean over queries). Sampled: the float64 brute-force indexer on a \
      GSL-sampled sequence (L = 256), row variances over valid entries with Bessel's n/(n−1) for t ≥ L/4. Agreement: \
      mean within 2%, mean row variance within 10%. k_t of each rule (budgets 2048/256/4096) from the sampled rows.
      """,
    scope: "The paper's indexer at initialisation (D = 4096), by integration."
  ) { context in try NumericsChecks.indexerMomentsInit(context: context, predictUnscaled: false) }
}

extension NumericsChecks {
  /// `predictUnscaled` predicts with the figure's indexer (no 1/√d_I) against the code-scaled layer:
  /// a deliberately mismatched prediction.
  public static func indexerMomentsInit(context: ClaimContext, predictUnscaled: Bool) throws -> ClaimOutcome {
    let random = context.random()
    let (d, hi, di) = (context.scaled(full: 4096, quick: 512), 4, 64)
    let length = context.scaled(full: 256, quick: 96)
    let vq = 2 * Double(d) / Double(d + hi * di)
    let vk = 2 * Double(d) / Double(d + di)
    let vw = 0.01 * 2 * Double(d) / Double(d + hi)
    let scale2 = predictUnscaled ? 1 : 1 / Double(di)
    let meanW = try gaussianExpectation(mean: 0, sd: vw.squareRoot(), Numerics.sigmoid).value
    let meanW2 = try gaussianExpectation(mean: 0, sd: vw.squareRoot()) { pow(Numerics.sigmoid($0), 2) }.value
    let meanSigma = try gaussianExpectation(mean: 0, sd: (vq * vk * Double(di) * scale2).squareRoot(), Numerics.sigmoid).value
    // E over x ~ χ²_{d_I} of Var σ(z), z ~ N(0, v_q·v_k·x·scale²).
    let half = Double(di) / 2
    let logNorm = -half * log(2) - lgamma(half)
    let varSigma = try GSLIntegration.integrate(.upperHalf(from: 0), absoluteTolerance: 1e-10, relativeTolerance: 1e-8) { x in
      guard x > 0 else { return 0 }
      let density = exp(logNorm + (half - 1) * log(x) - x / 2)
      guard density > 1e-300 else { return 0 }
      let sd = (vq * vk * x * scale2).squareRoot()
      let second = (try? gaussianExpectation(mean: 0, sd: sd) { pow(Numerics.sigmoid($0), 2) }.value) ?? .nan
      return density * (second - 0.25)
    }.value
    let predictedMean = Double(hi) * meanW * meanSigma
    let predictedVariance = Double(hi) * meanW2 * varSigma
    // Sampled layer.
    let layer = ClaimLayer.sample(modelDim: d, heads: 1, headDim: 1, indexerHeads: hi, indexerDim: di, random: random)
    let rows = layer.indexerScores(ClaimLayer.sequence(length: length, modelDim: d, random: random))
    let sampledMean = Numerics.mean(rows.flatMap { $0 })
    let late = rows[(length / 4)...]
    let sampledVariance = Numerics.mean(late.map { Numerics.variance($0) * Double($0.count) / Double($0.count - 1) })
    // k_t of each rule on these rows (t ≥ 1).
    let budgets = AdaptiveKChecks.Budgets()
    let valid = rows.dropFirst().map(AdaptiveKChecks.validVariance)
    let masked = rows.dropFirst().map { AdaptiveKChecks.maskedVariance($0, length: length) }
    let figureK = AdaptiveKChecks.figureRule(valid, budgets)
    let codeK = AdaptiveKChecks.codeRule(masked, budgets)
    let clamped = Double(figureK.filter { $0 <= budgets.min || $0 >= budgets.max }.count) / Double(figureK.count)
    let meanError = abs(sampledMean - predictedMean) / predictedMean
    let varianceError = abs(sampledVariance - predictedVariance) / predictedVariance
    let evidence = [
      EvidenceItem("v_q", vq), EvidenceItem("v_k", vk), EvidenceItem("E[w] (QAGI)", meanW), EvidenceItem("E[w²] (QAGI)", meanW2),
      EvidenceItem("E[σ(z)] (QAGI)", meanSigma), EvidenceItem("E_q Var σ(z) (nested QAGIU/QAGI)", varSigma),
      EvidenceItem("predicted mean I", predictedMean), EvidenceItem("sampled mean I", sampledMean),
      EvidenceItem("predicted mean row variance", predictedVariance), EvidenceItem("sampled mean row variance", sampledVariance),
      EvidenceItem("Popoviciu bound H_I²/4", Double(hi * hi) / 4),
      EvidenceItem("figure rule: mean k", Numerics.mean(figureK)), EvidenceItem("figure rule: min k", figureK.min()!),
      EvidenceItem("figure rule: max k", figureK.max()!), EvidenceItem("figure rule: fraction clamped", clamped),
      EvidenceItem("code rule: mean k", Numerics.mean(codeK)), EvidenceItem("code rule: min k", codeK.min()!),
      EvidenceItem("code rule: max k", codeK.max()!), EvidenceItem("fixed rule: k", budgets.base),
    ]
    if meanError <= 0.02 && varianceError <= 0.1 {
      return ClaimOutcome(
        verdict: .holds,
        summary: """
          mean I: predicted \(String.num(predictedMean, 5)), sampled \(String.num(sampledMean, 5)); mean row variance: predicted \
          \(String.num(predictedVariance, 4)), sampled \(String.num(sampledVariance, 4)) (\(String.num(100 * varianceError, 2))% apart; \
          \(String.num(predictedVariance / 4, 2)) of the Popoviciu bound). From these rows the figure's rule spreads k over \
          [\(String.num(figureK.min()!)), \(String.num(figureK.max()!))] (\(String.num(100 * clamped, 3))% clamped) while the code's stays in \
          [\(String.num(codeK.min()!)), \(String.num(codeK.max()!))].
          """,
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .refuted,
      summary:
        "prediction and sampled layer disagree: mean \(String.num(predictedMean, 4)) vs \(String.num(sampledMean, 4)), row variance \(String.num(predictedVariance, 4)) vs \(String.num(sampledVariance, 4)).",
      counterexample: "row variance off by \(String.num(100 * varianceError, 3))%", evidence: evidence)
  }
}
