import Foundation
import GSAModel
import GSATheory

extension Commands {
  /// `sweep --phase decode`: decode steps over lengths, measured against the byte and FLOP model.
  static func decodeSweep(
    _ plan: SweepPlan, batch: Int, givenPeak: Double?, givenTriad: Double?, lengthFlag: String, invocation: Invocation,
    timeModel: TimeModel? = nil
  ) throws -> CommandResult {
    let threads = ProcessInfo.processInfo.activeProcessorCount
    try MemoryGuard.check(
      lengths: plan.lengths, flag: lengthFlag,
      what: "decode sweep of \(plan.variants.map(\.rawValue).joined(separator: ", ")) at batch \(batch)"
    ) { length in
      plan.variants.map { DecodeSweep.predictedBytes(plan.config(for: $0), $0, length: length, batch: batch) }.max() ?? 0
    }
    invocation.progress.update(0, of: 1, "measuring the roofline")
    let peak =
      givenPeak.map { $0 * 1e9 } ?? (0..<3).map { _ in Roofline.peakFlops(threads: threads, fmaPerThread: 120_000_000) }.max()
      ?? .nan
    let triad =
      givenTriad.map { $0 * 1e9 }
      ?? (Roofline.streamTriad(threads: threads, elements: 1 << 24, passes: 2, repeats: 3).max() ?? .nan)
    let points: [DecodePoint]
    do {
      points = try DecodeSweep.run(plan, batch: batch) { done, total, label in invocation.progress.update(done, of: total, label) }
    } catch {
      throw CommandFailure("sweep: \(error)")
    }
    return CommandResult(
      report: decodeReport(
        plan, batch: batch, points: points, peak: peak, peakSource: givenPeak == nil ? "measured" : "--peak-gflops", triad: triad,
        triadSource: givenTriad == nil ? "measured" : "--triad-gbs", timeModel: timeModel))
  }

