import Foundation
import GSATheory

extension Commands {
  /// `gsa-theory check [ID|GROUP ...]`: runs the paper's claims as checks and prints verdicts.
  static let check = Command(
    name: "check",
    abstract: "Run the paper's claims as executable checks and report a verdict for each.",
    discussion: """
      Each claim of GSA-THEORY.md is checked by an independent computation (counted FLOPs of the real kernels, \
      GSL integration, Monte Carlo over GSL-sampled matrices, finite differences, least squares). Verdicts: holds, \
      refuted, holds-with-correction, inconclusive; each names its source tag ([fig], [abs], [code], [3p], [rec]) and \
      the convention it uses. Select claims by id (CX-cost) or group (complexity, bounds, adaptive-k, expressiveness, \
      numerics, headline, convergence); none selects all. Each verdict states its scope: what the check can establish \
      at the scale it runs; a claim about a number from the paper's own 1.7B run is inconclusive at this scale, with the \
      small-scale result as evidence. Exit 0 when every check ran (verdicts are findings), \
      1 when a check could not run.
      """,
    options: [
      OptionSpec("--list", help: "List the claim ids, groups and sources without running them."),
      OptionSpec("--quick", help: "Smaller sweeps and fewer samples (the verdicts do not depend on it)."),
      ShardReports.spec(items: "the selected claims"),
    ],
    positionals: "[ID|GROUP ...]",
    examples: [
      "gsa-theory check", "gsa-theory check complexity BD-gate-slope", "gsa-theory check --format json --output claims.json",
      "gsa-theory check --list", "gsa-theory check --shard 2/4 --format json --output claims-2.json",
    ]
  ) { invocation in
    let claims: [Claim]
    do {
      claims = try ClaimRegistry.select(invocation.options.positionals)
    } catch {
      throw UsageError("check: \(error); run 'gsa-theory check --list' for the valid ids and groups")
    }
    let shard = try ShardReports.option(invocation.options)
    if invocation.options.flag("--list") { return CommandResult(report: listReport(shard?.select(claims) ?? claims)) }
    let quick = invocation.options.flag("--quick")
    let counter = Counter()
    let progress = invocation.progress
    let chosen = shard?.select(claims) ?? claims
    let total = chosen.count
    let runs = ClaimRegistry.run(chosen, rootSeed: invocation.seed, quick: quick) { id in
      progress.update(counter.increment(), of: total, id)
    }
    let failed = runs.filter { if case .failure = $0.result { return true } else { return false } }
    let report = checkReport(runs, rootSeed: invocation.seed, quick: quick, shard: shard.map { ($0, claims.map(\.id)) })
    return CommandResult(report: report, exitCode: failed.isEmpty ? 0 : 1)
  }

  static func listReport(_ claims: [Claim]) -> Report {
    let table = TextTable(
      headers: ["id", "group", "source", "statement"],
      rows: claims.map { [$0.id, $0.group.rawValue, $0.sourceTags, $0.statement] })
    let json: JSONValue = [
      "schema_version": 1,
      "claims": .array(
        claims.map {
          ["id": .string($0.id), "group": .string($0.group.rawValue), "source": .string($0.sourceTags), "statement": .string($0.statement)]
        }),
    ]
    return Report(json: json, table: table.rendered(), csv: table.csv())
  }

