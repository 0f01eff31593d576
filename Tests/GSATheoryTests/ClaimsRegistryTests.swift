import Testing

@testable import GSATheory

@Suite("Claims registry")
struct ClaimsRegistryTests {
  @Test("ids are unique, files follow the id pattern, every claim states its convention")
  func idsUnique() {
    let ids = ClaimRegistry.all.map(\.id)
    #expect(Set(ids).count == ids.count)
    for claim in ClaimRegistry.all {
      #expect(!claim.sources.isEmpty)
      #expect(!claim.assumptions.isEmpty)
      #expect(claim.id.range(of: "^[A-Z]{2}-[a-z0-9-]+$", options: .regularExpression) != nil)
    }
  }

  @Test("every claim states its scope in one sentence short enough for a table column")
  func scopes() {
    for claim in ClaimRegistry.all {
      #expect(!claim.scope.isEmpty && claim.scope.count <= 90 && claim.scope.hasSuffix("."), "\(claim.id): \(claim.scope)")
    }
  }

  @Test("an outcome at this scale keeps the probe's verdict and evidence, and is inconclusive")
  func atThisScale() {
    let probe = ClaimOutcome(
      verdict: .refuted, summary: "small model says no", counterexample: "x", evidence: [EvidenceItem("n", 3)])
    let outcome = ClaimOutcome.inconclusiveAtThisScale(probe, reason: "the number is from a 1.7B run.")
    #expect(outcome.verdict == .inconclusive && outcome.smallScaleVerdict == .refuted)
    #expect(outcome.evidence == probe.evidence && outcome.counterexample == nil)
    #expect(outcome.summary.contains("small model says no") && outcome.summary.hasPrefix("inconclusive at this scale"))
  }

  @Test("selection by id and group, unknown selectors name the closest id")
  func selection() throws {
    let bounds = try ClaimRegistry.select(["bounds"])
    #expect(!bounds.isEmpty && bounds.allSatisfy { $0.group == .bounds })
    #expect(try ClaimRegistry.select(["bd-gate-slope"]).map(\.id) == ["BD-gate-slope"])
    #expect(throws: ClaimRegistry.UnknownSelector.self) { try ClaimRegistry.select(["BD-gate-slop"]) }
    do {
      _ = try ClaimRegistry.select(["BD-gate-slop"])
    } catch {
      #expect(error.closest == "BD-gate-slope")
    }
  }

  @Test("claim seeds depend on the root seed and the id only")
  func seeds() {
    let a = ClaimContext.claimSeed(root: 42, id: "BD-gate-slope")
    #expect(a == ClaimContext.claimSeed(root: 42, id: "BD-gate-slope"))
    #expect(a != ClaimContext.claimSeed(root: 43, id: "BD-gate-slope"))
    #expect(a != ClaimContext.claimSeed(root: 42, id: "BD-gate-slopf"))
  }
}

@Suite("Claims registry: running")
struct ClaimsRunTests {
  @Test("a check that throws is reported as could-not-run; the others still run, in order")
  func runReportsFailures() {
    let failing = Claim(
      id: "XX-throws", group: .bounds, statement: "s", sources: [.reconstruction], assumptions: "a", scope: "test"
    ) { _ in throw CheckError("deliberate") }
    let runs = ClaimRegistry.run([failing, .bdGateSlope], rootSeed: 42, quick: true)
    #expect(runs.map(\.claim.id) == ["XX-throws", "BD-gate-slope"])
    if case .failure(let error) = runs[0].result {
      #expect(error.message.contains("deliberate"))
    } else {
      Issue.record("the throwing check did not fail")
    }
    if case .success(let outcome) = runs[1].result { #expect(outcome.verdict == .holds) } else { Issue.record("BD-gate-slope failed") }
    #expect(runs[1].seed == ClaimContext.claimSeed(root: 42, id: "BD-gate-slope"))
  }

  @Test("every registered claim's group is one of the listed groups, and every group but convergence is populated")
  func groups() {
    for group in ClaimGroup.allCases where group != .convergence {
      #expect(ClaimRegistry.all.contains { $0.group == group })
    }
  }
}
