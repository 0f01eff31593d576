import Foundation
import GSAModel

extension Claim {
  /// CX-dominant: "the dominant term is L·k·D".
  public static let cxDominant = Claim(
    id: "CX-dominant", group: .complexity,
    statement: "The dominant term of GSA's cost is L·k·D (at the paper's configuration and 128K context).",
    sources: [.thirdParty],
    assumptions: """
      Paper configuration [code] (D 4096, H 32, H_kv 8, d_h 128, H_I 4, d_I 64) with fixed k = 2048, L = 131072. Terms \
      evaluated with the coefficients MEASURED from the kernels' FLOP ledger (CX-cost): the indexer's pair term \
      (L²·d_I·H_I), the sparse core (L·k·D), projections and gates (L·D²). "Dominant" = largest single term, \
      judged within the attention core and within the whole layer.
      """,
    scope: "Exact: counted FLOPs at the paper's configuration, L = 128K."
  ) { context in try ComplexityChecks.dominant(context: context, length: 131_072) }
}

extension ComplexityChecks {
  /// Shares of the GSA layer's counted FLOPs at length L; holds when the sparse core is the largest term.
  public static func dominant(context: ClaimContext, length: Double) throws -> ClaimOutcome {
    let m = try MeasuredCostCache.get(quick: context.quick)
    let c = MeasuredCost.paper()
    let k = 2048.0
    let indexerPairs = m.indexerPairs(c, length: length)
    let indexerRest = m.flops(.indexer, c, length: length, k: k) - indexerPairs
    let sparse = m.flops(.sparseAttention, c, length: length, k: k)
    let projections = m.flops(.projections, c, length: length, k: k)
    let gates = m.flops(.gates, c, length: length, k: k)
    let total = m.gsaLayer(c, length: length, k: k)
    let terms = [
      ("indexer pair scores (L²·d_I·H_I)", indexerPairs), ("sparse core (L·k·D)", sparse), ("Q/K/V/O projections", projections),
      ("gates", gates), ("indexer projections", indexerRest),
    ]
    let largest = terms.max { $0.1 < $1.1 }!
    let evidence = [
      EvidenceItem("L", length, unit: "tokens"),
      EvidenceItem("indexer pair FLOPs", indexerPairs, unit: "FLOP"), EvidenceItem("sparse core FLOPs", sparse, unit: "FLOP"),
      EvidenceItem("projection FLOPs", projections, unit: "FLOP"), EvidenceItem("gate FLOPs", gates, unit: "FLOP"),
      EvidenceItem("indexer / sparse core", indexerPairs / sparse),
      EvidenceItem("sparse core share of the core", sparse / (sparse + indexerPairs)),
      EvidenceItem("sparse core share of the layer", sparse / total),
    ]
    let coreDominant = sparse > 1.5 * indexerPairs
    if coreDominant && largest.0.hasPrefix("sparse") {
      return ClaimOutcome(
        verdict: .holds,
        summary: "at L = \(String.num(length)) the L·k·D term is the largest (\(String.num(100 * sparse / total, 3))% of the layer).",
        evidence: evidence)
    }
    if coreDominant {
      return ClaimOutcome(
        verdict: .holdsWithCorrection,
        summary: """
          at L = \(String.num(length)) L·k·D dominates the attention core (indexer/sparse = \(String.num(indexerPairs / sparse, 3))) but the \
          largest term of the layer is \(largest.0) (\(String.num(100 * largest.1 / total, 3))%); L·k·D is \(String.num(100 * sparse / total, 3))%.
          """,
        correctedStatement: "L·k·D dominates the attention core at this length; the layer is dominated by \(largest.0).",
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .refuted,
      summary: """
        inconsistency 3: at L = \(String.num(length)) the counted indexer pair term equals \(String.num(indexerPairs / sparse, 3))× the L·k·D \
        term, so L·k·D is only \(String.num(100 * sparse / (sparse + indexerPairs), 3))% of the attention core and \
        \(String.num(100 * sparse / total, 3))% of the layer, whose largest term is \(largest.0) (\(String.num(100 * largest.1 / total, 3))%).
        """,
      counterexample: "L = 131072, k = 2048: indexer \(String.num(indexerPairs)) FLOP ≥ sparse core \(String.num(sparse)) FLOP",
      evidence: evidence)
  }
}
