import Foundation

extension Claim {
  /// HL-abstract: the abstract's rounded numbers against the tables.
  public static let hlAbstract = Claim(
    id: "HL-abstract", group: .headline,
    statement: """
      Abstract: "12-16x speedup at 128K context", "perplexity improves from 6.03 to 5.70", "RULER scores at 128K context nearly \
      double", "attention to the first token ... drops from 47% to under 4%", "loss spikes reduced by 98%", with GSA \
      "matching the efficiency of sparse-only baselines".
      """,
    sources: [.abstract, .code],
    assumptions: """
      Arithmetic on the tables of GSA-THEORY.md §3 and §7 [code]: perplexity 6.026 → 5.698 (sparse-only 6.015, \
      gated-only 5.761), RULER@128K 31.65 → 62.18, first-token attention 46.7% → 3.9%, loss spikes 12.3 → 0.3 per 100K \
      steps, prefill cost 0.09× (sparse-only 0.08×), decode 0.13× (0.12×). Rounding to the abstract's digits; "nearly \
      double" = ratio in [1.85, 2); speedup = 1/relative cost. The dense and gated-only numbers coinciding with Qiu et al. \
      2025 (arXiv 2505.06708) cannot be checked by computation and is not judged.
      """ + ComplexityChecks.bytesRowsAssumption,
    scope: "The paper's reported numbers against each other; nothing is re-measured."
  ) { context in
    var outcome = try HeadlineChecks.abstract(context: context, table: .paper)
    outcome.measurements = ComplexityChecks.ridgeMeasurements(context)
    return outcome
  }
}

/// The headline checks: arithmetic on the reported tables.
public enum HeadlineChecks {
  /// The reported table values the abstract summarises.
  public struct Table: Sendable {
    public var perplexityDense, perplexityGSA, perplexitySparseOnly, perplexityGatedOnly: Double
    public var rulerDense, rulerGSA: Double
    public var firstTokenDense, firstTokenGSA: Double
    public var spikesDense, spikesGSA: Double
    public var prefillGSA, prefillSparseOnly, decodeGSA, decodeSparseOnly: Double

    /// The values of `reported` (table, row, quantity as in `PaperReported`); a value missing
    /// from `reported` is NaN, which fails every rounded check of the abstract.
    public init(reported: [ReportedValue]) {
      func value(_ table: String, _ row: String, _ quantity: String) -> Double {
        PaperReported.value(table, row: row, quantity, in: reported) ?? .nan
      }
      perplexityDense = value("perplexity", "dense", "perplexity")
      perplexityGSA = value("perplexity", "gsa", "perplexity")
      perplexitySparseOnly = value("perplexity", "sparse-only", "perplexity")
      perplexityGatedOnly = value("perplexity", "gated-only", "perplexity")
      rulerDense = value("ruler-128k", "dense", "RULER@128K")
      rulerGSA = value("ruler-128k", "gsa", "RULER@128K")
      firstTokenDense = value("attention-sink", "dense", "first-token attention")
      firstTokenGSA = value("attention-sink", "gsa", "first-token attention")
      spikesDense = value("stability", "dense", "loss spikes")
      spikesGSA = value("stability", "gsa", "loss spikes")
      prefillGSA = value("efficiency-128k", "gsa", "prefill")
      prefillSparseOnly = value("efficiency-128k", "sparse-only", "prefill")
      decodeGSA = value("efficiency-128k", "gsa", "decode")
      decodeSparseOnly = value("efficiency-128k", "sparse-only", "decode")
    }

    /// The paper's tables as recorded in `PaperReported` (the one copy of the reported numbers).
    public static let paper = Table(reported: PaperReported.all)
  }

  static func rounded(_ x: Double, _ digits: Int) -> Double {
    let p = pow(10, Double(digits))
    return (x * p).rounded() / p
  }

  public static func abstract(context: ClaimContext, table t: Table) throws -> ClaimOutcome {
    let perplexityChange = (t.perplexityGSA - t.perplexityDense) / t.perplexityDense
    let ruler = t.rulerGSA / t.rulerDense
    let spikes = (t.spikesDense - t.spikesGSA) / t.spikesDense
    let prefill = 1 / t.prefillGSA, decode = 1 / t.decodeGSA
    let sparsePrefill = 1 / t.prefillSparseOnly
    let checks: [(String, Bool)] = [
      ("perplexity 6.03 → 5.70", rounded(t.perplexityDense, 2) == 6.03 && rounded(t.perplexityGSA, 2) == 5.70),
      ("RULER nearly doubles", ruler >= 1.85 && ruler < 2),
      ("first token 47% → under 4%", rounded(t.firstTokenDense, 0) == 47 && t.firstTokenGSA < 4),
      ("loss spikes −98%", rounded(100 * spikes, 0) == 98),
    ]
    let failed = checks.filter { !$0.1 }.map(\.0)
    let speedInRange = prefill >= 12 && prefill <= 16
    let evidence =
      [
        EvidenceItem("perplexity change", 100 * perplexityChange, unit: "%"),
        EvidenceItem("sparse-only perplexity change", 100 * (t.perplexitySparseOnly - t.perplexityDense) / t.perplexityDense, unit: "%"),
        EvidenceItem("gated-only perplexity change", 100 * (t.perplexityGatedOnly - t.perplexityDense) / t.perplexityDense, unit: "%"),
        EvidenceItem("RULER ratio", ruler, unit: "×"), EvidenceItem("first-token attention, GSA", t.firstTokenGSA, unit: "%"),
        EvidenceItem("loss-spike reduction", 100 * spikes, unit: "%"),
        EvidenceItem("prefill speedup (table)", prefill, unit: "×"), EvidenceItem("decode speedup (table)", decode, unit: "×"),
        EvidenceItem("sparse-only prefill speedup (table)", sparsePrefill, unit: "×"),
        EvidenceItem("GSA prefill cost / sparse-only", t.prefillGSA / t.prefillSparseOnly, unit: "×"),
        EvidenceItem("rounded statements failing", Double(failed.count)),
      ] + ComplexityChecks.prefillBytesEvidence()
    if !failed.isEmpty {
      return ClaimOutcome(
        verdict: .refuted, summary: "the abstract misstates its tables: \(failed.joined(separator: "; ")).",
        counterexample: failed.joined(separator: "; "), evidence: evidence)
    }
    if !speedInRange {
      return ClaimOutcome(
        verdict: .holdsWithCorrection,
        summary: """
          the quality numbers round correctly (perplexity \(String.num(100 * perplexityChange, 3))%, RULER ×\(String.num(ruler, 4)), first token \
          \(String.num(t.firstTokenGSA))%, spikes −\(String.num(100 * spikes, 4))% → 98%), but the speed does not: the table gives GSA \
          \(String.num(prefill, 3))× prefill and \(String.num(decode, 2))× decode, below 12–16×, and GSA costs \
          \(String.num(t.prefillGSA / t.prefillSparseOnly, 3))× sparse-only's prefill (\(String.num(sparsePrefill, 3))×) rather than matching it.
          """,
        correctedStatement:
          "≈11× prefill and ≈8× decode speedup at 128K (sparse-only: 12.5× / 8.3×); perplexity −5.4%, RULER ×1.96, first token 3.9%, spikes −97.6%.",
        evidence: evidence)
    }
    return ClaimOutcome(verdict: .holds, summary: "every rounded number of the abstract matches the tables.", evidence: evidence)
  }
}
