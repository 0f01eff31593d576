import Foundation
import GSAModel

/// The reference implementation's layer configuration (`gsa/config.py`'s `GSAConfig`, as its
/// `save_pretrained` writes it to config.json), mapped onto `LayerConfig`.
///
/// Required fields: d_model, n_heads, n_kv_heads, d_indexer, n_indexer_heads, k_base, k_min,
/// k_max, use_adaptive_k, use_value_gate, use_output_gate, rope_base. Optional, with the
/// reference's defaults: d_head (d_model / n_heads), indexer_activation ("sigmoid"),
/// adaptive_k_temperature (1), n_layers (counted from the tensors when absent). A non-null
/// rope_scaling (YaRN, NTK) is rejected: the toolkit implements plain RoPE. (gate_activation and
/// dense_residual_alpha are not read: the reference's forward pass does not use them.)
///
/// Mapping: use_adaptive_k selects the [code] variance rule (`AdaptiveKRule.code`, the
/// reference's default `adaptive_method = "variance"`), otherwise `fixed`; the indexer scale
/// 1/√d_I and causal masking are always on (the reference applies both).
public struct ReferenceConfig: Sendable, Hashable {
  public var layer: LayerConfig
  /// n_layers when config.json states it.
  public var layerCount: Int?

  /// The fields read from config.json, in the order the errors name them.
  public static let requiredFields = [
    "d_model", "n_heads", "n_kv_heads", "d_indexer", "n_indexer_heads", "k_base", "k_min", "k_max", "use_adaptive_k",
    "use_value_gate", "use_output_gate", "rope_base",
  ]

  /// Parses a config.json object; `source` names the file in errors.
  public init(json: [String: Any], source: String) throws(SafetensorsError) {
    func number(_ key: String) throws(SafetensorsError) -> NSNumber {
      guard let value = json[key] else {
        throw SafetensorsError("\(source): field '\(key)' is missing; the reference's GSAConfig writes it (add it to config.json)")
      }
      guard let n = value as? NSNumber else {
        throw SafetensorsError("\(source): field '\(key)' must be a number")
      }
      return n
    }
    func integer(_ key: String) throws(SafetensorsError) -> Int {
      let n = try number(key)
      guard n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e15 else {
        throw SafetensorsError("\(source): field '\(key)' must be an integer, got \(n)")
      }
      return n.intValue
    }
    func flag(_ key: String) throws(SafetensorsError) -> Bool {
      guard let value = json[key] else {
        throw SafetensorsError("\(source): field '\(key)' is missing; the reference's GSAConfig writes it (add it to config.json)")
      }
      guard let b = value as? Bool else { throw SafetensorsError("\(source): field '\(key)' must be true or false") }
      return b
    }
    for key in Self.requiredFields where json[key] == nil {
      throw SafetensorsError("\(source): field '\(key)' is missing; the reference's GSAConfig writes it (add it to config.json)")
    }
    let dModel = try integer("d_model"), heads = try integer("n_heads")
    guard heads > 0 else { throw SafetensorsError("\(source): field 'n_heads' must be positive, got \(heads)") }
    let headDim = json["d_head"] is NSNumber ? try integer("d_head") : dModel / heads
    var activation = IndexerActivation.sigmoid
    if let name = json["indexer_activation"] {
      guard let text = name as? String, let parsed = IndexerActivation(rawValue: text) else {
        throw SafetensorsError("\(source): field 'indexer_activation' must be \"sigmoid\" or \"relu\"")
      }
      activation = parsed
    }
    // RotaryEmbedding's YaRN/NTK scalings change the frequencies; the toolkit implements plain RoPE.
    if let scaling = json["rope_scaling"], !(scaling is NSNull) {
      throw SafetensorsError("\(source): rope_scaling is set; only plain RoPE (rope_scaling null) is supported")
    }
    let temperature = json["adaptive_k_temperature"] is NSNumber ? try number("adaptive_k_temperature").doubleValue : 1
    let config = LayerConfig(
      modelDim: dModel, heads: heads, kvHeads: try integer("n_kv_heads"), headDim: headDim,
      indexerHeads: try integer("n_indexer_heads"), indexerDim: try integer("d_indexer"), kBase: try integer("k_base"),
      kMin: try integer("k_min"), kMax: try integer("k_max"), kRule: try flag("use_adaptive_k") ? .code : .fixed,
      indexerActivation: activation, valueGate: try flag("use_value_gate"), outputGate: try flag("use_output_gate"),
      indexerScale: true, causal: true, codeRuleTemperature: temperature, ropeBase: try number("rope_base").doubleValue)
    do {
      layer = try config.validated()
    } catch {
      throw SafetensorsError("\(source): \(error.description)")
    }
    layerCount = json["n_layers"] is NSNumber ? try integer("n_layers") : nil
  }

  /// Parses config.json text.
  public init(data: Data, source: String) throws(SafetensorsError) {
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw SafetensorsError("\(source): not a JSON object; give the config.json that save_pretrained wrote")
    }
    try self.init(json: object, source: source)
  }

  /// The variant the reference layer computes: it always runs the indexer and top-k, so GSA when
  /// a gate is on, sparse-only otherwise.
  public var variant: Variant { layer.valueGate || layer.outputGate ? .gsa : .sparseOnly }
}

