import Testing

@testable import GSATheory

@Suite("Claims: numerics")
struct ClaimsNumericsTests {
  let context = ClaimContext(seed: 13, quick: true)

  @Test("NM-gate-mean-init: integration, Monte Carlo and layer agree near 0.622; 0.5 is refuted")
  func gateMean() throws {
    let paper = try Claim.nmGateMeanInit.check(context)
    #expect(paper.verdict == .holds)
    #expect(abs(paper.value("G1 E[σ(Z)], GSL QAGI")! - 0.6222) < 1e-3)
    #expect(paper.value("G1 E[σ(Z)], GSL QAGI")! < paper.value("σ(0.5)")!)  // Jensen: σ is concave above 0
    #expect(try NumericsChecks.gateMeanInit(context: context, claimedMean: 0.5).verdict == .refuted)
  }

  @Test("NM-indexer-moments-init: mean 1 and predicted row variance; the unscaled prediction misses")
  func indexerMoments() throws {
    let paper = try Claim.nmIndexerMomentsInit.check(context)
    #expect(paper.verdict == .holds)
    #expect(abs(paper.value("predicted mean I")! - 1) < 1e-9)
    #expect(try NumericsChecks.indexerMomentsInit(context: context, predictUnscaled: true).verdict == .refuted)
  }

  @Test("NM-indexer-scale: refuted at d_I = 64, holds at d_I = 1 where the scale is 1")
  func indexerScale() throws {
    let paper = try Claim.nmIndexerScale.check(context)
    #expect(paper.verdict == .refuted)
    #expect(paper.value("saturated fraction, without (sampled)")! > 0.5)
    #expect(try NumericsChecks.indexerScale(context: context, indexerDim: 1).verdict == .holds)
  }

  @Test("NM-spectral-init: Bai–Yin within [0.9, 1.05]; the bound a in place of s is refuted")
  func spectral() throws {
    let paper = try Claim.nmSpectralInit.check(context)
    #expect(paper.verdict == .holds)
    #expect(try NumericsChecks.spectralInit(context: context, predictionScale: 3.0.squareRoot()).verdict == .refuted)
  }
}
