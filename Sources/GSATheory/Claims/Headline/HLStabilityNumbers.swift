import Foundation

extension Claim {
  /// HL-stability-numbers: the stability and index-accuracy numbers, whose protocols are undefined.
  public static let hlStabilityNumbers = Claim(
    id: "HL-stability-numbers", group: .headline,
    statement: """
      Bounded gates give fewer loss spikes (12.3 → 0.3 per 100K steps), a 2× higher maximum stable learning rate \
      (4e-3 → 8e-3), smaller activations (max 1053 → 87), and better index accuracy (ReLU 89.3%, sigmoid 91.2%, gated \
      sigmoid 93.1%).
      """,
    sources: [.code, .thirdParty],
    assumptions: """
      Inconsistency 6: "loss spike", "maximum stable learning rate" and "index accuracy" have no stated protocol, so \
      the effects cannot be re-measured; the check verifies only the reported numbers' own arithmetic (ratios and \
      orderings the text draws from them) and otherwise stays inconclusive. Training-dynamics checks belong to the \
      convergence group (CV-*).
      """,
    scope: "The paper's reported numbers only; no protocol exists to re-measure them."
  ) { context in
    try HeadlineChecks.stabilityNumbers(
      context: context,
      learningRates: (
        PaperReported.value("stability", row: "dense", "max stable lr") ?? .nan,
        PaperReported.value("stability", row: "gsa", "max stable lr") ?? .nan
      ))
  }
}

extension HeadlineChecks {
  public static func stabilityNumbers(context: ClaimContext, learningRates: (Double, Double)) throws -> ClaimOutcome {
    let lrRatio = learningRates.1 / learningRates.0
    // The paper's numbers, from the one table of reported values.
    func reported(_ table: String, _ row: String, _ quantity: String) -> Double {
      PaperReported.value(table, row: row, quantity) ?? .nan
    }
    let spikes = 1 - reported("stability", "gsa", "loss spikes") / reported("stability", "dense", "loss spikes")
    let activations = reported("stability", "dense", "max activation") / reported("stability", "gsa", "max activation")
    let accuracy = ["relu", "sigmoid", "gated sigmoid"].map { reported("indexer-ablation", $0, "index accuracy") }
    let ordered = accuracy == accuracy.sorted()
    let evidence = [
      EvidenceItem("max stable LR ratio", lrRatio, unit: "×"), EvidenceItem("loss-spike reduction", 100 * spikes, unit: "%"),
      EvidenceItem("max activation ratio", activations, unit: "×"),
      EvidenceItem("index accuracy gain, ReLU → gated sigmoid", accuracy[2] - accuracy[0], unit: "points"),
    ]
    guard abs(lrRatio - 2) < 0.05, ordered else {
      return ClaimOutcome(
        verdict: .refuted, summary: "the reported numbers contradict the text: LR ratio \(String.num(lrRatio, 3))× is not 2×.",
        counterexample: "\(learningRates.0) → \(learningRates.1) is ×\(String.num(lrRatio, 3))", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .inconclusive,
      summary: """
        the numbers are internally consistent (LR ×\(String.num(lrRatio, 3)), spikes −\(String.num(100 * spikes, 3))%, activations \
        ÷\(String.num(activations, 3)), accuracy ordered), but no protocol defines a loss spike, the stable-LR search or \
        "index accuracy", so none of the effects can be reproduced by computation.
        """,
      evidence: evidence)
  }
}
