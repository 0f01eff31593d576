import Foundation
import GSAModel
import GSATheory

extension Commands {
  /// `gsa-theory merge FILE...`: the shards of one sweep, simulation or check run joined into the
  /// report the whole run would have written.
  static let merge = Command(
    name: "merge",
    abstract: "Join the JSON reports of a sharded sweep, simulate or check run into the whole run's report.",
    discussion: """
      Each FILE is the JSON report of one shard (--shard I/N) of the same run: same command, schema_version, \
      configuration, plan, seed and N; every shard 1...N exactly once. The merged report is what the unsharded run \
      writes: the points, cells or claims of all shards in the run's order, with the fits, break-even lengths, \
      per-variant summaries and verdict counts recomputed on them; it equals the unsharded run's JSON in everything \
      but the timing fields (seconds, GFLOP/s, fractions of peak, time speedups and time fits, peak memory, machine, \
      runtime), which come from the machines the shards ran on. Writes JSON unless --format says otherwise. \
      A file that is not a shard report, or shards of different runs, is a usage error (exit 2) naming the mismatch.
      """,
    positionals: "FILE...",
    examples: [
      "gsa-theory merge sweep-1.json sweep-2.json sweep-3.json --output sweep.json",
      "gsa-theory merge claims-*.json --format table",
    ],
    defaultFormat: .json
  ) { invocation in
    let files = invocation.options.positionals
    guard !files.isEmpty else {
      throw UsageError("merge: no files; give the shard reports to join, e.g. 'gsa-theory merge sweep-*.json --output sweep.json'")
    }
    let shards = try ShardMerge.read(files)
    switch shards[0].command {
    case "check": return try ShardMerge.check(shards)
    case "sweep": return CommandResult(report: try ShardMerge.sweep(shards))
    case "simulate stability": return CommandResult(report: try ShardMerge.simulate(shards))
    default:
      throw UsageError(
        "merge: '\(shards[0].path)' is a report of '\(shards[0].command)', which has no shards; merge sweep, simulate or check reports")
    }
  }
}

/// Reading, validating and joining shard reports.
enum ShardMerge {
  struct ShardFile {
    let path: String
    let json: JSONValue
    let command: String
    let shard: Shard
    let items: [String]
  }

