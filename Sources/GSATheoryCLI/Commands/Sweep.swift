import Foundation
import GSAModel
import GSATheory

extension Commands {
  static let sweepDefaultLengths = [1024, 2048, 4096, 8192]

  /// `gsa-theory sweep`: the real kernels over a range of lengths, measured against the cost model.
  static let sweep = Command(
    name: "sweep",
    abstract: "Run the real kernels over lengths: counted vs predicted FLOPs, time, GFLOP/s, fits, break-even.",
    discussion: """
      Per point (variant, L): counted FLOPs per bucket (the kernels' ledger) and the closed-form CostModel's
      prediction, wall time (median of --repeats after one warm-up), GFLOP/s of executed FLOPs and its fraction of
      this machine's peak (measured with the roofline's FMA benchmark unless --peak-gflops is given), speedup over
      dense at the same L, peak resident memory. Then, per variant and bucket: (a) the log-log exponent with its
      standard error and R²; (b) α·L² + β·K + γ·L (K = Σ_t k_t selected pairs) by least squares on counted
      operations and on time; and the measured break-even length (fitted curves of the variant and dense cross)
      against the predicted one. Lengths whose predicted memory exceeds the available memory are refused up front.
      Build with -c release for meaningful times.

      --phase decode: per point a KV cache of --batch sequences filled with L seeded tokens (projections only;
      the adaptive rules also score the prefix for their row statistics), one warm-up step, then --repeats timed
      steps at length L. Reported: seconds per step, bytes per step counted and predicted (CostModel.decodeLedger),
      GB/s against this machine's STREAM triad bandwidth, FLOPs counted and predicted, speedup over dense at the
      same L and B, KV-cache bytes; then per variant the step time's log-log exponent and slope (s per token).

      Both phases time each bucket's passes (seconds_by_bucket, each bucket's median). --machine FILE (a measured
      profile from 'roofline --save', or this) adds predicted_seconds per bucket and in total: TimeModel's seconds
      from the counted work at the profile's rates (docs/time-model.md), beside the measured seconds.
      """,
    options: LayerOptions.specs(defaultPreset: "paper-shape") + [
      OptionSpec(
        "--lengths", value: "LIST", default: sweepDefaultLengths.map(String.init).joined(separator: ","),
        help: "Comma-separated lengths (each 16...16777216; accepts 32k)."),
      OptionSpec("--min-length", value: "L", help: "Range start (with --max-length; geometric steps)."),
      OptionSpec("--max-length", value: "L", help: "Range end (inclusive)."),
      OptionSpec(
        "--steps", value: "N", default: "5", help: "Points in the range (2...64), geometrically spaced, rounded to multiples of 16."),
      OptionSpec("--variants", value: "LIST", default: "all", help: "Comma-separated: dense, sparse-only, gated-only, gsa."),
      OptionSpec("--repeats", value: "N", default: "3", help: "Timed passes per point (1...100); the median is reported."),
      OptionSpec("--peak-gflops", value: "X", help: "This machine's peak GFLOP/s (skips the short FMA measurement)."),
      OptionSpec(
        "--phase", value: "PHASE", default: "prefill",
        help: "prefill (forward passes of L tokens) or decode (one step of B sequences holding L tokens)."),
      OptionSpec("--batch", value: "B", default: "1", help: "Decode: sequences per step (1...4096)."),
      OptionSpec("--triad-gbs", value: "X", help: "Decode: this machine's STREAM triad GB/s (skips the short triad measurement)."),
      ShardReports.spec(items: "the (length, variant) points"),
      MachineOption.spec,
    ],
    examples: [
      "gsa-theory sweep",
      "gsa-theory sweep --lengths 512,1024,2048 --variants dense,gsa --repeats 5",
      "gsa-theory sweep --preset paper-shape --min-length 2048 --max-length 32768 --steps 5 --format json --output sweep.json",
      "gsa-theory sweep --phase decode --batch 8 --lengths 8k,32k,128k --variants dense,gsa",
      "gsa-theory sweep --lengths 32k,64k,128k --shard 1/3 --format json --output sweep-1.json",
      "gsa-theory sweep --lengths 2k,8k --variants dense,gsa --machine profile.json",
    ]
  ) { invocation in
    let options = invocation.options
    let lengths = try sweepLengths(options)
    let config = try LayerOptions.configuration(options, defaultPreset: "paper-shape", lengths: lengths)
    let variants = try (options.choiceList("--variants", Variant.allCases.map(\.rawValue)) ?? Variant.allCases.map(\.rawValue))
      .compactMap(Variant.init(rawValue:))
    let repeats = try options.int("--repeats", default: 3, in: 1...100)
    let givenPeak = try options.optionalDouble("--peak-gflops", in: 0.001...1e9)
    let phase = try options.choice("--phase", ["prefill", "decode"], default: "prefill")
    let batch = try options.int("--batch", default: 1, in: 1...4096)
    let givenTriad = try options.optionalDouble("--triad-gbs", in: 0.001...1e9)
    if phase == "prefill" {
      for flag in ["--batch", "--triad-gbs"] where options.has(flag) {
        throw UsageError("\(flag): applies to --phase decode only; add --phase decode or drop \(flag)")
      }
    }
    let shard = try ShardReports.option(options)
    let plan = SweepPlan(config: config, variants: variants, lengths: lengths, repeats: repeats, seed: invocation.seed)
    let threads = ProcessInfo.processInfo.activeProcessorCount
    let timeModel = try sweepTimeModel(options, progress: invocation.progress)?.0
    if phase == "decode" {
      if shard != nil {
        throw UsageError("--shard: splits prefill sweeps only; for decode, run one sweep per --lengths subset and keep the reports apart")
      }
      if let warning = KernelBuild.genericBuildWarning { StandardStreams.writeError(warning + "\n") }
      return try decodeSweep(
        plan, batch: batch, givenPeak: givenPeak, givenTriad: givenTriad,
        lengthFlag: options.has("--max-length") ? "--max-length" : "--lengths",
        invocation: invocation, timeModel: timeModel)
    }
    // Shared memory guard (docs/reliability.md): refused before any allocation, exit 2, naming the
    // bytes needed and the largest length that fits; the peak model is Sweep.predictedBytes.
    try MemoryGuard.check(
      lengths: lengths, flag: options.has("--max-length") ? "--max-length" : "--lengths",
      what: "sweep of \(variants.map(\.rawValue).joined(separator: ", "))"
    ) { length in variants.map { Sweep.predictedBytes(plan.config(for: $0), $0, length: length, threads: threads) }.max() ?? 0 }
    let peak: Double
    let peakSource: String
    if let givenPeak {
      peak = givenPeak * 1e9
      peakSource = "--peak-gflops"
    } else {
      invocation.progress.update(0, of: 1, "measuring peak FLOP/s")
      peak = (0..<3).map { _ in Roofline.peakFlops(threads: threads, fmaPerThread: 120_000_000) }.max() ?? .nan
      peakSource = "roofline FMA benchmark (best of 3 short repeats)"
    }
    if let warning = KernelBuild.genericBuildWarning { StandardStreams.writeError(warning + "\n") }
    let points: [SweepPoint]
    do {
      points = try Sweep.run(plan, shard: shard) { done, total, label in invocation.progress.update(done, of: total, label) }
    } catch {
      throw CommandFailure("sweep: \(error)")
    }
    let analysis = SweepAnalysis(points: points, config: config)
    return CommandResult(
      report: sweepReport(
        plan, points: points, analysis: analysis, peak: peak, peakSource: peakSource, shard: shard, timeModel: timeModel))
  }

