import Foundation
import GSAModel

extension Claim {
  /// CX-speedup-vs-k: the sparsity ablation 22/16/12/8× for k = 512…4096.
  public static let cxSpeedupVsK = Claim(
    id: "CX-speedup-vs-k", group: .complexity,
    statement: "At 128K, k = 512, 1024, 2048, 4096 give speedups 22×, 16×, 12×, 8×.",
    sources: [.code],
    assumptions: """
      Paper configuration, L = 131072, fixed k. Model values: the O-ratio 1/(d_I·H_I/D + k/L) and the counted \
      attention-core and whole-layer ratios from the kernels' ledger (CX-cost). Caps as L → ∞: D/(d_I·H_I) \
      (O-ratio) and the counted dense/indexer pair-cost ratio. A reported value agrees when within 10% of a model \
      value under one convention for all four k.
      """,
    scope: "Exact: counted FLOPs at the paper's configuration, L = 128K (not wall time)."
  ) { context in try ComplexityChecks.speedupVsK(context: context, claimed: [22, 16, 12, 8]) }
}

extension ComplexityChecks {
  public static func speedupVsK(context: ClaimContext, claimed: [Double]) throws -> ClaimOutcome {
    let m = try MeasuredCostCache.get(quick: context.quick)
    let budgets = [512.0, 1024, 2048, 4096]
    let l = 131_072.0
    var oRatio = [Double](), core = [Double](), layer = [Double]()
    for k in budgets {
      let c = MeasuredCost.paper(k: Int(k))
      let (d, dI, hI) = (Double(c.modelDim), Double(c.indexerDim), Double(c.indexerHeads))
      oRatio.append(1 / (dI * hI / d + k / l))
      core.append(m.flops(.denseAttention, c, length: l, k: 0) / m.gsaCore(c, length: l, k: k))
      layer.append(m.denseLayer(c, length: l) / m.gsaLayer(c, length: l, k: k))
    }
    let c = MeasuredCost.paper()
    let oCap = Double(c.modelDim) / Double(c.indexerDim * c.indexerHeads)
    let countedCap = m.flops(.denseAttention, c, length: 1e9, k: 0) / m.indexerPairs(c, length: 1e9)
    func agrees(_ model: [Double]) -> Bool { zip(model, claimed).allSatisfy { abs($0 - $1) / $1 <= 0.1 } }
    func worst(_ model: [Double]) -> Double { zip(model, claimed).map { abs($0 - $1) / $1 }.max()! }
    var evidence = [EvidenceItem]()
    for (i, k) in budgets.enumerated() {
      evidence += [
        EvidenceItem("k = \(Int(k)): claimed", claimed[i], unit: "×"), EvidenceItem("k = \(Int(k)): O-ratio", oRatio[i], unit: "×"),
        EvidenceItem("k = \(Int(k)): counted core", core[i], unit: "×"), EvidenceItem("k = \(Int(k)): counted layer", layer[i], unit: "×"),
      ]
    }
    evidence += [
      EvidenceItem("O-ratio cap D/(d_I·H_I)", oCap, unit: "×"), EvidenceItem("counted core cap", countedCap, unit: "×"),
      EvidenceItem("claimed max / O-ratio cap", claimed.max()! / oCap),
    ]
    if agrees(oRatio) || agrees(core) || agrees(layer) {
      return ClaimOutcome(verdict: .holds, summary: "the reported speedups follow a cost-model convention within 10%.", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .refuted,
      summary: """
        inconsistency 4: no convention reproduces 22/16/12/8: O-ratio \(oRatio.map { String.num($0, 3) }.joined(separator: "/")) (off by up to \
        \(String.num(100 * worst(oRatio), 2))%), counted core \(core.map { String.num($0, 3) }.joined(separator: "/")), counted layer \
        \(layer.map { String.num($0, 2) }.joined(separator: "/")); \(String.num(claimed.max()!))× at k = 512 exceeds the O-ratio cap \
        \(String.num(oCap)) for every L, and the claimed fall 22 → 8 (×\(String.num(claimed.first! / claimed.last!, 3))) is steeper than the \
        core's ×\(String.num(core.first! / core.last!, 3)) or the O-ratio's ×\(String.num(oRatio.first! / oRatio.last!, 3)).
        """,
      counterexample: "k = 512: claimed \(String.num(claimed[0]))× > O-ratio cap \(String.num(oCap))× (model \(String.num(oRatio[0], 3))×)",
      evidence: evidence)
  }
}
