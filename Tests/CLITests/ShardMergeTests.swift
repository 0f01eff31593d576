import Foundation
import GSATheory
import PropertyTesting
import Testing

@testable import GSATheoryCLI

/// `--shard I/N` and `merge`: three merged shards equal one whole run.
@Suite struct ShardMergeTests {
  /// A scratch directory for one test's files.
  static func directory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "gsa-shard-\(name)-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Runs `arguments` whole and as 3 shards, merges the shards; returns (whole, merged) JSON text.
  static func wholeAndMerged(_ arguments: [String], name: String) throws -> (String, String, [String]) {
    let dir = try directory(name)
    let whole = try ToolRunner.run(arguments + ["--format", "json", "--output", "\(dir)/whole.json"])
    #expect(whole.exitCode == 0, "\(whole)")
    var shards = [String]()
    for index in 1...3 {
      let path = "\(dir)/shard-\(index).json"
      let run = try ToolRunner.run(arguments + ["--shard", "\(index)/3", "--format", "json", "--output", path])
      #expect(run.exitCode == 0, "\(run)")
      shards.append(path)
    }
    // Given out of order: merge orders the shards itself.
    let merged = try ToolRunner.run(["merge", shards[2], shards[0], shards[1], "--output", "\(dir)/merged.json"])
    #expect(merged.exitCode == 0, "\(merged)")
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return (read("\(dir)/whole.json"), read("\(dir)/merged.json"), shards)
  }

  /// `json` with the members named in `timing` replaced by null, at every depth.
  static func masked(_ json: JSONValue, _ timing: Set<String>) -> JSONValue {
    switch json {
    case .object(let members): return .object(members.map { ($0.0, timing.contains($0.0) ? .null : masked($0.1, timing)) })
    case .array(let items): return .array(items.map { masked($0, timing) })
    default: return json
    }
  }

