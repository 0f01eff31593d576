import Foundation
import GSLKit

/// A power law y ≈ c·L^p fitted as a straight line in log-log coordinates,
/// log y = log c + p·log L, by ordinary least squares (GSL `gsl_multifit_linear`).
///
/// Mathematical properties:
/// - exact for data that follow a power law: exponent p, prefactor c, R² = 1;
/// - `exponentStandardError` is the textbook OLS standard error of the slope,
///   s/√Σ(log L − mean)² with s² = χ²/(n − 2); it is 0 for an exact fit and needs n ≥ 3.
public struct PowerLawFit: Sendable, Hashable {
  /// p.
  public let exponent: Double
  public let exponentStandardError: Double
  /// c.
  public let prefactor: Double
  public let rSquared: Double
  public let points: Int

  /// Fits y ≈ c·x^p; every x and y must be positive and finite, with at least 3 points.
  public static func fit(x: [Double], y: [Double]) throws(GSLError) -> PowerLawFit {
    guard x.count == y.count, x.count >= 3 else {
      throw fitArgumentError("power-law fit", "needs at least 3 (x, y) pairs of equal count (got \(x.count) and \(y.count))")
    }
    guard x.allSatisfy({ $0 > 0 && $0.isFinite }), y.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw fitArgumentError("power-law fit", "log-log fit needs positive finite x and y")
    }
    let line = try LinearLeastSquares.line(x: x.map { Foundation.log($0) }, y: y.map { Foundation.log($0) })
    return PowerLawFit(
      exponent: line.coefficients[1], exponentStandardError: line.standardErrors[1],
      prefactor: Foundation.exp(line.coefficients[0]), rSquared: line.rSquared, points: x.count)
  }

  /// c·x^p.
  public func callAsFunction(_ x: Double) -> Double { prefactor * Foundation.pow(x, exponent) }
}

/// The cost law y ≈ α·L² + β·K + γ·L fitted by least squares, where K is the number of
/// selected (query, key) pairs: L·k for a fixed budget, Σ_t k_t in general (use the exact
/// Σ_t min(k_t, t + 1) of a causal layer when known).
///
/// Mathematical properties:
/// - exact (up to rounding) when y is exactly of this form and the three columns L², K, L are
///   linearly independent over the data (`rank == 3`);
/// - with a fixed k and K = L·k exactly, the K and L columns are collinear: `rank` is 2 and β, γ
///   are not separately identifiable (GSL returns the minimum-norm split; only β·k + γ is meaningful).
///   Σ_t min(k, t + 1) = L·k − k(k − 1)/2 (for L ≥ k) restores rank 3 but leaves β and γ
///   ill-conditioned: read their standard errors.
public struct CostLawFit: Sendable, Hashable {
  /// α, coefficient of L².
  public let alpha: Double
  /// β, coefficient of K (selected pairs).
  public let beta: Double
  /// γ, coefficient of L.
  public let gamma: Double
  public let alphaStandardError: Double
  public let betaStandardError: Double
  public let gammaStandardError: Double
  /// R² on the original (unweighted) scale.
  public let rSquared: Double
  /// Effective rank of the design (3, or 2 for the two-column dense law when it is full rank).
  public let rank: Int
  public let points: Int

  /// One observation: length L, selected pairs K, value y.
  public struct Point: Sendable, Hashable {
    public let length: Double
    public let selectedPairs: Double
    public let value: Double
    public init(length: Double, selectedPairs: Double, value: Double) {
      self.length = length
      self.selectedPairs = selectedPairs
      self.value = value
    }
  }

  /// How the residuals are weighted.
  public enum Weighting: String, Sendable, Hashable {
    /// Ordinary least squares: every point's absolute error counts the same.
    case absolute
    /// Each equation divided by its |y| (weighted least squares with σ_i ∝ y_i): the right
    /// model for timings and counts spanning orders of magnitude, whose noise is relative.
    case relative
  }

