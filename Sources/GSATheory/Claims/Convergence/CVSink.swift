import Foundation

extension Claim {
  /// CV-sink: gates by themselves remove the attention sink (the mechanism; the paper's 46.7% → 3.9% is its 1.7B run).
  public static let cvSink = Claim(
    id: "CV-sink", group: .convergence,
    statement: """
      Gates by themselves remove the attention sink: a gated layer that must output 0 closes its gate instead of \
      parking attention on the first token (the paper measures first-token attention falling from 46.7% to 3.9% in \
      its 1.7B model).
      """,
    sources: [.code, .thirdParty],
    assumptions: """
      Sink task: BOS at position 0; 'null' tokens must output 0 (an ungated layer can only do that by attending to a zero-value token), others the running mean of fixed codes; Adam, same seeds; share = attention probability on position 0 of null queries, averaged over heads, ungated (dense) vs gated (gated-only). S_t held fixed within a step. Small-scale simulation, not the paper's 1.7B run.
      """,
    scope: "Mechanism (gates alone remove the sink), tested on one layer with D ≤ 16."
  ) { context in ConvergenceChecks.sink(context: context) }
}
