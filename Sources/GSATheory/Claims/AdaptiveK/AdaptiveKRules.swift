import Foundation
import GSLKit

/// The three k_t rules of GSA-THEORY.md §2.4 evaluated on indexer rows, and the row statistics
/// they use. Budgets default to the reference code's (k_base 2048, k_min 256, k_max 4096).
public enum AdaptiveKChecks {
  public struct Budgets: Sendable, Hashable {
    public var base: Double, min: Double, max: Double
    public init(base: Double = 2048, min: Double = 256, max: Double = 4096) {
      self.base = base
      self.min = min
      self.max = max
    }
  }

  /// Variance of the valid (causal) entries s ≤ t: what the figure's Var(I_{t,:}) means.
  static func validVariance(_ row: [Double]) -> Double { Numerics.variance(row) }

  /// [code]: the variance over the whole length-L row with masked (future) entries set to 0.
  static func maskedVariance(_ row: [Double], length: Int) -> Double {
    var padded = row
    padded += Array(repeating: 0, count: length - row.count)
    return Numerics.variance(padded)
  }

  /// [fig] k_t = clamp(k_base·Var_t/V̄, k_min, k_max), V̄ = the mean variance (the EMA's fixed point).
  static func figureRule(_ variances: [Double], _ budgets: Budgets) -> [Double] {
    let mean = Numerics.mean(variances)
    return variances.map { Swift.min(Swift.max(budgets.base * $0 / mean, budgets.min), budgets.max) }
  }

  /// [code] v̂_t = Var_t/(mean Var + 1e-8), k_t = clamp(k_base·(0.5 + 1/(1 + T·v̂_t)), k_min, k_max).
  static func codeRule(_ variances: [Double], _ budgets: Budgets, temperature: Double = 1) -> [Double] {
    let mean = Numerics.mean(variances) + 1e-8
    return variances.map {
      Swift.min(Swift.max(budgets.base * (0.5 + 1 / (1 + temperature * $0 / mean)), budgets.min), budgets.max)
    }
  }

  /// Indexer rows of `batch` GSL-sampled sequences from layers whose indexer projections are
  /// scaled by `gain` (1 = reference init; larger = the sharper scores of a trained indexer).
  static func sampleRows(random: GSLRandom, batch: Int, length: Int, gain: Double) -> [[[Double]]] {
    (0..<batch).map { _ in
      var layer = ClaimLayer.sample(modelDim: 32, heads: 1, headDim: 1, indexerHeads: 4, indexerDim: 16, random: random)
      layer.wIndexQ = layer.wIndexQ.map { $0 * gain }
      layer.wIndexK = layer.wIndexK.map { $0 * gain }
      layer.wIndexW = layer.wIndexW.map { $0 * gain }
      return layer.indexerScores(ClaimLayer.sequence(length: length, modelDim: 32, random: random))
    }
  }

  /// Spearman rank correlation (average ranks for ties).
  static func spearman(_ x: [Double], _ y: [Double]) -> Double {
    func ranks(_ v: [Double]) -> [Double] {
      let order = v.indices.sorted { v[$0] < v[$1] }
      var r = [Double](repeating: 0, count: v.count)
      var i = 0
      while i < order.count {
        var j = i
        while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
        for m in i...j { r[order[m]] = Double(i + j) / 2 }
        i = j + 1
      }
      return r
    }
    let (rx, ry) = (ranks(x), ranks(y))
    let (mx, my) = (Numerics.mean(rx), Numerics.mean(ry))
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for i in rx.indices {
      sxy += (rx[i] - mx) * (ry[i] - my)
      sxx += (rx[i] - mx) * (rx[i] - mx)
      syy += (ry[i] - my) * (ry[i] - my)
    }
    return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
  }
}
