import Foundation
import GSAModel
import GSATheory

extension Commands {
  /// `gsa-theory predict`: the cost model as a calculator.
  static let predict = Command(
    name: "predict",
    abstract: "Predict FLOPs, speedups, break-even, indexer crossover, cap and memory for a configuration.",
    discussion: """
      Two conventions (GSA-THEORY.md §3): o-ratio = the paper's O-terms with coefficient 1 [fig][3p]
      (dense L²D, GSA L²·d_I·H_I + L·k·D); causal = multiply-add 2 FLOPs, dense core and indexer halved by
      the causal mask, sparse core not [rec] (dense 2L²D, GSA L²·d_I·H_I + 4L·k·D). 'Whole layer' adds the
      Q/K/V/O projections, the G1/G2 gates and the indexer projections. Memory: a streaming implementation
      (O(L·(D + k))) against the reference code's largest tensors [code] (O(L²) scores, gathered K/V).
      Bytes: CostModel's logical bytes per bucket (each pass reads its operands and writes its results once;
      gathered = the sparse core's K/V rows per query and kv head) at --dtype, with the arithmetic intensity.

      --machine this|h100|h200|FILE: predicted seconds per bucket (TimeModel, docs/time-model.md: counted work at the
      profile's micro-benchmark or datasheet rates, never fitted to layer timings), each bucket's limit (compute or
      memory), and the time speedup over dense beside the FLOP speedup. A GPU profile uses its bf16 peak with --dtype
      bf16 (fp32 otherwise) and serves --on-chip of the gathered K/V bytes on chip; it has no σ, exp or top-k rate,
      so those are reported as not priced.

      --phase decode: one step of --batch sequences holding L tokens (k_t = min(k_base, L + 1)): bytes per step per
      bucket, the bytes-ratio speedup over dense (beside the FLOP ratio, a convention), the batch above which the KV
      cache a step reads outweighs the layer's weights, and the bytes speedup's limit as B → ∞.
      """,
    options: LayerOptions.specs(defaultPreset: "paper") + [
      OptionSpec("--length", value: "L", default: "131072", help: "Sequence length L (1...2^40; accepts 128k)."),
      OptionSpec("--variants", value: "LIST", default: "all", help: "Comma-separated: dense, sparse-only, gated-only, gsa."),
      OptionSpec(
        "--phase", value: "PHASE", default: "prefill",
        help: "prefill (a forward pass of L tokens) or decode (one step of --batch sequences holding L tokens)."),
      OptionSpec("--batch", value: "B", default: "1", help: "Decode: sequences per step (1...2^20)."),
      OptionSpec(
        "--dtype", value: "TYPE", default: "f32",
        help: "Element type of the byte model: f32 (this toolkit's kernels) or bf16 (the paper's)."),
      MachineOption.spec,
      onChipSpec,
    ],
    examples: [
      "gsa-theory predict --preset paper",
      "gsa-theory predict --length 32k --k 512 --format json",
      "gsa-theory predict --phase decode --batch 8 --dtype bf16",
      "gsa-theory predict --machine h100 --dtype bf16 --length 128k",
      "gsa-theory predict --preset paper-shape --length 32k --machine profile.json",
      "gsa-theory predict --d-model 1024 --heads 16 --kv-heads 4 --head-dim 64 --indexer-heads 4 --indexer-dim 32 --k 256 --length 8192",
    ]
  ) { invocation in
    let options = invocation.options
    let length = try options.int("--length", default: 131_072, in: 1...(1 << 40))
    let config = try LayerOptions.configuration(options, defaultPreset: "paper", lengths: [length])
    let variants = try (options.choiceList("--variants", Variant.allCases.map(\.rawValue)) ?? Variant.allCases.map(\.rawValue))
      .compactMap(Variant.init(rawValue:))
    let phase = try options.choice("--phase", ["prefill", "decode"], default: "prefill")
    let batch = try options.int("--batch", default: 1, in: 1...(1 << 20))
    let dtype = try options.choice("--dtype", ["f32", "bf16"], default: "f32")
    let elementBytes = dtype == "bf16" ? 2 : 4
    let onChip = try options.double("--on-chip", default: 0, in: 0...1)
    let profile = try MachineOption.profile(options, progress: invocation.progress)
    if let profile {
      if profile.measured != nil, dtype == "bf16" {
        throw UsageError("--dtype bf16: a measured profile times this CPU's float32 kernels; drop --dtype or use --machine h100|h200")
      }
      if profile.measured != nil, options.has("--on-chip") {
        throw UsageError("--on-chip: applies to a GPU spec profile (h100, h200); a measured profile has its gather curve")
      }
      if phase == "prefill", length > 1 << 24 {
        throw UsageError("--machine: the prefill time model runs to L = 2^24; give a shorter --length")
      }
    } else if options.has("--on-chip") {
      throw UsageError("--on-chip: applies with --machine h100|h200; add --machine or drop --on-chip")
    }
    func timed(_ report: Report) -> Report {
      guard let profile else { return report }
      return withTimePrediction(
        report, profile: profile, config: config, variants: variants, phase: phase == "decode" ? .decode : .prefill,
        length: length, batch: batch, elementBytes: elementBytes, onChipFraction: onChip)
    }
    if phase == "decode" {
      guard config.causal else { throw UsageError("--phase decode: decoding needs a causal layer; use a causal configuration") }
      let model = DecodeBytesModel(config: config, length: length, batch: batch, elementBytes: elementBytes, variants: variants)
      return CommandResult(report: timed(decodePredictReport(model, variants: variants, dtype: dtype)))
    }
    if options.has("--batch") { throw UsageError("--batch: applies to --phase decode only; add --phase decode or drop --batch") }
    guard length <= 1 << 24 || !options.has("--dtype") else {
      throw UsageError("--dtype: the prefill byte model runs to L = 2^24; give a shorter --length")
    }
    let model = PaperCostModel(config: config, length: length)
    var report = predictReport(model, variants: variants)
    if length <= 1 << 24 {
      report = withPrefillBytes(report, config: config, length: length, variants: variants, elementBytes: elementBytes)
    }
    return CommandResult(report: timed(report))
  }

