import Foundation
import PropertyTesting
import Testing

@testable import GSATheory

@Suite("CV-spikes: the exact conditional test of two spike counts")
struct SpikeCountTestTests {
  /// P(X ≤ k) for X ~ Binomial(n, p) by the pmf recurrence pmf(i + 1) = pmf(i)·(n − i)/(i + 1)·p/(1 − p)
  /// from pmf(0) = (1 − p)^n: an independent route to the same tail.
  static func recurrenceCDF(_ k: Int, _ n: Int, _ p: Double) -> Double {
    var pmf = pow(1 - p, Double(n))
    var total = pmf
    for i in 0..<min(k, n) {
      pmf *= Double(n - i) / Double(i + 1) * p / (1 - p)
      total += pmf
    }
    return min(1, total)
  }

  @Test("binomial tails agree with the pmf recurrence on random (k, n, p)")
  func binomialTails() throws {
    let cases = Gen<(Int, Int, Double)>.zip(.int(in: 0...60), .int(in: 0...60), .double(in: 0.02...0.98))
    try forAll(cases, configuration: .init(cases: 300)) { k, n, p in
      abs(SpikeCountTest.binomialCDF(k, trials: n, probability: p) - Self.recurrenceCDF(k, n, p)) < 1e-12
    }
  }

  @Test("known values: 6 of 7 events in one arm at equal rates has p = 8/128")
  func knownValues() {
    let t = SpikeCountTest(denseEvents: 1, gsaEvents: 6, denseExposure: 3000, gsaExposure: 3000, claimedRatio: 1)
    #expect(abs(t.pClaim - 8.0 / 128) < 1e-12)  // P(B ≥ 6 | n = 7, π = ½)
    #expect(abs(t.pLower - 127.0 / 128) < 1e-12)  // P(B ≤ 6 | n = 7, π = ½)
    let none = SpikeCountTest(denseEvents: 0, gsaEvents: 0, denseExposure: 1, gsaExposure: 1, claimedRatio: 0.02)
    #expect(none.pLower == 1 && none.pClaim == 1)
  }

  @Test("verdict directions: GSA far below dense supports a reduction; all spikes in GSA reject the claimed 97.6%")
  func directions() {
    let ratio = 0.3 / 12.3
    let fewer = SpikeCountTest(denseEvents: 40, gsaEvents: 0, denseExposure: 3000, gsaExposure: 3000, claimedRatio: ratio)
    #expect(fewer.pLower < 0.05 && fewer.pClaim >= 0.05)
    let more = SpikeCountTest(denseEvents: 0, gsaEvents: 3, denseExposure: 3000, gsaExposure: 3000, claimedRatio: ratio)
    #expect(more.pClaim < 0.05 && more.pLower >= 0.05)
    let few = SpikeCountTest(denseEvents: 2, gsaEvents: 1, denseExposure: 3000, gsaExposure: 3000, claimedRatio: ratio)
    #expect(few.pLower >= 0.05)  // 1 vs 2 events cannot show a reduction
  }
}
