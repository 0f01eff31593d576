import Foundation
import GSAModel

extension Claim {
  /// CX-speedup-128k-gpu: the 12–16× at 128K, in time, on an H100/H200 (`GPUSpeedupModel`).
  public static let cxSpeedup128kGPU = Claim(
    id: "CX-speedup-128k-gpu", group: .complexity,
    statement: "GSA gives a 12–16× speedup over standard attention at 128K context, read as time on a current GPU (H100/H200).",
    sources: [.abstract, .thirdParty],
    assumptions: """
      TimeModel on the shipped H100 SXM and H200 spec profiles ([spec] datasheet figures: dense bf16 peak P, HBM W), \
      paper configuration, fixed k = 2048, L = 131072, causal prefill, bf16 (2 bytes per element), attention core only \
      (dense: QK/softmax/AV; GSA: indexer projections and pair scores, top-k, sparse core), CostModel's exact counts and \
      logical bytes. (1) Every kernel at datasheet peak, t = max(F/P, M/W): time lower bounds, no efficiency factor. \
      (2) A fraction φ of the sparse core's gathered K/V bytes is served on chip (L2 or shared memory) at no cost, the \
      rest from HBM at W. (3) σ, exp and the top-k have no datasheet rate: the indexer is priced at its FLOP bound \
      with its scores kept on chip, the top-k is free, so the speedups are upper bounds and the requirements are \
      necessary, not sufficient. φ is not measured; it is the requirement the check reports.
      """,
    scope: "Model: datasheet rates and counted FLOPs and bytes at the paper configuration; no GPU run."
  ) { context in try ComplexityChecks.speedup128kGPU(context: context, claimedLow: 12, claimedHigh: 16) }
}

extension ComplexityChecks {
  /// The on-chip fractions of the evidence's speedup rows.
  public static let gpuOnChipFractions: [Double] = [0, 0.5, 0.9, 0.95, 0.99, 1]

  /// Holds with correction when both targets are reachable only with a stated on-chip fraction of
  /// the gathered bytes; holds when φ = 0 already reaches the high end; refuted when no φ ≤ 1 reaches
  /// the low end on either GPU.
  public static func speedup128kGPU(
    context: ClaimContext, claimedLow: Double, claimedHigh: Double, length: Int = 131_072
  ) throws -> ClaimOutcome {
    let config = MeasuredCost.paper()
    var evidence = [EvidenceItem]()
    var requirements = [(String, Double?, Double?, Double)]()
    for name in MachineProfile.specNames {
      let profile = try MachineProfile.spec(named: name)
      guard let m = GPUSpeedupModel(profile: profile, config: config, length: length) else { continue }
      let label = name.uppercased()
      evidence += [
        EvidenceItem("\(label): dense attention time bound", m.denseSeconds * 1e3, unit: "ms"),
        EvidenceItem("\(label): sparse core, compute bound", m.coreFlops / m.flopsPerSecond * 1e3, unit: "ms"),
        EvidenceItem("\(label): gathered K/V bytes", m.gatheredBytes / 1e9, unit: "GB"),
        EvidenceItem("\(label): indexer FLOP bound (scores on chip)", m.indexerFloorSeconds * 1e3, unit: "ms"),
        EvidenceItem("\(label): indexer with its scores through HBM", m.indexerStreamedSeconds * 1e3, unit: "ms"),
      ]
      for phi in gpuOnChipFractions {
        evidence.append(
          EvidenceItem("\(label): GSA core time at φ = \(String.num(phi))", m.coreSeconds(onChipFraction: phi) * 1e3, unit: "ms"))
        evidence.append(EvidenceItem("\(label): speedup bound at φ = \(String.num(phi))", m.speedup(onChipFraction: phi), unit: "×"))
      }
      for target in [claimedLow, claimedHigh] {
        let phi = m.requiredOnChipFraction(speedup: target)
        evidence.append(EvidenceItem("\(label): φ needed for \(String.num(target))×", phi ?? .nan))
        for phi in [0.99, 1] {
          evidence.append(
            EvidenceItem(
              "\(label): budget for indexer + top-k at \(String.num(target))×, φ = \(String.num(phi))",
              m.budgetSeconds(speedup: target, onChipFraction: phi) * 1e3, unit: "ms"))
        }
      }
      requirements.append(
        (label, m.requiredOnChipFraction(speedup: claimedLow), m.requiredOnChipFraction(speedup: claimedHigh), m.speedup(onChipFraction: 0))
      )
    }
    guard !requirements.isEmpty else {
      return ClaimOutcome(verdict: .inconclusive, summary: "no GPU spec profile could be read.", evidence: evidence)
    }
    func phiText(_ phi: Double?) -> String { phi.map { String(format: "%.1f%%", 100 * $0) } ?? "unreachable" }
    let described = requirements.map { r in
      "\(r.0): \(String.num(r.3, 3))× with every gathered byte from HBM; \(String.num(claimedLow))× needs φ ≥ \(phiText(r.1)), "
        + "\(String.num(claimedHigh))× needs φ ≥ \(phiText(r.2))"
    }.joined(separator: "; ")
    if requirements.allSatisfy({ $0.1 == nil }) {
      return ClaimOutcome(
        verdict: .refuted, summary: "even with every gathered byte on chip the model stays below \(String.num(claimedLow))×: \(described).",
        counterexample: "L = \(length), k = 2048, bf16, datasheet peaks", evidence: evidence)
    }
    if requirements.allSatisfy({ ($0.2 ?? 1) == 0 }) {
      return ClaimOutcome(verdict: .holds, summary: "reached with every gathered byte from HBM: \(described).", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holdsWithCorrection,
      summary: "in time the range is reachable only when most gathered K/V bytes are served on chip: \(described).",
      correctedStatement:
        "At 128K on an H100/H200, GSA's attention core reaches 12–16× over dense only if the sparse core serves the stated fraction of its gathered K/V bytes on chip; from HBM alone its gathers take longer than dense attention.",
      evidence: evidence)
  }
}
