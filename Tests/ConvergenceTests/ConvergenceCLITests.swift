import Foundation
import GSAModel
import GSLKit
import PropertyTesting
import Testing

@testable import GSATheory

@Suite("CLI: check-convergence and simulate stability")
struct ConvergenceCLITests {
  let small = ["--dim", "4", "--heads", "2", "--kv-heads", "1", "--head-dim", "2", "--length", "5", "--sequences", "2", "--steps", "15"]

  @Test("default step 1/β satisfies the theorem (exit 0); a large lr violates it (exit 1)")
  func exitCodes() throws {
    let ok = try ToolRunner.run(["check-convergence"] + small + ["--format", "json"])
    #expect(ok.exitCode == 0, "\(ok)")
    let object = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
    #expect(object?["verdict"] as? String == "satisfied")
    #expect((object?["assumption"] as? String)?.contains("S_t held fixed") == true)
    let conditions = object?["conditions"] as? [[String: Any]]
    #expect(conditions?.count == 4)
    // An absolute norm bound below the initial weights' norms: the iterates are outside the set.
    let outside = try ToolRunner.run(["check-convergence", "--norm-bound", "0.01"] + small)
    #expect(outside.exitCode == 1)
    #expect(outside.stdout.contains("iterates stay in the norm set") && outside.stdout.contains("VIOLATED"))
    let violated = try ToolRunner.run(["check-convergence", "--lr", "10"] + small)
    #expect(violated.exitCode == 1)
    #expect(violated.stdout.contains("VIOLATED"))
  }

  @Test(arguments: [
    (["check-convergence", "--lr", "-1"], "--lr"),
    (["check-convergence", "--heads", "3", "--kv-heads", "2"], "--kv-heads"),
    (["check-convergence", "--variant", "gsaa"], "did you mean"),
    (["check-convergence", "--weights", "/nonexistent/w.safetensors"], "cannot read"),
    (["simulate"], "stability"),
    (["simulate", "stabilty"], "stability"),
  ])
  func usageErrors(arguments: [String], message: String) throws {
    let result = try ToolRunner.run(arguments)
    #expect(result.exitCode == 2, "\(arguments): \(result)")
    #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test("--weights reads a generated safetensors fixture and validates it")
  func weightsFile() throws {
    let config = LayerConfig(modelDim: 4, heads: 2, kvHeads: 1, headDim: 2, indexerHeads: 2, indexerDim: 4, kBase: 4, kMin: 1, kMax: 4)
    let parameters = LayerParameters.random(config: config, variant: .gsa, rng: GSLRandom(seed: 11))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cv-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let good = directory.appendingPathComponent("layer.safetensors")
    try Safetensors.encode(Safetensors.tensors(of: parameters, dtype: .bf16)).write(to: good)
    let ok = try ToolRunner.run(["check-convergence", "--weights", good.path] + small + ["--format", "json"])
    #expect(ok.exitCode == 0, "\(ok)")
    #expect(ok.stdout.contains(good.path))
    // Wrong configuration for the file: a one-line shape error, exit 2.
    let wrong = try ToolRunner.run([
      "check-convergence", "--weights", good.path, "--dim", "6", "--heads", "2", "--kv-heads", "1", "--head-dim", "2",
    ])
    #expect(wrong.exitCode == 2)
    #expect(wrong.stderr.contains("has shape"))
    // A dense file read as GSA: missing gate tensors named.
    let dense = directory.appendingPathComponent("dense.safetensors")
    try Safetensors.encode(
      Safetensors.tensors(of: LayerParameters.random(config: config, variant: .dense, rng: GSLRandom(seed: 1)), dtype: .f32)
    ).write(to: dense)
    let missing = try ToolRunner.run(["check-convergence", "--weights", dense.path] + small)
    #expect(missing.exitCode == 2)
    #expect(missing.stderr.contains("'w_gate_v'") && missing.stderr.contains("missing"))
    // Garbage.
    let junk = directory.appendingPathComponent("junk.safetensors")
    try Data("not a safetensors file at all".utf8).write(to: junk)
    let bad = try ToolRunner.run(["check-convergence", "--weights", junk.path] + small)
    #expect(bad.exitCode == 2)
    #expect(bad.stderr.split(separator: "\n").count == 1)
  }

  @Test("absurd run sizes are refused before any work (exit 2); the default run and --allow-long-run are not")
  func runSizeGuard() throws {
    let huge = try ToolRunner.run(["check-convergence", "--length", "4096", "--sequences", "4096"])
    #expect(huge.exitCode == 2, "\(huge)")
    #expect(huge.stderr.contains("--length") && huge.stderr.contains("--allow-long-run"))
    #expect(huge.stderr.split(separator: "\n").count == 1)
    // 25× the default's steps exceeds the budget of about 20× the default run.
    #expect(try ToolRunner.run(["check-convergence", "--steps", "5000"]).exitCode == 2)
    let long = try ToolRunner.run(["simulate", "stability", "--seeds", "100", "--spike-steps", "1000000"])
    #expect(long.exitCode == 2, "\(long)")
    #expect(long.stderr.contains("--seeds") && long.stderr.contains("--allow-long-run"))
    let standard = try ToolRunner.run(["check-convergence", "--format", "json"])
    #expect(standard.exitCode == 0, "\(standard)")
    let allowed = try ToolRunner.run(["check-convergence", "--allow-long-run"] + small)
    #expect(allowed.exitCode == 0, "\(allowed)")
  }

  @Test("simulate stability --quick reports every metric for the four variants")
  func simulateQuick() throws {
    let result = try ToolRunner.run(["simulate", "stability", "--quick", "--seeds", "1", "--format", "json"])
    #expect(result.exitCode == 0, "\(result)")
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let variants = object?["variants"] as? [String: Any]
    #expect(Set(variants?.keys.map { $0 } ?? []) == Set(Variant.allCases.map(\.rawValue)))
    let definitions = object?["definitions"] as? [String: Any]
    #expect((definitions?["spike"] as? String)?.contains("median") == true)
    #expect((definitions?["scale_note"] as? String)?.contains("not the paper's 1.7B run") == true)
  }
}
