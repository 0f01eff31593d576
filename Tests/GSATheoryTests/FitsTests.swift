import Foundation
import GSAModel
import GSLKit
import Testing

@testable import GSATheory

/// Fits against synthetic data with known exponents and coefficients, exact and with
/// GSL-sampled noise (every draw from a seeded generator).
@Suite struct FitsTests {
  let lengths: [Double] = [512, 1024, 2048, 4096, 8192, 16384, 32768]

  @Test func powerLawRecoversExactExponents() throws {
    for exponent in [1.0, 1.5, 2.0] {
      let y = lengths.map { 3.5 * pow($0, exponent) }
      let fit = try PowerLawFit.fit(x: lengths, y: y)
      #expect(abs(fit.exponent - exponent) < 1e-10)
      #expect(abs(fit.prefactor / 3.5 - 1) < 1e-9)
      #expect(fit.exponentStandardError < 1e-9)
      #expect(abs(fit.rSquared - 1) < 1e-12)
      #expect(abs(fit(1000) / (3.5 * pow(1000, exponent)) - 1) < 1e-9)
    }
  }

  @Test func powerLawWithNoiseCoversTheTruthAndItsStandardErrorIsCalibrated() throws {
    // Multiplicative log-normal noise σ = 0.05: the OLS slope SE is σ/√Σ(log L − mean)².
    let random = GSLRandom(seed: 7)
    let logs = lengths.map { log($0) }
    let mean = logs.reduce(0, +) / Double(logs.count)
    let theoreticalSE = 0.05 / logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }.squareRoot()
    var within2SE = 0
    var seSum = 0.0
    let trials = 200
    for _ in 0..<trials {
      let y = lengths.map { 2 * $0 * $0 * exp(random.gaussian(sigma: 0.05)) }
      let fit = try PowerLawFit.fit(x: lengths, y: y)
      if abs(fit.exponent - 2) < 2 * fit.exponentStandardError { within2SE += 1 }
      seSum += fit.exponentStandardError
      #expect(fit.rSquared > 0.99)
    }
    // With 5 degrees of freedom, |t| < 2 has probability ≈ 0.898; 200 trials: expect 180 ± 9.
    #expect(within2SE > 160 && within2SE < 196)
    // E[s] ≈ 0.95·σ for 5 degrees of freedom (c4 factor).
    #expect(abs(seSum / Double(trials) / theoreticalSE - 0.95) < 0.08)
  }

  @Test func powerLawRejectsBadInput() {
    #expect(throws: GSLError.self) { try PowerLawFit.fit(x: [1, 2], y: [1, 2]) }
    #expect(throws: GSLError.self) { try PowerLawFit.fit(x: [1, 2, 3], y: [1, 0, 3]) }
    #expect(throws: GSLError.self) { try PowerLawFit.fit(x: [1, 2, 3], y: [1, 2]) }
  }

  @Test func costLawRecoversExactCoefficientsWhenKVaries() throws {
    let (alpha, beta, gamma) = (3.0e-3, 7.5, 120.0)
    var points = [CostLawFit.Point]()
    for (i, l) in lengths.enumerated() {
      let k = Double([16, 64, 32, 256, 128, 512, 64][i])
      points.append(.init(length: l, selectedPairs: l * k, value: alpha * l * l + beta * l * k + gamma * l))
    }
    let fit = try CostLawFit.fit(points)
    #expect(fit.rank == 3)
    #expect(abs(fit.alpha / alpha - 1) < 1e-8)
    #expect(abs(fit.beta / beta - 1) < 1e-8)
    #expect(abs(fit.gamma / gamma - 1) < 1e-6)
    #expect(abs(fit(length: 1000, selectedPairs: 1000 * 100) - (alpha * 1e6 + beta * 1e5 + gamma * 1e3)) < 1e-3)
  }

  @Test func costLawWithCausalBudgetIsIdentifiableAndFixedLTimesKIsNot() throws {
    let k = 256.0
    let causalPairs = { (l: Double) in l * k - k * (k - 1) / 2 }  // Σ_t min(k, t + 1) for L ≥ k
    let exact = lengths.map { l in CostLawFit.Point(length: l, selectedPairs: causalPairs(l), value: 2 * l * l + 5 * causalPairs(l) + 9 * l)
    }
    let fit = try CostLawFit.fit(exact)
    #expect(fit.rank == 3)
    #expect(abs(fit.alpha - 2) < 1e-6)
    #expect(abs(fit.beta - 5) < 1e-3)
    #expect(abs(fit.gamma - 9) < 0.5)
    let collinear = lengths.map { l in CostLawFit.Point(length: l, selectedPairs: l * k, value: 2 * l * l + 5 * l * k + 9 * l) }
    let degenerate = try CostLawFit.fit(collinear)
    #expect(degenerate.rank == 2)
    #expect(abs(degenerate.alpha - 2) < 1e-6)
    // Only β·k + γ is determined.
    #expect(abs((degenerate.beta * k + degenerate.gamma) / (5 * k + 9) - 1) < 1e-6)
  }

  @Test func costLawWithNoiseStaysWithinItsStandardErrors() throws {
    let random = GSLRandom(seed: 11)
    var covered = 0
    let trials = 100
    for _ in 0..<trials {
      var points = [CostLawFit.Point]()
      for (i, l) in lengths.enumerated() {
        let k = Double([16, 64, 32, 256, 128, 512, 64][i])
        let truth = 1e-3 * l * l + 4 * l * k + 50 * l
        points.append(.init(length: l, selectedPairs: l * k, value: truth * (1 + random.gaussian(sigma: 0.01))))
      }
      let fit = try CostLawFit.fit(points)
      if abs(fit.alpha - 1e-3) < 3 * fit.alphaStandardError { covered += 1 }
      #expect(fit.alphaStandardError > 0)
    }
    #expect(covered >= 90)
  }

  @Test func breakEvenOfTwoQuadratics() throws {
    // dense 2L², sparse 0.25·L² + 1000·L: equal at L = 1000/1.75.
    let l = BreakEven.length(where: { 0.25 * $0 * $0 + 1000 * $0 }, beats: { 2 * $0 * $0 })
    #expect(l != nil)
    #expect(abs((l ?? 0) - 1000 / 1.75) < 1e-4)
    // Never crosses: sparse always dearer.
    #expect(BreakEven.length(where: { 3 * $0 * $0 }, beats: { 2 * $0 * $0 }) == nil)
  }

  @Test func breakEvenFromFittedCurvesMatchesTheCausalFormula() throws {
    // Synthetic causal FLOP counts of the paper layer's attention core: dense 2L²D, GSA L²·d_I·H_I + 4LkD.
    let (d, width, k) = (4096.0, 256.0, 2048.0)
    let grid: [Double] = [1024, 2048, 4096, 8192, 16384, 32768]
    let dense = try CostLawFit.fit(grid.map { .init(length: $0, selectedPairs: 0, value: 2 * $0 * $0 * d) })
    let gsa = try CostLawFit.fit(grid.map { .init(length: $0, selectedPairs: $0 * k, value: $0 * $0 * width + 4 * $0 * k * d) })
    let measured = BreakEven.length(
      where: { gsa(length: $0, selectedPairs: $0 * k) }, beats: { dense(length: $0, selectedPairs: 0) })
    let paper = PaperCostModel(config: LayerConfig.paper, length: 131_072)
    #expect(abs((measured ?? 0) / paper.breakEven(.causal) - 1) < 1e-6)
  }
}
