import Foundation
import Testing

/// Runs the built `gsa-theory` binary (next to the test bundle in .build/<config>/) and
/// returns its exit status, stdout and stderr.
func runGSATheory(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
  let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  var executable = bundleDirectory.appendingPathComponent("gsa-theory")
  if !FileManager.default.isExecutableFile(atPath: executable.path) {
    // Fallback: <package>/.build/debug/gsa-theory relative to this source file.
    executable = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent(".build/debug/gsa-theory")
  }
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

func jsonObject(_ text: String) throws -> [String: Any] {
  try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite struct PredictCommandTests {
  @Test func paperPresetGivesTheHeadlineNumbers() throws {
    let run = try runGSATheory(["predict", "--preset", "paper", "--format", "json"])
    #expect(run.status == 0)
    let json = try jsonObject(run.stdout)
    #expect(json["schema_version"] as? Int == 1)
    #expect(json["length"] as? Int == 131_072)
    let core = try #require(json["attention_core"] as? [String: Any])
    let oRatio = try #require(core["o-ratio"] as? [String: Any])
    let causal = try #require(core["causal"] as? [String: Any])
    #expect(abs((oRatio["speedup"] as? Double ?? 0) - 12.8) < 1e-9)
    #expect((causal["speedup"] as? Double ?? (causal["speedup"] as? Int).map(Double.init) ?? 0) == 16)
    #expect(abs((causal["break_even_length"] as? Double ?? 0) - 4228.1) < 0.1)
    #expect((oRatio["indexer_crossover_length"] as? Int) == 32768)
    #expect((causal["indexer_crossover_length"] as? Int) == 131_072)
    #expect((oRatio["cap"] as? Int) == 16)
    #expect((causal["cap"] as? Int) == 32)
    let layer = try #require(json["whole_layer"] as? [String: Any])
    let gsa = try #require((layer["gsa"] as? [String: Any])?["causal"] as? [String: Any])
    let speedup = try #require(gsa["speedup_over_dense"] as? Double)
    #expect(speedup > 5.5 && speedup < 6.5)
    let flops = try #require(gsa["flops"] as? [String: Any])
    for bucket in ["projections", "gates", "indexer", "selection", "attention", "total"] { #expect(flops[bucket] != nil) }
    #expect(json["memory"] != nil)
  }

  @Test func tableAndCSVFormats() throws {
    let table = try runGSATheory(["predict"])
    #expect(table.status == 0)
    #expect(table.stdout.contains("causal"))
    #expect(table.stdout.contains("4228"))
    #expect(table.stdout.contains("12.8"))
    let csv = try runGSATheory(["predict", "--format", "csv", "--variants", "dense,gsa"])
    #expect(csv.status == 0)
    let lines = csv.stdout.split(separator: "\n")
    #expect(lines.count == 5)  // header + 2 variants × 2 conventions
    #expect(lines.first?.hasPrefix("variant,convention,projections") == true)
  }

  @Test func flagsOverrideThePreset() throws {
    // D = H·d_h = 1024, d_I·H_I = 64, k 128, L 8192: causal 2·8192·1024/(8192·64 + 4·128·1024).
    let run = try runGSATheory([
      "predict", "--d-model", "1024", "--heads", "16", "--kv-heads", "4", "--head-dim", "64", "--indexer-heads", "4",
      "--indexer-dim", "16", "--k", "128", "--k-min", "64", "--k-max", "256", "--length", "8k", "--format", "json",
    ])
    #expect(run.status == 0)
    let json = try jsonObject(run.stdout)
    let causal = try #require((json["attention_core"] as? [String: Any])?["causal"] as? [String: Any])
    let numerator: Double = 2 * 8192 * 1024
    let denominator: Double = 8192 * 64 + 4 * 128 * 1024
    let expected = numerator / denominator
    #expect(abs((causal["speedup"] as? Double ?? 0) - expected) < 1e-9)
    let config = try #require(json["configuration"] as? [String: Any])
    #expect(config["kv_heads"] as? Int == 4)
  }

  static let invalidCases: [([String], String)] = [
    (["predict", "--k", "4096", "--length", "2048"], "--k"),
    (["predict", "--kv-heads", "5"], "--kv-heads"),
    (["predict", "--k-min", "4096", "--k", "2048"], "--k-min"),
    (["predict", "--k-max", "100"], "--k-max"),
    (["predict", "--length", "0"], "--length"),
    (["predict", "--d-model", "abc"], "--d-model"),
    (["predict", "--preset", "huge"], "--preset"),
    (["predict", "--variants", "dense,fast"], "--variants"),
  ]

  @Test(arguments: invalidCases)
  func invalidInputExitsTwoWithOneLineNamingTheFlag(arguments: [String], flag: String) throws {
    let run = try runGSATheory(arguments)
    #expect(run.status == 2)
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.hasPrefix("error: \(flag)"))
    #expect(run.stderr.split(separator: "\n").count == 1)
  }
}

@Suite struct RooflineCommandTests {
  @Test func smallRooflineReportsPositiveRates() throws {
    let run = try runGSATheory([
      "roofline", "--repeats", "2", "--fma-per-thread", "120000", "--triad-elements", "65536", "--format", "json",
    ])
    #expect(run.status == 0)
    let json = try jsonObject(run.stdout)
    #expect(json["schema_version"] as? Int == 1)
    let roofline = try #require(json["roofline"] as? [String: Any])
    #expect((roofline["peak_gflops"] as? Double ?? 0) > 0)
    #expect((roofline["bandwidth_gbytes_per_s"] as? Double ?? 0) > 0)
    #expect(((roofline["gflops"] as? [String: Any])?["repeats"] as? [Any])?.count == 2)
    let machine = try #require(json["machine"] as? [String: Any])
    #expect((machine["cores"] as? Int ?? 0) >= 1)
  }

  @Test func rooflineRejectsZeroRepeats() throws {
    let run = try runGSATheory(["roofline", "--repeats", "0"])
    #expect(run.status == 2)
    #expect(run.stderr.hasPrefix("error: --repeats"))
  }
}

@Suite struct SweepCommandTests {
  @Test func tinySweepReportsCountedEqualsPredictedAndFits() throws {
    let run = try runGSATheory([
      "sweep", "--preset", "tiny", "--lengths", "32,48,64,96", "--repeats", "1", "--peak-gflops", "100", "--format", "json",
    ])
    #expect(run.status == 0)
    let json = try jsonObject(run.stdout)
    #expect(json["schema_version"] as? Int == 2)
    let machine = try #require(json["machine"] as? [String: Any])
    #expect(machine["cores"] != nil && machine["cpu_model"] != nil)
    #expect(json["configuration"] != nil)
    let points = try #require(json["points"] as? [[String: Any]])
    #expect(points.count == 16)  // 4 lengths × 4 variants
    for point in points {
      let counted = try #require(point["counted"] as? [String: Any])
      let predicted = try #require(point["predicted"] as? [String: Any])
      for bucket in ["projections", "gates", "indexer", "selection", "attention"] {
        #expect(counted[bucket] != nil && predicted[bucket] != nil)
      }
      #expect(point["counted_equals_predicted"] as? Bool == true)
      #expect((point["seconds"] as? [String: Any])?["median"] != nil)
      // Measured from wall time, so named by the determinism convention's `time_` prefix.
      #expect(point["time_speedup_over_dense"] is Double)
      #expect(point["speedup_over_dense"] == nil)
    }
    let fits = try #require(json["fits"] as? [String: Any])
    let dense = try #require(fits["dense"] as? [String: Any])
    let attention = try #require((dense["attention"] as? [String: Any])?["log_log"] as? [String: Any])
    let exponent = try #require(attention["exponent"] as? Double)
    #expect(exponent > 1.5 && exponent < 2.1)  // causal pairs L(L+1)/2 plus linear terms
    let breakEven = try #require(json["break_even"] as? [[String: Any]])
    #expect(breakEven.count == 2)
  }

  @Test func rangeAndCSV() throws {
    let run = try runGSATheory([
      "sweep", "--preset", "tiny", "--min-length", "16", "--max-length", "64", "--steps", "4", "--variants", "dense,gsa",
      "--repeats", "1", "--peak-gflops", "50", "--format", "csv",
    ])
    #expect(run.status == 0)
    let lines = run.stdout.split(separator: "\n")
    #expect(lines.count == 1 + 4 * 2)
    #expect(lines.first?.hasPrefix("variant,length,selected_pairs,counted_projections") == true)
    #expect(lines.first?.contains(",time_speedup_over_dense,") == true)
    #expect(lines.first?.contains(",speedup_over_dense") == false)
    #expect(run.stderr.isEmpty)  // no progress bar when stderr is not a terminal
  }

  static let invalidCases: [([String], String)] = [
    (["sweep", "--lengths", "512,abc"], "--lengths"),
    (["sweep", "--lengths", "8"], "--lengths"),
    (["sweep", "--lengths", "64,64"], "--lengths"),
    (["sweep", "--min-length", "1024"], "--min-length"),
    (["sweep", "--min-length", "1024", "--max-length", "512"], "--max-length"),
    (["sweep", "--lengths", "128", "--k", "256"], "--k"),
    (["sweep", "--repeats", "0"], "--repeats"),
    (["sweep", "--variants", "sparse"], "--variants"),
  ]

  @Test(arguments: invalidCases)
  func invalidInputExitsTwo(arguments: [String], flag: String) throws {
    let run = try runGSATheory(arguments)
    #expect(run.status == 2)
    #expect(run.stderr.hasPrefix("error: \(flag)"))
    #expect(run.stderr.split(separator: "\n").count == 1)
  }

  @Test func refusesLengthsThatDoNotFitInMemory() throws {
    // The paper configuration at L = 2^24 needs far more than any test machine has: refused up front
    // by the shared memory guard, exit 2 (docs/reliability.md).
    let run = try runGSATheory(["sweep", "--preset", "paper", "--lengths", "16777216", "--variants", "gsa", "--peak-gflops", "1"])
    #expect(run.status == 2)
    #expect(run.stderr.contains("needs") && run.stderr.contains("the largest length that fits is L = "))
    #expect(run.stderr.contains("bytes"))
  }
}