  /// The (length, variant) points of a sweep, in run order, as shard items ("dense L=1024").
  static func sweepItems(_ plan: SweepPlan) -> [String] {
    plan.lengths.flatMap { length in plan.variants.map { "\($0.rawValue) L=\(length)" } }
  }

  static func sweepLengths(_ options: ParsedOptions) throws(UsageError) -> [Int] {
    let range = 16...(1 << 24)
    let lower = try options.optionalInt("--min-length", in: range)
    let upper = try options.optionalInt("--max-length", in: range)
    let steps = try options.int("--steps", default: 5, in: 2...64)  // validated even when unused (docs/reliability.md)
    if options.has("--steps"), lower == nil || upper == nil {
      throw UsageError("--steps: only applies to a range; give --min-length and --max-length too, or drop --steps")
    }
    if options.has("--lengths"), lower != nil || upper != nil {
      throw UsageError("--lengths: give either --lengths or --min-length/--max-length, not both")
    }
    if let lower, let upper {
      guard lower < upper else { throw UsageError("--max-length: \(upper) must exceed --min-length \(lower)") }
      let ratio = Double(upper) / Double(lower)
      let raw = (0..<steps).map { i in Double(lower) * pow(ratio, Double(i) / Double(steps - 1)) }
      let rounded = raw.map { max(16, Int(($0 / 16).rounded()) * 16) }
      return Array(Set(rounded)).sorted()
    }
    if lower != nil || upper != nil {
      let (given, missing) = lower == nil ? ("--max-length", "--min-length") : ("--min-length", "--max-length")
      throw UsageError("\(given): a range needs \(missing) too; give both, or use --lengths")
    }
    let lengths = try options.intList("--lengths", in: range) ?? sweepDefaultLengths
    guard Set(lengths).count == lengths.count else { throw UsageError("--lengths: a length is listed twice; list each once") }
    return lengths.sorted()
  }

