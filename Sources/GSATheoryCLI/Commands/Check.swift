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
      numerics, headline, convergence); none selects all. Exit 0 when every check ran (verdicts are findings), \
      1 when a check could not run.
      """,
    options: [
      OptionSpec("--list", help: "List the claim ids, groups and sources without running them."),
      OptionSpec("--quick", help: "Smaller sweeps and fewer samples (the verdicts do not depend on it)."),
    ],
    positionals: "[ID|GROUP ...]",
    examples: [
      "gsa-theory check", "gsa-theory check complexity BD-gate-slope", "gsa-theory check --format json --output claims.json",
      "gsa-theory check --list",
    ]
  ) { invocation in
    let claims: [Claim]
    do {
      claims = try ClaimRegistry.select(invocation.options.positionals)
    } catch {
      throw UsageError("check: \(error); run 'gsa-theory check --list' for the valid ids and groups")
    }
    if invocation.options.flag("--list") { return CommandResult(report: listReport(claims)) }
    let quick = invocation.options.flag("--quick")
    let counter = Counter()
    let progress = invocation.progress
    let total = claims.count
    let runs = ClaimRegistry.run(claims, rootSeed: invocation.seed, quick: quick) { id in
      progress.update(counter.increment(), of: total, id)
    }
    let failed = runs.filter { if case .failure = $0.result { return true } else { return false } }
    return CommandResult(report: checkReport(runs, rootSeed: invocation.seed, quick: quick), exitCode: failed.isEmpty ? 0 : 1)
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

  static func checkReport(_ runs: [ClaimRegistry.Run], rootSeed: UInt64, quick: Bool) -> Report {
    var claimsJSON = [JSONValue]()
    var rows = [[String]]()
    var csvRows = [[String]]()
    var counts = [String: Int]()
    for run in runs {
      let claim = run.claim
      var members: [(String, JSONValue)] = [
        ("id", .string(claim.id)), ("group", .string(claim.group.rawValue)), ("statement", .string(claim.statement)),
        ("source", .string(claim.sourceTags)), ("sources", .array(claim.sources.map { .string($0.rawValue) })),
        ("assumptions", .string(claim.assumptions)),
      ]
      switch run.result {
      case .success(let outcome):
        counts[outcome.verdict.rawValue, default: 0] += 1
        members += [
          ("verdict", .string(outcome.verdict.rawValue)), ("summary", .string(outcome.summary)),
          ("corrected_statement", outcome.correctedStatement.map(JSONValue.string) ?? .null),
          ("counterexample", outcome.counterexample.map(JSONValue.string) ?? .null),
          (
            "evidence",
            .array(
              outcome.evidence.map { ["name": .string($0.name), "value": .number($0.value), "unit": .string($0.unit)] })
          ),
          ("error", .null),
        ]
        rows.append([claim.id, claim.sourceTags, outcome.verdict.rawValue, outcome.summary])
        csvRows.append([
          claim.id, claim.group.rawValue, claim.sourceTags, outcome.verdict.rawValue, String(run.seed), outcome.summary,
          outcome.evidence.map { "\($0.name)=\(formatNumber($0.value, digits: 6))\($0.unit.isEmpty ? "" : " " + $0.unit)" }
            .joined(separator: "; "),
        ])
      case .failure(let error):
        counts["could-not-run", default: 0] += 1
        members += [
          ("verdict", .null), ("summary", .null), ("corrected_statement", .null), ("counterexample", .null),
          ("evidence", .array([])), ("error", .string(error.message)),
        ]
        rows.append([claim.id, claim.sourceTags, "COULD NOT RUN", error.message])
        csvRows.append([claim.id, claim.group.rawValue, claim.sourceTags, "could-not-run", String(run.seed), error.message, ""])
      }
      members.append(("seed", .int(Int(run.seed))))
      claimsJSON.append(.object(members))
    }
    let order = Verdict.allCases.map(\.rawValue) + ["could-not-run"]
    let tally = order.compactMap { key in counts[key].map { "\(key) \($0)" } }.joined(separator: ", ")
    let json: JSONValue = [
      "schema_version": 1,
      "command": "check",
      "root_seed": .string(String(rootSeed)),
      "quick": .bool(quick),
      "counts": .object(order.compactMap { key in counts[key].map { (key, JSONValue.int($0)) } }),
      "claims": .array(claimsJSON),
    ]
    let table = TextTable(headers: ["claim", "source", "verdict", "finding"], rows: rows)
    let csv = TextTable(headers: ["id", "group", "source", "verdict", "seed", "summary", "evidence"], rows: csvRows).csv()
    return Report(json: json, table: table.rendered() + "\n\(runs.count) claims: \(tally)\n", csv: csv)
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
