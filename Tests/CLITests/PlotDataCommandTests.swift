import Foundation
import Testing

@Suite struct PlotDataCommandTests {
  /// A fresh scratch directory for one test.
  func scratch() throws -> String {
    let path = NSTemporaryDirectory() + "gsa-plot-data-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  func readJSON(_ path: String) throws -> [String: Any] {
    try jsonObject(try String(contentsOfFile: path, encoding: .utf8))
  }

  @Test func listNamesEveryDataset() throws {
    let run = try runGSATheory(["plot-data", "--list", "--format", "json"])
    #expect(run.status == 0)
    let names = try #require(try jsonObject(run.stdout)["datasets"] as? [[String: Any]]).compactMap { $0["name"] as? String }
    for expected in [
      "paper_reference", "predict_paper", "predictions_length", "predictions_k", "claims", "adaptive_k", "roofline", "sweep",
      "convergence_runs", "stability",
    ] {
      #expect(names.contains(expected), "missing dataset \(expected)")
    }
  }

  @Test func writesEnvelopesAndManifest() throws {
    let directory = try scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let run = try runGSATheory([
      "plot-data", "--out", directory, "--small", "--only", "paper_reference,predict_paper,predictions_length,predictions_k",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let manifest = try readJSON(directory + "/manifest.json")
    #expect(manifest["schema_version"] as? Int == 1)
    #expect(manifest["scale"] as? String == "small")
    let entries = try #require(manifest["datasets"] as? [[String: Any]])
    #expect(entries.count == 4)
    for entry in entries {
      #expect(entry["status"] as? String == "ok")
      let file = try #require(entry["file"] as? String)
      let envelope = try readJSON(directory + "/" + file)
      #expect(envelope["schema_version"] as? Int == 1)
      #expect(envelope["dataset"] as? String == entry["name"] as? String)
      #expect(envelope["data"] != nil)
    }
    // The predict dataset is the command's own JSON, with the command line that reproduces it.
    let predict = try readJSON(directory + "/predict_paper.json")
    #expect((predict["command"] as? String)?.hasPrefix("gsa-theory predict --preset paper") == true)
    let core = try #require(((predict["data"] as? [String: Any])?["attention_core"] as? [String: Any])?["o-ratio"] as? [String: Any])
    #expect(abs((core["speedup"] as? Double ?? 0) - 12.8) < 1e-9)
    // The length grid runs through 128K, where the cost model's O-ratio gives 12.8 again.
    let points = try #require(
      (try readJSON(directory + "/predictions_length.json")["data"] as? [String: Any])?["points"] as? [[String: Any]])
    let at128k = try #require(points.first { $0["length"] as? Int == 131_072 })
    let speedup = ((at128k["core"] as? [String: Any])?["o-ratio"] as? [String: Any])?["speedup"] as? Double
    #expect(abs((speedup ?? 0) - 12.8) < 1e-9)
    // Reported numbers are labelled as such and carry source tags.
    let reference = try #require(try readJSON(directory + "/paper_reference.json")["data"] as? [String: Any])
    #expect(reference["kind"] as? String == "reported by the paper, not computed")
    let values = try #require(reference["values"] as? [[String: Any]])
    let ablation = values.filter { $0["table"] as? String == "k-ablation" && $0["quantity"] as? String == "speedup" }
    #expect(ablation.compactMap { $0["value"] as? Double } == [22, 16, 12, 8])
  }

  func manifestEntries(_ directory: String) throws -> [[String: Any]] {
    try #require(try readJSON(directory + "/manifest.json")["datasets"] as? [[String: Any]])
  }

  @Test func onlyRunsMergeIntoTheExistingManifest() throws {
    let directory = try scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let first = try runGSATheory(["plot-data", "--out", directory, "--small", "--only", "predict_paper", "--seed", "7"])
    #expect(first.status == 0, "\(first.stderr)")
    let second = try runGSATheory(["plot-data", "--out", directory, "--small", "--only", "paper_reference", "--seed", "7"])
    #expect(second.status == 0, "\(second.stderr)")
    var entries = try manifestEntries(directory)
    // Both runs' datasets, in the tool's dataset order, each pointing at a file that exists.
    #expect(entries.compactMap { $0["name"] as? String } == ["paper_reference", "predict_paper"])
    for entry in entries {
      #expect(entry["status"] as? String == "ok")
      let file = try #require(entry["file"] as? String)
      #expect(FileManager.default.fileExists(atPath: directory + "/" + file))
    }
    #expect(try readJSON(directory + "/manifest.json")["scale"] as? String == "small")
    // Regenerating one dataset at another scale replaces its entry only; the top level says "mixed".
    let third = try runGSATheory(["plot-data", "--out", directory, "--only", "paper_reference", "--seed", "7"])
    #expect(third.status == 0, "\(third.stderr)")
    entries = try manifestEntries(directory)
    #expect(entries.compactMap { $0["name"] as? String } == ["paper_reference", "predict_paper"])
    #expect(entries.compactMap { $0["scale"] as? String } == ["full", "small"])
    #expect(try readJSON(directory + "/manifest.json")["scale"] as? String == "mixed")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { !$0.hasPrefix(".") })
  }

  @Test func anotherSchemaVersionOrAnUnreadableManifestIsReplaced() throws {
    let directory = try scratch()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for stale in [
      #"{"schema_version": 99, "scale": "small", "seed": "1", "datasets": [{"name": "predict_paper", "status": "ok"}]}"#,
      "{ not json",
    ] {
      try stale.write(toFile: directory + "/manifest.json", atomically: true, encoding: .utf8)
      let run = try runGSATheory(["plot-data", "--out", directory, "--small", "--only", "paper_reference"])
      #expect(run.status == 0, "\(run.stderr)")
      let manifest = try readJSON(directory + "/manifest.json")
      #expect(manifest["schema_version"] as? Int == 1)
      #expect(try manifestEntries(directory).compactMap { $0["name"] as? String } == ["paper_reference"])
    }
  }

  @Test func usageErrors() throws {
    let missing = try runGSATheory(["plot-data"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("--out"))
    let unknown = try runGSATheory(["plot-data", "--out", NSTemporaryDirectory(), "--only", "nonsense"])
    #expect(unknown.status == 2)
    #expect(unknown.stderr.contains("paper_reference"))
  }
}
