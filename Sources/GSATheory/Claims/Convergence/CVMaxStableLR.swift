import Foundation

extension Claim {
  /// CV-max-stable-lr: GSA doubles the maximum stable learning rate (4e-3 → 8e-3) relative to standard attention.
  public static let cvMaxStableLR = Claim(
    id: "CV-max-stable-lr", group: .convergence,
    statement: "GSA doubles the maximum stable learning rate (4e-3 → 8e-3) relative to standard attention.",
    sources: [.code, .thirdParty],
    assumptions: """
      Embedding + one layer trained with Adam (β 0.9/0.95, constant lr, no warm-up/clipping) on a synthetic teacher task, same data and initial seeds for all variants; max stable lr by bisection in log η over [1e-4, 1]; stable = no divergence (non-finite, > 10·ℒ₀, or final-10% mean > ℒ₀) and no spike; geometric mean over seeds. S_t held fixed within a step. Small-scale simulation, not the paper's 1.7B run.
      """,
    scope: "A number from the paper's 1.7B run: a one-layer, D ≤ 16 run cannot reproduce it."
  ) { context in
    .inconclusiveAtThisScale(
      ConvergenceChecks.maxStableLearningRate(context: context),
      reason:
        "4e-3 → 8e-3 is the paper's 1.7B-parameter run with its optimiser schedule; the stable learning rate of a one-layer model with D ≤ 16 is on another scale, so its ratio neither confirms nor refutes 2×."
    )
  }
}