/// One attention layer of a reference checkpoint, in the toolkit's x·W layout.
public struct ReferenceLayer: Sendable {
  public var config: LayerConfig
  public var variant: Variant
  /// Every tensor the layer uses, float64, shapes as `LayerTensor.shape` (transposed from torch).
  public var tensors: [LayerTensor: [Double]]

  /// The float64 parameters of the differentiable layer.
  public var parameters: LayerParameters { LayerParameters(config: config, variant: variant, tensors: tensors) }

  /// The float32 weights of `GSAModel.AttentionLayer` (tensors the variant does not use are zero).
  public var weights: LayerWeights {
    let shapes = LayerWeights.shapes(for: config)
    var matrices: [String: Matrix] = [:]
    for (name, values) in tensors {
      let (rows, cols) = shapes[name.rawValue]!
      matrices[name.rawValue] = try! Matrix(rows: rows, cols: cols, doubles: values)
    }
    return try! LayerWeights(config: config, tensors: matrices)
  }

  /// The float32 layer.
  public func attentionLayer(variant override: Variant? = nil) throws(ConfigError) -> AttentionLayer {
    try AttentionLayer(config: config, variant: override ?? variant, weights: weights)
  }

  /// The reference's tensor name (after the layer prefix) of each toolkit tensor; all weights are
  /// torch `nn.Linear` weights (out × in) and are transposed when read.
  public static let referenceNames: [LayerTensor: String] = [
    .wQ: "q_proj.weight", .wK: "k_proj.weight", .wV: "v_proj.weight", .wO: "o_proj.weight",
    .wGateV: "value_gate.gate_proj.weight", .bGateV: "value_gate.gate_proj.bias",
    .wGateO: "output_gate.gate_proj.weight", .bGateO: "output_gate.gate_proj.bias",
    .wIQ: "indexer.q_proj.weight", .wIK: "indexer.k_proj.weight", .wIW: "indexer.weight_proj.weight",
    .bIW: "indexer.weight_proj.bias", .bI: "indexer.bias",
  ]

  /// Reads the tensors of one layer from `file`, named `prefix + referenceNames[...]`: only those
  /// tensors' bytes are touched. Matrices are transposed from out × in to in × out.
  public init(file: SafetensorsFile, prefix: String, config: ReferenceConfig) throws(SafetensorsError) {
    self.config = config.layer
    self.variant = config.variant
    var result: [LayerTensor: [Double]] = [:]
    for name in LayerTensor.used(by: variant, config: self.config) {
      let key = prefix + Self.referenceNames[name]!
      let shape = name.shape(self.config)
      guard let entry = file.entries[key] else {
        throw SafetensorsError(
          "\(file.path): tensor '\(key)' is missing (the configuration needs it, shape \(name.isMatrix ? [shape[1], shape[0]] : shape))")
      }
      if name.isMatrix {
        let torchShape = [shape[1], shape[0]]
        guard entry.shape == torchShape else {
          throw SafetensorsError(
            "\(file.path): tensor '\(key)' has shape \(entry.shape), expected \(torchShape) (out × in) for the configuration in config.json"
          )
        }
        let values = try file.doubles(key)
        let (rows, cols) = (shape[0], shape[1])
        var transposed = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { transposed[r * cols + c] = values[c * rows + r] } }
        result[name] = transposed
      } else {
        guard entry.shape == shape else {
          throw SafetensorsError(
            "\(file.path): tensor '\(key)' has shape \(entry.shape), expected \(shape) for the configuration in config.json")
        }
        result[name] = try file.doubles(key)
      }
    }
    tensors = result
  }
}

/// A `save_pretrained` directory of the reference's GSA-LLaMA (config.json and
/// model.safetensors), read lazily: the safetensors file is memory-mapped and only the requested
/// layer's attention tensors are read, `model.layers.N.self_attn.*`.
public struct ReferenceCheckpoint: Sendable {
  public let directory: String
  public let config: ReferenceConfig
  public let file: SafetensorsFile

  /// Opens `directory`: parses config.json and the safetensors header (no tensor data is read).
  public init(directory: String) throws(SafetensorsError) {
    self.directory = directory
    let configPath = (directory as NSString).appendingPathComponent("config.json")
    guard let data = FileManager.default.contents(atPath: configPath) else {
      throw SafetensorsError("\(configPath): cannot read; give a save_pretrained directory holding config.json and model.safetensors")
    }
    config = try ReferenceConfig(data: data, source: configPath)
    let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
    guard FileManager.default.fileExists(atPath: weightsPath) else {
      throw SafetensorsError("\(weightsPath): missing; give a save_pretrained directory holding config.json and model.safetensors")
    }
    file = try SafetensorsFile(path: weightsPath)
  }

  /// The tensor-name prefix of layer `n`.
  public static func prefix(layer n: Int) -> String { "model.layers.\(n).self_attn." }

  /// Number of layers: n_layers from config.json, else the layers whose q_proj is in the file.
  public var layerCount: Int {
    if let n = config.layerCount { return n }
    var n = 0
    while file.entries[Self.prefix(layer: n) + "q_proj.weight"] != nil { n += 1 }
    return n
  }

  /// Layer `n`'s attention (only its tensors are read).
  public func layer(_ n: Int) throws(SafetensorsError) -> ReferenceLayer {
    guard n >= 0, n < layerCount else {
      throw SafetensorsError("\(directory): layer \(n) does not exist; the checkpoint has layers 0...\(layerCount - 1)")
    }
    return try ReferenceLayer(file: file, prefix: Self.prefix(layer: n), config: config)
  }
}
