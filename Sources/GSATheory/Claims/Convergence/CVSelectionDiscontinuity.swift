import Foundation

extension Claim {
  /// CV-selection-discontinuity: GSA retains standard convergence guarantees — which requires the discontinuous top-k selection S_t to stay fixed (or change rarely) between steps; the paper does not say how it handles this.
  public static let cvSelectionDiscontinuity = Claim(
    id: "CV-selection-discontinuity", group: .convergence,
    statement:
      "GSA retains standard convergence guarantees — which requires the discontinuous top-k selection S_t to stay fixed (or change rarely) between steps; the paper does not say how it handles this.",
    sources: [.thirdParty, .reconstruction],
    assumptions: """
      Sparse-only and GSA trained with Adam at the shared lr; the indexer receives no gradient (S_t fixed within a step) but S_t moves because the embedding trains; measured on a fixed evaluation batch: the share of queries whose S_t changed between consecutive steps, and whether spike events coincide with a change (at step t or t − 1). Small-scale simulation, not the paper's 1.7B run.
      """,
    scope: "Mechanism (S_t moves during training), shown on one layer with D ≤ 16."
  ) { context in ConvergenceChecks.selectionDiscontinuity(context: context) }
}
