import Foundation

extension Claim {
  /// CV-sink: Gating removes the attention sink: attention on the first token falls from 46.7% to 3.9%.
  public static let cvSink = Claim(
    id: "CV-sink", group: .convergence,
    statement: "Gating removes the attention sink: attention on the first token falls from 46.7% to 3.9%.",
    sources: [.code, .thirdParty],
    assumptions: """
      Sink task: BOS at position 0; 'null' tokens must output 0 (an ungated layer can only do that by attending to a zero-value token), others the running mean of fixed codes; Adam, same seeds; share = attention probability on position 0 of null queries, averaged over heads, ungated (dense) vs gated (gated-only). S_t held fixed within a step. Small-scale simulation, not the paper's 1.7B run.
      """
  ) { context in ConvergenceChecks.sink(context: context) }
}