  /// Fits the cost law; needs at least 4 points (3 parameters and one degree of freedom).
  /// Columns are scaled to unit maximum before fitting and the coefficients scaled back, so
  /// L² ~ 10¹⁰ next to L ~ 10⁵ does not spoil the conditioning. With `.relative` weighting every
  /// value must be non-zero.
  public static func fit(_ points: [Point], weighting: Weighting = .relative) throws(GSLError) -> CostLawFit {
    guard points.count >= 4 else {
      throw fitArgumentError("cost-law fit", "needs at least 4 points for 3 coefficients (got \(points.count))")
    }
    if weighting == .relative, points.contains(where: { $0.value == 0 || !$0.value.isFinite }) {
      throw fitArgumentError("cost-law fit", "relative weighting needs non-zero finite values")
    }
    // Without any selected pairs (dense attention) the law is α·L² + γ·L and β is 0 by definition.
    let hasPairs = points.contains { $0.selectedPairs != 0 }
    let columns: [(Point) -> Double] =
      hasPairs ? [{ $0.length * $0.length }, { $0.selectedPairs }, { $0.length }] : [{ $0.length * $0.length }, { $0.length }]
    let p = columns.count
    let scales = columns.map { column in max(points.map { abs(column($0)) }.max() ?? 1, .leastNormalMagnitude) }
    let yScale = max(points.map { abs($0.value) }.max() ?? 1, .leastNormalMagnitude)
    let rowWeights = points.map { weighting == .relative ? yScale / abs($0.value) : 1 }
    var design = [Double]()
    design.reserveCapacity(3 * points.count)
    for (i, point) in points.enumerated() {
      for (j, column) in columns.enumerated() { design.append(column(point) / scales[j] * rowWeights[i]) }
    }
    let result = try LinearLeastSquares.fit(
      design: design, observations: points.count, parameters: p,
      response: points.enumerated().map { $1.value / yScale * rowWeights[$0] })
    var c = (0..<p).map { result.coefficients[$0] * yScale / scales[$0] }
    var se = (0..<p).map { result.standardErrors[$0] * yScale / scales[$0] }
    if !hasPairs {
      c.insert(0, at: 1)
      se.insert(0, at: 1)
    }
    // R² on the original scale, 1 − Σ(y − ŷ)²/Σ(y − ȳ)² (the weighted problem's own R² is meaningless
    // under relative weighting, whose weighted responses are all ±1).
    let mean = points.reduce(0) { $0 + $1.value } / Double(points.count)
    var residual = 0.0
    var total = 0.0
    for point in points {
      let fitted = c[0] * point.length * point.length + c[1] * point.selectedPairs + c[2] * point.length
      residual += (point.value - fitted) * (point.value - fitted)
      total += (point.value - mean) * (point.value - mean)
    }
    return CostLawFit(
      alpha: c[0], beta: c[1], gamma: c[2], alphaStandardError: se[0], betaStandardError: se[1], gammaStandardError: se[2],
      rSquared: total > 0 ? 1 - residual / total : .nan, rank: result.rank, points: points.count)
  }

  /// α·L² + β·K + γ·L.
  public func callAsFunction(length: Double, selectedPairs: Double) -> Double {
    alpha * length * length + beta * selectedPairs + gamma * length
  }
}

/// Where two fitted cost curves cross.
public enum BreakEven {
  /// The smallest L in [lower, upper] at which `cheaper(L) ≤ costlier(L)` starts to hold
  /// for good, i.e. the last sign change of costlier − cheaper from negative to non-negative,
  /// found on a geometric grid and refined by bisection. nil when the curves do not cross
  /// in the interval (`cheaper` is then cheaper everywhere or nowhere in it).
  ///
  /// Used for the measured break-even: `cheaper` = fitted sparse-variant cost, `costlier` =
  /// fitted dense cost, both as functions of L (with K(L) from the budget rule).
  public static func length(
    where cheaper: (Double) -> Double, beats costlier: (Double) -> Double, in lower: Double = 16, _ upper: Double = 16_777_216
  ) -> Double? {
    precondition(lower > 0 && upper > lower)
    let gridPoints = 400
    let ratio = Foundation.pow(upper / lower, 1 / Double(gridPoints))
    func gap(_ l: Double) -> Double { costlier(l) - cheaper(l) }
    var crossing: (Double, Double)?
    var previous = lower
    var previousGap = gap(lower)
    for i in 1...gridPoints {
      let l = lower * Foundation.pow(ratio, Double(i))
      let g = gap(l)
      if previousGap < 0 && g >= 0 { crossing = (previous, l) }
      if previousGap >= 0 && g < 0 { crossing = nil }
      previous = l
      previousGap = g
    }
    guard var (a, b) = crossing else { return nil }
    for _ in 0..<200 where b - a > 1e-9 * b {
      let mid = (a + b) / 2
      if gap(mid) < 0 { a = mid } else { b = mid }
    }
    return (a + b) / 2
  }
}

/// A fit rejected before GSL is called (status GSL_EINVAL = 4, as GSLKit uses for bad arguments).
private func fitArgumentError(_ routine: String, _ reason: String) -> GSLError {
  GSLError(routine: routine, status: 4, reason: reason)
}
