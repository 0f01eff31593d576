import Foundation
import GSAModel
import GSATheory
import GSLKit

extension Commands {
  /// `gsa-theory inspect`: the theory's quantities on the weights of a reference checkpoint.
  static let inspect = Command(
    name: "inspect",
    abstract: "Report the theory's quantities (indexer range, k_t, gates, margin, recall, sinks, β, Λ) on a checkpoint's layers.",
    discussion: """
      Reads layer --layer (or all) of a reference save_pretrained directory lazily (only that layer's tensors) and evaluates, \
      in float64 with the layer's own k rule: the indexer scores' range and largest row variance against 0 < I < H_I and \
      H_I²/4; k_t under the fixed, code and figure rules; the G1/G2 gate means and saturation (σ < 0.05 or > 0.95); the \
      selection margin (smallest k-th − (k+1)-th score gap); top-k recall of dense attention, the share of each query's \
      dense softmax mass on S_t (the toolkit's definition of the "index accuracy" the paper leaves undefined); the \
      first-token attention share, dense and sparse; β and 1/β of the smoothness bound (R = max‖h_t‖, R_y = max‖u_t‖); \
      the layer's Lipschitz bound Λ (S_t fixed). The input is --input (a safetensors file with an L × D tensor named \
      layers.N.attention_input, input, or its only 2-D tensor) or N(0, 1) rows of --length L drawn with --seed.
      """,
    options: [
      CheckpointOptions.checkpoint,
      OptionSpec("--layer", value: "N|all", default: "0", help: "The checkpoint layer to inspect, or all."),
      OptionSpec("--input", value: "FILE", help: "Hidden states entering the layer (safetensors, L × D)."),
      OptionSpec("--length", value: "L", default: "64", help: "Length of the random input when --input is absent (1...4096)."),
    ],
    examples: [
      "gsa-theory inspect --checkpoint Tests/Fixtures/reference/tiny-gsa-llama --layer all --length 32 --seed 7",
      "gsa-theory inspect --checkpoint Tests/Fixtures/reference/tiny-gsa-llama --input Tests/Fixtures/reference/tiny-gsa-llama-activations.safetensors --format json",
    ]
  ) { invocation in
    let o = invocation.options
    guard let checkpoint = try CheckpointOptions.open(o) else {
      throw UsageError("--checkpoint: missing; give a reference save_pretrained directory (config.json + model.safetensors)")
    }
    let layers = try CheckpointOptions.layers(o, checkpoint: checkpoint, allowAll: true)
    let inputFile: SafetensorsFile?
    if let path = o.string("--input") {
      if o.has("--length") { throw UsageError("--length: give either --input or --length, not both") }
      do { inputFile = try SafetensorsFile(path: path) } catch let error as SafetensorsError {
        throw UsageError("--input: \(error.message)")
      }
    } else {
      inputFile = nil
    }
    let length = try o.int("--length", default: 64, in: 1...4096)
    var results: [(Int, LayerInspection)] = []
    for n in layers {
      let layer = try CheckpointOptions.read(checkpoint, layer: n)
      let (x, l) = try inspectInput(inputFile, layer: n, modelDim: layer.config.modelDim, length: length, seed: invocation.seed)
      invocation.progress.update(results.count, of: layers.count, "layer \(n)")
      results.append((n, try LayerInspection(layer: layer, input: x, length: l)))
    }
    let source = inputFile.map { "\($0.path)" } ?? "N(0, 1), L = \(length), seed \(invocation.seed)"
    return CommandResult(
      report: inspectReport(
        results, checkpoint: checkpoint, inputSource: source, peakResidentBytes: ProcessMemory.peakResidentBytes()))
  }

  /// The input rows for layer `n`: from the file (layers.N.attention_input, input, or its only
  /// 2-D tensor) or seeded N(0, 1).
  static func inspectInput(
    _ file: SafetensorsFile?, layer n: Int, modelDim d: Int, length: Int, seed: UInt64
  ) throws(UsageError) -> ([Double], Int) {
    guard let file else {
      let rng = GSLRandom(seed: seed)
      return ((0..<(length * d)).map { _ in rng.gaussian() }, length)
    }
    let matrices = file.entries.values.filter { $0.shape.count == 2 && $0.dtype.isFloatingPoint }
    let name =
      ["layers.\(n).attention_input", "input"].first { file.entries[$0] != nil }
      ?? (matrices.count == 1 ? matrices[0].name : nil)
    guard let name, let entry = file.entries[name] else {
      throw UsageError(
        "--input: \(file.path) has no tensor layers.\(n).attention_input or input (nor a single 2-D tensor); name the L × D hidden states so"
      )
    }
    guard entry.shape.count == 2, entry.shape[1] == d, entry.shape[0] >= 1, entry.shape[0] <= 4096 else {
      throw UsageError("--input: tensor '\(name)' has shape \(entry.shape), expected [L, \(d)] with 1 ≤ L ≤ 4096")
    }
    do { return (try file.doubles(name), entry.shape[0]) } catch { throw UsageError("--input: \(error.message)") }
  }

