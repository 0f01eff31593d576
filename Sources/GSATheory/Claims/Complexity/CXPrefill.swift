import Foundation
import GSAModel

extension Claim {
  /// CX-prefill: the efficiency table (0.09× prefill, 0.13× decode) matches 12–16×.
  public static let cxPrefill = Claim(
    id: "CX-prefill", group: .complexity,
    statement:
      "The efficiency table's 128K costs relative to dense (GSA prefill 0.09×, decode 0.13×; sparse-only 0.08× / 0.12×) agree with the abstract's 12–16× speedup.",
    sources: [.code, .abstract],
    assumptions: """
      Speedup = 1/relative cost. Model values at the paper configuration (fixed k = 2048, L = 131072) from the \
      kernels' counted FLOPs (CX-cost fit): prefill = whole forward; decode = the marginal cost of the last query \
      (cost(L) − cost(L − 1)), attention core and whole layer. Decode is judged by bytes in CX-decode.
      """ + ComplexityChecks.bytesRowsAssumption,
    scope: "Exact: counted FLOPs against the paper's reported table (not wall time)."
  ) { context in
    var outcome = try ComplexityChecks.prefill(context: context, tablePrefill: 0.09, tableDecode: 0.13)
    outcome.measurements = ComplexityChecks.ridgeMeasurements(context)
    return outcome
  }
}

extension ComplexityChecks {
  public static func prefill(context: ClaimContext, tablePrefill: Double, tableDecode: Double) throws -> ClaimOutcome {
    let m = try MeasuredCostCache.get(quick: context.quick)
    let c = MeasuredCost.paper()
    let (l, k) = (131_072.0, 2048.0)
    let prefillLayer = m.denseLayer(c, length: l) / m.gsaLayer(c, length: l, k: k)
    let prefillCore = m.flops(.denseAttention, c, length: l, k: 0) / m.gsaCore(c, length: l, k: k)
    let decodeLayer =
      (m.denseLayer(c, length: l) - m.denseLayer(c, length: l - 1))
      / (m.gsaLayer(c, length: l, k: k) - m.gsaLayer(c, length: l - 1, k: k))
    let decodeCore =
      (m.flops(.denseAttention, c, length: l, k: 0) - m.flops(.denseAttention, c, length: l - 1, k: 0))
      / (m.gsaCore(c, length: l, k: k) - m.gsaCore(c, length: l - 1, k: k))
    let evidence =
      [
        EvidenceItem("table prefill speedup (1/0.09)", 1 / tablePrefill, unit: "×"),
        EvidenceItem("table decode speedup (1/0.13)", 1 / tableDecode, unit: "×"),
        EvidenceItem("table sparse-only prefill speedup (1/0.08)", 1 / 0.08, unit: "×"),
        EvidenceItem("table sparse-only decode speedup (1/0.12)", 1 / 0.12, unit: "×"),
        EvidenceItem("counted prefill, whole layer", prefillLayer, unit: "×"),
        EvidenceItem("counted prefill, core", prefillCore, unit: "×"),
        EvidenceItem("counted decode, whole layer", decodeLayer, unit: "×"), EvidenceItem("counted decode, core", decodeCore, unit: "×"),
      ] + ComplexityChecks.prefillBytesEvidence()
    let prefillSpeedup = 1 / tablePrefill
    if prefillSpeedup >= 12 * 0.995 && prefillSpeedup <= 16 * 1.005 {
      return ClaimOutcome(
        verdict: .holds, summary: "the table's prefill speedup \(String.num(prefillSpeedup, 3))× lies in 12–16×.", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .refuted,
      summary: """
        inconsistency 4: the table's GSA prefill 0.09× is \(String.num(prefillSpeedup, 3))× and decode 0.13× is \(String.num(1 / tableDecode, 2))×, \
        both outside 12–16× (only sparse-only's prefill, \(String.num(1 / 0.08, 3))×, is inside). Counted FLOPs give prefill \
        \(String.num(prefillLayer, 2))× (layer) / \(String.num(prefillCore, 3))× (core) and decode \(String.num(decodeLayer, 3))× (layer) / \
        \(String.num(decodeCore, 3))× (core): the table sits between the layer and core figures.
        """,
      counterexample: "prefill 1/0.09 = \(String.num(prefillSpeedup, 3))× < 12×", evidence: evidence)
  }
}
