import Foundation

extension Claim {
  /// CV-rate: GSA retains the standard non-convex rate: min_{t<T} ‖∇ℒ(θ_t)‖² ≤ 2(ℒ(θ_0) − ℒ*)/(η·T) for η ≤ 1/β.
  public static let cvRate = Claim(
    id: "CV-rate", group: .convergence,
    statement: "GSA retains the standard non-convex rate: min_{t<T} ‖∇ℒ(θ_t)‖² ≤ 2(ℒ(θ_0) − ℒ*)/(η·T) for η ≤ 1/β.",
    sources: [.thirdParty, .reconstruction],
    assumptions: """
      S_t held fixed within a step; deterministic gradients (no σ_g² term); ℒ* = 0 (squared error), a valid lower bound; same task as CV-step-size. Small-scale simulation, not the paper's 1.7B run.
      """,
    scope: "Theorem (non-convex rate), any size; run on one layer with D = 8."
  ) { context in try ConvergenceChecks.rate(context: context) }
}
