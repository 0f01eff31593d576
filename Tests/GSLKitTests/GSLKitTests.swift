import Foundation
import GSLKit
import PropertyTesting
import Testing

@Suite struct RandomTests {
  @Test func mt19937CanaryMatchesGSL() {
    // GSL canary: mt19937 seeded with 42, first standard Gaussian (Box–Muller polar).
    let rng = GSLRandom(seed: 42)
    #expect(abs(rng.gaussian() - 1.22192121739814) < 1e-13)
  }

  @Test func sameSeedSameStream() {
    let a = GSLRandom(seed: 2024)
    let b = GSLRandom(seed: 2024)
    #expect(a.gaussianMatrix(rows: 3, cols: 5, scale: 2) == b.gaussianMatrix(rows: 3, cols: 5, scale: 2))
    #expect(a.split().uniform() == b.split().uniform())
  }

  @Test func xavierUniformHasTheDocumentedVariance() {
    // Var U(−a, a) = a²/3 = gain²·2/(fanIn + fanOut).
    let rng = GSLRandom(seed: 5)
    let w = rng.xavierUniformMatrix(fanIn: 300, fanOut: 200, gain: 0.1)
    let variance = w.reduce(0) { $0 + $1 * $1 } / Double(w.count)
    let expected = 0.01 * 2 / 500
    #expect(abs(variance / expected - 1) < 0.02)
    #expect(w.allSatisfy { abs($0) <= GSLRandom.Xavier.uniformBound(fanIn: 300, fanOut: 200, gain: 0.1) })
  }
}

@Suite struct IntegrationTests {
  @Test func gaussianIntegralOverTheRealLine() throws {
    let result = try GSLIntegration.integrate(.realLine, relativeTolerance: 1e-12) { exp(-$0 * $0) }
    #expect(abs(result.value - Double.pi.squareRoot()) < 1e-11)
    #expect(result.error < 1e-9)
  }

  @Test func finiteAndHalfLineRanges() throws {
    let finite = try GSLIntegration.integrate(.finite(0, Double.pi)) { sin($0) }
    #expect(abs(finite.value - 2) < 1e-12)
    let upper = try GSLIntegration.integrate(.upperHalf(from: 1)) { 1 / ($0 * $0) }
    #expect(abs(upper.value - 1) < 1e-10)
    let lower = try GSLIntegration.integrate(.lowerHalf(to: 0)) { exp($0) }
    #expect(abs(lower.value - 1) < 1e-10)
  }

  /// E[σ(Z)] for Z ~ N(μ, s²): QAGI of σ(z)·φ(z; μ, s) against a Monte Carlo mean of σ over
  /// draws from the same layer's sampler, within 4 standard errors.
  @Test(arguments: [(0.5, 1.0), (0.0, 0.3), (-2.0, 3.0)])
  func sigmoidMeanByIntegrationMatchesMonteCarlo(mean: Double, sd: Double) throws {
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    let density = { (z: Double) in exp(-0.5 * pow((z - mean) / sd, 2)) / (sd * (2 * Double.pi).squareRoot()) }
    let integral = try GSLIntegration.integrate(.realLine, relativeTolerance: 1e-10) { sigmoid($0) * density($0) }
    let rng = GSLRandom(seed: 77)
    let n = 200_000
    var sum = 0.0
    var sumSquares = 0.0
    for _ in 0..<n {
      let s = sigmoid(rng.gaussian(mean: mean, sigma: sd))
      sum += s
      sumSquares += s * s
    }
    let monteCarlo = sum / Double(n)
    let standardError = ((sumSquares / Double(n) - monteCarlo * monteCarlo) / Double(n)).squareRoot()
    #expect(abs(integral.value - monteCarlo) < 4 * standardError)
    if mean == 0 { #expect(abs(integral.value - 0.5) < 1e-10) }  // symmetry: E[σ(Z)] = 1/2
  }

  @Test func divergentIntegralIsAnErrorNotAnAbort() {
    // ∫₀¹ 1/x dx diverges: GSL reports a status, GSLKit throws.
    #expect(throws: GSLError.self) { try GSLIntegration.integrate(.finite(0, 1)) { 1 / $0 } }
    #expect(throws: GSLError.self) { try GSLIntegration.integrate(.finite(0, 1), relativeTolerance: 0) { $0 } }
    #expect(throws: GSLError.self) { try GSLIntegration.integrate(.finite(0, 1)) { _ in .nan } }
  }
}

@Suite struct LinearAlgebraTests {
  @Test func singularValuesOfAKnownMatrix() throws {
    // A = [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5.
    let values = try GSLLinearAlgebra.singularValues(of: [3, 0, 4, 5], rows: 2, cols: 2)
    #expect(abs(values[0] - 45.0.squareRoot()) < 1e-12)
    #expect(abs(values[1] - 5.0.squareRoot()) < 1e-12)
    // A wide matrix goes through its transpose: [[1, 1, 1]] has σ = √3.
    #expect(abs(try GSLLinearAlgebra.spectralNorm(of: [1, 1, 1], rows: 1, cols: 3) - 3.0.squareRoot()) < 1e-12)
  }