  /// The JSON object of one claim's run (the `claims` items of the report).
  static func claimJSON(_ run: ClaimRegistry.Run) -> JSONValue {
    let claim = run.claim
    var members: [(String, JSONValue)] = [
      ("id", .string(claim.id)), ("group", .string(claim.group.rawValue)), ("statement", .string(claim.statement)),
      ("source", .string(claim.sourceTags)), ("sources", .array(claim.sources.map { .string($0.rawValue) })),
      ("assumptions", .string(claim.assumptions)), ("scope", .string(claim.scope)),
    ]
    switch run.result {
    case .success(let outcome):
      members += [
        ("verdict", .string(outcome.verdict.rawValue)), ("summary", .string(outcome.summary)),
        ("small_scale_verdict", outcome.smallScaleVerdict.map { .string($0.rawValue) } ?? .null),
        ("corrected_statement", outcome.correctedStatement.map(JSONValue.string) ?? .null),
        ("counterexample", outcome.counterexample.map(JSONValue.string) ?? .null),
        (
          "evidence",
          .array(outcome.evidence.map { ["name": .string($0.name), "value": .number($0.value), "unit": .string($0.unit)] })
        ),
        (
          "measurements",
          .array(outcome.measurements.map { ["name": .string($0.name), "value": .number($0.value), "unit": .string($0.unit)] })
        ),
        ("error", .null),
      ]
    case .failure(let error):
      members += [
        ("verdict", .null), ("summary", .null), ("small_scale_verdict", .null), ("corrected_statement", .null),
        ("counterexample", .null), ("evidence", .array([])), ("measurements", .array([])), ("error", .string(error.message)),
      ]
    }
    members.append(("seed", .int(Int(run.seed))))
    return .object(members)
  }

  static func checkReport(_ runs: [ClaimRegistry.Run], rootSeed: UInt64, quick: Bool, shard: (Shard, [String])? = nil) -> Report {
    checkReport(claims: runs.map(claimJSON), rootSeed: String(rootSeed), quick: quick, shard: shard)
  }

  /// The report of `check` from its claims' JSON objects (also how `merge` rebuilds it from shards).
  /// A shard's report names the shard and the ids of the whole selection it is part of.
  static func checkReport(claims: [JSONValue], rootSeed: String, quick: Bool, shard: (Shard, [String])? = nil) -> Report {
    var rows = [[String]]()
    var csvRows = [[String]]()
    var counts = [String: Int]()
    for claim in claims {
      let text = { (key: String) in claim[key]?.stringValue ?? "" }
      let seed = claim["seed"]?.intValue.map(String.init) ?? ""
      if let verdict = claim["verdict"]?.stringValue {
        counts[verdict, default: 0] += 1
        let evidence = (claim["evidence"]?.arrayValue ?? []).map { item -> String in
          let unit = item["unit"]?.stringValue ?? ""
          let value = formatNumber(item["value"]?.doubleValue ?? .nan, digits: 6)
          return "\(item["name"]?.stringValue ?? "")=\(value)\(unit.isEmpty ? "" : " " + unit)"
        }
        rows.append([text("id"), text("source"), verdict, text("scope"), text("summary")])
        csvRows.append([
          text("id"), text("group"), text("source"), verdict, text("scope"), seed, text("summary"), evidence.joined(separator: "; "),
        ])
      } else {
        counts["could-not-run", default: 0] += 1
        rows.append([text("id"), text("source"), "COULD NOT RUN", text("scope"), text("error")])
        csvRows.append([text("id"), text("group"), text("source"), "could-not-run", text("scope"), seed, text("error"), ""])
      }
    }
    let order = Verdict.allCases.map(\.rawValue) + ["could-not-run"]
    let tally = order.compactMap { key in counts[key].map { "\(key) \($0)" } }.joined(separator: ", ")
    var members: [(String, JSONValue)] = [
      ("schema_version", 1),
      ("command", "check"),
      ("root_seed", .string(rootSeed)),
      ("quick", .bool(quick)),
    ]
    if let (shard, selection) = shard {
      members.append(("shard", ShardReports.json(shard, items: selection)))
    }
    members += [
      ("counts", .object(order.compactMap { key in counts[key].map { (key, JSONValue.int($0)) } })),
      ("claims", .array(claims)),
    ]
    let table = TextTable(headers: ["claim", "source", "verdict", "scope", "finding"], rows: rows)
    let csv = TextTable(headers: ["id", "group", "source", "verdict", "scope", "seed", "summary", "evidence"], rows: csvRows).csv()
    let shardLine = shard.map { " (shard \($0.0) of a selection of \($0.1.count))" } ?? ""
    return Report(json: .object(members), table: table.rendered() + "\n\(claims.count) claims\(shardLine): \(tally)\n", csv: csv)
  }
}

/// A thread-safe progress counter.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func increment() -> Int {
    lock.withLock {
      value += 1; return value
    }
  }
}
