// gsa-bench's side-by-side part and the page's opening summary. The comparison with torch SDPA and
// the reference layer is measured by Benchmarks/side_by_side.py (optional: it needs PyTorch and
// the reference checkout) into docs/data/side-by-side.json; this file reads that JSON and renders
// it, with the date and versions of the run that produced it.
import Foundation
import GSAModel
import GSATheory

/// The report Benchmarks/side_by_side.py writes (schema_version 1).
struct SideBySideReport: Decodable {
  static let schemaVersion = 1

  struct Versions: Decodable {
    let torch: String
    let python: String
    let swift: String?
    let toolkitCommit: String?
    let referenceCommit: String?
  }
  struct Timing: Decodable {
    let median: Double
    let best: Double?
  }
  struct SDPARow: Decodable {
    let length: Int
    let torchSeconds: Timing
    let toolkitSeconds: Timing
    let timeRatio: Double
    let torchGflops: Double
    let toolkitGflops: Double
    let torchPeakBytes: Int
    let toolkitPeakBytes: Int
  }
  struct SDPA: Decodable {
    let shape: String
    let rows: [SDPARow]
  }
  struct LayerRow: Decodable {
    let length: Int
    let referenceSeconds: Timing
    let toolkitSeconds: Timing
    let timeRatio: Double
    let referencePeakBytes: Int
    let toolkitPeakBytes: Int
    let peakRatio: Double
  }
  struct MemoryStop: Decodable {
    let length: Int
    let extrapolatedReferencePeakBytes: Double
    let limitBytes: Double
  }
  struct Layer: Decodable {
    let configuration: String
    let rows: [LayerRow]
    let referenceBaselineBytes: Int
    let toolkitBaselineBytes: Int
    let stoppedByMemory: MemoryStop?
  }

  let schemaVersion: Int
  let date: String
  let versions: Versions
  let repeats: Int
  let sdpa: SDPA
  let layer: Layer?
  let loadAverageBefore: [Double]
  let loadAverageAfter: [Double]

  /// Reads `path`; nil when the file does not exist, a one-line error when it is malformed.
  static func load(_ path: String) throws(BenchUsageError) -> SideBySideReport? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    struct Header: Decodable { let schemaVersion: Int }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let fix = "rerun Benchmarks/side_by_side.py or pass --side-by-side none"
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      let version = try decoder.decode(Header.self, from: data).schemaVersion
      guard version == schemaVersion else {
        throw BenchUsageError(message: "\(path): schema_version \(version), expected \(schemaVersion); \(fix)")
      }
      return try decoder.decode(SideBySideReport.self, from: data)
    } catch let error as BenchUsageError {
      throw error
    } catch let DecodingError.keyNotFound(key, context) {
      throw BenchUsageError(message: "\(path): field '\(fieldPath(context.codingPath + [key]))' is missing; \(fix)")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
      throw BenchUsageError(message: "\(path): field '\(fieldPath(context.codingPath))' has the wrong type; \(fix)")
    } catch {
      throw BenchUsageError(message: "\(path): not a side-by-side report (unreadable or not JSON); \(fix)")
    }
  }

  /// A coding path as the JSON spells it: `layer.rows[2].length`.
  private static func fieldPath(_ path: [any CodingKey]) -> String {
    path.map { key in
      key.intValue.map { "[\($0)]" } ?? "." + key.stringValue.replacing(/[A-Z]/) { "_" + $0.output.lowercased() }
    }.joined().drop { $0 == "." }.description
  }

  /// The run's load was above the core count at its start or end (its timings include contention).
  var disturbed: Bool {
    let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
    return (loadAverageBefore.first ?? 0) > cores || (loadAverageAfter.first ?? 0) > cores
  }
}

func gib(_ bytes: Double) -> String { String(format: "%.2f GiB", bytes / 1_073_741_824) }