  // MARK: Report

  static func countsJSON(_ c: FlopCounts) -> JSONValue {
    ["flops": .int(c.flops), "transcendentals": .int(c.transcendentals), "comparisons": .int(c.comparisons)]
  }

  static func bytesJSON(_ b: ByteCounts) -> JSONValue {
    ["read": .int(b.read), "written": .int(b.written), "compulsory": .int(b.compulsory), "gathered": .int(b.gathered)]
  }

  /// Per bucket and in total: useful and executed operation counts and the logical bytes.
  static func bucketsJSON(_ ledger: FlopLedger) -> JSONValue {
    var members: [(String, JSONValue)] = FlopBucket.allCases.map { bucket in
      (
        bucket.rawValue,
        [
          "useful": countsJSON(ledger.useful[bucket]), "executed": countsJSON(ledger.executed[bucket]),
          "bytes": bytesJSON(ledger.bytes[bucket]),
        ]
      )
    }
    members.append(
      (
        "total",
        [
          "useful": countsJSON(ledger.usefulTotal), "executed": countsJSON(ledger.executedTotal),
          "bytes": bytesJSON(ledger.bytesTotal),
        ]
      ))
    return .object(members)
  }

  static func fitsJSON(_ fits: SeriesFits) -> JSONValue {
    var members: [(String, JSONValue)] = []
    if let p = fits.powerLaw {
      members.append(
        (
          "log_log",
          [
            "exponent": .number(p.exponent), "standard_error": .number(p.exponentStandardError),
            "r_squared": .number(p.rSquared), "prefactor": .number(p.prefactor), "points": .int(p.points),
          ]
        ))
    } else {
      members.append(("log_log", .null))
    }
    if let c = fits.costLaw {
      members.append(
        (
          "cost_law",
          [
            "alpha_L2": .number(c.alpha), "alpha_se": .number(c.alphaStandardError),
            "beta_K": .number(c.beta), "beta_se": .number(c.betaStandardError),
            "gamma_L": .number(c.gamma), "gamma_se": .number(c.gammaStandardError),
            "r_squared": .number(c.rSquared), "rank": .int(c.rank), "points": .int(c.points),
          ]
        ))
    } else {
      members.append(("cost_law", .null))
    }
    return .object(members)
  }

