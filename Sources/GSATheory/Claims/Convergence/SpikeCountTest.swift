import Foundation

/// Exact conditional test of two Poisson spike counts (CV-spikes).
///
/// With a events at rate λ_d over exposure E_d (dense) and b events at λ_g = ρλ_d over E_g (GSA),
/// the GSA count given the total n = a + b is Binomial(n, π(ρ)), π(ρ) = ρE_g / (E_d + ρE_g)
/// (the conditional test of Przyborowski and Wilenski, 1940).
///
/// Mathematical properties:
/// - `pLower` = P(B ≤ b | ρ = 1): small when GSA spiked less than equal rates would explain;
/// - `pClaim` = P(B ≥ b | ρ = claimedRatio): small when GSA spiked more than the claimed ratio
///   allows; a claimed ratio ≤ 0 (no GSA spikes) gives 1 for b = 0 and 0 for b > 0;
/// - both are exact binomial tails (summed pmf terms in log space, no normal approximation), and
///   both are 1 when n = 0.
public struct SpikeCountTest: Sendable, Hashable {
  public let pLower: Double
  public let pClaim: Double

  public init(denseEvents a: Int, gsaEvents b: Int, denseExposure: Double, gsaExposure: Double, claimedRatio: Double) {
    let n = a + b
    let equal = gsaExposure / (denseExposure + gsaExposure)
    pLower = Self.binomialCDF(b, trials: n, probability: equal)
    if claimedRatio <= 0 {
      pClaim = b == 0 ? 1 : 0
    } else {
      let claimed = claimedRatio * gsaExposure / (denseExposure + claimedRatio * gsaExposure)
      pClaim = b == 0 ? 1 : 1 - Self.binomialCDF(b - 1, trials: n, probability: claimed)
    }
  }

  /// P(X ≤ k) for X ~ Binomial(n, p), by summing pmf terms exp(log C(n, i) + i log p + (n − i) log(1 − p)).
  public static func binomialCDF(_ k: Int, trials n: Int, probability p: Double) -> Double {
    if k < 0 { return 0 }
    if k >= n { return 1 }
    if p <= 0 { return 1 }
    if p >= 1 { return 0 }
    var total = 0.0
    for i in 0...k {
      let logChoose = lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1))
      total += exp(logChoose + Double(i) * log(p) + Double(n - i) * log1p(-p))
    }
    return min(1, total)
  }
}
