import GSAModel
import GSATheory

/// The layer-shape flags shared by `predict` and `sweep`: a preset, then per-field overrides.
enum LayerOptions {
  static func specs(defaultPreset: String) -> [OptionSpec] {
    [
      OptionSpec("--preset", value: "NAME", default: defaultPreset, help: "Start from a preset: \(presetNames.joined(separator: ", "))."),
      OptionSpec("--d-model", value: "N", help: "D, the model width (1...65536)."),
      OptionSpec("--heads", value: "N", help: "H, query heads (1...1024)."),
      OptionSpec("--kv-heads", value: "N", help: "H_kv, key/value heads; must divide H."),
      OptionSpec("--head-dim", value: "N", help: "d_h, the head dimension (1...1024)."),
      OptionSpec("--indexer-heads", value: "N", help: "H_I, indexer heads (1...1024)."),
      OptionSpec("--indexer-dim", value: "N", help: "d_I, the indexer dimension (1...1024)."),
      OptionSpec("--k", value: "N", help: "k_base, keys selected per query (>= 1, <= every length)."),
      OptionSpec("--k-min", value: "N", help: "k_min (<= k_base)."),
      OptionSpec("--k-max", value: "N", help: "k_max (>= k_base)."),
      OptionSpec(
        "--k-rule", value: "RULE", help: "How k_t is chosen: fixed, code or figure (GSA-THEORY.md §2.4; preset's rule by default)."),
    ]
  }

  static var presetNames: [String] { LayerConfig.presetNames }

  /// The configuration the flags describe; every violated constraint is a one-line usage error.
  static func configuration(_ options: ParsedOptions, defaultPreset: String, lengths: [Int]) throws(UsageError) -> LayerConfig {
    let name = try options.choice("--preset", presetNames, default: defaultPreset)
    guard var config = LayerConfig.preset(named: name) else { throw UsageError("--preset: unknown preset '\(name)'") }
    config.kRule = AdaptiveKRule(
      rawValue: try options.choice("--k-rule", AdaptiveKRule.allCases.map(\.rawValue), default: config.kRule.rawValue))!
    config.modelDim = try options.int("--d-model", default: config.modelDim, in: 1...65536)
    config.heads = try options.int("--heads", default: config.heads, in: 1...1024)
    config.kvHeads = try options.int("--kv-heads", default: min(config.kvHeads, config.heads), in: 1...1024)
    config.headDim = try options.int("--head-dim", default: config.headDim, in: 1...1024)
    config.indexerHeads = try options.int("--indexer-heads", default: config.indexerHeads, in: 1...1024)
    config.indexerDim = try options.int("--indexer-dim", default: config.indexerDim, in: 1...1024)
    config.kBase = try options.int("--k", default: config.kBase, in: 1...Int(Int32.max))
    config.kMin = try options.int("--k-min", default: min(config.kMin, config.kBase), in: 1...Int(Int32.max))
    config.kMax = try options.int("--k-max", default: max(config.kMax, config.kBase), in: 1...Int(Int32.max))
    guard config.heads % config.kvHeads == 0 else {
      throw UsageError("--kv-heads: \(config.kvHeads) does not divide --heads \(config.heads); use a divisor of H (GQA)")
    }
    guard config.kMin <= config.kBase else {
      throw UsageError("--k-min: \(config.kMin) exceeds --k \(config.kBase); use k_min <= k")
    }
    guard config.kBase <= config.kMax else {
      throw UsageError("--k-max: \(config.kMax) is below --k \(config.kBase); use k_max >= k")
    }
    if let shortest = lengths.min(), config.kBase > shortest {
      throw UsageError("--k: \(config.kBase) exceeds the sequence length \(shortest); use k <= L (1...\(shortest)) or a longer --length")
    }
    do {
      return try config.validated()
    } catch {
      let flags = [
        "modelDim": "--d-model", "heads": "--heads", "kvHeads": "--kv-heads", "headDim": "--head-dim",
        "indexerHeads": "--indexer-heads", "indexerDim": "--indexer-dim", "kBase": "--k", "kMin": "--k-min", "kMax": "--k-max",
      ]
      throw UsageError("\(flags[error.field] ?? error.field): \(error.message)")
    }
  }

  static func json(_ config: LayerConfig) -> JSONValue {
    [
      "d_model": .int(config.modelDim), "heads": .int(config.heads), "kv_heads": .int(config.kvHeads),
      "head_dim": .int(config.headDim), "indexer_heads": .int(config.indexerHeads), "indexer_dim": .int(config.indexerDim),
      "k_base": .int(config.kBase), "k_min": .int(config.kMin), "k_max": .int(config.kMax), "k_rule": .string(config.kRule.rawValue),
      "indexer_activation": .string(config.indexerActivation.rawValue), "value_gate": .bool(config.valueGate),
      "output_gate": .bool(config.outputGate), "indexer_scale": .bool(config.indexerScale), "causal": .bool(config.causal),
    ]
  }

  /// The configuration `json(_:)` wrote (RoPE base and code-rule temperature at their defaults, which
  /// no flag changes); nil when a field is missing or invalid.
  static func configuration(json: JSONValue) -> LayerConfig? {
    func int(_ key: String) -> Int? { json[key]?.intValue }
    func bool(_ key: String) -> Bool? { json[key]?.boolValue }
    guard let d = int("d_model"), let h = int("heads"), let hkv = int("kv_heads"), let dh = int("head_dim"),
      let hi = int("indexer_heads"), let di = int("indexer_dim"), let k = int("k_base"), let kMin = int("k_min"),
      let kMax = int("k_max"), let rule = json["k_rule"]?.stringValue.flatMap(AdaptiveKRule.init(rawValue:)),
      let activation = json["indexer_activation"]?.stringValue.flatMap(IndexerActivation.init(rawValue:)),
      let valueGate = bool("value_gate"), let outputGate = bool("output_gate"), let scale = bool("indexer_scale"),
      let causal = bool("causal")
    else { return nil }
    let config = LayerConfig(
      modelDim: d, heads: h, kvHeads: hkv, headDim: dh, indexerHeads: hi, indexerDim: di, kBase: k, kMin: kMin, kMax: kMax,
      kRule: rule, indexerActivation: activation, valueGate: valueGate, outputGate: outputGate, indexerScale: scale, causal: causal)
    return try? config.validated()
  }

  static func summary(_ config: LayerConfig) -> String {
    "D \(config.modelDim), H \(config.heads), H_kv \(config.kvHeads), d_h \(config.headDim), "
      + "H_I \(config.indexerHeads), d_I \(config.indexerDim), k \(config.kBase) [\(config.kMin), \(config.kMax)]"
  }
}
