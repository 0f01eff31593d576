// gsa-bench's decode section: the page's table, its targets and its JSON, from `DecodeBenchmark`.
import Foundation
import GSAModel
import GSATheory

/// Options of the decode part per mode (full: the published lengths; quick and smoke: shorter).
func decodeOptions(mode: String) -> DecodeBenchmark.Options {
  var o = DecodeBenchmark.Options()
  switch mode {
  case "quick":
    o.lengths = [2048, 8192, 32768]
    o.targetLength = 32768
    o.repeats = 3
  case "smoke":
    o.config = .small
    o.lengths = [256, 512, 1024]
    o.targetLength = 1024
    o.largeBatch = 2
    o.repeats = 1
    o.fmaPerThread = 2_000_000
    o.triadElements = 1 << 20
    o.readElements = 3 << 20
  default: break
  }
  return o
}

func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

/// The target rows of the decode part (target, measured, verdict).
func decodeVerdicts(_ r: DecodeBenchmark.Result) -> [(String, String, String)] {
  let T = r.options.targetLength, B = r.options.largeBatch
  var rows = [(String, String, String)]()
  if let rate = r.denseCacheRate(length: T, batch: 1) {
    rows.append(
      (
        "dense decode, L = \(T), B = 1, reads K/V at ≥ 70% of the triad bandwidth",
        "\(g(rate / 1e9, 3)) GB/s = \(pct(rate / r.triad)) of \(g(r.triad / 1e9, 3)) GB/s (read-only stream \(g(r.read / 1e9, 3)) GB/s: \(pct(rate / r.read)))",
        rate >= 0.7 * r.triad ? "met" : "missed"
      ))
  }
  let gsaPoints = r.points.filter { $0.variant == .gsa }
  if !gsaPoints.isEmpty {
    let ratios = gsaPoints.map { $0.bestSeconds / r.predictedSeconds($0) }
    let worst = zip(gsaPoints, ratios).max { $0.1 < $1.1 }!
    rows.append(
      (
        "GSA decode step ≤ 1.25 × (bytes / triad + indexer FLOPs / peak), every probed L and B",
        "worst \(g(worst.1, 3))× at L = \(worst.0.length), B = \(worst.0.batch) (\(g(worst.0.bestSeconds * 1e3, 3)) ms against \(g(r.predictedSeconds(worst.0) * 1e3, 3)) ms)",
        worst.1 <= 1.25 ? "met" : "missed"
      ))
  }
  if let measured = r.measuredSpeedup(.gsa, length: T, batch: B), let predicted = r.bytesSpeedup(.gsa, length: T, batch: B) {
    rows.append(
      (
        "GSA/dense decode speedup at L = \(T), B = \(B) within 25% of the bytes-predicted one",
        "\(g(measured, 3))× vs \(g(predicted, 3))× (\(String(format: "%+.1f%%", 100 * (measured / predicted - 1))))",
        abs(measured / predicted - 1) <= 0.25 ? "met" : "missed"
      ))
  }
  return rows
}

