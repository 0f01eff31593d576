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
    "`TimeModel` (docs/time-model.md) predicts each bucket's seconds from the counted work at the rates of a machine profile measured at the start of this section (`MachineProfile.measure`, the `roofline --save` probes); nothing is fitted to the layer timings. Target: predicted within ±\(tol)% of measured for every point, and for every bucket that takes at least \(share)% of the point's time. Layers: \(config.modelDim == 512 ? "paper-shape" : "D \(config.modelDim)") (D \(config.modelDim), H \(config.heads), H_kv \(config.kvHeads), d_h \(config.headDim), H_I \(config.indexerHeads) × d_I \(config.indexerDim), k_base \(config.kBase), rule \(config.kRule.rawValue)), every variant, prefill and decode at batch 1; and the speedup series above."
  )
  md.append("")
  if let m = v.profile.measured {
    md.append(
      "Profile (all cores): FMA \(g(m.fmaFlopsPerSecond.allCores / 1e9)) GFLOP/s, triad \(g(m.triadBytesPerSecond.allCores / 1e9)) GB/s, gather \(m.gatherCurve.map { "\(g(Double($0.footprintBytes) / 1_048_576, 3)) MiB: \(g($0.bytesPerSecond.allCores / 1e9, 3))" }.joined(separator: ", ")) GB/s, top-k \(g(m.topKSecondsPerCandidate.allCores * 1e9, 3)) ns/candidate, σ \(g(m.sigmoidsPerSecond.allCores / 1e9, 3)) G/s, exp \(g(m.expsPerSecond.allCores / 1e9, 3)) G/s."
    )
    let k = m.kernels
    md.append(
      "Kernel rates (all cores / one thread): GEMM \(k.gemmRows)×\(k.gemmInner)·\(k.gemmInner)×\(k.gemmCols) \(g(k.gemmFlopsPerSecond.allCores / 1e9)) / \(g(k.gemmFlopsPerSecond.perThread / 1e9)) GFLOP/s, dense flash core (L \(k.denseLength), d_h \(k.denseHeadDim)) \(g(k.denseFlopsPerSecond.allCores / 1e9)) / \(g(k.denseFlopsPerSecond.perThread / 1e9)) GFLOP/s, indexer score tile (L \(k.indexerLength), \(k.indexerHeads) × \(k.indexerDim)) \(g(k.indexerFlopsPerSecond.allCores / 1e9)) / \(g(k.indexerFlopsPerSecond.perThread / 1e9)) GFLOP/s, sparse core ns per gathered row (G \(k.sparseGroupSizes.map(String.init).joined(separator: " / "))) \(k.sparseRowCurve.map { p in "\(g(Double(p.footprintBytes) / 1_048_576, 3)) MiB: " + p.secondsPerRow.map { g($0.allCores * 1e9, 3) }.joined(separator: " / ") }.joined(separator: ", ")), read stream \(g(k.readBytesPerSecond.allCores / 1e9, 3)) / \(g(k.readBytesPerSecond.perThread / 1e9, 3)) GB/s, cold one-row GEMM (1 × \(k.gemvInner) by \(k.gemvInner) × \(k.gemvCols)) \(g(k.gemvWeightBytesPerSecond.allCores / 1e9, 3)) / \(g(k.gemvWeightBytesPerSecond.perThread / 1e9, 3)) GB/s of weights, dense decode core ns per cached row (G \(k.decodeGroupSize), d_h \(k.decodeHeadDim)) \(k.decodeRowCurve.map { "\(g(Double($0.footprintBytes) / 1_048_576, 3)) MiB: \(g($0.secondsPerRow.allCores * 1e9, 3))" }.joined(separator: ", "))."
    )
    md.append("")
  }
  md.append(
    "| series | variant | L | measured ms | predicted ms | error | primitive-rates error | buckets ≥ \(share)%: measured / predicted ms (limit) | verdict |"
  )
  md.append("|---|---|---:|---:|---:|---:|---:|---|---|")
  for r in v.rows {
    let buckets = r.majorBuckets.map { b in
      let p = r.predicted.buckets[b]!
      return
        "\(b.rawValue) \(g(r.measured[b] * 1e3, 3)) / \(g(p.seconds * 1e3, 3)) (\(p.limit), \(String(format: "%+.0f%%", 100 * r.error(b))))"
    }.joined(separator: "; ")
    md.append(
      "| \(r.series) | \(r.variant.rawValue) | \(r.length) | \(g(r.measuredSeconds * 1e3)) | \(g(r.predicted.total * 1e3)) | \(String(format: "%+.0f%%", 100 * r.error)) | \(String(format: "%+.0f%%", 100 * (r.measuredSeconds / r.primitive.total - 1))) | \(buckets) | \(r.withinTolerance ? "met" : "missed") |"
    )
  }
  md.append("")
  let met = v.rows.filter(\.withinTolerance).count
  let metPrimitive = v.rows.filter(\.primitiveWithinTolerance).count
  md.append(
    "\(met) of \(v.rows.count) points within ±\(tol)% (the point and its major buckets); at the primitive rates alone (every FLOP at the FMA peak, streams at the triad, gathers at the gather curve) \(metPrimitive) of \(v.rows.count)."
  )
  md.append("")
  if !v.speedups.isEmpty {
    md.append("| speedup pair | L | measured | time-model predicted | error | primitive-rates predicted | verdict |")
    md.append("|---|---:|---:|---:|---:|---:|---|")
    for s in v.speedups {
      md.append(
        "| \(s.name) | \(s.length) | \(g(s.measured, 3))× | \(g(s.predicted, 3))× | \(String(format: "%+.0f%%", 100 * s.error)) | \(g(s.primitive, 3))× | \(abs(s.error) <= TimeModelValidation.tolerance ? "met" : "missed") |"
      )
    }
    md.append("")
  }
  md.append(
    "Prefill buckets are priced at their kernels' own micro-benchmark rates: the projections', gates' and indexer's GEMM FLOPs at the GEMM rate, the dense flash core's executed FLOPs at its tile rate (its exps and comparisons inside it), the indexer's pair FLOPs at the score-tile rate, the sparse core's gathered rows at its row cost c_G(F) at the rows' footprints; the rest of each bucket's counts at the FMA peak, σ/exp rates and τ_c, its streamed bytes at the triad. Decode prices the dense decode core's rows at its row cost c_D(F) at the cache footprint (arithmetic and streaming together: the probe found them adding, not overlapping), the sparse variants' gathered rows at c_G(F), the GEMMs of the new rows by their weights at the cold one-row GEMM rate (or their FLOPs at the GEMM rate, whichever is longer), the indexer's scoring at the primitive rates, the selection on as many threads as it has tasks (one per sequence below the split length, so one thread at batch 1), and the remaining streamed bytes at the read-only stream rate; at decode each bucket's compute and memory add (the streaming probes found them adding), where prefill takes their max. A bucket's limit says which side is the larger; where it misses, the kernel ran in the layer at another rate than alone (a different length, footprint or cache state than its probe), or its work is not one of the probed kernels."
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
      ("primitive_within_tolerance", .bool(r.primitiveWithinTolerance)),
    ])
  }
  let speedups: [PerformanceJSON] = v.speedups.map { s in
    .object([
      ("name", .string(s.name)), ("length", .int(s.length)), ("measured", .number(s.measured)), ("predicted", .number(s.predicted)),
      ("primitive_predicted", .number(s.primitive)),
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
    ("profile", .string(v.profile.encodedJSON())), ("rows", .array(rows)), ("speedups", .array(speedups)),
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