/// The side-by-side section of the page (or how to produce it).
func sideBySideMarkdown(_ report: SideBySideReport?, path: String) -> [String] {
  var md = ["## Side by side: torch SDPA and the reference layer", ""]
  guard let r = report else {
    md.append(
      "Not measured: \(path) does not exist. `make compare REFERENCE=/path/to/Gated-Sparse-Attention` (PyTorch's CPU wheel and a checkout of the reference, scripts/reference/README.md) writes it; `make bench` then renders it here."
    )
    md.append("")
    return md
  }
  let v = r.versions
  md.append(
    "Measured by `Benchmarks/side_by_side.py` on \(r.date): torch \(v.torch) (CPU wheel, every core), Python \(v.python), \(v.swift ?? "Swift"), toolkit commit \(v.toolkitCommit.map { String($0.prefix(10)) } ?? "unknown"), reference alfredcs/Gated-Sparse-Attention \(v.referenceCommit.map { String($0.prefix(10)) } ?? "not run"). Every measurement ran in its own process, the two sides alternating at each length; times are medians of \(r.repeats) calls after a warm-up call; peak memory is each process's peak resident set (ru_maxrss). Load average before / after: \(r.loadAverageBefore.map { g($0, 3) }.joined(separator: " ")) / \(r.loadAverageAfter.map { g($0, 3) }.joined(separator: " "))\(r.disturbed ? " — **above the core count: the run was disturbed, and its ratios include contention**" : "")."
  )
  md.append("")
  md.append(
    "**Dense causal attention: torch `scaled_dot_product_attention` against the toolkit's dense kernel** (\(r.sdpa.shape); the toolkit's time is the attention bucket of `gsa-theory sweep --variants dense` at D 16, whose projections are negligible):"
  )
  md.append("")
  md.append("| L | torch SDPA s | toolkit s | toolkit / torch | torch GFLOP/s | toolkit GFLOP/s | torch peak | toolkit peak |")
  md.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
  for row in r.sdpa.rows {
    md.append(
      "| \(row.length) | \(g(row.torchSeconds.median)) | \(g(row.toolkitSeconds.median)) | \(g(row.timeRatio, 3)) | \(g(row.torchGflops, 3)) | \(g(row.toolkitGflops, 3)) | \(gib(Double(row.torchPeakBytes))) | \(gib(Double(row.toolkitPeakBytes))) |"
    )
  }
  md.append("")
  guard let layer = r.layer else {
    md.append("The reference layer was not run (no `--reference` checkout given).")
    md.append("")
    return md
  }
  md.append(
    "**The GSA layer: the reference's `GatedSparseAttention` (float32, eval, no grad) against the toolkit's** (`gsa-theory sweep --variants gsa --preset paper-shape`; \(layer.configuration); whole forward pass, batch 1):"
  )
  md.append("")
  md.append(
    "| L | reference s | toolkit s | toolkit / reference (time) | reference peak | toolkit peak | toolkit / reference (peak memory) |")
  md.append("|---:|---:|---:|---:|---:|---:|---:|")
  for row in layer.rows {
    md.append(
      "| \(row.length) | \(g(row.referenceSeconds.median)) | \(g(row.toolkitSeconds.median)) | \(g(row.timeRatio, 3)) | \(gib(Double(row.referencePeakBytes))) | \(gib(Double(row.toolkitPeakBytes))) | \(g(row.peakRatio, 3)) |"
    )
  }
  md.append("")
  var notes =
    "Idle baselines (the same processes at L = 256): reference \(gib(Double(layer.referenceBaselineBytes))), toolkit \(gib(Double(layer.toolkitBaselineBytes)))."
  if let stop = layer.stoppedByMemory {
    notes +=
      " The reference stops at its memory limit: its peak grows with L (it materialises the gathered K and V, L · k_max · H · d_h floats each, and the indexer's L × L scores), and at L = \(stop.length) it extrapolates to \(gib(stop.extrapolatedReferencePeakBytes)), past the run's \(gib(stop.limitBytes)) limit on this \(String(format: "%.1f", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)) GiB machine."
  }
  md.append(notes)
  md.append("")
  return md
}

/// The page's opening summary: the numbers a user wants first, each pointing to its section.
func summaryMarkdown(
  sideBySide r: SideBySideReport?, speedups: [(String, PerformanceBenchmark.SpeedupSummary)],
  timeModel: TimeModelValidation.Result, decode: DecodeBenchmark.Result, disturbed: Bool
) -> [String] {
  var md = ["## Summary", ""]
  md.append("| question | answer on this machine | section |")
  md.append("|---|---|---|")
  if let r, let row = r.sdpa.rows.last {
    md.append(
      "| dense causal attention against torch SDPA (L = \(row.length), H 8 × d_h 64, float32) | toolkit \(g(row.toolkitSeconds.median, 3)) s vs torch \(g(row.torchSeconds.median, 3)) s: \(g(row.timeRatio, 3))× torch's time (\(g(row.toolkitGflops, 3)) vs \(g(row.torchGflops, 3)) GFLOP/s; torch \(r.versions.torch), \(r.date.prefix(10))) | side by side |"
    )
    if let layer = r.layer, let big = layer.rows.last {
      md.append(
        "| the GSA layer against the reference implementation (paper-shape, L = \(big.length)\(layer.stoppedByMemory == nil ? "" : ", the reference's largest within memory")) | \(g(big.timeRatio, 3))× the reference's time (\(g(big.toolkitSeconds.median, 3)) vs \(g(big.referenceSeconds.median, 3)) s: \(g(1 / big.timeRatio, 3))× faster), \(g(big.peakRatio, 3))× its peak memory (\(gib(Double(big.toolkitPeakBytes))) vs \(gib(Double(big.referencePeakBytes)))) | side by side |"
      )
    }
  } else {
    md.append("| against torch SDPA and the reference layer | not measured (`make compare`) | side by side |")
  }
  for (name, s) in speedups {
    let model = timeModel.speedups.first { $0.length == s.length && $0.name.contains(name) }
    md.append(
      "| GSA over dense, whole layers at L = \(s.length), \(name) | measured \(g(s.measured, 3))× against \(g(s.flopPredicted, 3))× from FLOPs\(model.map { " and \(g($0.predicted, 3))× from the time model" } ?? ""): a FLOP ratio is not a time ratio (gathers, top-k, sigmoids) | GSA over dense; time model |"
    )
  }
  let T = decode.options.targetLength, B = decode.options.largeBatch
  if let rate = decode.denseCacheRate(length: T, batch: 1) {
    md.append(
      "| dense decode step, L = \(T), batch 1 | reads its K/V cache at \(g(rate / 1e9, 3)) GB/s, \(pct(rate / decode.triad)) of the triad bandwidth | decode |"
    )
  }
  for batch in [1, B] {
    if let measured = decode.measuredSpeedup(.gsa, length: T, batch: batch),
      let predicted = decode.bytesSpeedup(.gsa, length: T, batch: batch)
    {
      md.append(
        "| GSA over dense, decode step, L = \(T), batch \(batch) | measured \(g(measured, 3))× against \(g(predicted, 3))× from bytes | decode |"
      )
    }
  }
  let within = timeModel.rows.filter(\.withinTolerance).count
  let withinBest = timeModel.rows.filter(\.bestWithinTolerance).count
  md.append(
    "| time model, predicted against measured seconds | \(within) of \(timeModel.rows.count) points within ±20% (medians against the probes' median rates; bests against their best rates: \(withinBest)) | time model |"
  )
  md.append("")
  if disturbed { md.append("(This run was disturbed; see the run-quality line below.)"); md.append("") }
  return md
}