  static func predictReport(_ model: PaperCostModel, variants: [Variant]) -> Report {
    let conventions = PaperCostModel.Convention.allCases
    func coreJSON(_ c: PaperCostModel.Convention) -> JSONValue {
      let t = model.core(c)
      return [
        "dense": .number(t.dense), "indexer": .number(t.indexer), "sparse": .number(t.sparse),
        "speedup": .number(t.speedup), "break_even_length": .number(model.breakEven(c)),
        "indexer_crossover_length": .number(model.indexerCrossover(c)), "cap": .number(model.cap(c)),
        "indexer_dominates": .bool(t.indexer > t.sparse),
      ]
    }
    var layerJSON: [(String, JSONValue)] = []
    var memoryJSON: [(String, JSONValue)] = []
    for variant in variants {
      var perConvention: [(String, JSONValue)] = []
      for c in conventions {
        let terms = model.layer(variant, c)
        var buckets: [(String, JSONValue)] = FlopBucket.allCases.map { ($0.rawValue, .number(terms[$0])) }
        buckets.append(("total", .number(terms.total)))
        perConvention.append(
          (c.rawValue, ["flops": .object(buckets), "speedup_over_dense": .number(model.layerSpeedup(variant, c))]))
      }
      let exact = model.exactLedger(variant)
      perConvention.append(
        (
          "exact",
          [
            "source": "CostModel useful counts (ledger units: multiply-add = 2 FLOPs; transcendentals and comparisons apart)",
            "buckets": bucketCountsJSON(exact), "speedup_over_dense": .number(model.exactLayerSpeedup(variant)),
          ]
        ))
      layerJSON.append((variant.rawValue, .object(perConvention)))
      let memory = model.memory(variant)
      let toolkit = Sweep.predictedBytes(
        model.config.configured(for: variant), variant, length: model.length, threads: MachineInfo.current.cores)
      memoryJSON.append(
        (
          variant.rawValue,
          [
            "streaming_bytes": .number(memory.streamingBytes), "toolkit_layer_bytes": .number(toolkit),
            "reference_code_bytes": .number(memory.referenceBytes),
          ]
        ))
    }
    let json: JSONValue = [
      "schema_version": 1,
      "configuration": LayerOptions.json(model.config),
      "length": .int(model.length),
      "k": .number(model.k),
      "conventions": [
        "o-ratio": "[fig][3p] O-terms with coefficient 1: dense L^2*D, GSA L^2*d_I*H_I + L*k*D",
        "causal": "[rec] multiply-add = 2 FLOPs; dense core and indexer halved by the causal mask, sparse core not",
      ],
      "attention_core": .object(conventions.map { ($0.rawValue, coreJSON($0)) }),
      "whole_layer": .object(layerJSON),
      "memory": .object(memoryJSON),
    ]

    var text = "Cost model for \(LayerOptions.summary(model.config)), L \(model.length)\n\n"
    text += "Attention core (GSA or sparse-only vs dense):\n"
    let core = TextTable(
      headers: ["convention", "dense", "indexer", "sparse core", "speedup", "cap (L→∞)", "break-even L", "indexer = sparse at L"],
      rows: conventions.map { c in
        let t = model.core(c)
        return [
          c.rawValue, formatNumber(t.dense), formatNumber(t.indexer), formatNumber(t.sparse), formatNumber(t.speedup),
          formatNumber(model.cap(c)), formatNumber(model.breakEven(c)), formatNumber(model.indexerCrossover(c)),
        ]
      })
    text += core.rendered() + "\n"
    text += "Whole layer (projections Q/K/V/O, gates G1/G2, indexer projections + scores, attention core), causal FLOPs:\n"
    var layerRows: [[String]] = []
    var csvRows: [[String]] = []
    for variant in variants {
      let t = model.layer(variant, .causal)
      layerRows.append(
        [variant.rawValue] + [FlopBucket.projections, .gates, .indexer, .attention].map { formatNumber(t[$0]) }
          + [formatNumber(t.total), formatNumber(model.layerSpeedup(variant, .causal)), formatNumber(model.layerSpeedup(variant, .oRatio))])
      for c in conventions {
        let terms = model.layer(variant, c)
        csvRows.append(
          [variant.rawValue, c.rawValue] + FlopBucket.allCases.map { String(terms[$0]) }
            + [String(terms.total), String(model.layerSpeedup(variant, c))])
      }
    }
    text +=
      TextTable(
        headers: ["variant", "projections", "gates", "indexer", "attention", "total", "speedup causal", "speedup o-ratio"],
        rows: layerRows
      ).rendered() + "\n"
    text += "Exact counts (CostModel, useful, causal pairs only): FLOPs / transcendentals / comparisons per bucket:\n"
    text +=
      TextTable(
        headers: ["variant"] + FlopBucket.allCases.map(\.rawValue) + ["total FLOPs", "speedup (exact)"],
        rows: variants.map { v in
          let exact = model.exactLedger(v)
          return [v.rawValue]
            + FlopBucket.allCases.map { b in
              let c = exact.useful[b]
              return c.flops == 0 && c.transcendentals == 0 && c.comparisons == 0
                ? "0" : [c.flops, c.transcendentals, c.comparisons].map { String(format: "%.3g", Double($0)) }.joined(separator: " / ")
            } + [formatNumber(Double(exact.usefulTotal.flops)), formatNumber(model.exactLayerSpeedup(v))]
        }
      ).rendered() + "\n"
    text += "Memory (float32, batch 1; 'this toolkit's layer' = CostModel peak allocations + input + weights):\n"
    text += TextTable(
      headers: ["variant", "streaming O(L·(D+k))", "this toolkit's layer", "reference code O(L²)"],
      rows: variants.map { v in
        let m = model.memory(v)
        let toolkit = Sweep.predictedBytes(model.config.configured(for: v), v, length: model.length, threads: MachineInfo.current.cores)
        return [v.rawValue, formatBytes(m.streamingBytes), formatBytes(toolkit), formatBytes(m.referenceBytes)]
      }
    ).rendered()
    let csv = TextTable(
      headers: ["variant", "convention"] + FlopBucket.allCases.map(\.rawValue) + ["total", "speedup_over_dense"], rows: csvRows
    ).csv()
    return Report(json: json, table: text, csv: csv)
  }

  /// Useful counts by bucket: {bucket: {flops, transcendentals, comparisons}}.
  static func bucketCountsJSON(_ ledger: FlopLedger) -> JSONValue {
    var members: [(String, JSONValue)] = FlopBucket.allCases.map { b in
      let c = ledger.useful[b]
      return (b.rawValue, ["flops": .int(c.flops), "transcendentals": .int(c.transcendentals), "comparisons": .int(c.comparisons)])
    }
    let t = ledger.usefulTotal
    members.append(("total", ["flops": .int(t.flops), "transcendentals": .int(t.transcendentals), "comparisons": .int(t.comparisons)]))
    return .object(members)
  }

  /// "1.23 GiB" style sizes.
  static func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = bytes
    var unit = 0
    while value >= 1024, unit + 1 < units.count {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(Int(value)) B" : String(format: "%.2f %@", value, units[unit])
  }
}
