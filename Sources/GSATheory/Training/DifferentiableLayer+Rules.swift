import GSAModel

extension DifferentiableLayer {
  /// S_t and k_t under the configuration's own k rule (`LayerConfig.kRule`), in float64: the
  /// selection the float32 layer (`GSAModel.AttentionLayer`) and the reference code make.
  /// `selection(_:length:)` keeps k_t = min(k_base, n_t) for the training checks; this one
  /// applies the adaptive rules too. Pass the result to `forward(_:length:selection:)`.
  ///
  /// Rules (GSA-THEORY.md §2.4, `GSAModel.adaptiveBudget`): Var_t is the unbiased row variance of
  /// the indexer scores, over the n_t = t + 1 causal candidates for the figure rule and over all L
  /// entries with the masked ones as zeros for the code rule ([code] `masked_fill(-inf → 0).var()`);
  /// V̄ = mean_t Var_t + 1e-8; k_t from the rule, clamped to [k_min, k_max] and to n_t, rounded
  /// down. S_t is the k_t highest scores, ties to the earlier key. Dense variants take every
  /// candidate.
  /// `rule` overrides the configuration's rule (to compare the rules on one layer).
  public func ruleSelection(
    _ x: [Double], length l: Int, rule: AdaptiveKRule? = nil
  ) -> (selection: Selection, kPerQuery: [Int]) {
    var c = config
    c.kRule = rule ?? c.kRule
    let candidates = { (t: Int) in c.causal ? t + 1 : l }
    guard variant.isSparse else {
      let sets = (0..<l).map { Array(0..<candidates($0)) }
      return (Selection(sets: sets), sets.map(\.count))
    }
    let scores = indexerScores(x, length: l)
    var budgets = (0..<l).map { min(c.kBase, candidates($0)) }
    if c.kRule != .fixed {
      var variances = [Double](repeating: 0, count: l)
      for t in 0..<l {
        let n = candidates(t)
        let entries = c.kRule == .code ? l : n
        var sum = 0.0
        for s in 0..<n { sum += scores[t * l + s] }
        let mean = sum / Double(entries)
        var squares = 0.0
        for s in 0..<n { squares += (scores[t * l + s] - mean) * (scores[t * l + s] - mean) }
        squares += Double(entries - n) * mean * mean
        variances[t] = entries > 1 ? squares / Double(entries - 1) : 0
      }
      let meanVariance = variances.reduce(0, +) / Double(l) + 1e-8
      budgets = (0..<l).map {
        adaptiveBudget(rule: c.kRule, variance: variances[$0], meanVariance: meanVariance, config: c, candidates: candidates($0))
      }
    }
    var sets: [[Int]] = []
    for t in 0..<l {
      let order = (0..<candidates(t)).sorted { a, b in
        let sa = scores[t * l + a], sb = scores[t * l + b]
        return sa != sb ? sa > sb : a < b
      }
      sets.append(order.prefix(budgets[t]).sorted())
    }
    return (Selection(sets: sets), budgets)
  }
}
