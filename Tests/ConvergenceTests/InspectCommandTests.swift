import Foundation
import GSAModel
import PropertyTesting
import Testing

@testable import GSATheory

@Suite("gsa-theory inspect and --checkpoint on the reference fixture checkpoint")
struct InspectCommandTests {
  let checkpoint = ReferenceFixtures.path("tiny-gsa-llama")
  let activations = ReferenceFixtures.path("tiny-gsa-llama-activations.safetensors")

  @Test("JSON: every layer, quantities within the theory's bounds, recall in [0, 1], margin ≥ 0")
  func json() throws {
    let run = try ToolRunner.run(
      ["inspect", "--checkpoint", checkpoint, "--layer", "all", "--input", activations, "--format", "json"], deadline: 300)
    #expect(run.exitCode == 0, "\(run)")
    let object = try JSONSerialization.jsonObject(with: run.stdoutData) as! [String: Any]
    let layers = object["layers"] as! [[String: Any]]
    #expect(layers.count == 2)
    for layer in layers {
      func value(_ key: String) -> Double { (layer[key] as? NSNumber)?.doubleValue ?? .nan }
      #expect(value("indexer_min") > 0 && value("indexer_max") < 2)
      #expect(value("indexer_max_row_variance") <= 1)
      #expect(value("topk_recall_min") >= 0 && value("topk_recall_mean") <= 1 + 1e-12)
      #expect(value("topk_recall_mean_dropping") < value("topk_recall_mean"))
      #expect(value("selection_margin") >= 0)
      #expect(value("k_fixed_max") == 8 && value("k_code_max") <= 16)
      #expect(abs(value("beta") * value("step_size_1_over_beta") - 1) < 1e-12)
      #expect(value("lipschitz_bound") > 0)
    }
  }

  @Test(
    "with S_t = every key (gated-only, k ≥ L) recall is 1 and the dense share (own softmax) equals the sparse one (the layer's tape); below 1 at fixed k"
  )
  func recallOnDenseSelection() throws {
    let fixture = try ReferenceFixture(path: ReferenceFixtures.path("gated-only.safetensors"))
    let r = try LayerInspection(layer: fixture.layer, input: fixture.input, length: fixture.length)
    #expect(abs(r.recallMean - 1) < 1e-12 && abs(r.recallMin - 1) < 1e-12)
    #expect(abs(r.firstTokenShareDense - r.firstTokenShareSparse) < 1e-12)
    #expect(r.selectionMargin == .infinity)
    let sparse = try ReferenceFixture(path: ReferenceFixtures.path("gsa-fixed.safetensors"))
    let s = try LayerInspection(layer: sparse.layer, input: sparse.input, length: sparse.length)
    #expect(s.recallMin < 1 && s.recallMean > 0)
  }

  @Test("table and CSV; random input with --length and --seed is reproducible")
  func formats() throws {
    let table = try ToolRunner.run(["inspect", "--checkpoint", checkpoint, "--length", "24", "--seed", "7"], deadline: 300)
    #expect(table.exitCode == 0 && table.stdout.contains("topk_recall_mean") && table.stdout.contains("index accuracy"))
    let csv = try ToolRunner.run(
      ["inspect", "--checkpoint", checkpoint, "--length", "24", "--seed", "7", "--format", "csv"], deadline: 300)
    #expect(csv.stdout.hasPrefix("layer,quantity,value,against"))
    let again = try ToolRunner.run(
      ["inspect", "--checkpoint", checkpoint, "--length", "24", "--seed", "7", "--format", "csv"], deadline: 300)
    #expect(again.stdout == csv.stdout)
  }

  @Test("bad input: one line naming the problem, exit 2")
  func usageErrors() throws {
    var cases: [([String], String)] = [
      (["inspect"], "--checkpoint"),
      (["inspect", "--checkpoint", "/nonexistent"], "config.json"),
      (["inspect", "--checkpoint", checkpoint, "--layer", "5"], "--layer"),
      (["inspect", "--checkpoint", checkpoint, "--input", "/nonexistent.safetensors"], "--input"),
      (["check-convergence", "--checkpoint", checkpoint, "--dim", "8"], "--dim"),
      (["check-convergence", "--checkpoint", checkpoint, "--weights", activations], "--weights"),
      (["check-convergence", "--layer", "1"], "--checkpoint"),
    ]
    let broken = try temporaryDirectory("ckpt-cli-missing")
    defer { try? FileManager.default.removeItem(atPath: broken) }
    try reencodedCheckpoint(dtype: "F32", into: broken, drop: "model.layers.0.self_attn.value_gate.gate_proj.bias")
    cases.append((["inspect", "--checkpoint", broken, "--length", "8"], "value_gate.gate_proj.bias' is missing"))
    cases.append((["check-convergence", "--checkpoint", broken, "--layer", "0"], "value_gate.gate_proj.bias' is missing"))
    for (arguments, word) in cases {
      let run = try ToolRunner.run(arguments, deadline: 120)
      #expect(run.exitCode == 2 && run.stdoutData.isEmpty, "\(arguments): \(run)")
      let line = run.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(line.contains(word) && !line.contains("\n"), "\(arguments): \(line)")
    }
  }

  @Test("check-convergence --checkpoint takes the layer and its configuration from the checkpoint")
  func checkConvergence() throws {
    let run = try ToolRunner.run(
      ["check-convergence", "--checkpoint", checkpoint, "--layer", "1", "--steps", "5", "--format", "json"], deadline: 300)
    #expect(run.exitCode == 0 || run.exitCode == 1, "\(run)")
    let object = try JSONSerialization.jsonObject(with: run.stdoutData) as! [String: Any]
    #expect((object["weights"] as? String)?.hasSuffix("layer 1") == true)
    let config = object["config"] as! [String: Any]
    #expect((config["dim"] as? NSNumber)?.intValue == 32 && (config["kv_heads"] as? NSNumber)?.intValue == 2)
  }
}

@Suite("CX-decode-cache: the reference's cached decode against its prefill")
struct DecodeCacheClaimTests {
  @Test("refuted by the fixture: the step attends to cached position 0 only, output differs from prefill")
  func refuted() throws {
    let data = try ReferenceDecode(path: ReferenceFixtures.path("decode.safetensors"))
    let outcome = ComplexityChecks.decodeCache(data, tolerance: 1e-6)
    #expect(outcome.verdict == .refuted)
    #expect(data.decodeSelection == [0])
    #expect(outcome.value("decode k_t") == 1 && outcome.value("prefill k_t") == 8)
    #expect((outcome.value("decode vs prefill output (relative)") ?? 0) > 0.1)
    #expect((outcome.value("toolkit float64 under the decode's S_t vs decode output (relative)") ?? 1) < 1e-12)
    print("reference decode: \(outcome.summary)")
  }

  @Test("perturbed: a decode that reproduces the prefill makes the check hold")
  func perturbedHolds() throws {
    var data = try ReferenceDecode(path: ReferenceFixtures.path("decode.safetensors"))
    data.decodeOutput = data.prefillOutput
    data.decodeSelection = data.prefillSelection
    #expect(ComplexityChecks.decodeCache(data, tolerance: 1e-6).verdict == .holds)
    data.decodeOutput[0] += 1e-3
    #expect(ComplexityChecks.decodeCache(data, tolerance: 1e-6).verdict == .refuted)
  }

  @Test("the registered claim runs from the committed fixture")
  func registered() throws {
    let claim = try #require(ClaimRegistry.claim(id: "CX-decode-cache"))
    #expect(try claim.check(ClaimContext(seed: 1, quick: true)).verdict == .refuted)
  }
}
