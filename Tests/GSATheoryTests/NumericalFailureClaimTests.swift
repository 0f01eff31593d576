import Foundation
import GSATheory
import GSLKit
import Testing

/// A claim whose numerical method fails in GSL comes back `inconclusive` with GSL's reason;
/// it neither aborts the run nor counts as a check that could not run (docs/reliability.md).
@Suite struct NumericalFailureClaimTests {
  static func claim(_ id: String, _ body: @escaping @Sendable () throws -> Double) -> Claim {
    Claim(id: id, group: .numerics, statement: "a test claim", sources: [.reconstruction], assumptions: "test", scope: "test") { _ in
      let value = try body()
      return ClaimOutcome(verdict: .holds, summary: "value \(value)", evidence: [EvidenceItem("value", value)])
    }
  }

  @Test func gslFailuresBecomeInconclusiveVerdicts() throws {
    let claims = [
      Self.claim("NM-test-divergent") { try GSLIntegration.integrate(.finite(0, 1)) { pow($0, -1.5) }.value },
      Self.claim("NM-test-tolerance") {
        try GSLIntegration.integrate(.finite(0, 1), absoluteTolerance: 0, relativeTolerance: 0) { $0 }.value
      },
      Self.claim("NM-test-singular-fit") { try LinearLeastSquares.line(x: [2, 2, 2], y: [1, 2, 3]).coefficients[1] },
      Self.claim("NM-test-fine") { try GSLIntegration.integrate(.finite(0, 1)) { $0 }.value },
    ]
    let runs = ClaimRegistry.run(claims, rootSeed: 1)
    for run in runs.prefix(3) {
      guard case .success(let outcome) = run.result else {
        Issue.record("\(run.claim.id) did not come back as a verdict: \(run.result)")
        continue
      }
      #expect(outcome.verdict == .inconclusive, "\(run.claim.id)")
      #expect(outcome.summary.contains("numerical method failed") && outcome.summary.contains("GSL status"), "\(outcome.summary)")
    }
    guard case .success(let fine) = runs[3].result else {
      Issue.record("the control claim failed")
      return
    }
    #expect(fine.verdict == .holds && abs(fine.value("value")! - 0.5) < 1e-12)
  }

  @Test func nonGSLErrorsStillMeanTheCheckCouldNotRun() {
    struct Broken: Error {}
    let runs = ClaimRegistry.run([Self.claim("NM-test-broken") { throw Broken() }], rootSeed: 1)
    guard case .failure = runs[0].result else {
      Issue.record("a non-numerical error must stay a could-not-run failure")
      return
    }
  }
}