  static func inspectReport(
    _ results: [(Int, LayerInspection)], checkpoint: ReferenceCheckpoint, inputSource: String, peakResidentBytes: Int?
  ) -> Report {
    let c = checkpoint.config.layer
    func rows(_ r: LayerInspection) -> [(String, Double, String)] {
      var out: [(String, Double, String)] = [
        ("indexer_min", r.indexerMin, "> 0"), ("indexer_max", r.indexerMax, "< \(formatNumber(r.indexerUpperBound)) (H_I)"),
        ("indexer_max_row_variance", r.maxRowVariance, "≤ \(formatNumber(r.rowVarianceBound)) (H_I²/4)"),
      ]
      for (rule, k) in r.kPerRule {
        out += [
          ("k_\(rule.rawValue)_min", k.min, ""), ("k_\(rule.rawValue)_median", k.median, ""), ("k_\(rule.rawValue)_mean", k.mean, ""),
          ("k_\(rule.rawValue)_max", k.max, ""),
        ]
      }
      if let g = r.valueGate {
        out += [("g2_value_gate_mean", g.mean, ""), ("g2_value_gate_saturated", g.saturated, "σ < 0.05 or > 0.95")]
      }
      if let g = r.outputGate {
        out += [("g1_output_gate_mean", g.mean, ""), ("g1_output_gate_saturated", g.saturated, "σ < 0.05 or > 0.95")]
      }
      out += [
        ("selection_margin", r.selectionMargin, "k-th − (k+1)-th score"),
        ("topk_recall_mean", r.recallMean, "index accuracy (toolkit's definition)"),
        ("topk_recall_mean_dropping", r.recallMeanWhereDropping, "queries with n_t > k_t"), ("topk_recall_min", r.recallMin, ""),
        ("first_token_share_dense", r.firstTokenShareDense, "mean A_{t,0}, t ≥ 1"),
        ("first_token_share_sparse", r.firstTokenShareSparse, "mean A_{t,0}, t ≥ 1"), ("beta", r.beta, "smoothness bound"),
        ("step_size_1_over_beta", 1 / r.beta, ""), ("lipschitz_bound", r.lipschitz, "Λ, S_t fixed"),
      ]
      return out
    }
    var table = TextTable(headers: ["layer", "quantity", "value", "against"])
    var csv = TextTable(headers: ["layer", "quantity", "value", "against"])
    var layersJSON: [JSONValue] = []
    for (n, r) in results {
      var members: [(String, JSONValue)] = [("layer", .int(n)), ("length", .int(r.length))]
      for (name, value, against) in rows(r) {
        table.rows.append([String(n), name, formatNumber(value), against])
        csv.rows.append([String(n), name, "\(value)", against])
        members.append((name, value.isFinite ? .number(value) : .null))
      }
      layersJSON.append(.object(members))
    }
    let json: JSONValue = [
      "schema_version": 1,
      "command": "inspect",
      "checkpoint": .string(checkpoint.directory),
      "input": .string(inputSource),
      "index_accuracy_definition": "top-k recall of dense attention: Σ_{s∈S_t} A^dense_{t,s}, mean over queries and heads",
      "config": [
        "d_model": .int(c.modelDim), "n_heads": .int(c.heads), "n_kv_heads": .int(c.kvHeads), "d_head": .int(c.headDim),
        "n_indexer_heads": .int(c.indexerHeads), "d_indexer": .int(c.indexerDim), "k_base": .int(c.kBase), "k_min": .int(c.kMin),
        "k_max": .int(c.kMax), "k_rule": .string(c.kRule.rawValue), "indexer_activation": .string(c.indexerActivation.rawValue),
        "value_gate": .bool(c.valueGate), "output_gate": .bool(c.outputGate), "rope_base": .number(c.ropeBase),
      ],
      "layers": .array(layersJSON),
      "peak_resident_bytes": peakResidentBytes.map { .int($0) } ?? .null,
    ]
    let header = """
      inspect: \(checkpoint.directory), input \(inputSource); float64, S_t by the layer's k rule (\(c.kRule.rawValue))
      index accuracy := top-k recall of dense attention (the share of each query's dense softmax mass on S_t)

      """
    return Report(json: json, table: header + table.rendered(), csv: csv.csv())
  }
}
