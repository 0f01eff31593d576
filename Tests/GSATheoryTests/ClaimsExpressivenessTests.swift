import Testing

@testable import GSATheory

@Suite("Claims: expressiveness")
struct ClaimsExpressivenessTests {
  let context = ClaimContext(seed: 5, quick: true)

  @Test("EX-dense-limit: dual gating needs (1 − σ²); one gate meets (1 − σ)")
  func denseLimit() throws {
    let paper = try Claim.exDenseLimit.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(abs(paper.value("b = 0: error/‖O‖")! - 0.75) < 1e-12)
    #expect(paper.value("b = 30: error/‖O‖")! < 1e-10)
    #expect(try ExpressivenessChecks.denseLimit(context: context, dualGating: false).verdict == .holds)
  }

  @Test("EX-sparse-limit: exact over the same S_t; gates at σ(2) are not ≡ 1")
  func sparseLimit() throws {
    let paper = try Claim.exSparseLimit.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(paper.value("max |Δu|, same S_t")! == 0)
    #expect(try ExpressivenessChecks.sparseLimit(context: context, gateBias: 2).verdict == .refuted)
  }

  @Test("EX-strict: gated outputs are not linear on constant sequences; zero gate weights make them linear")
  func strict() throws {
    let paper = try Claim.exStrict.check(context)
    #expect(paper.verdict == .holds)
    #expect(paper.value("relative residual, ungated")! < 1e-10)
    #expect(try ExpressivenessChecks.strict(context: context, gateGain: 0).verdict == .refuted)
  }

  @Test("EX-null-output: G1 closes the output; an open gate does not")
  func nullOutput() throws {
    let paper = try Claim.exNullOutput.check(context)
    #expect(paper.verdict == .holds)
    #expect(abs(paper.value("sink mass for ‖u‖ ≤ 10%")! - 0.9) < 1e-6)
    #expect(try ExpressivenessChecks.nullOutput(context: context, outputGateBias: 0.5).verdict == .refuted)
  }
}
