import Foundation

extension Claim {
  /// CV-smoothness: With bounded (sigmoid) gates the training loss is β-smooth, β computable from the configuration, input norms and weight norms, so the standard non-convex convergence argument applies (Theorem 6).
  public static let cvSmoothness = Claim(
    id: "CV-smoothness", group: .convergence,
    statement:
      "With bounded (sigmoid) gates the training loss is β-smooth, β computable from the configuration, input norms and weight norms, so the standard non-convex convergence argument applies (Theorem 6).",
    sources: [.thirdParty, .reconstruction],
    assumptions: """
      S_t held fixed within a step (top-k is discontinuous); squared-error loss through one layer; β = J² + ρ·H₂ from R, R_y and spectral-norm bounds with σ ≤ 1, σ' ≤ 1/4, |σ''| ≤ 1/(6√3) (derivation in SmoothnessBound). Checked by GSL-sampled gradient-difference ratios ‖∇ℒ(θ) − ∇ℒ(θ')‖/‖θ − θ'‖ (β from norms valid on the whole segment) and power iteration on the Hessian, for all four variants. Small-scale check, not the paper's 1.7B run.
      """,
    scope: "Theorem, any size; probed on one-layer configurations with D ≤ 8."
  ) { context in try ConvergenceChecks.smoothness(context: context) }
}
