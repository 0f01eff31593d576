import Foundation
import GSATheory

/// `--shard I/N` on sweep, simulate and check, and the `shard` member of a shard's JSON report.
enum ShardReports {
  static func spec(items: String) -> OptionSpec {
    OptionSpec(
      "--shard", value: "I/N",
      help: "Run only part I of N of \(items) (round-robin; seeds do not depend on it); join the parts with 'gsa-theory merge'.")
  }

  /// The `--shard` value, or nil when absent. "1/1" is the whole run, reported as a shard.
  static func option(_ options: ParsedOptions) throws(UsageError) -> Shard? {
    guard let raw = options.string("--shard") else { return nil }
    let parts = raw.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0].trimmingCharacters(in: .whitespaces)),
      let count = Int(parts[1].trimmingCharacters(in: .whitespaces))
    else {
      throw UsageError("--shard: expected I/N such as 2/8 (part I of N), got '\(raw)'")
    }
    guard count >= 1, count <= 1_000_000 else { throw UsageError("--shard: N = \(count) is out of range; use 1...1000000 parts") }
    guard let shard = Shard(index: index, count: count) else {
      throw UsageError("--shard: part \(index) of \(count) does not exist; use I in 1...\(count)")
    }
    return shard
  }

  /// `{"index": I, "count": N, "items": [...]}`: the shard and the names of all the run's items
  /// (its own are every N-th from position I − 1).
  static func json(_ shard: Shard, items: [String]) -> JSONValue {
    ["index": .int(shard.index), "count": .int(shard.count), "items": .array(items.map(JSONValue.string))]
  }
}
