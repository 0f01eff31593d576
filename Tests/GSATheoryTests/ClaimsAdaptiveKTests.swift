import Testing

@testable import GSATheory

@Suite("Claims: adaptive k")
struct ClaimsAdaptiveKTests {
  let context = ClaimContext(seed: 11, quick: true)

  @Test("AK-direction: figure vs code disagree; prose and code agree")
  func direction() throws {
    let paper = try Claim.akDirection.check(context)
    #expect(paper.verdict == .refuted)
    #expect(paper.value("Spearman ρ(Var, k), figure rule")! > 0.9)
    #expect(paper.value("Spearman ρ(Var, k), code rule")! < -0.9)
    #expect(try AdaptiveKChecks.direction(context: context, compare: ["prose", "code"]).verdict == .holds)
  }

  @Test("AK-range: the code rule never reaches the reference clamps; tighter clamps are reached")
  func range() throws {
    let paper = try Claim.akRange.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(paper.value("observed min k")! > 1024)
    #expect(paper.value("observed max k")! <= 3072)
    let tight = AdaptiveKChecks.Budgets(base: 2048, min: 1500, max: 2600)
    #expect(try AdaptiveKChecks.range(context: context, budgets: tight).verdict == .holds)
  }

  @Test("AK-masked-variance: refuted over the sequence, exact at the last position")
  func maskedVariance() throws {
    let paper = try Claim.akMaskedVariance.check(context)
    #expect(paper.verdict == .refuted)
    #expect(paper.value("identity max relative error")! < 1e-9)
    #expect(try AdaptiveKChecks.maskedVariance(context: context, positions: 1.0..<1.0).verdict == .holds)
  }
}