  @Test func singularValuesSquaredSumToFrobeniusNorm() throws {
    try forAll(Gen<TestMatrix>.matrix(rows: .int(in: 1...7), cols: .int(in: 1...7))) { m in
      let values = try GSLLinearAlgebra.singularValues(of: m.values, rows: m.rows, cols: m.cols)
      let frobenius = m.values.reduce(0) { $0 + $1 * $1 }
      let sum = values.reduce(0) { $0 + $1 * $1 }
      return abs(sum - frobenius) <= 1e-10 * max(1, frobenius) && zip(values, values.dropFirst()).allSatisfy { $0 >= $1 }
    }
  }

  @Test func badMatricesAreRejected() {
    #expect(throws: GSLError.self) { try GSLLinearAlgebra.singularValues(of: [1, 2, 3], rows: 2, cols: 2) }
    #expect(throws: GSLError.self) { try GSLLinearAlgebra.singularValues(of: [1, .nan, 3, 4], rows: 2, cols: 2) }
  }

  @Test func fittedLineHasKnownSlopeAndStandardError() throws {
    // y = 2 + 3x + ε with small noise: slope ≈ 3, and the textbook SE √(s²/Sxx).
    let rng = GSLRandom(seed: 9)
    let x = (0..<50).map { Double($0) / 10 }
    let y = x.map { 2 + 3 * $0 + rng.gaussian(sigma: 0.1) }
    let fit = try LinearLeastSquares.line(x: x, y: y)
    let meanX = x.reduce(0, +) / 50
    let sxx = x.reduce(0) { $0 + ($1 - meanX) * ($1 - meanX) }
    let residuals = zip(x, y).map { $1 - fit.coefficients[0] - fit.coefficients[1] * $0 }
    let s2 = residuals.reduce(0) { $0 + $1 * $1 } / Double(50 - 2)
    #expect(abs(fit.coefficients[1] - 3) < 0.05)
    #expect(abs(fit.standardErrors[1] - (s2 / sxx).squareRoot()) < 1e-10)
    #expect(fit.rSquared > 0.999)
    #expect(fit.rank == 2)
    // Exact data: zero residual, zero standard error.
    let exact = try LinearLeastSquares.line(x: [1, 2, 3, 4], y: [1, 3, 5, 7])
    #expect(abs(exact.coefficients[1] - 2) < 1e-12 && exact.chiSquared < 1e-20)
  }

  @Test func rankDeficientDesignIsReported() throws {
    // Two identical columns: rank 1.
    let fit = try LinearLeastSquares.fit(design: [1, 1, 2, 2, 3, 3, 4, 4], observations: 4, parameters: 2, response: [1, 2, 3, 4])
    #expect(fit.rank == 1)
    #expect(throws: GSLError.self) { try LinearLeastSquares.fit(design: [1, 2], observations: 2, parameters: 1, response: [1]) }
  }
}