  /// The shard reports of `paths`, ordered by shard index, validated as the shards of one run.
  static func read(_ paths: [String]) throws(UsageError) -> [ShardFile] {
    var files = [ShardFile]()
    for path in paths {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw UsageError("merge: cannot read '\(path)'; give the path of a shard's JSON report")
      }
      let json: JSONValue
      do {
        json = try JSONValue.parse(String(decoding: data, as: UTF8.self))
      } catch {
        throw UsageError("merge: '\(path)' is not JSON (\(error)); give the --format json report of a shard")
      }
      // A sweep report names no command; its plan and points identify it.
      let command = json["command"]?.stringValue ?? (json["plan"] != nil && json["points"] != nil ? "sweep" : nil)
      guard let command, json["schema_version"]?.intValue != nil else {
        throw UsageError("merge: '\(path)' is not a gsa-theory report (no command or schema_version)")
      }
      guard let shardJSON = json["shard"], let index = shardJSON["index"]?.intValue, let count = shardJSON["count"]?.intValue,
        let shard = Shard(index: index, count: count), let items = shardJSON["items"]?.arrayValue?.compactMap(\.stringValue)
      else {
        throw UsageError("merge: '\(path)' is not a shard report (no valid 'shard' member); run the parts with --shard I/N")
      }
      files.append(ShardFile(path: path, json: json, command: command, shard: shard, items: items))
    }
    let first = files[0]
    let identity = ["schema_version", "command"] + identityKeys(first.command)
    for file in files.dropFirst() {
      for key in identity {
        if let (path, mine, theirs) = difference(first.json[key] ?? .null, file.json[key] ?? .null, path: key) {
          throw UsageError(
            "merge: '\(file.path)' and '\(first.path)' are shards of different runs: \(path) is \(brief(theirs)) vs \(brief(mine)); merge the shards of one run"
          )
        }
      }
      guard file.shard.count == first.shard.count else {
        throw UsageError(
          "merge: '\(file.path)' is shard \(file.shard) and '\(first.path)' shard \(first.shard): different numbers of shards; merge the shards of one run"
        )
      }
      guard file.items == first.items else {
        throw UsageError("merge: '\(file.path)' and '\(first.path)' split different selections; merge the shards of one run")
      }
    }
    let count = first.shard.count
    for index in 1...count {
      let holders = files.filter { $0.shard.index == index }
      if holders.count > 1 {
        throw UsageError("merge: shard \(index)/\(count) is given twice ('\(holders[0].path)', '\(holders[1].path)'); give each shard once")
      }
      if holders.isEmpty {
        let have = files.map { String($0.shard.index) }.sorted { Int($0)! < Int($1)! }.joined(separator: ", ")
        throw UsageError("merge: shard \(index)/\(count) is missing (have \(have)); give all \(count) shard reports")
      }
    }
    return files.sorted { $0.shard.index < $1.shard.index }
  }

  /// The members two shards of one run must share (besides command and schema_version).
  static func identityKeys(_ command: String) -> [String] {
    switch command {
    case "check": return ["root_seed", "quick"]
    case "sweep": return ["configuration", "plan"]
    case "simulate stability": return ["settings", "definitions"]
    default: return []
    }
  }

  /// The first path at which `a` and `b` differ, with both values; nil when equal.
  static func difference(_ a: JSONValue, _ b: JSONValue, path: String) -> (String, JSONValue, JSONValue)? {
    if case .object(let x) = a, case .object(let y) = b {
      for key in x.map(\.0) + y.map(\.0) {
        if let found = difference(a[key] ?? .null, b[key] ?? .null, path: path + "." + key) { return found }
      }
      return nil
    }
    return a == b ? nil : (path, a, b)
  }

  static func brief(_ value: JSONValue) -> String {
    let text = value.serialized().replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: "")
    return text.count > 60 ? String(text.prefix(57)) + "..." : text
  }

  /// Checks that each shard holds exactly its own items, named by `name`, and returns them in run order.
  static func join<T>(
    _ files: [ShardFile], what: String, _ entries: (ShardFile) throws(UsageError) -> [(String, T)]
  ) throws(UsageError)
    -> [T]
  {
    let items = files[0].items
    var byName = [String: T]()
    for file in files {
      let held = try entries(file)
      let expected = file.shard.select(items)
      guard held.map(\.0) == expected else {
        throw UsageError(
          "merge: '\(file.path)' does not hold the \(what) of shard \(file.shard) (\(held.count) held, \(expected.count) expected); was it edited or cut short?"
        )
      }
      for (name, value) in held { byName[name] = value }
    }
    return items.map { byName[$0]! }
  }

  static func malformed(_ file: ShardFile, _ what: String) -> UsageError {
    UsageError("merge: '\(file.path)' has a malformed \(what); give the report as gsa-theory wrote it")
  }

  // MARK: check

  static func check(_ files: [ShardFile]) throws(UsageError) -> CommandResult {
    let claims = try join(files, what: "claims") { file throws(UsageError) in
      guard let claims = file.json["claims"]?.arrayValue else { throw malformed(file, "claims list") }
      return try claims.map { claim throws(UsageError) in
        guard let id = claim["id"]?.stringValue else { throw malformed(file, "claim") }
        return (id, claim)
      }
    }
    let first = files[0].json
    let report = Commands.checkReport(
      claims: claims, rootSeed: first["root_seed"]?.stringValue ?? "", quick: first["quick"]?.boolValue ?? false)
    let failed = claims.contains { $0["verdict"] == .null }
    return CommandResult(report: report, exitCode: failed ? 1 : 0)
  }

  // MARK: sweep

  static func counts(_ json: JSONValue?) -> FlopCounts? {
    guard let json, let f = json["flops"]?.intValue, let t = json["transcendentals"]?.intValue, let c = json["comparisons"]?.intValue
    else { return nil }
    return FlopCounts(flops: f, transcendentals: t, comparisons: c)
  }

  static func ledger(_ json: JSONValue?) -> FlopLedger? {
    guard let json, json != .null else { return nil }
    var ledger = FlopLedger()
    for bucket in FlopBucket.allCases {
      guard let useful = counts(json[bucket.rawValue]?["useful"]), let executed = counts(json[bucket.rawValue]?["executed"]) else {
        return nil
      }
      ledger.addUseful(bucket, useful)
      ledger.addExecuted(bucket, executed)
      let bytes = json[bucket.rawValue]?["bytes"]
      guard let read = bytes?["read"]?.intValue, let written = bytes?["written"]?.intValue,
        let gathered = bytes?["gathered"]?.intValue
      else { return nil }
      ledger.addBytes(bucket, ByteCounts(read: read, written: written, gathered: gathered))
    }
    return ledger
  }

  static func sweep(_ files: [ShardFile]) throws(UsageError) -> Report {
    let first = files[0]
    guard let configuration = first.json["configuration"], let config = LayerOptions.configuration(json: configuration),
      let plan = first.json["plan"], let lengths = plan["lengths"]?.arrayValue?.compactMap(\.intValue),
      let variants = plan["variants"]?.arrayValue?.compactMap({ $0.stringValue.flatMap(Variant.init(rawValue:)) }),
      let repeats = plan["repeats"]?.intValue, let seed = plan["seed"]?.stringValue.flatMap({ UInt64($0) })
    else { throw malformed(first, "configuration or plan") }
    let sweepPlan = SweepPlan(config: config, variants: variants, lengths: lengths, repeats: repeats, seed: seed)
    guard Commands.sweepItems(sweepPlan) == first.items else { throw malformed(first, "shard item list") }
    let points = try join(files, what: "points") { file throws(UsageError) in
      guard let points = file.json["points"]?.arrayValue else { throw malformed(file, "points list") }
      return try points.map { p throws(UsageError) in
        guard let variant = p["variant"]?.stringValue.flatMap(Variant.init(rawValue:)), let length = p["length"]?.intValue,
          let selected = p["selected_pairs"]?.intValue, let counted = ledger(p["counted"]),
          let seconds = p["seconds"]?["repeats"]?.arrayValue?.compactMap(\.doubleValue),
          let predictedBytes = p["predicted_memory_bytes"]?.doubleValue
        else { throw malformed(file, "point") }
        let point = SweepPoint.restored(
          variant: variant, length: length, counted: counted, predicted: ledger(p["predicted"]), totalSelected: selected,
          seconds: seconds, peakResidentBytes: p["peak_memory_bytes"]?.intValue, predictedBytes: predictedBytes)
        return ("\(variant.rawValue) L=\(length)", point)
      }
    }
    let machine = first.json["machine"]
    let peak = (machine?["peak_gflops"]?.doubleValue ?? .nan) * 1e9
    let report = Commands.sweepReport(
      sweepPlan, points: points, analysis: SweepAnalysis(points: points, config: config), peak: peak,
      peakSource: machine?["peak_source"]?.stringValue ?? "")
    // The machine the timings come from: shard 1's (each shard's own is in its report).
    var json = report.json
    if let machine { json = json.setting("machine", machine) }
    return Report(json: json, table: report.table, csv: report.csv)
  }

  // MARK: simulate

  static func simulate(_ files: [ShardFile]) throws(UsageError) -> Report {
    let first = files[0]
    guard let settingsJSON = first.json["settings"], let quick = settingsJSON["quick"]?.boolValue,
      let seed = settingsJSON["seed"]?.intValue, let seeds = settingsJSON["seeds"]?.intValue,
      let sharedLR = settingsJSON["shared_lr"]?.doubleValue, let spikeSteps = settingsJSON["spike_steps"]?.intValue,
      let bisectionSteps = settingsJSON["bisection_steps"]?.intValue,
      let bisectionIterations = settingsJSON["bisection_iterations"]?.intValue,
      let sinkSteps = settingsJSON["sink_steps"]?.intValue, let spikeFactor = settingsJSON["spike_factor"]?.doubleValue,
      let spikeWindow = settingsJSON["spike_window"]?.intValue
    else { throw malformed(first, "settings") }
    var s = quick ? StabilitySimulation.Settings.quick : .standard
    s.seed = UInt64(bitPattern: Int64(seed))
    s.seeds = seeds
    s.sharedLearningRate = sharedLR
    s.spikeSteps = spikeSteps
    s.bisectionSteps = bisectionSteps
    s.bisectionIterations = bisectionIterations
    s.sinkSteps = sinkSteps
    s.spikeFactor = spikeFactor
    s.spikeWindow = spikeWindow
    guard Commands.stabilitySettingsJSON(s, quick: quick) == settingsJSON, Commands.stabilityItems(s) == first.items else {
      throw malformed(first, "settings (they do not describe a run of this version)")
    }
    let dataSeeds = StabilitySimulation.seedPairs(s).map(\.data)
    let cells = try join(files, what: "runs") { file throws(UsageError) in
      var held = [(String, StabilitySimulation.Cell)]()
      for variant in s.variants {
        guard let perSeed = file.json["variants"]?[variant.rawValue]?["per_seed"]?.arrayValue else {
          throw malformed(file, "\(variant.rawValue) entry")
        }
        for c in perSeed {
          func number(_ key: String) throws(UsageError) -> Double {
            guard let value = c[key]?.doubleValue else { throw malformed(file, "\(variant.rawValue) run") }
            return value
          }
          guard let raw = c["seed"]?.intValue, let index = dataSeeds.firstIndex(of: UInt64(bitPattern: Int64(raw))),
            let events = c["spike_events"]?.intValue, let atChange = c["spike_events_at_selection_change"]?.intValue,
            let diverged = c["shared_run_diverged"]?.boolValue
          else { throw malformed(file, "\(variant.rawValue) run") }
          let cell = StabilitySimulation.Cell.restored(
            variant: variant, seed: dataSeeds[index], maxStableLR: try number("max_stable_lr"),
            spikesPerThousand: try number("spikes_per_1000"), maxActivation: try number("max_activation"),
            firstTokenShareNull: try number("first_token_share_null_queries"),
            firstTokenShareAll: try number("first_token_share_all_queries"), sinkFinalLoss: try number("sink_task_final_loss"),
            selectionChangeRate: try number("selection_change_rate"),
            stepsWithSelectionChange: try number("steps_with_selection_change"), spikeEvents: events,
            spikesAtSelectionChange: atChange, selectionChangeAtSpikes: try number("selection_change_share_going_into_spikes"),
            sharedRunDiverged: diverged)
          held.append(("\(variant.rawValue) seed \(index + 1)", cell))
        }
      }
      // The report lists runs by variant, then seed: the run order.
      return held
    }
    let seconds = files.reduce(0.0) { $0 + ($1.json["runtime_seconds"]?.doubleValue ?? 0) }
    return Commands.stabilityReport(StabilitySimulation.Result.restored(settings: s, cells: cells), seconds: seconds, quick: quick)
  }
}
