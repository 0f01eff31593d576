import Testing

@testable import GSATheory

@Suite("Claims: bounds")
struct ClaimsBoundsTests {
  let context = ClaimContext(seed: 7, quick: true)

  @Test("BD-gate-slope holds at 1/4 and fails for a wrong constant")
  func gateSlope() throws {
    let paper = try Claim.bdGateSlope.check(context)
    #expect(paper.verdict == .holds)
    #expect(abs(paper.value("max finite-difference slope")! - 0.25) < 1e-8)
    #expect(try BoundsChecks.gateSlope(context: context, claimedBound: 0.2).verdict == .refuted)
    #expect(try BoundsChecks.gateSlope(context: context, claimedBound: 0.3).verdict == .holdsWithCorrection)
  }
}
