import Foundation
import GSAModel

/// Pre-flight operation-count estimates of the training simulations (`ConvergenceCheck`,
/// `StabilitySimulation`), so a front end can refuse a run that would take days before any
/// work starts.
///
/// The unit is one scalar operation of the float64 reference layer (`DifferentiableLayer`): a
/// multiply-add of a projection or an attention dot product, one exp, one comparison of the
/// top-k sort. Only the loops whose cost grows with the sizes are counted:
///
/// - forward on one sequence of length L, given S_t: projections L·D·(2·H·d_h + 2·H_kv·d_h),
///   gates L·D·H_kv·d_h (value) and L·D·H·d_h (output) when the variant is gated, RoPE
///   L·(H + H_kv)·d_h, attention H·P·(2·d_h + 1) with P = Σ_t |S_t| attended pairs;
/// - selection (sparse variants): indexer projections L·D·(H_I·d_I + d_I + H_I), scores
///   C·H_I·d_I over the C candidate pairs (L(L+1)/2 causal, L² otherwise), the sort C·log₂(L+1);
/// - a gradient evaluation: forward + backward ≈ 3 × forward (the backward pass does two
///   products per forward product);
/// - spectral norms (GSL SVD of every weight matrix, r × c): 4·r·c·min(r, c) each.
///
/// The estimates are within a small constant factor of the work done; the budgets below are set
/// from the same estimates, so the factor cancels.
///
/// Mathematical properties: every estimate is a sum of products of the sizes with non-negative
/// coefficients, hence non-decreasing in each of L, B (sequences/batch), T (steps), seeds, D, H,
/// H_kv, d_h, H_I, d_I and k.
public enum TrainingCost {
  /// Budget of `ConvergenceCheck.run`: about 20 × the estimate of the default
  /// `check-convergence` run (gsa, D 8, H 2, H_kv 1, d_h 4, H_I 2, d_I 4, k 4, L 12, B 4,
  /// T 200: ≈ 1.5·10⁷ operations, under a second in a debug build).
  public static let convergenceCheckBudget = 3e8

  /// Budget of `StabilitySimulation.run`: about 20 × the estimate of the default
  /// `simulate stability` run (`Settings.standard`: ≈ 3.3·10¹⁰ operations, a few minutes on
  /// 2 cores in release).
  public static let stabilitySimulationBudget = 6.5e11

  /// Candidate pairs (t, s): L(L+1)/2 causal, L² otherwise.
  static func candidatePairs(_ c: LayerConfig, length l: Int) -> Double {
    let n = Double(l)
    return c.causal ? n * (n + 1) / 2 : n * n
  }

  /// Attended pairs P = Σ_t |S_t|: every candidate for dense variants, Σ_t min(k, #candidates) for sparse ones.
  static func attendedPairs(_ c: LayerConfig, variant: Variant, length l: Int) -> Double {
    guard variant.isSparse else { return candidatePairs(c, length: l) }
    let k = max(c.kBase, 1)
    var total = 0.0
    for t in 0..<l { total += Double(min(k, c.causal ? t + 1 : l)) }
    return total
  }

  /// Operations of one forward pass on one sequence of length `length`, S_t given.
  public static func forward(_ c: LayerConfig, variant: Variant, length l: Int) -> Double {
    let n = Double(l), d = Double(c.modelDim), h = Double(c.heads), hkv = Double(c.kvHeads), dh = Double(c.headDim)
    var total = n * d * (2 * h * dh + 2 * hkv * dh) + n * (h + hkv) * dh
    if variant.isGated && c.valueGate { total += n * d * hkv * dh }
    if variant.isGated && c.outputGate { total += n * d * h * dh }
    return total + h * attendedPairs(c, variant: variant, length: l) * (2 * dh + 1)
  }

  /// Operations of computing S_t for one sequence (0 for dense variants).
  public static func selection(_ c: LayerConfig, variant: Variant, length l: Int) -> Double {
    guard variant.isSparse else { return 0 }
    let n = Double(l), d = Double(c.modelDim), hi = Double(c.indexerHeads), di = Double(c.indexerDim)
    let pairs = candidatePairs(c, length: l)
    return n * d * (hi * di + di + hi) + pairs * hi * di + pairs * Foundation.log2(Double(l + 1))
  }

  /// Operations of the spectral norms of every weight matrix the variant uses.
  public static func spectralNorms(_ c: LayerConfig, variant: Variant) -> Double {
    LayerTensor.used(by: variant, config: c).filter(\.isMatrix).reduce(0) { total, name in
      let shape = name.shape(c).map(Double.init)
      return total + 4 * shape[0] * shape[1] * min(shape[0], shape[1])
    }
  }

  /// Estimated operations of `ConvergenceCheck.run(s)`: the teacher's targets, the smoothness
  /// probe (base evaluation, 6 sampled directions, 10 power-iteration steps), then T + 1
  /// evaluations of S_t, the loss and its gradient on all B sequences, each with the spectral norms.
  public static func convergenceCheck(_ s: ConvergenceCheck.Settings) -> Double {
    let b = Double(s.sequences)
    let select = selection(s.config, variant: s.variant, length: s.length)
    let pass = forward(s.config, variant: s.variant, length: s.length)
    let norms = spectralNorms(s.config, variant: s.variant)
    let teacher = b * (select + pass)
    let probe = b * (select + 3 * pass) + (6 + 10) * b * 3 * pass + 8 * norms
    let start = 2 * b * select
    let steps = Double(s.steps + 1) * (b * (select + 3 * pass) + norms)
    return teacher + probe + start + steps
  }

  /// Estimated operations of `StabilitySimulation.run(s)` with every part: per (variant, seed)
  /// cell, up to 2 + `bisectionIterations` runs of `bisectionSteps`, one of `spikeSteps` and one
  /// of `sinkSteps`; a step evaluates the fixed evaluation batch (forward) and trains on one
  /// minibatch (forward + backward), both of `batch` sequences of `length` tokens.
  public static func stabilitySimulation(_ s: StabilitySimulation.Settings) -> Double {
    let runSteps = Double(2 + s.bisectionIterations) * Double(s.bisectionSteps) + Double(s.spikeSteps) + Double(s.sinkSteps)
    let b = Double(s.batch)
    let perSeed = s.variants.reduce(0.0) { total, variant in
      let select = selection(s.config, variant: variant, length: s.length)
      let pass = forward(s.config, variant: variant, length: s.length)
      return total + runSteps * b * (2 * select + 4 * pass)
    }
    return Double(s.seeds) * perSeed
  }

  /// A one-line refusal when `estimate` exceeds `budget`, else nil: names the estimate, the
  /// budget, what drives the cost and the fix.
  public static func refusal(
    _ what: String, estimate: Double, budget: Double, drivers: String, override: String
  ) -> String? {
    guard !(estimate <= budget) else { return nil }
    let ratio = estimate / budget
    let size =
      estimate.isFinite
      ? "about \(String(format: "%.2g", estimate)) operations, \(String(format: ratio < 10 ? "%.1f" : "%.0f", ratio))× "
      : "an unrepresentable number of operations, beyond "
    return "\(what): the requested run needs \(size)the budget of \(String(format: "%.2g", budget)) (20× the default run); "
      + "lower \(drivers), or pass \(override) to run it anyway"
  }
}