  static func decodeReport(
    _ plan: SweepPlan, batch: Int, points: [DecodePoint], peak: Double, peakSource: String, triad: Double, triadSource: String,
    timeModel: TimeModel? = nil
  ) -> Report {
    let machine = MachineInfo.current
    func dense(_ p: DecodePoint) -> DecodePoint? { points.first { $0.variant == .dense && $0.length == p.length } }
    var rows = [[String]]()
    var csvRows = [[String]]()
    var pointJSON = [JSONValue]()
    var timeRows = [[String]]()
    for p in points {
      // Seconds per bucket, measured and (with --machine) predicted.
      let predictedTime = timeModel?.predict(p, config: plan.config)
      timeRows.append(
        bucketTimeRows(
          label: [p.variant.rawValue, String(p.length), String(p.batch)], measured: p.medianBucketSeconds, predicted: predictedTime))
      let bytes = p.counted.bytesTotal
      let speedup = dense(p).map { $0.medianSeconds / p.medianSeconds }
      let meanK = Double(p.kPerSequence.reduce(0, +)) / Double(p.batch)
      let matches = p.counted == p.predicted
      pointJSON.append([
        "variant": .string(p.variant.rawValue), "length": .int(p.length), "batch": .int(p.batch),
        "k_per_sequence": .array(p.kPerSequence.map { .int($0) }), "mean_k": .number(meanK),
        "seconds": [
          "median": .number(p.medianSeconds), "best": .number(p.bestSeconds), "repeats": .array(p.seconds.map { .number($0) }),
        ],
        "bytes_per_second": .number(p.bytesPerSecond), "fraction_of_triad": .number(p.bytesPerSecond / triad),
        "time_speedup_over_dense": speedup.map { .number($0) } ?? .null,
        "kv_cache_bytes": .int(p.cacheBytes), "allocated_bytes": .int(p.allocatedBytes),
        "counted": bucketsJSON(p.counted), "predicted": bucketsJSON(p.predicted),
        "counted_equals_predicted": .bool(matches),
        "seconds_by_bucket": bucketSecondsJSON(p.medianBucketSeconds),
        "predicted_seconds": predictedTime.map(predictedSecondsJSON) ?? .null,
      ])
      rows.append([
        p.variant.rawValue, String(p.length), String(p.batch), formatNumber(meanK, digits: 4),
        formatNumber(p.medianSeconds * 1e3, digits: 4), formatBytes(Double(bytes.compulsory)), matches ? "yes" : "NO",
        formatNumber(p.bytesPerSecond / 1e9, digits: 3), String(format: "%.0f%%", 100 * p.bytesPerSecond / triad),
        formatNumber(Double(p.counted.usefulTotal.flops), digits: 4), speedup.map { formatNumber($0, digits: 3) + "×" } ?? "",
        formatBytes(Double(p.cacheBytes)),
      ])
      csvRows.append([
        p.variant.rawValue, String(p.length), String(p.batch), String(meanK), String(p.medianSeconds), String(p.bestSeconds),
        String(bytes.read), String(bytes.written), String(bytes.gathered), String(p.predicted.bytesTotal.compulsory),
        String(p.counted.usefulTotal.flops), String(p.predicted.usefulTotal.flops), String(p.bytesPerSecond),
        speedup.map { String($0) } ?? "", String(p.cacheBytes),
      ])
    }
    let variants = Variant.allCases.filter { v in points.contains { $0.variant == v } }
    let fits = variants.map { DecodeFit(variant: $0, points: points) }
    var fitRows = [[String]]()
    var fitJSON: [(String, JSONValue)] = []
    for f in fits {
      fitJSON.append(
        (
          f.variant.rawValue,
          [
            "time": [
              "exponent": f.powerLaw.map { .number($0.exponent) } ?? .null,
              "exponent_standard_error": f.powerLaw.map { .number($0.exponentStandardError) } ?? .null,
              "r_squared": f.powerLaw.map { .number($0.rSquared) } ?? .null,
              "seconds_per_token": f.slope.map { .number($0) } ?? .null,
              "seconds_per_token_standard_error": f.slopeStandardError.map { .number($0) } ?? .null,
              "intercept_seconds": f.intercept.map { .number($0) } ?? .null,
            ]
          ]
        ))
      fitRows.append([
        f.variant.rawValue, f.powerLaw.map { String(format: "%.3f ± %.3f", $0.exponent, $0.exponentStandardError) } ?? "n/a",
        f.slope.map { String(format: "%.4g ± %.2g", $0 * 1e9, (f.slopeStandardError ?? 0) * 1e9) } ?? "n/a",
        f.intercept.map { formatNumber($0 * 1e3, digits: 4) } ?? "n/a",
      ])
    }
    let json: JSONValue = [
      "schema_version": 2,
      "phase": "decode",
      "configuration": LayerOptions.json(plan.config),
      "machine": [
        "cpu_model": .string(machine.cpuModel), "cores": .int(machine.cores), "memory_bytes": .int(Int(machine.memoryBytes)),
        "peak_gflops": .number(peak / 1e9), "peak_source": .string(peakSource), "triad_gbs": .number(triad / 1e9),
        "triad_source": .string(triadSource),
      ],
      "plan": [
        "variants": .array(plan.variants.map { .string($0.rawValue) }), "lengths": .array(plan.lengths.map { .int($0) }),
        "batch": .int(batch), "repeats": .int(plan.repeats), "seed": .string(String(plan.seed)),
      ],
      "points": .array(pointJSON),
      "fits": .object(fitJSON),
    ]
    var text = "Decode sweep of \(LayerOptions.summary(plan.config)), k rule \(plan.config.kRule.rawValue), batch \(batch)\n"
    text +=
      "Machine: \(machine.cpuModel), \(machine.cores) cores, peak \(formatNumber(peak / 1e9, digits: 4)) GFLOP/s (\(peakSource)), "
      + "STREAM triad \(formatNumber(triad / 1e9, digits: 3)) GB/s (\(triadSource))\n\n"
    text += TextTable(
      headers: [
        "variant", "L", "B", "mean k", "ms/step", "bytes/step", "= predicted", "GB/s", "of triad", "useful FLOPs", "vs dense",
        "KV cache",
      ], rows: rows
    ).rendered()
    text += bucketTimeTable(label: ["variant", "L", "B"], rows: timeRows, predicted: timeModel != nil)
    text += "\nStep time against L: log-log exponent ± SE; straight line a + b·L (b in ns per cached token)\n"
    text += TextTable(headers: ["variant", "exponent", "b (ns/token)", "a (ms)"], rows: fitRows).rendered()
    let csv = TextTable(
      headers: [
        "variant", "length", "batch", "mean_k", "median_seconds", "best_seconds", "bytes_read", "bytes_written", "bytes_gathered",
        "predicted_compulsory_bytes", "counted_useful_flops", "predicted_useful_flops", "bytes_per_second",
        "time_speedup_over_dense", "kv_cache_bytes",
      ], rows: csvRows
    ).csv()
    return Report(json: json, table: text, csv: csv)
  }
}
