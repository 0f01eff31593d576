import Foundation

extension Claim {
  /// CV-step-size: Gradient descent with step η ≤ 1/β decreases the loss monotonically (descent lemma), for GSA as for standard attention.
  public static let cvStepSize = Claim(
    id: "CV-step-size", group: .convergence,
    statement: "Gradient descent with step η ≤ 1/β decreases the loss monotonically (descent lemma), for GSA as for standard attention.",
    sources: [.thirdParty, .reconstruction],
    assumptions: """
      S_t held fixed within a step; full-batch gradient descent at η = 1/β on a synthetic regression task (fixed random teacher layer of the same variant), inputs with ‖h_t‖ = 1, weight-norm set 1.5× the initial norms (the run checks the iterates stay inside). Small-scale simulation, not the paper's 1.7B run.
      """,
    scope: "Theorem (descent lemma), any size; run on one layer with D = 8."
  ) { context in try ConvergenceChecks.stepSize(context: context) }
}
