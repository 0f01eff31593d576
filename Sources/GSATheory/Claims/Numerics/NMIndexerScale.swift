import Foundation
import GSLKit

extension Claim {
  /// NM-indexer-scale: the figure's indexer (no 1/√d_I) and the code's (with it) are the same model.
  public static let nmIndexerScale = Claim(
    id: "NM-indexer-scale", group: .numerics,
    statement:
      "The figure's indexer σ(q·k + b) and the reference code's σ(q·k/√d_I + b) are the same indexer (the 1/√d_I factor is immaterial).",
    sources: [.figure, .code],
    assumptions: """
      Inconsistency 5. Same GSL-sampled weights and sequence (D = 4096, H_I = 4, d_I = 64, L = 256; D = 512, L = 96 at \
      quick scale; reference init), indexer evaluated with and without 1/√d_I. Saturation = |pre-activation| > 5 \
      (σ' < 0.0067): sampled, and predicted by GSL integration of the Gaussian tail with the init variance \
      v_q·v_k (×d_I without the scale). Selection agreement: mean Jaccard overlap of the top-k sets, k = L/8. "Same" = \
      saturation within 5 points and overlap ≥ 0.95.
      """,
    scope: "The paper's indexer at initialisation (D = 4096), sampled and integrated."
  ) { context in try NumericsChecks.indexerScale(context: context, indexerDim: 64) }
}

extension NumericsChecks {
  public static func indexerScale(context: ClaimContext, indexerDim di: Int) throws -> ClaimOutcome {
    let random = context.random()
    let (d, hi) = (context.scaled(full: 4096, quick: 512), 4)
    let length = context.scaled(full: 256, quick: 96)
    var scaled = ClaimLayer.sample(modelDim: d, heads: 1, headDim: 1, indexerHeads: hi, indexerDim: di, random: random)
    scaled.indexerScale = true
    var unscaled = scaled
    unscaled.indexerScale = false
    let x = ClaimLayer.sequence(length: length, modelDim: d, random: random)
    // Pre-activations q·k (one head's worth per pair is enough for the distribution).
    let keys = x.map { Numerics.vecMat($0, scaled.wIndexK, rows: d, cols: di) }
    var dots = [Double]()
    for t in stride(from: 0, to: length, by: 4) {
      let q = Numerics.vecMat(x[t], scaled.wIndexQ, rows: d, cols: hi * di)
      for s in 0...t { for j in 0..<hi { dots.append((0..<di).reduce(0.0) { $0 + q[j * di + $1] * keys[s][$1] }) } }
    }
    let c = 1 / Double(di).squareRoot()
    let saturatedScaled = Double(dots.filter { abs($0 * c) > 5 }.count) / Double(dots.count)
    let saturatedUnscaled = Double(dots.filter { abs($0) > 5 }.count) / Double(dots.count)
    let vq = 2 * Double(d) / Double(d + hi * di)
    let vk = 2 * Double(d) / Double(d + di)
    func tail(_ variance: Double) throws -> Double {
      let sd = variance.squareRoot()
      return try 2
        * GSLIntegration.integrate(.upperHalf(from: 5), absoluteTolerance: 1e-14, relativeTolerance: 1e-10) {
          exp(-0.5 * $0 * $0 / variance) / (sd * (2 * Double.pi).squareRoot())
        }.value
    }
    let predictedScaled = try tail(vq * vk)
    let predictedUnscaled = try tail(vq * vk * Double(di))
    let slopeScaled = Numerics.mean(
      dots.map {
        let s = Numerics.sigmoid($0 * c); return s * (1 - s)
      })
    let slopeUnscaled = Numerics.mean(
      dots.map {
        let s = Numerics.sigmoid($0); return s * (1 - s)
      })
    let k = length / 8
    let a = ClaimLayer.topK(scaled.indexerScores(x), k: k)
    let b = ClaimLayer.topK(unscaled.indexerScores(x), k: k)
    let overlaps = zip(a, b).dropFirst(k).map { p, q in
      Double(Set(p).intersection(q).count) / Double(Set(p).union(q).count)
    }
    let overlap = Numerics.mean(overlaps)
    let evidence = [
      EvidenceItem("pre-activation sd, with 1/√d_I", (Numerics.variance(dots) * c * c).squareRoot()),
      EvidenceItem("pre-activation sd, without", Numerics.variance(dots).squareRoot()),
      EvidenceItem("saturated fraction, with 1/√d_I (sampled)", saturatedScaled),
      EvidenceItem("saturated fraction, with 1/√d_I (GSL integration)", predictedScaled),
      EvidenceItem("saturated fraction, without (sampled)", saturatedUnscaled),
      EvidenceItem("saturated fraction, without (GSL integration)", predictedUnscaled),
      EvidenceItem("mean σ' with 1/√d_I", slopeScaled), EvidenceItem("mean σ' without", slopeUnscaled),
      EvidenceItem("mean Jaccard overlap of top-k sets", overlap), EvidenceItem("k", Double(k)),
    ]
    if abs(saturatedScaled - saturatedUnscaled) <= 0.05 && overlap >= 0.95 {
      return ClaimOutcome(
        verdict: .holds,
        summary:
          "with d_I = \(di) both indexers behave alike (saturation \(String.num(saturatedScaled, 3)) vs \(String.num(saturatedUnscaled, 3)), overlap \(String.num(overlap, 3))).",
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .refuted,
      summary: """
        inconsistency 5: without 1/√d_I the init pre-activations have s.d. ×\(String.num(Double(di).squareRoot(), 3)) larger and \
        \(String.num(100 * saturatedUnscaled, 3))% of them saturate (GSL: \(String.num(100 * predictedUnscaled, 3))%) vs \
        \(String.num(100 * saturatedScaled, 3))% (GSL: \(String.num(100 * predictedScaled, 3))%); the mean sigmoid slope drops \
        \(String.num(slopeScaled, 3)) → \(String.num(slopeUnscaled, 3)) and the selected top-k sets overlap only \(String.num(overlap, 3)) (Jaccard).
        """,
      counterexample: "saturation \(String.num(100 * saturatedUnscaled, 3))% (figure) vs \(String.num(100 * saturatedScaled, 3))% (code)",
      evidence: evidence)
  }
}
