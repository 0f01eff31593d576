// gsa-bench's "Time model" section: TimeModelValidation's rows as markdown and JSON.
import Foundation
import GSAModel
import GSATheory

/// The benchmark's time-model options for a mode (full, quick, smoke).
func timeModelOptions(mode: String) -> TimeModelValidation.Options {
  switch mode {
  case "smoke": return .smoke()
  case "quick": return .quick()
  default: return TimeModelValidation.Options()
  }
}

/// The speedup pairs of the benchmark's own series: A/B (H_kv 8) and A′/B′ (H_kv 2).
func timeModelSpeedupPairs(_ r: PerformanceBenchmark.Result) -> [(String, PerformanceBenchmark.Series, PerformanceBenchmark.Series)] {
  var pairs = [("A/B, H_kv \(r.denseLayer.config.kvHeads)", r.denseLayer, r.gsa)]
  if let dense = r.groupedDenseLayer, let gsa = r.groupedGsa { pairs.append(("A′/B′, H_kv \(dense.config.kvHeads)", dense, gsa)) }
  // Only B's points at A's lengths are compared (TimeModelValidation.run pairs them by length).
  return pairs
}

func timeModelMarkdown(_ v: TimeModelValidation.Result, config: LayerConfig) -> [String] {
  let tol = Int(100 * TimeModelValidation.tolerance), share = Int(100 * TimeModelValidation.bucketShare)
  var md = ["## Time model", ""]
  md.append(
    "`TimeModel` (docs/time-model.md) predicts each bucket's seconds from the counted work at the rates of a machine profile measured at the start of this section (`MachineProfile.measureBestAndMedian`, the `roofline --save` probes); nothing is fitted to the layer timings. Target: predicted within ±\(tol)% of measured for every point, and for every bucket that takes at least \(share)% of the point's time. Each point is compared twice: its median pass against the model at the probes' median repeats (typical against typical: on a shared host both carry the run's contention), and its best pass against the model at the probes' best repeats (the rates `roofline --save` writes, what `predict --machine FILE` uses). The verdict column is the first; the second is beside it. Layers: \(config.modelDim == 512 ? "paper-shape" : "D \(config.modelDim)") (D \(config.modelDim), H \(config.heads), H_kv \(config.kvHeads), d_h \(config.headDim), H_I \(config.indexerHeads) × d_I \(config.indexerDim), k_base \(config.kBase), rule \(config.kRule.rawValue)), every variant, prefill and decode at batch 1; and the speedup series above."
  )
  md.append("")
  if let m = v.profile.measured {
    md.append(
      "Profile (all cores): FMA \(g(m.fmaFlopsPerSecond.allCores / 1e9)) GFLOP/s, triad \(g(m.triadBytesPerSecond.allCores / 1e9)) GB/s, gather \(m.gatherCurve.map { "\(g(Double($0.footprintBytes) / 1_048_576, 3)) MiB: \(g($0.bytesPerSecond.allCores / 1e9, 3))" }.joined(separator: ", ")) GB/s, top-k \(g(m.topKSecondsPerCandidate.allCores * 1e9, 3)) ns/candidate, σ \(g(m.sigmoidsPerSecond.allCores / 1e9, 3)) G/s, exp \(g(m.expsPerSecond.allCores / 1e9, 3)) G/s."
    )
    let k = m.kernels
    md.append(
      "Kernel rates (all cores / one thread): GEMM \(k.gemmRows)×\(k.gemmInner)·\(k.gemmInner)×\(k.gemmCols) \(g(k.gemmFlopsPerSecond.allCores / 1e9)) / \(g(k.gemmFlopsPerSecond.perThread / 1e9)) GFLOP/s, dense flash core (L \(k.denseLength), d_h \(k.denseHeadDim)) \(g(k.denseFlopsPerSecond.allCores / 1e9)) / \(g(k.denseFlopsPerSecond.perThread / 1e9)) GFLOP/s, indexer score tile (L \(k.indexerLength), \(k.indexerHeads) × \(k.indexerDim)) \(g(k.indexerFlopsPerSecond.allCores / 1e9)) / \(g(k.indexerFlopsPerSecond.perThread / 1e9)) GFLOP/s, sparse core ns per gathered row (G \(k.sparseGroupSizes.map(String.init).joined(separator: " / "))) \(k.sparseRowCurve.map { p in "\(g(Double(p.footprintBytes) / 1_048_576, 3)) MiB: " + p.secondsPerRow.map { g($0.allCores * 1e9, 3) }.joined(separator: " / ") }.joined(separator: ", ")), read stream \(g(k.readBytesPerSecond.allCores / 1e9, 3)) / \(g(k.readBytesPerSecond.perThread / 1e9, 3)) GB/s, cold one-row GEMM (1 × \(k.gemvInner) by \(k.gemvInner) × \(k.gemvCols)) \(g(k.gemvWeightBytesPerSecond.allCores / 1e9, 3)) / \(g(k.gemvWeightBytesPerSecond.perThread / 1e9, 3)) GB/s of weights, dense decode core ns per cached row (G \(k.decodeGroupSize), d_h \(k.decodeHeadDim)) \(k.decodeRowCurve.map { "\(g(Double($0.footprintBytes) / 1_048_576, 3)) MiB: \(g($0.secondsPerRow.allCores * 1e9, 3))" }.joined(separator: ", ")), RoPE tables (L \(k.ropeLength), d_h \(k.ropeHeadDim)) \(g(k.ropeTranscendentalsPerSecond.allCores / 1e6, 3)) / \(g(k.ropeTranscendentalsPerSecond.perThread / 1e6, 3)) M cos/sin per s, a parallel region after \(k.parallelRegionIdleMicroseconds) µs idle \(g(k.parallelRegionSeconds * 1e6, 3)) µs."
    )
    if let spread = medianToBest(v) {
      md.append(
        "The profile's median repeats against its best (FMA, triad, GEMM, dense tile, indexer tile, read stream, one-row GEMM, σ, exp; all cores): \(spread)."
      )
    }
    md.append("")
  }
  md.append(
    "| series | variant | L | median ms | predicted ms (median rates) | error | best ms | predicted ms (best rates) | error | primitive-rates error | buckets ≥ \(share)%: median / predicted ms (limit, error) | verdict (medians) | verdict (bests) |"
  )
  md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
  for r in v.rows {
    let buckets = r.majorBuckets.map { b in
      let p = r.predicted.buckets[b]!
      return
        "\(b.rawValue) \(g(r.measured[b] * 1e3, 3)) / \(g(p.seconds * 1e3, 3)) (\(p.limit), \(String(format: "%+.0f%%", 100 * r.error(b))))"
    }.joined(separator: "; ")
    md.append(
      "| \(r.series) | \(r.variant.rawValue) | \(r.length) | \(g(r.measuredSeconds * 1e3)) | \(g(r.predicted.total * 1e3)) | \(percent(r.error)) | \(g(r.bestSeconds * 1e3)) | \(g(r.predictedFromBest.total * 1e3)) | \(percent(r.bestError)) | \(percent(r.measuredSeconds / r.primitive.total - 1)) | \(buckets) | \(r.withinTolerance ? "met" : "missed") | \(r.bestWithinTolerance ? "met" : "missed") |"
    )
  }
  md.append("")
  let met = v.rows.filter(\.withinTolerance).count
  let metBest = v.rows.filter(\.bestWithinTolerance).count
  let metPrimitive = v.rows.filter(\.primitiveWithinTolerance).count
  md.append(
    "\(met) of \(v.rows.count) points within ±\(tol)% (the point and its major buckets; medians against the median rates); bests against the best rates \(metBest) of \(v.rows.count); at the median primitive rates alone (every FLOP at the FMA peak, streams at the triad, gathers at the gather curve) \(metPrimitive) of \(v.rows.count)."
  )
  md.append("")
  md += missTable(v)
  if let floor = identicalWorkSpread(v) {
    md.append(floor)
    md.append("")
  }
  if !v.speedups.isEmpty {
    md.append(
      "| speedup pair | L | measured (medians) | predicted (median rates) | error | measured (bests) | predicted (best rates) | error | primitive-rates predicted | verdict (medians) | verdict (bests) |"
    )
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    func verdict(_ e: Double) -> String { abs(e) <= TimeModelValidation.tolerance ? "met" : "missed" }
    for s in v.speedups {
      md.append(
        "| \(s.name) | \(s.length) | \(g(s.measured, 3))× | \(g(s.predicted, 3))× | \(percent(s.error)) | \(g(s.measuredBest, 3))× | \(g(s.predictedFromBest, 3))× | \(percent(s.bestError)) | \(g(s.primitive, 3))× | \(verdict(s.error)) | \(verdict(s.bestError)) |"
      )
    }
    md.append("")
  }
  md.append(
    "Prefill buckets are priced at their kernels' own micro-benchmark rates: the projections', gates' and indexer's GEMM FLOPs at the GEMM rate, the dense flash core's executed FLOPs at its tile rate (its exps and comparisons inside it), the indexer's pair FLOPs at the score-tile rate, the sparse core's gathered rows at its row cost c_G(F) at the rows' footprints; the RoPE tables' cos and sin at their own rate R_rope; the rest of each bucket's counts at the FMA peak, σ/exp rates and τ_c, its streamed bytes at the triad. Decode prices the dense decode core's rows at its row cost c_D(F) at the cache footprint (arithmetic and streaming together: the probe found them adding, not overlapping), the sparse variants' gathered rows at c_G(F), the GEMMs of the new rows by their weights at the cold one-row GEMM rate (or their FLOPs at the GEMM rate, whichever is longer), the indexer's scoring at the primitive rates, the selection on as many threads as it has tasks (one per sequence below the split length, so one thread at batch 1), and the remaining streamed bytes at the read-only stream rate, plus the measured latency of each parallel region the bucket opens (`AttentionLayer.decodeParallelRegions`); at decode each bucket's compute and memory add (the streaming probes found them adding), where prefill takes their max. A bucket's limit says which side is the larger; where it misses, the kernel ran in the layer at another rate than alone (a different length, footprint or cache state than its probe), or its work is not one of the probed kernels."
  )
  md.append("")
  md.append("GPU reading (CX-speedup-128k-gpu; paper configuration, bf16, datasheet peaks, attention core):")
  md.append("")
  md.append("| GPU | φ for 12× at 128K | φ for 16× at 128K |")
  md.append("|---|---:|---:|")
  for r in v.gpuRequirements {
    func text(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "unreachable" }
    md.append("| \(r.machine) | \(text(r.low)) | \(text(r.high)) |")
  }
  md.append("")
  md += [
    "![Time model: predicted against measured](figures/performance_time_model.png)", "",
    "*Left: measured against predicted seconds for every point (prefill, decode, speedup series), with the ±20% band. Right: the predicted GSA/dense speedup against L: this CPU (measured points), H100 and H200 (attention core, one line per on-chip fraction φ of the gathered K/V bytes), with the paper's 12–16× band.*",
    "",
  ]
  return md
}

