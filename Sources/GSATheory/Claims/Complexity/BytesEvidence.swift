import Foundation
import GSAModel

/// This machine's roofline for the claims' bytes evidence, measured once per process (a short FMA
/// run and a STREAM triad over 3 × 16 MiB): evidence only, no verdict depends on it.
public enum MachineRidge {
  public struct Rates: Sendable {
    public let peakFlopsPerSecond: Double
    public let triadBytesPerSecond: Double
    /// FLOPs per byte at which the roofline bends.
    public var ridge: Double { peakFlopsPerSecond / triadBytesPerSecond }
  }

  public static let measured: Rates = {
    let threads = ProcessInfo.processInfo.activeProcessorCount
    let peak = (0..<3).map { _ in Roofline.peakFlops(threads: threads, fmaPerThread: 20_000_000) }.max() ?? .nan
    let triad = Roofline.streamTriad(threads: threads, elements: 1 << 22, passes: 2, repeats: 3).max() ?? .nan
    return Rates(peakFlopsPerSecond: peak, triadBytesPerSecond: triad)
  }()
}

extension ComplexityChecks {
  /// The prefill byte model (CostModel, the kernels' counted bytes in closed form) at the paper's
  /// configuration with fixed k, as evidence: compulsory and gathered bytes of dense and GSA, their
  /// ratio beside the FLOP ratio, and the arithmetic intensity of the buckets that carry the cost
  /// against this machine's ridge point.
  public static func prefillBytesEvidence(length L: Int = 131_072, k: Int = 2048, elementBytes e: Int = 2) -> [EvidenceItem] {
    var config = LayerConfig.paper
    config.kRule = .fixed
    config.kBase = k
    let dense = CostModel(config: config.configured(for: .dense), variant: .dense, elementBytes: e).ledger(length: L)
    let gsa = CostModel(config: config, variant: .gsa, elementBytes: e).ledger(length: L)
    let dtype = e == 2 ? "bf16" : "f32"
    func intensity(_ ledger: FlopLedger, _ bucket: FlopBucket) -> Double {
      Double(ledger.useful[bucket].flops) / Double(ledger.bytes[bucket].compulsory)
    }
    let gathered = gsa.bytes.attention.gathered
    // GSA's traffic if no gathered row stays cached: K and V once replaced by the gathered rows.
    let noReuse = gsa.bytesTotal.compulsory - 2 * e * L * config.kvHeads * config.headDim + gathered
    return [
      EvidenceItem("bytes (\(dtype)): dense layer, compulsory", Double(dense.bytesTotal.compulsory), unit: "B"),
      EvidenceItem("bytes (\(dtype)): GSA layer, compulsory", Double(gsa.bytesTotal.compulsory), unit: "B"),
      EvidenceItem("bytes (\(dtype)): GSA sparse core, gathered K/V rows", Double(gathered), unit: "B"),
      EvidenceItem(
        "bytes ratio dense/GSA, compulsory", Double(dense.bytesTotal.compulsory) / Double(gsa.bytesTotal.compulsory), unit: "×"),
      EvidenceItem(
        "bytes ratio dense/GSA, gathered rows in place of K/V once", Double(dense.bytesTotal.compulsory) / Double(noReuse),
        unit: "×"),
      EvidenceItem("FLOP ratio dense/GSA, useful", Double(dense.usefulTotal.flops) / Double(gsa.usefulTotal.flops), unit: "×"),
      EvidenceItem("intensity: dense attention core", intensity(dense, .attention), unit: "FLOP/B"),
      EvidenceItem(
        "intensity: GSA attention (sparse core, gathered)", Double(gsa.useful.attention.flops) / Double(gathered), unit: "FLOP/B"),
      EvidenceItem("intensity: GSA indexer", intensity(gsa, .indexer), unit: "FLOP/B"),
      EvidenceItem(
        "intensity: GSA selection (comparisons per byte)",
        Double(gsa.useful.selection.comparisons) / Double(gsa.bytes.selection.compulsory), unit: "op/B"),
    ]
  }

  /// The assumption sentence of every claim that carries `bytesRows` (appended to its assumptions).
  static let bytesRowsAssumption =
    " Bytes rows (evidence, the verdict does not use them): CostModel's logical bytes per pass at bf16, fixed k = 2048, "
    + "L = 131072 (compulsory, and GSA's gathered K/V rows), with the buckets' arithmetic intensity against this "
    + "machine's measured ridge point."

  /// This machine's ridge point, to set the bytes rows' intensities against (`ClaimOutcome.measurements`;
  /// none in quick runs).
  public static func ridgeMeasurements(_ context: ClaimContext) -> [EvidenceItem] {
    guard !context.quick else { return [] }
    let rates = MachineRidge.measured
    return [
      EvidenceItem("this machine's FMA peak", rates.peakFlopsPerSecond / 1e9, unit: "GFLOP/s"),
      EvidenceItem("this machine's STREAM triad", rates.triadBytesPerSecond / 1e9, unit: "GB/s"),
      EvidenceItem("this machine's ridge point (peak/triad)", rates.ridge, unit: "FLOP/B"),
    ]
  }
}
