import Foundation
import PropertyTesting
import Testing

/// `roofline --save FILE` and `--machine this|h100|h200|FILE` end to end, on the built binary.
/// Measurements use the tiny smoke sizes (`GSA_THEORY_TEST_SMOKE_PROFILE=1`); no rate is
/// asserted beyond being a positive number.
@Suite struct MachineProfileCommandTests {
  static let smoke = ["GSA_THEORY_TEST_SMOKE_PROFILE": "1"]

  static func object(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  /// A usage error: exit 2, one line on stderr naming `flag`, nothing on stdout.
  static func expectUsageError(_ result: ToolRunner.Result, naming flag: String, _ words: [String] = []) {
    #expect(result.exitCode == 2 && !result.killedBySignal, "\(result)")
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(result.stderr)")
    #expect(result.stderr.hasPrefix("error: \(flag):"), "\(result.stderr)")
    for word in words { #expect(result.stderr.contains(word), "'\(word)' in \(result.stderr)") }
    #expect(result.stdoutData.isEmpty)
  }

  @Test func saveWritesAProfileThatLoadsBackUnchanged() throws {
    let scratch = try ScratchDirectory("profile")
    defer { scratch.remove() }
    let path = scratch.path + "/this.json"
    let saved = try ToolRunner.run(["roofline", "--save", path, "--format", "json"], environment: Self.smoke)
    #expect(saved.exitCode == 0, "\(saved)")
    let file = try String(contentsOfFile: path, encoding: .utf8)
    let profile = try Self.object(file)
    #expect(profile["schema_version"] as? Int == 4 && profile["kind"] as? String == "measured")
    #expect((profile["machine"] as? [String: Any])?["name"] as? String == "this")
    #expect((profile["date"] as? String)?.hasSuffix("Z") == true)
    for key in ["fma_peak_flops_per_second", "triad_bytes_per_second", "sigmoid_per_second", "exp_per_second"] {
      let rate = try #require(profile[key] as? [String: Any], "\(key)")
      #expect((rate["per_thread"] as? Double ?? 0) > 0 && (rate["all_cores"] as? Double ?? 0) > 0, "\(key)")
    }
    let curve = try #require((profile["gather"] as? [String: Any])?["curve"] as? [[String: Any]])
    #expect(curve.count == 2)
    // The report on stdout is the saved profile; loading the file reports it again, unchanged.
    #expect(try Self.object(saved.stdout).count == profile.count)
    let loaded = try ToolRunner.run(["roofline", "--machine", path, "--format", "json"])
    #expect(loaded.exitCode == 0, "\(loaded)")
    #expect(loaded.stdout == file, "the loaded profile reports the file's bytes")
    let resaved = scratch.path + "/again.json"
    #expect(try ToolRunner.run(["roofline", "--machine", path, "--save", resaved]).exitCode == 0)
    #expect(try String(contentsOfFile: resaved, encoding: .utf8) == file)
  }

  @Test func machineThisMeasuresAndPrintsATable() throws {
    let run = try ToolRunner.run(["roofline", "--machine", "this"], environment: Self.smoke)
    #expect(run.exitCode == 0, "\(run)")
    for row in ["FMA peak", "STREAM triad", "gather, footprint 16 KiB", "top-k", "sigmoid", "exp"] {
      #expect(run.stdout.contains(row), "\(row)")
    }
  }

  @Test func shippedSpecProfilesByName() throws {
    for (name, bandwidth) in [("h100", 3.35e12), ("h200", 4.8e12)] {
      let run = try ToolRunner.run(["roofline", "--machine", name, "--format", "json"])
      #expect(run.exitCode == 0, "\(run)")
      let profile = try Self.object(run.stdout)
      #expect(profile["kind"] as? String == "spec")
      let hbm = try #require(profile["hbm_bytes_per_second"] as? [String: Any])
      #expect((hbm["value"] as? Double ?? (hbm["value"] as? Int).map(Double.init)) == bandwidth)
      #expect(hbm["label"] as? String == "[spec]" && (hbm["source"] as? String)?.contains("nvidia.com") == true)
      let table = try ToolRunner.run(["roofline", "--machine", name])
      #expect(table.stdout.contains("[spec]") && table.stdout.contains("HBM bandwidth"))
    }
  }

  @Test func anUnknownMachineNameFailsClearly() throws {
    Self.expectUsageError(try ToolRunner.run(["roofline", "--machine", "h300"]), naming: "--machine", ["'h300'", "h100", "this"])
    Self.expectUsageError(try ToolRunner.run(["roofline", "--machine", ""]), naming: "--machine")
    Self.expectUsageError(
      try ToolRunner.run(["roofline", "--machine", "/nonexistent/profile.json"]), naming: "--machine", ["no such file"])
  }

  @Test func aBadProfileFileGetsOneLineNamingTheField() throws {
    let scratch = try ScratchDirectory("bad-profile")
    defer { scratch.remove() }
    let good = try ToolRunner.run(["roofline", "--machine", "h100", "--format", "json"]).stdout
    let cases: [(String, String, String)] = [
      ("schema", good.replacingOccurrences(of: "\"schema_version\": 4", with: "\"schema_version\": 7"), "'schema_version'"),
      ("missing", good.replacingOccurrences(of: "\"sm_count\"", with: "\"sm_total\""), "'sm_count'"),
      ("negative", good.replacingOccurrences(of: "\"value\": 3350000000000", with: "\"value\": -3.35e12"), "'hbm_bytes_per_second.value'"),
      ("zero", good.replacingOccurrences(of: "\"value\": 132", with: "\"value\": 0"), "'sm_count.value'"),
      ("truncated", String(good.prefix(good.count / 2)), "not valid JSON"),
    ]
    for (name, text, expected) in cases {
      #expect(text != good, "\(name): the edit applied")
      let path = scratch.path + "/\(name).json"
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      Self.expectUsageError(try ToolRunner.run(["roofline", "--machine", path]), naming: "--machine", [expected])
      // --save of a bad profile writes nothing.
      let out = scratch.path + "/\(name)-out.json"
      Self.expectUsageError(try ToolRunner.run(["roofline", "--machine", path, "--save", out]), naming: "--machine")
      #expect(!FileManager.default.fileExists(atPath: out))
    }
  }

  @Test func profileFlagsAreCheckedBeforeAnyWork() throws {
    Self.expectUsageError(try ToolRunner.run(["roofline", "--quick"]), naming: "--quick")
    Self.expectUsageError(try ToolRunner.run(["roofline", "--machine", "h100", "--repeats", "3"]), naming: "--repeats")
    Self.expectUsageError(try ToolRunner.run(["roofline", "--save", "/nonexistent/dir/p.json"]), naming: "--save")
    let scratch = try ScratchDirectory("profile-flags")
    defer { scratch.remove() }
    let path = scratch.path + "/p.json"
    Self.expectUsageError(
      try ToolRunner.run(["roofline", "--save", path, "--output", path], environment: Self.smoke), naming: "--save")
    Self.expectUsageError(try ToolRunner.run(["roofline", "--save", path, "--repeats", "0"], environment: Self.smoke), naming: "--repeats")
    // A measurement that does not fit in memory is refused before it starts.
    let tight = try ToolRunner.run(["roofline", "--save", path], environment: ["GSA_THEORY_MEMORY_AVAILABLE": "64m"])
    #expect(tight.exitCode == 2 && tight.stderr.contains("can be used") && tight.stdoutData.isEmpty, "\(tight)")
    #expect(!FileManager.default.fileExists(atPath: path))
  }
}

/// `predict --machine` and `sweep --machine`: the time model from the command line.
@Suite struct TimeModelCommandTests {
  @Test func predictMachineGivesSecondsPerBucketAndBothSpeedups() throws {
    let run = try ToolRunner.run([
      "predict", "--machine", "h100", "--dtype", "bf16", "--length", "4096", "--variants", "dense,gsa", "--format", "json",
    ])
    #expect(run.exitCode == 0, "\(run)")
    let json = try MachineProfileCommandTests.object(run.stdout)
    let time = try #require(json["time"] as? [String: Any])
    #expect(time["machine"] as? String == "h100" && time["precision"] as? String == "bf16")
    let gsa = try #require((time["variants"] as? [String: Any])?["gsa"] as? [String: Any])
    #expect((gsa["time_speedup_over_dense"] as? Double ?? 0) > 0 && (gsa["flop_speedup_over_dense"] as? Double ?? 0) > 0)
    let seconds = try #require(gsa["predicted_seconds"] as? [String: Any])
    #expect((seconds["total"] as? Double ?? 0) > 0)
    let decode = try ToolRunner.run(["predict", "--machine", "h200", "--phase", "decode", "--batch", "4", "--length", "8192"])
    #expect(decode.exitCode == 0 && decode.stdout.contains("Predicted time per bucket"), "\(decode)")
  }

  @Test func badMachineInputsExitTwoWithOneLine() throws {
    let expect = MachineProfileCommandTests.expectUsageError
    expect(try ToolRunner.run(["predict", "--machine", "h300"]), "--machine", ["'h300'", "h100"])
    expect(try ToolRunner.run(["predict", "--machine", "/nonexistent/p.json"]), "--machine", [])
    expect(try ToolRunner.run(["predict", "--on-chip", "0.5"]), "--on-chip", ["--machine"])
    expect(try ToolRunner.run(["predict", "--machine", "h100", "--on-chip", "1.5"]), "--on-chip", [])
    expect(try ToolRunner.run(["sweep", "--preset", "tiny", "--lengths", "32", "--machine", "h100"]), "--machine", ["measured"])
  }

  @Test func sweepReportsSecondsByBucketAndPredictions() throws {
    let scratch = try ScratchDirectory("sweep-time")
    defer { scratch.remove() }
    let path = scratch.path + "/this.json"
    #expect(
      try ToolRunner.run(["roofline", "--save", path], environment: MachineProfileCommandTests.smoke).exitCode == 0)
    for phase in ["prefill", "decode"] {
      let run = try ToolRunner.run(
        [
          "sweep", "--preset", "tiny", "--lengths", "32,64", "--variants", "dense,gsa", "--repeats", "1", "--peak-gflops", "100",
          "--triad-gbs", "10", "--phase", phase, "--machine", path, "--format", "json",
        ].filter { phase == "decode" || $0 != "--triad-gbs" && $0 != "10" })
      #expect(run.exitCode == 0, "\(run)")
      let points = try #require(MachineProfileCommandTests.object(run.stdout)["points"] as? [[String: Any]])
      #expect(points.count == 4)
      for p in points {
        let measured = try #require(p["seconds_by_bucket"] as? [String: Any])
        #expect((measured["total"] as? Double ?? 0) > 0)
        let predicted = try #require(p["predicted_seconds"] as? [String: Any])
        #expect((predicted["total"] as? Double ?? 0) > 0)
        #expect((predicted["attention"] as? [String: Any])?["limit"] != nil)
      }
    }
  }
}