private func percent(_ x: Double) -> String { String(format: "%+.0f%%", 100 * x) }

/// Which rate each missed bucket points at (`TimeModelValidation.Row.misses`), grouped by phase,
/// bucket and rate: the range of the cost the layer's time implies for that rate's work against
/// its probe's.
private func missTable(_ v: TimeModelValidation.Result) -> [String] {
  struct Key: Hashable {
    let phase: String
    let bucket: FlopBucket
    let term: String
  }
  var groups = [Key: [(String, Double)]]()
  var order = [Key]()
  for r in v.rows {
    for m in r.misses {
      let key = Key(phase: r.phase.rawValue, bucket: m.bucket, term: m.term)
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(("\(r.variant.rawValue) \(r.length)", m.costRatio))
    }
  }
  guard !order.isEmpty else { return [] }
  let tol = Int(100 * TimeModelValidation.tolerance)
  var md = [
    "**Which rate each miss points at.** For every major bucket outside ±\(tol)% (medians), the term of its prediction that prices most of it, and the cost the measured time implies for that term's work against the probe's (the bucket's other terms held as predicted; above 1 the layer ran it slower than the probe):",
    "",
    "| phase | bucket | rate | misses | in-layer / probe cost | points | reading |",
    "|---|---|---|---:|---|---|---|",
  ]
  for key in order {
    let items = groups[key]!
    let ratios = items.map(\.1).filter(\.isFinite)
    let low = ratios.min() ?? .nan, high = ratios.max() ?? .nan
    let reading =
      ratios.isEmpty
      ? "the other terms alone exceed the measured time"
      : low > 1
        ? "slower in the layer than its probe at every miss"
        : high < 1 ? "faster in the layer than its probe at every miss" : "on both sides of the probe: noise or cache state"
    let range = ratios.isEmpty ? "–" : low == high ? "\(g(low, 3))×" : "\(g(low, 3))–\(g(high, 3))×"
    md.append(
      "| \(key.phase) | \(key.bucket.rawValue) | \(key.term) | \(items.count) | \(range) | \(items.map(\.0).joined(separator: ", ")) | \(reading) |"
    )
  }
  md.append("")
  return md
}

