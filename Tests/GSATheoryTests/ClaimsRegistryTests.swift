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
