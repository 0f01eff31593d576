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

  @Test("HL-abstract reads its numbers from PaperReported (one copy of the reported tables)")
  func abstractReadsPaperReported() throws {
    let table = HeadlineChecks.Table.paper
    let pairs: [(Double, String, String, String)] = [
      (table.perplexityDense, "perplexity", "dense", "perplexity"), (table.perplexityGSA, "perplexity", "gsa", "perplexity"),
      (table.perplexitySparseOnly, "perplexity", "sparse-only", "perplexity"),
      (table.perplexityGatedOnly, "perplexity", "gated-only", "perplexity"),
      (table.rulerDense, "ruler-128k", "dense", "RULER@128K"), (table.rulerGSA, "ruler-128k", "gsa", "RULER@128K"),
      (table.firstTokenDense, "attention-sink", "dense", "first-token attention"),
      (table.firstTokenGSA, "attention-sink", "gsa", "first-token attention"),
      (table.spikesDense, "stability", "dense", "loss spikes"), (table.spikesGSA, "stability", "gsa", "loss spikes"),
      (table.prefillGSA, "efficiency-128k", "gsa", "prefill"), (table.prefillSparseOnly, "efficiency-128k", "sparse-only", "prefill"),
      (table.decodeGSA, "efficiency-128k", "gsa", "decode"), (table.decodeSparseOnly, "efficiency-128k", "sparse-only", "decode"),
    ]
    for (value, name, row, quantity) in pairs {
      let reported = try #require(PaperReported.value(name, row: row, quantity), "\(name)/\(row)/\(quantity) not reported")
      #expect(value == reported, "\(name)/\(row)/\(quantity)")
    }
    // A changed reported value flows into the check; a missing one fails it instead of passing silently.
    let changed = PaperReported.all.map { v in
      v.table == "stability" && v.row == "gsa" && v.quantity == "loss spikes"
        ? ReportedValue(v.table, v.row, v.quantity, 1.0, unit: v.unit, source: v.source, note: v.note) : v
    }
    #expect(HeadlineChecks.Table(reported: changed).spikesGSA == 1.0)
    #expect(try HeadlineChecks.abstract(context: context, table: .init(reported: changed)).verdict == .refuted)
    let missing = PaperReported.all.filter { $0.table != "ruler-128k" }
    #expect(HeadlineChecks.Table(reported: missing).rulerGSA.isNaN)
    #expect(try HeadlineChecks.abstract(context: context, table: .init(reported: missing)).verdict == .refuted)
  }

  @Test("HL-stability-numbers: inconclusive; a non-2× learning-rate pair is refuted")
  func stability() throws {
    #expect(try Claim.hlStabilityNumbers.check(context).verdict == .inconclusive)
    #expect(try HeadlineChecks.stabilityNumbers(context: context, learningRates: (4e-3, 6e-3)).verdict == .refuted)
  }
}