  static func sweepReport(
    _ plan: SweepPlan, points: [SweepPoint], analysis: SweepAnalysis, peak: Double, peakSource: String, shard: Shard? = nil,
    timeModel: TimeModel? = nil
  ) -> Report {
    let machine = MachineInfo.current
    func denseTime(_ length: Int) -> Double? {
      points.first { $0.variant == .dense && $0.length == length }?.medianSeconds
    }
    var pointJSON = [JSONValue]()
    var rows = [[String]]()
    var csvRows = [[String]]()
    var timeRows = [[String]]()
    for p in points {
      // Seconds per bucket, measured and (with --machine) predicted.
      let predictedTime = timeModel?.predict(p, config: plan.config)
      timeRows.append(
        bucketTimeRows(label: [p.variant.rawValue, String(p.length)], measured: p.medianBucketSeconds, predicted: predictedTime))
      let speedup = denseTime(p.length).map { $0 / p.medianSeconds }
      let gflops = p.executedFlopsPerSecond / 1e9
      let efficiency = p.executedFlopsPerSecond / peak
      let matches = p.predicted.map { $0 == p.counted }
      pointJSON.append([
        "variant": .string(p.variant.rawValue), "length": .int(p.length), "selected_pairs": .int(p.totalSelected),
        "mean_k": .number(Double(p.totalSelected) / Double(p.length)),
        "seconds": ["median": .number(p.medianSeconds), "repeats": .array(p.seconds.map { .number($0) })],
        "gflops": .number(gflops), "fraction_of_peak": .number(efficiency),
        "time_speedup_over_dense": speedup.map { .number($0) } ?? .null,
        "peak_memory_bytes": p.peakResidentBytes.map { .int($0) } ?? .null,
        "predicted_memory_bytes": .number(p.predictedBytes),
        "counted": bucketsJSON(p.counted),
        "predicted": p.predicted.map(bucketsJSON) ?? .null,
        "counted_equals_predicted": matches.map { .bool($0) } ?? .null,
        "seconds_by_bucket": bucketSecondsJSON(p.medianBucketSeconds),
        "predicted_seconds": predictedTime.map(predictedSecondsJSON) ?? .null,
      ])
      rows.append([
        p.variant.rawValue, String(p.length), formatNumber(Double(p.counted.usefulTotal.flops)),
        matches.map { $0 ? "yes" : "NO" } ?? "n/a", formatNumber(p.medianSeconds, digits: 4), formatNumber(gflops, digits: 3),
        String(format: "%.1f%%", 100 * efficiency), speedup.map { formatNumber($0, digits: 3) + "×" } ?? "",
        p.peakResidentBytes.map { formatBytes(Double($0)) } ?? "n/a",
      ])
      csvRows.append(
        [p.variant.rawValue, String(p.length), String(p.totalSelected)]
          + FlopBucket.allCases.map { String(p.counted.useful[$0].flops) }
          + FlopBucket.allCases.map { bucket in p.predicted.map { String($0.useful[bucket].flops) } ?? "" }
          + [
            String(p.medianSeconds), String(gflops), String(efficiency), speedup.map { String($0) } ?? "",
            p.peakResidentBytes.map(String.init) ?? "",
          ])
    }
    var fitJSON: [(String, JSONValue)] = []
    var fitRows = [[String]]()
    for fits in analysis.fits {
      var members: [(String, JSONValue)] = FlopBucket.allCases.compactMap { bucket in
        fits.buckets[bucket].map { (bucket.rawValue, fitsJSON($0)) }
      }
      members.append(("total_counted", fitsJSON(fits.totalCounted)))
      members.append(("time", fitsJSON(fits.time)))
      fitJSON.append((fits.variant.rawValue, .object(members)))
      let series: [(String, SeriesFits)] =
        FlopBucket.allCases.compactMap { b in fits.buckets[b].map { (b.rawValue, $0) } } + [
          ("total ops", fits.totalCounted), ("time", fits.time),
        ]
      for (name, s) in series {
        guard let p = s.powerLaw else { continue }
        let c = s.costLaw
        fitRows.append([
          fits.variant.rawValue, name, String(format: "%.3f ± %.3f", p.exponent, p.exponentStandardError),
          String(format: "%.5f", p.rSquared),
          c.map { String(format: "%.4g ± %.2g", $0.alpha, $0.alphaStandardError) } ?? "",
          c.map { String(format: "%.4g ± %.2g", $0.beta, $0.betaStandardError) } ?? "",
          c.map { String(format: "%.4g ± %.2g", $0.gamma, $0.gammaStandardError) } ?? "",
        ])
      }
    }
    let breakEvenJSON: JSONValue = .array(
      analysis.breakEven.map { b in
        [
          "variant": .string(b.variant.rawValue),
          "measured_from_time": b.measuredFromTime.map { .number($0) } ?? .null,
          "measured_from_counted": b.measuredFromCounts.map { .number($0) } ?? .null,
          "predicted_attention_core_causal": .number(b.predictedCore),
          "predicted_whole_layer_causal": b.predictedLayer.map { .number($0) } ?? .null,
        ]
      })
    // schema_version 2: the per-point wall-time ratio is named `time_speedup_over_dense` (was `speedup_over_dense`).
    var json: JSONValue = [
      "schema_version": 2,
      "configuration": LayerOptions.json(plan.config),
      "machine": [
        "cpu_model": .string(machine.cpuModel), "cores": .int(machine.cores), "memory_bytes": .int(Int(machine.memoryBytes)),
        "peak_gflops": .number(peak / 1e9), "peak_source": .string(peakSource),
      ],
      "plan": [
        "variants": .array(plan.variants.map { .string($0.rawValue) }), "lengths": .array(plan.lengths.map { .int($0) }),
        "repeats": .int(plan.repeats), "seed": .string(String(plan.seed)),
      ],
      "points": .array(pointJSON),
      "fits": .object(fitJSON),
      "break_even": breakEvenJSON,
    ]
    if let shard { json = json.setting("shard", ShardReports.json(shard, items: sweepItems(plan))) }
    var text = "Sweep of \(LayerOptions.summary(plan.config)), k rule \(plan.config.kRule.rawValue)"
    text += (shard.map { " (shard \($0): \(points.count) of \(plan.lengths.count * plan.variants.count) points)" } ?? "") + "\n"
    text += "Machine: \(machine.cpuModel), \(machine.cores) cores, peak \(formatNumber(peak / 1e9, digits: 4)) GFLOP/s (\(peakSource))\n\n"
    text += TextTable(
      headers: ["variant", "L", "useful FLOPs", "= predicted", "median s", "GFLOP/s", "of peak", "vs dense", "peak RSS"], rows: rows
    ).rendered()
    text += bucketTimeTable(label: ["variant", "L"], rows: timeRows, predicted: timeModel != nil)
    text += "\nFits against L: (a) log-log exponent ± SE, R²; (b) α·L² + β·K + γ·L (K = Σ k_t) ± SE, relative weighting\n"
    text += TextTable(headers: ["variant", "series", "exponent", "R²", "α (L²)", "β (K)", "γ (L)"], rows: fitRows).rendered()
    if !analysis.breakEven.isEmpty {
      text += "\nBreak-even length (where the variant becomes cheaper than dense):\n"
      text += TextTable(
        headers: ["variant", "measured (time fits)", "measured (count fits)", "predicted core (causal)", "predicted layer (causal)"],
        rows: analysis.breakEven.map { b in
          [
            b.variant.rawValue, b.measuredFromTime.map { formatNumber($0, digits: 4) } ?? "none in [16, 2^24]",
            b.measuredFromCounts.map { formatNumber($0, digits: 4) } ?? "none in [16, 2^24]", formatNumber(b.predictedCore, digits: 4),
            b.predictedLayer.map { formatNumber($0, digits: 4) } ?? "none",
          ]
        }
      ).rendered()
    }
    let csv = TextTable(
      headers: ["variant", "length", "selected_pairs"] + FlopBucket.allCases.map { "counted_\($0.rawValue)" }
        + FlopBucket.allCases.map { "predicted_\($0.rawValue)" } + [
          "median_seconds", "gflops", "fraction_of_peak", "time_speedup_over_dense", "peak_memory_bytes",
        ],
      rows: csvRows
    ).csv()
    return Report(json: json, table: text, csv: csv)
  }
}
