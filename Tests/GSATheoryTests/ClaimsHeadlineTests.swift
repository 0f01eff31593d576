import Testing

@testable import GSATheory

@Suite("Claims: headline")
struct ClaimsHeadlineTests {
  let context = ClaimContext(seed: 1, quick: true)

  @Test("HL-abstract: quality numbers round correctly, speed needs correction; a wrong spike count refutes")
  func abstract() throws {
    let paper = try Claim.hlAbstract.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(abs(paper.value("perplexity change")! + 5.443) < 0.01)
    #expect(abs(paper.value("loss-spike reduction")! - 97.56) < 0.01)
    #expect(abs(paper.value("RULER ratio")! - 1.9646) < 1e-3)
    var wrong = HeadlineChecks.Table.paper
    wrong.spikesGSA = 1.0
    #expect(try HeadlineChecks.abstract(context: context, table: wrong).verdict == .refuted)
    var fast = HeadlineChecks.Table.paper
    fast.prefillGSA = 0.07
    #expect(try HeadlineChecks.abstract(context: context, table: fast).verdict == .holds)
  }

  @Test("HL-stability-numbers: inconclusive; a non-2× learning-rate pair is refuted")
  func stability() throws {
    #expect(try Claim.hlStabilityNumbers.check(context).verdict == .inconclusive)
    #expect(try HeadlineChecks.stabilityNumbers(context: context, learningRates: (4e-3, 6e-3)).verdict == .refuted)
  }
}
