import Testing

@testable import GSATheory

@Suite("Claims: complexity (kernel FLOP ledger)")
struct ClaimsComplexityTests {
  let context = ClaimContext(seed: 3, quick: true)

  @Test("CX-cost: counts fitted exactly with exponents 2 and 1; a claimed linear indexer is refuted")
  func cost() throws {
    let paper = try Claim.cxCost.check(context)
    #expect(paper.verdict == .holds)
    #expect(paper.value("max relative residual of the bucket fits")! < 1e-9)
    #expect(abs(paper.value("indexer FLOPs per L²·d_I·H_I")! - 1) < 1e-9)
    #expect(abs(paper.value("sparse-core FLOPs per L·k·D")! - 4) < 1e-9)
    #expect(abs(paper.value("dense-core FLOPs per L²·D")! - 2) < 1e-9)
    #expect(try ComplexityChecks.cost(context: context, claimedIndexerExponent: 1, claimedSparseExponent: 1).verdict == .refuted)
  }

  @Test("CX-dominant: refuted at 128K, the core's dominant term at 8K")
  func dominant() throws {
    let paper = try Claim.cxDominant.check(context)
    #expect(paper.verdict == .refuted)
    #expect(paper.value("indexer / sparse core")! > 1)
    #expect(try ComplexityChecks.dominant(context: context, length: 8192).verdict == .holdsWithCorrection)
  }

  @Test("CX-speedup-128k: 12.8 (O-ratio) and ≈16 (counted core), ≈6 for the layer")
  func speedup128k() throws {
    let paper = try Claim.cxSpeedup128k.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(abs(paper.value("O-ratio")! - 12.8) < 1e-9)
    #expect(abs(paper.value("attention core, counted FLOPs")! - 16) < 0.2)
    #expect(abs(paper.value("whole layer, counted FLOPs")! - 6) < 0.2)
    #expect(try ComplexityChecks.speedup128k(context: context, claimedLow: 20, claimedHigh: 30).verdict == .refuted)
  }

  @Test("CX-speedup-vs-k: refuted as reported, holds for the O-ratio's own values")
  func speedupVsK() throws {
    let paper = try Claim.cxSpeedupVsK.check(context)
    #expect(paper.verdict == .refuted)
    #expect(abs(paper.value("O-ratio cap D/(d_I·H_I)")! - 16) < 1e-12)
    #expect(try ComplexityChecks.speedupVsK(context: context, claimed: [15.1, 14.2, 12.8, 10.7]).verdict == .holds)
  }

  @Test("CX-breakeven: 4K lies between the counted core and layer break-evens")
  func breakeven() throws {
    let paper = try Claim.cxBreakeven.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(abs(paper.value("break-even, core, every query attends k keys")! - 4228.1) < 5)
    #expect(
      try ComplexityChecks.breakeven(context: context, claimed: paper.value("break-even, attention core (counted)")!).verdict == .holds)
    #expect(try ComplexityChecks.breakeven(context: context, claimed: 50_000).verdict == .refuted)
  }

  @Test("CX-indexer-1m: crossover ≈128K, not 1M")
  func indexer1M() throws {
    let paper = try Claim.cxIndexer1M.check(context)
    #expect(paper.verdict == .holdsWithCorrection)
    #expect(abs(paper.value("indexer = sparse core, counted")! / 131_072 - 1) < 0.05)
    #expect(try ComplexityChecks.indexerCrossover(context: context, claimed: 131_072).verdict == .holds)
    #expect(try ComplexityChecks.indexerCrossover(context: context, claimed: 1e8).verdict == .refuted)
  }

  @Test("CX-prefill: 0.09× is 11.1×, outside 12–16×; 0.07× would be inside")
  func prefill() throws {
    let paper = try Claim.cxPrefill.check(context)
    #expect(paper.verdict == .refuted)
    #expect(try ComplexityChecks.prefill(context: context, tablePrefill: 0.07, tableDecode: 0.13).verdict == .holds)
  }

  @Test("CX-memory: no accounting gives 0.97×; the streaming ratio itself is reproduced")
  func memory() throws {
    let paper = try Claim.cxMemory.check(context)
    #expect(paper.verdict == .refuted)
    #expect(paper.value("streaming GSA / dense")! > 1)
    #expect(try ComplexityChecks.memory(context: context, claimedRatio: paper.value("streaming GSA / dense")!).verdict == .holds)
  }
}