/// The markdown of the decode part.
func decodeMarkdown(_ r: DecodeBenchmark.Result, verdicts: [(String, String, String)]) -> [String] {
  let T = r.options.targetLength, B = r.options.largeBatch
  let c = r.options.config
  var md = [String]()
  md.append("## Decode: one step with a KV cache (paper shape, k rule \(c.kRule.rawValue), k_base \(c.kBase))")
  md.append("")
  md.append(
    "Each point: a `KVCache` of B sequences filled with L seeded tokens, one warm-up step, then \(r.options.repeats) interleaved rounds (one step of every variant per round, all four caches alive), each step at length L (the cache is truncated back). Bytes are the step's counted compulsory bytes (`ByteCounts`: every pass reads its operands and writes its results once; equal to `CostModel.decodeLedger`); predicted time = bytes / triad (+ the indexer's FLOPs / peak for the sparse variants). Roofline of this part: triad \(g(r.triad / 1e9, 3)) GB/s, read-only stream \(g(r.read / 1e9, 3)) GB/s, peak \(g(r.peak / 1e9, 4)) GFLOP/s."
  )
  md.append("")
  md.append(
    "| variant | L | B | mean k | best ms | median ms | bytes/step | predicted ms | best / predicted | GB/s | speedup (measured) | speedup (bytes) | footprint |"
  )
  md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
  for p in r.points {
    let meanK = Double(p.kPerSequence.reduce(0, +)) / Double(p.batch)
    let predicted = r.predictedSeconds(p)
    md.append(
      "| \(p.variant.rawValue) | \(p.length) | \(p.batch) | \(g(meanK, 4)) | \(g(p.bestSeconds * 1e3, 4)) | \(g(p.medianSeconds * 1e3, 4)) | \(mib(p.bytes)) | \(g(predicted * 1e3, 4)) | \(g(p.bestSeconds / predicted, 3)) | \(g(Double(p.bytes) / p.bestSeconds / 1e9, 3)) | \(r.measuredSpeedup(p.variant, length: p.length, batch: p.batch).map { g($0, 3) + "×" } ?? "") | \(r.bytesSpeedup(p.variant, length: p.length, batch: p.batch).map { g($0, 3) + "×" } ?? "") | \(mib(p.footprintBytes)) |"
    )
  }
  md.append("")
  md.append(
    "Every step's counted ledger equals `CostModel.decodeLedger` in every bucket: \(r.points.allSatisfy { $0.counted == $0.predicted } ? "yes" : "**no**")."
  )
  md.append("")
  if let measured = r.measuredSpeedup(.gsa, length: T, batch: 1), let predicted = r.bytesSpeedup(.gsa, length: T, batch: 1),
    let gsa = r.point(.gsa, length: T, batch: 1), let dense = r.point(.dense, length: T, batch: 1)
  {
    let ratio = gsa.bestSeconds / r.predictedSeconds(gsa)
    let reading =
      ratio <= 1
      ? "its bytes can come from cache between steps, and bytes at triad bandwidth overstate its time (best / predicted \(g(ratio, 3)))"
      : "its bytes could come from cache between steps, yet it takes \(g(ratio, 3))× its bytes-at-triad time: at batch 1 the step is bound by work its bytes do not price (the indexer's pass over every cached key, the top-k over L + 1 candidates, the code rule's O(L) variance recompute, one-row GEMMs), not by memory traffic"
    md.append(
      "**Batch 1 (a finding, not a target).** At L = \(T) GSA's step re-reads \(mib(gsa.footprintBytes)) (weights, indexer keys, gathered rows) against \(CacheHierarchy.detect().l3.map { "a " + mib($0) + " L3" } ?? "an L3 of unknown size") shared with the host's other tenants, while dense streams \(mib(dense.footprintBytes)) of K and V: \(reading). Measured speedup \(g(measured, 3))× against \(g(predicted, 3))× from bytes\(r.point(.gsa, length: T, batch: B).map { ", where at B = \(B) its footprint is \(mib($0.footprintBytes))" } ?? "")."
    )
    md.append("")
  }
  md.append("| decode target | measured | verdict |")
  md.append("|---|---|---|")
  for (target, measured, verdict) in verdicts { md.append("| \(target) | \(measured) | \(verdict) |") }
  md.append("")
  md += figure(.decode)
  return md
}

/// The decode part's JSON.
func decodeJSON(_ r: DecodeBenchmark.Result) -> PerformanceJSON {
  func bytes(_ ledger: FlopLedger) -> PerformanceJSON {
    .object(
      (FlopBucket.allCases.map { ($0.rawValue, ledger.bytes[$0]) } + [("total", ledger.bytesTotal)]).map { name, b in
        (name, .object([("read", .int(b.read)), ("written", .int(b.written)), ("gathered", .int(b.gathered))]))
      })
  }
  return .object([
    ("config", reflected(r.options.config)),
    ("lengths", .array(r.options.lengths.map { .int($0) })), ("target_length", .int(r.options.targetLength)),
    ("large_batch", .int(r.options.largeBatch)), ("repeats", .int(r.options.repeats)),
    ("triad_bytes_per_second", .array(r.triadBytesPerSecond.map { .number($0) })),
    ("read_bytes_per_second", .array(r.readBytesPerSecond.map { .number($0) })),
    ("peak_flops_per_second", .array(r.peakFlopsPerSecond.map { .number($0) })),
    (
      "points",
      .array(
        r.points.map { p in
          .object([
            ("variant", .string(p.variant.rawValue)), ("length", .int(p.length)), ("batch", .int(p.batch)),
            ("seconds", .array(p.seconds.map { .number($0) })), ("best_seconds", .number(p.bestSeconds)),
            ("median_seconds", .number(p.medianSeconds)), ("predicted_seconds", .number(r.predictedSeconds(p))),
            ("bytes", .int(p.bytes)), ("key_value_bytes", .int(p.keyValueBytes)), ("footprint_bytes", .int(p.footprintBytes)),
            ("k_per_sequence", .array(p.kPerSequence.map { .int($0) })),
            ("useful_flops", .int(p.counted.usefulTotal.flops)), ("indexer_useful_flops", .int(p.counted.useful.indexer.flops)),
            ("counted_bytes", bytes(p.counted)), ("predicted_bytes", bytes(p.predicted)),
            ("counted_equals_predicted", .bool(p.counted == p.predicted)),
            ("measured_speedup", r.measuredSpeedup(p.variant, length: p.length, batch: p.batch).map { .number($0) } ?? .null),
            ("bytes_speedup", r.bytesSpeedup(p.variant, length: p.length, batch: p.batch).map { .number($0) } ?? .null),
          ])
        })
    ),
  ])
}