/// The run's noise floor, from buckets that do the same work: the projections bucket runs the same
/// GEMMs (and RoPE) in every variant at a given prefill length, and the same four one-row GEMMs at
/// every decode point. Their spread of median times within this one run, against the ±tolerance
/// band's own width (1.2/0.8 = 1.5×).
private func identicalWorkSpread(_ v: TimeModelValidation.Result) -> String? {
  func spread(_ rows: [TimeModelValidation.Row]) -> (low: Double, high: Double)? {
    let times = rows.map { $0.measured[.projections] }.filter { $0 > 0 }
    guard times.count >= 2, let low = times.min(), let high = times.max() else { return nil }
    return (low, high)
  }
  var parts = [String]()
  let prefill = v.rows.filter { $0.series == "prefill" }
  for L in Array(Set(prefill.map(\.length))).sorted() {
    let rows = prefill.filter { $0.length == L }
    if let s = spread(rows) {
      parts.append(
        "prefill L = \(L), \(rows.count) variants: \(g(s.low * 1e3, 3))–\(g(s.high * 1e3, 3)) ms (\(g(s.high / s.low, 3))×)"
      )
    }
  }
  let decode = v.rows.filter { $0.phase == .decode }
  if let s = spread(decode) {
    parts.append("decode, all \(decode.count) points: \(g(s.low * 1e3, 3))–\(g(s.high * 1e3, 3)) ms (\(g(s.high / s.low, 3))×)")
  }
  guard !parts.isEmpty else { return nil }
  let band = (1 + TimeModelValidation.tolerance) / (1 - TimeModelValidation.tolerance)
  return
    "**Identical work, one run.** The projections bucket does the same work in every variant at a prefill length (the Q, K, V, O GEMMs and RoPE) and at every decode point (the same four one-row GEMMs; the cache state around them differs). Its median times in this run: \(parts.joined(separator: "; ")). The ±\(Int(100 * TimeModelValidation.tolerance))% band spans \(g(band, 3))× from its low to its high end: where the same work spreads wider than that within one run, no prediction from one set of rates can meet the band at every point, whatever the model."
}

