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

  @Test("BD-indexer-range holds for H_I and is refuted for H_I/2")
  func indexerRange() throws {
    let paper = try Claim.bdIndexerRange.check(context)
    #expect(paper.verdict == .holds)
    #expect(paper.value("sigmoid max I")! <= 4)
    #expect(paper.value("ReLU growth over ×1000 input")! > 1e4)
    #expect(try BoundsChecks.indexerRange(context: context, claimedUpperFraction: 0.5).verdict == .refuted)
  }

  @Test("BD-indexer-variance holds at H_I²/4, tightly, and is refuted at H_I²/5")
  func indexerVariance() throws {
    let paper = try Claim.bdIndexerVariance.check(context)
    #expect(paper.verdict == .holds)
    #expect(paper.value("observed max / claimed bound")! > 0.99)
    #expect(paper.value("observed max / claimed bound")! <= 1)
    #expect(try BoundsChecks.indexerVariance(context: context, claimedBound: 16.0 / 5).verdict == .refuted)
  }

  @Test("BD-gate-contraction needs √H for concatenated heads; gates above 1 refute it")
  func gateContraction() throws {
    let paper = try Claim.bdGateContraction.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(abs(paper.value("‖O‖/max‖V'‖, constructed two-head sequence")! - 2.0.squareRoot()) < 1e-9)
    #expect(try BoundsChecks.gateContraction(context: context, perHead: true, gateScale: 1).verdict == .holds)
    #expect(try BoundsChecks.gateContraction(context: context, perHead: true, gateScale: 2.5).verdict == .refuted)
  }

  @Test("BD-layer-lipschitz holds; a bound 1000× too small is refuted")
  func layerLipschitz() throws {
    let paper = try Claim.bdLayerLipschitz.check(context)
    #expect(paper.verdict == .holds)
    #expect(paper.value("max observed/bound")! < 1)
    #expect(try BoundsChecks.layerLipschitz(context: context, includeSoftmaxTerm: true, boundScale: 1e-3).verdict == .refuted)
  }
}

@Suite("Claims: selection continuity")
struct ClaimsSelectionTests {
  @Test("BD-selection-continuity: top-k makes the layer jump; k ≥ L removes the jump")
  func selectionContinuity() throws {
    let context = ClaimContext(seed: 17, quick: true)
    let paper = try Claim.bdSelectionContinuity.check(context)
    #expect(paper.verdict == .refuted)
    #expect(paper.value("output jump ‖Δu_t‖ at the tie")! > 1e-3)
    #expect(paper.value("ε = 1.000e-08: quotient with S_t fixed")! < 1e3)
    #expect(try BoundsChecks.selectionContinuity(context: context, k: 12).verdict == .holds)
  }
}
