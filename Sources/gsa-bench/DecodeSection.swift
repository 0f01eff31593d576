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

/// Bytes in KiB below 1 MiB, else in MiB.
func sizeText(_ bytes: Int) -> String {
  bytes < 1_048_576 ? String(format: "%.0f KiB", Double(bytes) / 1024) : mib(bytes)
}

/// The target rows of the decode part (target, measured, verdict).
func decodeVerdicts(_ r: DecodeBenchmark.Result) -> [(String, String, String)] {
  let T = r.options.targetLength, B = r.options.largeBatch
  var rows = [(String, String, String)]()
  if let rate = r.denseCacheRate(length: T, batch: 1) {
    // Judged per round, against the triad measured just before the round (the host's bandwidth drifts).
    let fractions = r.denseCacheTriadFractions(length: T, batch: 1)
    let medianFraction = median(fractions)
    rows.append(
      (
        "dense decode, L = \(T), B = 1, reads K/V at ≥ 70% of the triad bandwidth",
        "per round against that round's triad: median \(pct(medianFraction)), best \(pct(fractions.max() ?? .nan)) over \(fractions.count) round(s); best step \(g(rate / 1e9, 3)) GB/s = \(pct(rate / r.triad)) of the part's \(g(r.triad / 1e9, 3)) GB/s triad (read-only stream \(g(r.read / 1e9, 3)) GB/s: \(pct(rate / r.read)))",
        medianFraction >= 0.7 ? "met" : "missed"
      ))
  }
  let gsaPoints = r.points.filter { $0.variant == .gsa }
  if !gsaPoints.isEmpty {
    let ratios = gsaPoints.map { median(r.roundPredictionRatios($0)) }
    let worst = zip(gsaPoints, ratios).max { $0.1 < $1.1 }!
    rows.append(
      (
        "GSA decode step ≤ 1.25 × (bytes / triad + indexer FLOPs / peak), every probed L and B",
        "worst at L = \(worst.0.length), B = \(worst.0.batch): median over rounds \(g(worst.1, 3))× (each step against its round's triad), best step \(g(worst.0.bestSeconds * 1e3, 3)) ms against \(g(r.predictedSeconds(worst.0) * 1e3, 3)) ms at the part's triad",
        worst.1 <= 1.25 ? "met" : "missed"
      ))
  }
  if let measured = r.measuredSpeedup(.gsa, length: T, batch: B), let predicted = r.bytesSpeedup(.gsa, length: T, batch: B),
    let dense = r.point(.dense, length: T, batch: B), let gsa = r.point(.gsa, length: T, batch: B)
  {
    // Judged on the median over rounds of the two steps' ratio in the same round; inconclusive when
    // the rounds fall on both sides of the band (contention can slow either step of a round).
    let band = 0.25
    let rounds = zip(dense.seconds, gsa.seconds).map { $0 / $1 }
    let roundSpeedup = median(rounds)
    let within = rounds.filter { abs($0 / predicted - 1) <= band }.count
    let verdict =
      abs(roundSpeedup / predicted - 1) <= band
      ? "met"
      : within > 0
        ? "inconclusive (\(within) of \(rounds.count) rounds within the band: the rounds straddle its edge; rerun on a quiet machine)"
        : "missed"
    rows.append(
      (
        "GSA/dense decode speedup at L = \(T), B = \(B) within 25% of the bytes-predicted one",
        "median over rounds \(g(roundSpeedup, 3))× (the two steps of one round) vs \(g(predicted, 3))× (\(String(format: "%+.1f%%", 100 * (roundSpeedup / predicted - 1)))), \(within) of \(rounds.count) rounds within 25%; best steps \(g(measured, 3))×",
        verdict
      ))
  }
  return rows
}