/// The range of median / best over the profile's scalar all-core rates ("87–99%"), nil without
/// measured rates.
private func medianToBest(_ v: TimeModelValidation.Result) -> String? {
  guard let b = v.profile.measured, let m = v.medianProfile.measured else { return nil }
  func rates(_ r: MachineProfile.MeasuredRates) -> [Double] {
    let k = r.kernels
    return [
      r.fmaFlopsPerSecond, r.triadBytesPerSecond, k.gemmFlopsPerSecond, k.denseFlopsPerSecond, k.indexerFlopsPerSecond,
      k.readBytesPerSecond, k.gemvWeightBytesPerSecond, r.sigmoidsPerSecond, r.expsPerSecond,
    ].map(\.allCores)
  }
  let ratios = zip(rates(m), rates(b)).map { $0 / $1 }
  guard let low = ratios.min(), let high = ratios.max() else { return nil }
  return String(format: "%.0f%%–%.0f%%", 100 * low, 100 * high)
}

func timeModelJSON(_ v: TimeModelValidation.Result) -> PerformanceJSON {
  func buckets(_ s: BucketSeconds) -> PerformanceJSON {
    .object(FlopBucket.allCases.map { ($0.rawValue, PerformanceJSON.number(s[$0])) })
  }
  let rows: [PerformanceJSON] = v.rows.map { r in
    .object([
      ("series", .string(r.series)), ("phase", .string(r.phase.rawValue)), ("variant", .string(r.variant.rawValue)),
      ("length", .int(r.length)), ("measured_seconds", .number(r.measuredSeconds)),
      ("predicted_seconds", .number(r.predicted.total)), ("measured_by_bucket", buckets(r.measured)),
      ("predicted_by_bucket", buckets(r.predicted.seconds)),
      ("limits", .object(FlopBucket.allCases.map { ($0.rawValue, PerformanceJSON.string(r.predicted.buckets[$0]?.limit ?? "")) })),
      ("within_tolerance", .bool(r.withinTolerance)), ("primitive_predicted_seconds", .number(r.primitive.total)),
      ("primitive_predicted_by_bucket", buckets(r.primitive.seconds)),
      ("primitive_within_tolerance", .bool(r.primitiveWithinTolerance)), ("best_seconds", .number(r.bestSeconds)),
      ("best_by_bucket", buckets(r.best)), ("predicted_from_best_seconds", .number(r.predictedFromBest.total)),
      ("predicted_from_best_by_bucket", buckets(r.predictedFromBest.seconds)),
      ("best_within_tolerance", .bool(r.bestWithinTolerance)),
    ])
  }
  let speedups: [PerformanceJSON] = v.speedups.map { s in
    .object([
      ("name", .string(s.name)), ("length", .int(s.length)), ("measured", .number(s.measured)), ("predicted", .number(s.predicted)),
      ("primitive_predicted", .number(s.primitive)), ("measured_best", .number(s.measuredBest)),
      ("predicted_from_best", .number(s.predictedFromBest)),
    ])
  }
  let lines: [PerformanceJSON] = v.gpuLines.map { l in
    .object([
      ("machine", .string(l.machine)), ("on_chip_fraction", .number(l.onChipFraction)),
      ("lengths", .array(l.lengths.map { .int($0) })), ("speedups", .array(l.speedups.map { .number($0) })),
    ])
  }
  return .object([
    ("tolerance", .number(TimeModelValidation.tolerance)), ("bucket_share", .number(TimeModelValidation.bucketShare)),
    ("profile", .string(v.profile.encodedJSON())), ("median_profile", .string(v.medianProfile.encodedJSON())),
    ("rows", .array(rows)), ("speedups", .array(speedups)),
    ("gpu_lines", .array(lines)), ("paper_band", .array([.number(12), .number(16)])),
  ])
}

