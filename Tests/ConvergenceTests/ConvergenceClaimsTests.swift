import GSAModel
import Testing

@testable import GSATheory

@Suite("Claims: convergence (quick scale, pinned)")
struct ConvergenceClaimsTests {
  let context = ClaimContext(seed: 7, quick: true)

  @Test("the registry lists the seven CV claims in the convergence group, each scoped to small scale")
  func registry() {
    let ids = ClaimRegistry.all.filter { $0.group == .convergence }.map(\.id)
    #expect(ids == ["CV-smoothness", "CV-step-size", "CV-rate", "CV-max-stable-lr", "CV-spikes", "CV-sink", "CV-selection-discontinuity"])
    for claim in ClaimRegistry.all where claim.group == .convergence {
      #expect(claim.assumptions.contains("not the paper's 1.7B run"), "\(claim.id)")
      #expect(claim.scope.contains("D ≤") || claim.scope.contains("D ="), "\(claim.id): \(claim.scope)")
    }
  }

  @Test("CV-smoothness holds with the fixed-S_t correction; β/10⁴ is refuted")
  func smoothness() throws {
    let outcome = try Claim.cvSmoothness.check(context)
    #expect(outcome.verdict == .holdsWithCorrection)
    #expect(outcome.value("worst ratio / β")! <= 1)
    #expect(outcome.value("worst ratio / β")! > 0)
    #expect(try ConvergenceChecks.smoothness(context: context, betaScale: 1e-4).verdict == .refuted)
  }

  @Test("CV-step-size holds at 1/β; 10⁵/β is refuted")
  func stepSize() throws {
    let outcome = try Claim.cvStepSize.check(context)
    #expect(outcome.verdict == .holds)
    #expect(try ConvergenceChecks.stepSize(context: context, stepMultiplier: 1e5).verdict == .refuted)
  }

  @Test("CV-rate holds with constant 2; constant 10⁻⁴ is refuted")
  func rate() throws {
    let outcome = try Claim.cvRate.check(context)
    #expect(outcome.verdict == .holds)
    #expect(outcome.value("worst min ‖∇ℒ‖² / bound")! < 1)
    #expect(try ConvergenceChecks.rate(context: context, rateConstant: 1e-4).verdict == .refuted)
  }

  @Test("CV-max-stable-lr: pinned verdict; a ratio of 10⁻³ holds, 10³ does not")
  func maxStableLR() throws {
    let outcome = try Claim.cvMaxStableLR.check(context)
    // A number from the paper's 1.7B run: inconclusive at this scale, the small-scale verdict kept.
    #expect(outcome.verdict == .inconclusive && outcome.summary.hasPrefix("inconclusive at this scale"))
    #expect(outcome.smallScaleVerdict == PinnedVerdicts.maxStableLR, "\(outcome.summary)")
    #expect(ConvergenceChecks.maxStableLearningRate(context: context, claimedRatio: 1e-3).verdict == .holds)
    #expect(ConvergenceChecks.maxStableLearningRate(context: context, claimedRatio: 1e3).verdict != .holds)
  }

  @Test("CV-spikes: pinned verdict; with spikes forced, an impossible reduction is not upheld")
  func spikes() throws {
    let outcome = try Claim.cvSpikes.check(context)
    #expect(outcome.verdict == .inconclusive && outcome.summary.hasPrefix("inconclusive at this scale"))
    #expect(outcome.smallScaleVerdict == PinnedVerdicts.spikes, "\(outcome.summary)")
    var s = StabilitySimulation.Settings.quick
    s.sharedLearningRate = 0.5
    s.spikeFactor = 1.0001
    s.spikeWindow = 2
    let lenient = ConvergenceChecks.spikes(context: context, claimedReduction: -1e9, settings: s)
    #expect(lenient.verdict == .holds, "\(lenient.summary)")
    #expect(ConvergenceChecks.spikes(context: context, claimedReduction: 1.5, settings: s).verdict != .holds)
  }

  @Test("CV-sink: pinned verdict; a claimed factor of 10⁻³ holds")
  func sink() throws {
    let outcome = try Claim.cvSink.check(context)
    // A scale-free mechanism: the verdict stands as computed.
    #expect(outcome.verdict == PinnedVerdicts.sink, "\(outcome.summary)")
    #expect(outcome.smallScaleVerdict == nil)
    #expect(ConvergenceChecks.sink(context: context, claimedFactor: 1e-3).verdict == .holds)
    #expect(outcome.value("dense: first-token share, null queries")! > 0)
  }

  @Test("CV-selection-discontinuity: S_t moves during training; a tolerant threshold flips it to holds")
  func selection() throws {
    let outcome = try Claim.cvSelectionDiscontinuity.check(context)
    #expect(outcome.verdict == .holdsWithCorrection, "\(outcome.summary)")
    #expect(outcome.value("gsa: queries with changed S_t per step")! > 0)
    #expect(ConvergenceChecks.selectionDiscontinuity(context: context, maxChangeRate: 1).verdict == .holds)
  }
}

/// Verdicts observed at quick scale (seed 7), pinned so that a behaviour change is noticed.
enum PinnedVerdicts {
  static let maxStableLR = Verdict.holds
  static let spikes = Verdict.inconclusive
  static let sink = Verdict.refuted
}
