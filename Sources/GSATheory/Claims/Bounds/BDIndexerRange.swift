import Foundation
import GSLKit

extension Claim {
  /// BD-indexer-range: 0 < I_{t,s} < H_I for the gated sigmoid indexer; ReLU is unbounded.
  public static let bdIndexerRange = Claim(
    id: "BD-indexer-range", group: .bounds,
    statement: "The gated sigmoid indexer satisfies 0 < I_{t,s} < H_I; the DSA ReLU indexer is unbounded above.",
    sources: [.figure, .reconstruction],
    assumptions: """
      Brute-force float64 indexer (GSA-THEORY.md §2.3, with 1/√d_I as in [code]; H_I = 4, d_I = 16, D = 32 at \
      full scale) on GSL-sampled weights (reference Xavier init, then projection gains ×1, ×4, ×16) and inputs \
      h ~ N(0, c²I) with c up to 1e3 to push every pre-activation towards saturation. The bound is judged in \
      exact arithmetic: float64 rounds σ(x) to 1 for x > 36.7, so float64 scores can equal H_I.
      """,
    scope: "Mathematical bound, any size; sampled and saturated layers (D = 32)."
  ) { context in try BoundsChecks.indexerRange(context: context, claimedUpperFraction: 1) }
}

extension BoundsChecks {
  /// Samples sigmoid indexer scores over growing weight/input scales and a ReLU indexer over
  /// growing input scales. Holds when every sigmoid score lies in (0, claimedUpperFraction·H_I]
  /// (equality only from float64 saturation) and the ReLU maximum grows without bound.
  public static func indexerRange(context: ClaimContext, claimedUpperFraction: Double) throws -> ClaimOutcome {
    let random = context.random()
    let (d, hi, di) = context.scaled(full: (32, 4, 16), quick: (16, 4, 8))
    let length = context.scaled(full: 48, quick: 16)
    let headCount = Double(hi)
    var sigmoidMin = Double.infinity
    var sigmoidMax = -Double.infinity
    var largestBelowSaturation = 0.0
    for gain in [1.0, 4, 16] {
      for inputScale in [1.0, 10, 100, 1000] {
        var layer = ClaimLayer.sample(modelDim: d, heads: 1, headDim: 1, indexerHeads: hi, indexerDim: di, random: random)
        layer.wIndexQ = layer.wIndexQ.map { $0 * gain }
        layer.wIndexK = layer.wIndexK.map { $0 * gain }
        layer.wIndexW = layer.wIndexW.map { $0 * gain * 10 }
        let h = ClaimLayer.sequence(length: length, modelDim: d, random: random, scale: inputScale)
        for row in layer.indexerScores(h) {
          for value in row {
            sigmoidMin = min(sigmoidMin, value)
            sigmoidMax = max(sigmoidMax, value)
            if value < headCount { largestBelowSaturation = max(largestBelowSaturation, value) }
          }
        }
      }
    }
    // ReLU (DSA) indexer on the same shapes: max score as the input scale grows.
    var reluMaxima = [Double]()
    let reluBase = ClaimLayer.sample(modelDim: d, heads: 1, headDim: 1, indexerHeads: hi, indexerDim: di, random: random)
    let unit = ClaimLayer.sequence(length: length, modelDim: d, random: random)
    for inputScale in [1.0, 10, 100, 1000] {
      var layer = reluBase
      layer.indexer = .relu
      layer.indexWeightBias = Array(repeating: 1, count: hi)  // positive head weights, as after training
      let h = unit.map { $0.map { $0 * inputScale } }
      reluMaxima.append(layer.indexerScores(h).joined().max() ?? 0)
    }
    let claimedUpper = claimedUpperFraction * headCount
    let growth = reluMaxima.last! / reluMaxima.first!
    let evidence = [
      EvidenceItem("H_I", headCount), EvidenceItem("sigmoid min I", sigmoidMin), EvidenceItem("sigmoid max I", sigmoidMax),
      EvidenceItem("sigmoid max I below float64 saturation", largestBelowSaturation),
      EvidenceItem("claimed upper bound", claimedUpper),
      EvidenceItem("ReLU max I at input scale 1", reluMaxima[0]), EvidenceItem("ReLU max I at input scale 1000", reluMaxima[3]),
      EvidenceItem("ReLU growth over ×1000 input", growth),
    ]
    if sigmoidMin < 0 || sigmoidMax > claimedUpper || (sigmoidMax == claimedUpper && claimedUpper < headCount) {
      return ClaimOutcome(
        verdict: .refuted,
        summary:
          "sigmoid indexer scores reach \(String.num(sigmoidMax, 8)) (min \(String.num(sigmoidMin))), outside (0, \(String.num(claimedUpper))).",
        counterexample: "max I = \(String.num(sigmoidMax, 8)) > \(String.num(claimedUpper)) with saturated pre-activations",
        evidence: evidence)
    }
    guard growth > 1e4 else {
      return ClaimOutcome(
        verdict: .refuted, summary: "the ReLU indexer's maximum grew only ×\(String.num(growth)) over a ×1000 input scale.",
        counterexample: "ReLU max I stays ≤ \(String.num(reluMaxima.max()!))", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds,
      summary: """
        sigmoid scores stay in [\(String.num(sigmoidMin)), \(String.num(sigmoidMax, 8))] ⊆ [0, H_I = \(Int(headCount))], \
        approaching both ends under saturation (float64 rounds σ to exactly 0 or 1 there; the bounds are strict in exact \
        arithmetic); ReLU max grows \
        \(String.num(reluMaxima[0])) → \(String.num(reluMaxima[3])) (×\(String.num(growth)), quadratic in the input scale).
        """,
      evidence: evidence)
  }
}