/// What the profile's probes (measured in the time-model part, minutes from the decode part) allow
/// for the first two targets: the dense decode core alone beyond the L3 against the profile's own
/// triad, and the time model's price of the GSA step against the targets' formula at every probed
/// length (the formula leaves out the top-k and prices one-row GEMMs at the triad).
func decodeLimits(_ r: DecodeBenchmark.Result, timeModel: TimeModelValidation.Result) -> [String] {
  guard let m = timeModel.profile.measured else { return [] }
  let k = m.kernels
  var md = [String]()
  if let inCache = k.decodeRowCurve.min(by: { $0.footprintBytes < $1.footprintBytes }),
    let beyond = k.decodeRowCurve.max(by: { $0.footprintBytes < $1.footprintBytes })
  {
    let rowBytes = Double(2 * k.decodeHeadDim * 4), flops = 4 * k.decodeGroupSize * k.decodeHeadDim
    let triad = m.triadBytesPerSecond.allCores
    let alone = rowBytes / beyond.secondsPerRow.allCores
    let needed = rowBytes / (0.7 * triad)
    let floor = Double(flops) / m.fmaFlopsPerSecond.allCores
    md.append(
      "**Limit of the dense-decode target.** The profile's dense decode probe (G \(k.decodeGroupSize), d_h \(k.decodeHeadDim): \(Int(rowBytes)) B and \(flops) FLOPs per cached row, all cores) streams a \(sizeText(beyond.footprintBytes)) cache at \(g(beyond.secondsPerRow.allCores * 1e9, 3)) ns per row, \(g(alone / 1e9, 3)) GB/s = \(pct(alone / triad)) of the profile's \(g(triad / 1e9, 3)) GB/s triad: the kernel alone \(alone >= 0.7 * triad ? "reaches" : "stays below") the target. With its K/V in cache (\(sizeText(inCache.footprintBytes))) it takes \(g(inCache.secondsPerRow.allCores * 1e9, 3)) ns per row, against \(g(floor * 1e9, 3)) ns for the row's FLOPs at the FMA peak; 70% of the triad allows \(g(needed * 1e9, 3)) ns per row for arithmetic and streaming together."
    )
    md.append("")
  }
  let ratios = r.points.filter { $0.variant == .gsa && $0.batch == 1 }.compactMap { p -> (Int, Double, Double)? in
    guard let row = timeModel.rows.first(where: { $0.phase == .decode && $0.variant == .gsa && $0.length == p.length }) else {
      return nil
    }
    return (p.length, row.predicted.total / r.predictedSeconds(p), row.predicted.buckets[.selection]?.seconds ?? 0)
  }
  if !ratios.isEmpty {
    let worst = ratios.max { $0.1 < $1.1 }!
    md.append(
      "**Limit of the GSA-step target.** The time model, from this run's probes alone (each kernel alone at its measured rate), prices the GSA step at B = 1 at \(ratios.map { "\(g($0.1, 3))× (L = \($0.0))" }.joined(separator: ", ")) the target's bytes / triad + indexer FLOPs / peak: \(worst.1 > 1.25 ? "above 1.25× at L = \(worst.0), so there the probed rates themselves put the target out of reach" : "within 1.25× at every length, so the probed rates allow the target"). The formula leaves out the top-k over L + 1 candidates (the model's selection bucket: \(g(worst.2 * 1e3, 3)) ms at L = \(worst.0)) and prices the one-row GEMMs' weights at the triad, where the cold one-row GEMM probe reads them at \(g(k.gemvWeightBytesPerSecond.allCores / 1e9, 3)) GB/s."
    )
    md.append("")
  }
  let T = r.options.targetLength, B = r.options.largeBatch
  if let gsa = r.point(.gsa, length: T, batch: B), let dense = r.point(.dense, length: T, batch: B),
    let bytes = r.bytesSpeedup(.gsa, length: T, batch: B)
  {
    let model = TimeModel(profile: timeModel.profile)
    let c = r.options.config
    let gsaPrice = model.predict(config: c, variant: .gsa, phase: .decode, length: T, batch: B, budgets: gsa.kPerSequence)
    let densePrice = model.predict(config: c, variant: .dense, phase: .decode, length: T, batch: B, budgets: dense.kPerSequence)
    let speedup = densePrice.total / gsaPrice.total
    let share = { (bucket: FlopBucket) in (gsaPrice.buckets[bucket]?.seconds ?? 0) / gsaPrice.total }
    md.append(
      "**The large-batch speedup against the time model.** From the same probes the model prices the steps at L = \(T), B = \(B) at \(g(densePrice.total * 1e3, 3)) ms (dense) and \(g(gsaPrice.total * 1e3, 3)) ms (GSA): \(g(speedup, 3))×, \(String(format: "%+.1f%%", 100 * (speedup / bytes - 1))) from the bytes-predicted \(g(bytes, 3))×. The GSA step's selection (\(pct(share(.selection))) of its price) and the indexer's arithmetic, added to its stream, do not scale with bytes; measured steps: \(g(dense.bestSeconds * 1e3, 3)) and \(g(gsa.bestSeconds * 1e3, 3)) ms (best)."
    )
    md.append("")
  }
  return md
}

/// The markdown of the decode part.
func decodeMarkdown(_ r: DecodeBenchmark.Result, verdicts: [(String, String, String)], limits: [String] = []) -> [String] {
  let T = r.options.targetLength, B = r.options.largeBatch
  let c = r.options.config
  var md = [String]()
  md.append("## Decode: one step with a KV cache (paper shape, k rule \(c.kRule.rawValue), k_base \(c.kBase))")
  md.append("")
  md.append(
    "Each point: a `KVCache` of B sequences filled with L seeded tokens, one warm-up step, then \(r.options.repeats) interleaved rounds (a STREAM triad, then one step of every variant, all four caches alive), each step at length L (the cache is truncated back). Bytes are the step's counted compulsory bytes (`ByteCounts`: every pass reads its operands and writes its results once; equal to `CostModel.decodeLedger`); predicted time = bytes / triad (+ the indexer's FLOPs / peak for the sparse variants). The table uses the part's best triad; the first two targets set each step against its own round's triad, since the shared host's bandwidth drifts between rounds. Roofline of this part: triad \(g(r.triad / 1e9, 3)) GB/s, read-only stream \(g(r.read / 1e9, 3)) GB/s, peak \(g(r.peak / 1e9, 4)) GFLOP/s."
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
  md += limits
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
            ("round_triad_bytes_per_second", .array(p.roundTriads.map { .number($0) })),
            ("round_prediction_ratios", .array(r.roundPredictionRatios(p).map { .number($0) })),
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