  @Test func checkShardsMergeToTheWholeRun() throws {
    let (whole, merged, shards) = try Self.wholeAndMerged(["check", "complexity", "bounds", "--quick"], name: "check")
    #expect(merged == whole)
    let json = try JSONValue.parse(merged)
    #expect(json["claims"]?.arrayValue?.count == 17)
    #expect(json["shard"] == nil)
    // Each shard holds every third claim, with the seed the whole run gives it.
    let first = try JSONValue.parse(try String(contentsOfFile: shards[0], encoding: .utf8))
    let ids = first["claims"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
    let all = json["claims"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    #expect(ids == stride(from: 0, to: all.count, by: 3).map { all[$0] })
    #expect(first["counts"] != json["counts"])
  }

  @Test func sweepShardsMergeToTheWholeRunButTimings() throws {
    let (whole, merged, _) = try Self.wholeAndMerged(
      ["sweep", "--preset", "tiny", "--lengths", "32,48,64,96", "--repeats", "1", "--peak-gflops", "100"], name: "sweep")
    let timing: Set<String> = [
      "seconds", "gflops", "fraction_of_peak", "time_speedup_over_dense", "peak_memory_bytes", "machine", "time",
      "measured_from_time", "seconds_by_bucket",
    ]
    let a = Self.masked(try JSONValue.parse(whole), timing)
    let b = Self.masked(try JSONValue.parse(merged), timing)
    #expect(a == b)
    // The fits are recomputed on all 16 points (no shard has 4 lengths of a variant).
    #expect(try JSONValue.parse(merged)["fits"]?["gsa"]?["total_counted"]?["log_log"]?["points"]?.intValue == 4)
  }

  @Test func simulateShardsMergeToTheWholeRunButRuntime() throws {
    let (whole, merged, _) = try Self.wholeAndMerged(
      [
        "simulate", "stability", "--quick", "--seeds", "2", "--spike-steps", "40", "--bisection-steps", "20",
        "--bisection-iterations", "2", "--sink-steps", "20",
      ], name: "simulate")
    let a = Self.masked(try JSONValue.parse(whole), ["runtime_seconds"])
    let b = Self.masked(try JSONValue.parse(merged), ["runtime_seconds"])
    #expect(a == b)
  }

  /// Shards of different runs, missing or repeated shards, and files that are not shard reports:
  /// exit 2, one line naming the problem.
  @Test func mismatchesExitTwoNamingTheMismatch() throws {
    let dir = try Self.directory("mismatch")
    let base = ["check", "BD-gate-slope", "BD-indexer-range", "AK-range", "--quick", "--format", "json"]
    func shard(_ index: Int, _ count: Int, _ extra: [String] = [], name: String) throws -> String {
      let path = "\(dir)/\(name).json"
      let run = try ToolRunner.run(base + extra + ["--shard", "\(index)/\(count)", "--output", path])
      #expect(run.exitCode == 0, "\(run)")
      return path
    }
    let one = try shard(1, 2, name: "one"), two = try shard(2, 2, name: "two")
    let otherSeed = try shard(2, 2, ["--seed", "7"], name: "seed7")
    let three = try shard(2, 3, name: "of3")
    let versioned = "\(dir)/version.json"
    try (try String(contentsOfFile: two, encoding: .utf8)).replacingOccurrences(of: "\"schema_version\": 1", with: "\"schema_version\": 9")
      .write(toFile: versioned, atomically: true, encoding: .utf8)
    let garbage = "\(dir)/garbage.json"
    try "{not json".write(toFile: garbage, atomically: true, encoding: .utf8)
    let whole = "\(dir)/whole.json"
    _ = try ToolRunner.run(base + ["--output", whole])
    let cases: [([String], String)] = [
      ([one, otherSeed], "root_seed"), ([one, versioned], "schema_version"), ([one, three], "numbers of shards"),
      ([one], "shard 2/2 is missing"), ([one, one, two], "given twice"), ([one, garbage], "is not JSON"),
      ([whole, two], "not a shard report"), ([one, "\(dir)/absent.json"], "cannot read"), ([], "no files"),
    ]
    for (files, expected) in cases {
      let result = try ToolRunner.run(["merge"] + files)
      #expect(result.exitCode == 2, "\(files): \(result)")
      #expect(result.stdout.isEmpty)
      #expect(result.stderr.contains(expected), "\(files): \(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1)
    }
    for bad in ["0/3", "4/3", "1/0", "x", "1/2/3"] {
      let result = try ToolRunner.run(["check", "--quick", "--shard", bad])
      #expect(result.exitCode == 2 && result.stderr.contains("--shard"), "\(bad): \(result)")
    }
  }

  /// A generated JSON value.
  static var values: Gen<JSONValue> {
    let scalar = Gen.zip(Gen.int(in: 0...5), Gen.double(in: -1e20...1e20), Gen.int(in: -1_000_000...1_000_000)).map {
      kind, real, integer -> JSONValue in
      switch kind {
      case 0: return .null
      case 1: return .bool(integer % 2 == 0)
      case 2: return .int(integer)
      case 3: return .number(real)
      case 4: return .number(real / 1e25)
      default: return .string("s\(integer) \"q\" \\ \n \u{1} é ≤ 𝄞")
      }
    }
    return Gen.zip(scalar.array(count: Gen.int(in: 0...6)), Gen.int(in: 0...2)).map { items, shape -> JSONValue in
      switch shape {
      case 0: return .array(items)
      case 1: return .object(items.enumerated().map { ("k\($0.offset)", $0.element) })
      default: return .object([("nested", .array(items)), ("more", .object([("x", items.first ?? .null)]))])
      }
    }
  }

  /// Reading a report back reproduces its bytes, so a merged report can equal the whole run's.
  @Test func parsingWhatTheToolWritesGivesTheSameBytes() throws {
    try forAll(Self.values) { value in
      let text = value.serialized()
      return try JSONValue.parse(text).serialized() == text
    }
    #expect(throws: JSONParseError.self) { try JSONValue.parse("[1, 2") }
    #expect(throws: JSONParseError.self) { try JSONValue.parse("{\"a\": 1} x") }
  }
}