/// `--only time-model`: the speedup series alone (A/B, A′/B′ at the speedup length), then the
/// time-model section; its markdown to `output` (which must not be the published page) and its
/// JSON to `json` when given.
func runTimeModelOnly(options: PerformanceBenchmark.Options, mode: String, output: String, json: String?, interactive: Bool) {
  func progress(_ label: String) { if interactive { FileHandle.standardError.write(Data("\r\(label)\u{1B}[K".utf8)) } }
  guard output != defaultMarkdownPath else {
    fail("--only time-model writes one section; give --output FILE other than \(defaultMarkdownPath)", status: 2)
  }
  let result: TimeModelValidation.Result
  do {
    let pairs = try PerformanceBenchmark.speedupSeries(options, progress: progress)
    result = try TimeModelValidation.run(timeModelOptions(mode: mode), speedupPairs: pairs, progress: progress)
  } catch {
    fail("time model: \(error)", status: 1)
  }
  if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  let markdown = timeModelMarkdown(result, config: timeModelOptions(mode: mode).config).joined(separator: "\n") + "\n"
  do {
    try markdown.write(toFile: output, atomically: true, encoding: .utf8)
    if let json { try (timeModelJSON(result).serialized() + "\n").write(toFile: json, atomically: true, encoding: .utf8) }
  } catch {
    fail("cannot write: \(error.localizedDescription)", status: 1)
  }
}
